"""End to end in Chromium: a toeleider's whole day with one referral."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.models import PartnerReferral, Referral, Signal, Theme

from ..factories import PASSWORD, add_referral

pytestmark = pytest.mark.browser


def test_toeleider_claims_calls_plans_records_follows_up_and_closes(page: Page, world, monkeypatch):
    db.session.add_all(
        [
            Theme(name="Nederlands leren", position=1),
            Theme(name="Werk", position=2),
            Theme(name="Wonen", position=3),
        ]
    )
    referral = add_referral(db.session, world, full_name="Rania Haddad")
    db.session.commit()

    page.goto("/login")
    page.get_by_label("E-mailadres").fill(world.toeleider.email)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.get_by_role("link", name="Wachtrij").click()
    # The claim goes through htmx once the page has loaded; a click before that posts the
    # form without it (and lands on the file), which a loaded machine made happen once.
    page.wait_for_url("**/queue/")
    page.wait_for_load_state("load")

    row = page.locator(f"#queue-row-{referral.id}")
    row.get_by_role("button", name="Opnemen").click()
    expect(row).to_contain_text("Opgenomen door u.")  # in place, without leaving the queue
    row.get_by_role("link", name="Open dossier").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Rania Haddad")

    # A failed call, then a successful one.
    page.locator("#attempt-channel").select_option("phone")
    page.locator("#attempt-outcome").select_option("no_answer")
    page.get_by_role("button", name="Poging bewaren").click()
    expect(page.locator(".timeline")).to_contain_text("telefoon: geen antwoord")
    page.locator("#attempt-outcome").select_option("reached")
    page.get_by_role("button", name="Poging bewaren").click()
    expect(page.locator(".timeline")).to_contain_text("telefoon: bereikt")

    # Plan the conversation for Monday.
    page.locator("#schedule-day").fill("2026-11-30")
    page.locator("#schedule-start").fill("10:00")
    page.get_by_role("button", name="Inplannen").click()
    expect(page.locator("#h-appointments")).to_be_visible()
    expect(page.locator(".appointments")).to_contain_text("gepland")

    # Monday, after the conversation.
    monday = datetime(2026, 11, 30, 11, 30)
    monkeypatch.setattr(clock, "now", lambda: monday)
    monkeypatch.setattr(clock, "today", lambda: monday.date())
    # Days later the login of Thursday has long ended: log in again, back on the same file.
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Aanmelden")
    page.get_by_label("E-mailadres").fill(world.toeleider.email)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Rania Haddad")
    page.get_by_role("button", name="Gesprek gehouden").click()

    page.get_by_label("Nederlands leren").check()
    page.get_by_label("Werk", exact=True).check()
    page.locator("#conversation-signal_1_theme").select_option(label="Werk")
    page.locator("#conversation-signal_1_text").fill("Geen avondcursus Nederlands voor werkenden")
    page.get_by_role("button", name="Verslag bewaren").click()
    expect(page.locator(".timeline")).to_contain_text("Verslag van het gesprek")

    page.locator("#partner-partner").select_option(label="Huis van het Nederlands")
    page.locator("#partner-theme").select_option(label="Nederlands leren")
    page.get_by_role("button", name="Toeleiding bewaren").click()
    expect(page.locator("#h-followup")).to_be_visible()
    follow_up = page.locator("section", has=page.locator("#h-followup"))
    item = follow_up.locator("li", has_text="Huis van het Nederlands · Nederlands leren")
    item.get_by_label("Opvolging").select_option("arrived")
    item.get_by_role("button", name=re.compile("Bijwerken")).click()
    expect(follow_up.locator("li", has_text="Huis van het Nederlands · ")).to_contain_text(
        "aangekomen"
    )

    page.locator("#close-outcome").select_option("completed")
    page.get_by_role("button", name="Afsluiten").click()
    expect(page.locator("dl.facts")).to_contain_text("afgesloten")

    db.session.expire_all()
    stored = db.session.get(Referral, referral.id)
    assert (stored.state, stored.outcome) == ("closed", "completed")
    assert db.session.scalars(select(PartnerReferral)).one().status == "arrived"
    assert db.session.scalars(select(Signal)).one().theme.name == "Werk"
    timeline = page.locator(".timeline li").all_inner_texts()
    kinds = [line.split(" · ")[1] for line in timeline]
    assert kinds == [
        "Geregistreerd aan het loket",
        "Opgenomen",
        "Contactpoging",
        "Contactpoging",
        "Gesprek gepland",
        "Gesprek gehouden",
        "Verslag van het gesprek",
        "Toeleiding naar een partner",
        "Toeleiding opgevolgd",
        "Afgesloten",
    ]
    assert page.console_problems == []  # type: ignore[attr-defined]
