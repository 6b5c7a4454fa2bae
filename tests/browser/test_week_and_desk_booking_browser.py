"""In Chromium, with the keyboard only: the toeleider's week grid, and booking at the desk."""

from __future__ import annotations

from datetime import datetime, time

import pytest
from playwright.sync_api import Page, expect

from portal.extensions import db
from portal.models import AvailabilitySlot, ReferralState

from ..factories import add_held_appointment, add_referral
from .test_accessibility import sign_in

pytestmark = pytest.mark.browser


def _press_link(page: Page, name: str) -> None:
    page.get_by_role("link", name=name, exact=True).focus()
    page.keyboard.press("Enter")


def test_the_toeleider_opens_the_week_grid_from_vandaag_and_pages_through_weeks(page: Page, world):
    referral = add_referral(db.session, world, full_name="Rania Haddad")
    referral.state, referral.owner_id = ReferralState.SCHEDULED.value, world.toeleider.id
    add_held_appointment(
        db.session, referral, world.toeleider, datetime(2026, 12, 2, 10, 30), status="planned"
    )
    db.session.commit()
    sign_in(page, world.toeleider.email, "**/today/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Vandaag")

    _press_link(page, "Mijn week")
    grid = page.get_by_role("table")
    expect(grid.locator("caption")).to_contain_text("23 november 2026")
    _press_link(page, "Volgende week")
    expect(grid.locator("caption")).to_contain_text("30 november 2026")
    cell = grid.locator("tbody tr", has=page.locator("th", has_text="10:00")).locator("td").nth(2)
    expect(cell).to_contain_text("Rania Haddad")
    # The grid's own scroll box takes the keyboard focus, for narrow screens.
    region = page.get_by_role("region", name="Week van Toeleider")
    region.focus()
    expect(region).to_be_focused()
    _press_link(page, "Rania Haddad")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Rania Haddad")


def test_the_desk_books_a_moment_on_the_day_the_resident_chooses(page: Page, world):
    for weekday in (0, 2):
        db.session.add(
            AvailabilitySlot(
                user_id=world.toeleider.id,
                weekday=weekday,
                starts=time(9),
                ends=time(11),
                kind="conversations",
            )
        )
    referral = add_referral(db.session, world, by=world.desk, full_name="Rania Haddad")
    db.session.commit()
    sign_in(page, world.desk.email, "**/desk/")
    page.goto(f"/desk/referrals/{referral.id}/book")
    expect(page.locator("ul.days a")).to_have_count(4)  # two Mondays, two Wednesdays

    _press_link(page, "woensdag 9 december")
    expect(page.locator("legend")).to_contain_text("9 december 2026")
    # The first moment has the focus: take the second one, then confirm from the place field.
    expect(page.locator("input[name=slot]").first).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_label("10:00 · Toeleider")).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Plaats")).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url("**/slip")
    # With the weekday, as the resident reads it on the slip.
    expect(page.locator("main")).to_contain_text("woensdag 9 december 2026, 10:00")
