"""End to end in Chromium: the same person at the desk, and joining two records on the file."""

from __future__ import annotations

import os
import re
from datetime import datetime

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from portal.extensions import db
from portal.models import Referral
from portal.referrals import lifecycle

from ..factories import PASSWORD, add_referral
from .test_intake_browser import log_in

pytestmark = pytest.mark.browser


def _shot(page: Page, name: str) -> None:
    # Screenshots only when asked for, to look at the pages by eye.
    folder = os.environ.get("PORTAL_SCREENSHOTS")
    if folder:
        page.screenshot(path=f"{folder}/{name}.png", full_page=True)


def _fill_intake(page: Page) -> None:
    page.get_by_label("De persoon gaat akkoord om gecontacteerd te worden").check()
    for name, answer in [("dutch_difficult", "ja"), ("has_work", "nee"), ("has_children", "nee")]:
        page.locator(f'input[name="{name}"][value="{answer}"]').check()
    page.get_by_label("Contacttaal").fill("Arabisch")
    page.get_by_label("Naam", exact=True).fill("Rania Haddad")
    page.get_by_label("Ingeschreven in de gemeente sinds").fill("2026-05-04")
    page.get_by_label("Telefoon").fill("0470 12 34 56")


def _log_in_as_toeleider(page: Page, world) -> None:
    page.goto("/login")
    page.get_by_label("E-mailadres").fill(world.toeleider.email)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/today/$"))  # a toeleider lands on Vandaag


def test_the_desk_answers_same_person_while_typing(page: Page, world):
    earlier = add_referral(db.session, world, at=datetime(2026, 11, 20, 9, 0))
    log_in(page, world.desk.email)
    _fill_intake(page)
    page.get_by_label("Telefoon").fill("")
    page.get_by_label("Telefoon").press_sequentially("0470123456")
    warning = page.locator("#duplicates")
    expect(warning).to_contain_text(earlier.reference)
    expect(warning).not_to_contain_text("Rania")
    warning.get_by_label(re.compile("Dezelfde persoon")).check()
    _shot(page, "desk-same-person")
    page.get_by_role("button", name="Bewaren").click()
    page.wait_for_url(re.compile(r"/slip$"))
    db.session.expire_all()
    new = db.session.scalars(select(Referral).order_by(Referral.id.desc())).first()
    assert new.id != earlier.id and new.person_id == db.session.get(Referral, earlier.id).person_id
    assert page.console_problems == []  # type: ignore[attr-defined]


def test_without_javascript_the_desk_is_asked_once_and_keeps_what_was_typed(
    page_without_js: Page, world
):
    page = page_without_js
    earlier = add_referral(db.session, world, at=datetime(2026, 11, 20, 9, 0))
    log_in(page, world.desk.email)
    _fill_intake(page)
    page.get_by_role("button", name="Bewaren").click()
    expect(page.get_by_role("alert")).to_contain_text("Misschien was deze persoon hier al")
    expect(page.get_by_label("Naam", exact=True)).to_have_value("Rania Haddad")
    page.get_by_label(re.compile("Dezelfde persoon")).check()
    _shot(page, "desk-same-person-nojs")
    page.get_by_role("button", name="Bewaren").click()
    page.wait_for_url(re.compile(r"/slip$"))
    db.session.expire_all()
    new = db.session.scalars(select(Referral).order_by(Referral.id.desc())).first()
    assert new.person_id == db.session.get(Referral, earlier.id).person_id


def test_a_toeleider_joins_two_records_and_undoes_it(page: Page, world):
    first = add_referral(db.session, world, at=datetime(2026, 6, 2, 9, 0), email="r@example.org")
    second = add_referral(db.session, world, birth_year=None)
    lifecycle.claim(db.session, second.id, world.toeleider, datetime(2026, 11, 26, 10, 0))
    db.session.commit()
    _log_in_as_toeleider(page, world)
    page.goto(f"/referrals/{second.id}")
    page.get_by_role("link", name="Samenvoegen met een andere persoon").click()
    page.get_by_label("Referentie van het andere dossier").fill(first.reference)
    page.get_by_role("button", name="Voorstel bekijken").click()
    expect(page.get_by_role("table")).to_contain_text("r@example.org")
    _shot(page, "join-preview")
    page.get_by_role("button", name="Samenvoegen").click()
    section = page.get_by_role("region", name="Persoonsrecord")
    expect(section.get_by_role("link", name=first.reference)).to_be_visible()
    _shot(page, "file-after-join")
    section.get_by_role("button", name="Samenvoeging ongedaan maken").click()
    expect(page.get_by_text("De samenvoeging is ongedaan gemaakt.")).to_be_visible()
    expect(section).to_contain_text("Geen eerdere dossiers van deze persoon.")


def test_the_owner_corrects_the_phone_and_sees_it_on_the_timeline(page: Page, world):
    referral = add_referral(db.session, world)
    lifecycle.claim(db.session, referral.id, world.toeleider, datetime(2026, 11, 26, 10, 0))
    db.session.commit()
    _log_in_as_toeleider(page, world)
    page.goto(f"/referrals/{referral.id}")
    page.get_by_role("link", name="Gegevens van de persoon verbeteren").click()
    page.get_by_label("Telefoon").fill("0470 99 88 77")
    _shot(page, "correct-form")
    page.get_by_role("button", name="Verbeteringen bewaren").click()
    expect(page.locator(".timeline")).to_contain_text("Telefoon: +32470123456 → +32470998877")
    _shot(page, "file-after-correction")
