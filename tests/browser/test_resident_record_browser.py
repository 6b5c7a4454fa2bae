"""End to end in Chromium: a resident comes back to the desk, and the toeleider records it."""

from __future__ import annotations

import os
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from portal.extensions import db
from portal.models import ClosingOutcome, Conversation, Person, Theme
from portal.referrals import lifecycle

from ..conftest import NOW
from ..factories import PASSWORD, add_referral

pytestmark = pytest.mark.browser

YESTERDAY = NOW.date() - timedelta(days=1)


def _file(world, at: datetime, person=None, closed: bool = True):
    referral = add_referral(
        db.session,
        world,
        at=at,
        person=person,
        full_name="Rania Haddad",
        phone="+32470123456",
        registered_on=(at - timedelta(days=20)).date(),
    )
    lifecycle.claim(db.session, referral.id, world.toeleider, at + timedelta(hours=1))
    if closed:
        lifecycle.close(
            db.session,
            referral,
            world.toeleider,
            ClosingOutcome.UNREACHABLE,
            None,
            at + timedelta(days=30),
        )
    db.session.commit()
    return referral


def test_a_walk_in_on_the_persons_current_file_counts_on_yesterday(page: Page, world):
    db.session.add(Theme(name="Nederlands leren", position=1))
    db.session.commit()
    current = _file(world, datetime(2026, 10, 20, 9, 0), closed=False)
    person = db.session.get(Person, current.person_id)
    first = _file(world, datetime(2024, 3, 4, 9, 0), person=person)
    latest_closed = _file(world, datetime(2025, 5, 6, 9, 0), person=person)

    page.goto("/login")
    page.get_by_label("E-mailadres").fill(world.toeleider.email)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.keyboard.press("Enter")

    # The phone in the header opens one of the person's files: a closed one.
    page.locator("#header-search").fill("0470 12 34 56")
    page.locator("#header-search").press("Enter")
    expect(page).to_have_url(f"{page.url.split('/referrals')[0]}/referrals/{latest_closed.id}")
    others = page.locator("ul.other-files li")
    expect(others).to_have_count(2)
    expect(others.nth(0)).to_contain_text(current.reference)
    expect(others.nth(1)).to_contain_text(first.reference)

    # The phone number changed: corrected once, for the person.
    page.get_by_role("link", name="Gegevens van de persoon verbeteren").click()
    page.get_by_label("Telefoon").fill("0470 99 88 77")
    page.get_by_role("button", name="Verbeteringen bewaren").click()
    expect(page.locator("ul.other-files")).to_be_visible()

    # The walk-in of yesterday, on the file that is still open.
    page.locator("ul.other-files").get_by_role("link", name=current.reference).click()
    page.get_by_role("link", name="Gesprek zonder afspraak registreren").click()
    page.get_by_label("Gesprek gehouden op").fill(YESTERDAY.isoformat())
    page.get_by_label("Om").fill("11:00")
    page.get_by_label("Nederlands leren").check()
    page.get_by_label("Notities").fill("Kwam spontaan langs aan het loket.")
    page.get_by_role("button", name="Gesprek bewaren").click()

    walk_in = page.locator("ol.feed li", has_text="Gesprek zonder afspraak gehouden")
    expect(walk_in.locator("time")).to_have_attribute(
        "datetime", f"{YESTERDAY.isoformat()}T11:00:00"
    )
    expect(walk_in.locator(".recorded")).to_contain_text("geregistreerd op 26 nov 2026")
    expect(page.locator("ol.feed .record")).to_contain_text("Kwam spontaan langs")
    if os.environ.get("PORTAL_SCREENSHOTS"):
        page.screenshot(path=os.environ["PORTAL_SCREENSHOTS"], full_page=True)

    db.session.expire_all()
    assert db.session.get(Person, person.id).phone == "+32470998877"
    assert db.session.scalars(select(Conversation)).one().held_on == YESTERDAY

    # The month's figures count the person as reached at the desk, and the conversation.
    page.get_by_role("button", name="Afmelden").click()
    expect(page.get_by_label("E-mailadres")).to_be_visible()
    page.get_by_label("E-mailadres").fill(world.lead.email)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Vandaag")
    page.goto("/reports/monthly?year=2026")
    november = page.locator("tr", has=page.locator('th[scope="row"]', has_text="nov"))
    expect(november.locator("td")).to_have_text(["1", "0", "0", "0", "1", "1"])
