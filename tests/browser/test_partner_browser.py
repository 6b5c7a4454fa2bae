"""In Chromium: a partner registers a family with the keyboard and later reads the answer."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from portal.extensions import db
from portal.models import Referral
from portal.partners.feedback import give_feedback
from portal.referrals import lifecycle

from ..conftest import NOW
from ..factories import PASSWORD
from .test_accessibility import violations

pytestmark = pytest.mark.browser


def test_a_partner_refers_a_family_and_reads_what_the_toeleider_answers(page: Page, world, partner):
    page.goto("/login")
    page.get_by_label("E-mailadres").fill(partner.email)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/partner/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Mijn doorverwijzingen")
    assert violations(page) == []

    page.get_by_role("link", name="Nieuwe doorverwijzing").first.click()
    page.wait_for_url(re.compile(r"/partner/new$"))
    page.wait_for_load_state("networkidle")
    assert violations(page) == []
    # Saved without anything: every error next to its field, and still no violations.
    page.get_by_role("button", name="Bewaren").click()
    page.wait_for_selector(".error-summary")
    assert violations(page) == []

    # The keyboard only, from the agreement on.
    page.get_by_label("De persoon gaat akkoord om gecontacteerd te worden").focus()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")  # Dutch difficult: ja
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowRight")  # work: nee
    page.keyboard.press("Tab")
    page.keyboard.press("Space")  # children: ja
    page.get_by_label("Contacttaal", exact=True).fill("Arabisch")
    page.get_by_label("Naam", exact=True).fill("Nour Haddad")
    page.get_by_label("Telefoon").fill("0470 99 88 77")
    page.get_by_label("Ingeschreven in de gemeente sinds").fill("2026-05-04")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/partner/referrals/\d+/slip$"))
    expect(page.locator("article.slip")).to_contain_text("Nour Haddad")
    assert violations(page) == []

    referral = db.session.scalars(select(Referral)).one()
    assert referral.source_service_id == world.partner.id
    page.get_by_role("link", name="Mijn doorverwijzingen").last.click()
    row = page.locator("table.partner-referrals tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Nour Haddad")
    expect(row).to_contain_text("wacht")

    # The toeleider reaches her and tells the partner; the partner reads it, nothing else.
    lifecycle.claim(db.session, referral.id, world.toeleider, NOW)
    give_feedback(
        db.session, referral, world.toeleider, NOW, arrived=True, message="Ze komt dinsdag."
    )
    db.session.commit()
    page.reload()
    expect(row).to_contain_text("Ze komt dinsdag.")
    expect(page.locator("main")).not_to_contain_text("0470 99 88 77")
    assert violations(page) == []
    # Only the deliberately empty save answered 422 (the form with its errors).
    problems = page.console_problems  # type: ignore[attr-defined]
    assert [p for p in problems if "status of 422" not in p] == [], problems
