"""Lists that refresh themselves can be paused, never take the keyboard focus away, and keep
a claim's confirmation; the waiting count is announced from a status region that stays."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from portal.extensions import db

from ..factories import add_referral
from .test_accessibility import sign_in

pytestmark = pytest.mark.browser


def polls(page: Page, seconds: float) -> int:
    """How many refreshes of a self-refreshing list the page asks for in `seconds`."""
    asked: list[str] = []
    page.on(
        "request",
        lambda r: (
            asked.append(r.url)
            if r.headers.get("x-portal-poll") in ("queue-list", "today-panel")
            else None
        ),
    )
    page.wait_for_timeout(seconds * 1000)
    return len(asked)


def quick_refresh(page: Page, selector: str) -> None:
    """The list's period shortened to one second, so that a test need not wait 30."""
    page.locator(selector).evaluate("el => { el.dataset.pollSeconds = '1'; }")


def queue(page: Page, world, names=("Rania Haddad", "Samir Haddad")) -> None:
    for n, name in enumerate(names):
        add_referral(db.session, world, full_name=name, phone=f"+3247099988{n}")
    sign_in(page, world.toeleider.email, "**/today/")
    page.goto("/queue/")
    page.wait_for_load_state("networkidle")
    page.locator("body").focus()


def test_the_queue_refreshes_itself_until_the_user_pauses_it(page: Page, world):
    queue(page, world)
    toggle = page.get_by_label("De lijst elke 30 seconden vernieuwen")
    expect(toggle).to_be_checked()
    quick_refresh(page, "#queue-list")
    assert polls(page, 2.5) >= 1
    toggle.uncheck()
    assert polls(page, 2.5) == 0
    page.reload()  # the choice is remembered
    expect(page.get_by_label("De lijst elke 30 seconden vernieuwen")).not_to_be_checked()


def test_a_refresh_never_takes_the_focus_from_a_row(page: Page, world):
    queue(page, world)
    button = page.get_by_role("button", name="Opnemen Rania Haddad")
    button.focus()
    quick_refresh(page, "#queue-list")
    assert polls(page, 2.5) == 0
    expect(button).to_be_focused()


def test_after_a_claim_the_focus_is_on_its_file_and_the_confirmation_stays(page: Page, world):
    queue(page, world)
    page.get_by_role("button", name="Opnemen Rania Haddad").focus()
    page.keyboard.press("Enter")
    link = page.get_by_role("link", name="Open dossier Rania Haddad")
    expect(link).to_be_focused()
    page.locator("body").focus()  # even with the focus elsewhere, the confirmation stays
    quick_refresh(page, "#queue-list")
    assert polls(page, 2.5) == 0
    expect(link).to_be_visible()


def test_the_waiting_count_is_announced_from_a_region_that_stays(page: Page, world):
    queue(page, world)
    region = page.locator("#queue-count")
    expect(region).to_have_attribute("role", "status")
    region.evaluate("el => { el.dataset.original = 'yes'; }")
    page.locator("#q").fill("Rania")
    expect(region).to_have_text("1 persoon wacht.")
    expect(page.locator("#queue-count[data-original='yes']")).to_have_count(1)
    page.get_by_role("button", name="Opnemen Rania Haddad").click()
    expect(region).to_have_text("0 personen wachten.")
    expect(page.locator("#queue-count[data-original='yes']")).to_have_count(1)


def test_the_leads_figures_can_be_paused_too(page: Page, world):
    sign_in(page, world.lead.email, "**/lead/")
    page.wait_for_load_state("networkidle")
    page.locator("body").focus()
    toggle = page.get_by_label("De cijfers elke minuut vernieuwen")
    expect(toggle).to_be_checked()
    quick_refresh(page, "#today-panel")
    assert polls(page, 4) >= 1
    toggle.uncheck()
    assert polls(page, 2.5) == 0
