"""The file page in Chromium: the next step at the top, the rest one click away, no JS needed."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest
from playwright.sync_api import Page, expect

from portal.extensions import db
from portal.models import ClosingOutcome, Theme
from portal.referrals import lifecycle

from ..factories import PASSWORD, add_partner_referral, add_referral

pytestmark = pytest.mark.browser

NOW = datetime(2026, 11, 26, 10, 15)


def _sign_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Aanmelden").click()


def test_without_javascript_the_next_step_is_on_top_and_the_rest_one_click_away(
    page_without_js: Page, world
):
    page = page_without_js
    referral = add_referral(db.session, world, full_name="Rania Haddad")
    lifecycle.claim(db.session, referral.id, world.toeleider, NOW)
    db.session.commit()
    _sign_in(page, world.toeleider.email)
    page.goto(f"/referrals/{referral.id}")

    expect(page.locator(".file-state .badge")).to_have_text("opgenomen")
    next_step = page.locator("#volgende-stap")
    expect(next_step.get_by_role("heading", name="Contactpoging")).to_be_visible()
    expect(next_step.get_by_role("heading", name="Gesprek plannen")).to_be_visible()
    expect(
        page.locator("#contact").get_by_label("Waarom geeft u deze persoon terug?")
    ).to_be_hidden()

    page.locator("#contact summary", has_text="Teruggeven aan de wachtrij").click()
    page.get_by_label("Waarom geeft u deze persoon terug?").fill("Spreek de taal niet")
    page.get_by_role("button", name="Teruggeven").click()
    expect(page.locator(".file-state .badge")).to_have_text("nieuw")
    expect(page.locator(".timeline")).to_contain_text("Teruggegeven aan de wachtrij")


def test_a_lead_reopens_a_closed_file_and_partner_feedback_stays_possible(page: Page, world):
    theme = Theme(name="Nederlands leren", position=1)
    db.session.add(theme)
    referral = add_referral(db.session, world, full_name="Samir Haddad")
    lifecycle.claim(db.session, referral.id, world.toeleider, NOW)
    add_partner_referral(
        db.session, referral, world.partner, theme, date(2026, 11, 20), world.toeleider
    )
    lifecycle.close(db.session, referral, world.toeleider, ClosingOutcome.COMPLETED, None, NOW)
    db.session.commit()
    _sign_in(page, world.lead.email)
    page.goto(f"/referrals/{referral.id}")

    expect(page.locator(".file-state .badge")).to_have_text("afgesloten")
    next_step = page.locator("#volgende-stap")
    expect(next_step.get_by_role("heading", name="Terugkoppeling van een partner")).to_be_visible()
    expect(
        page.locator("#toeleidingen + ul").get_by_role("button", name="Bijwerken")
    ).to_be_visible()
    next_step.get_by_label("Waarom heropent u dit dossier?").fill("Nieuwe vraag over wonen")
    next_step.get_by_role("button", name="Heropenen").click()
    expect(page.get_by_text("Heropend.")).to_be_visible()
    expect(page.locator(".file-state .badge")).to_have_text("opgenomen")
    expect(page.locator(".timeline")).to_contain_text("Nieuwe vraag over wonen")
    assert page.console_problems == []  # type: ignore[attr-defined]


def test_after_a_refused_action_the_focus_is_on_what_went_wrong(page: Page, world):
    """It used to land at the top of the page with no word of what failed (WCAG 2.4.3, 3.3.1)."""
    referral = add_referral(db.session, world, full_name="Rania Haddad")
    lifecycle.claim(db.session, referral.id, world.toeleider, NOW)
    db.session.commit()
    _sign_in(page, world.toeleider.email)
    page.goto(f"/referrals/{referral.id}")
    page.locator("#contact summary", has_text="Teruggeven aan de wachtrij").click()
    page.get_by_role("button", name="Teruggeven").click()  # without a reason
    summary = page.locator("#action-refused")
    expect(summary).to_be_focused()
    expect(summary).to_have_attribute("role", "alert")
    link = summary.get_by_role("link", name=re.compile("Waarom geeft u deze persoon terug"))
    link.click()
    expect(page.get_by_label("Waarom geeft u deze persoon terug?")).to_be_focused()
