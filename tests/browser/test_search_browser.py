"""In Chromium: the header search shows live results that the keyboard walks and opens."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from portal.extensions import db

from ..factories import PASSWORD, add_referral
from .test_accessibility import violations

pytestmark = pytest.mark.browser


def _login(page: Page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.keyboard.press("Enter")


def test_typing_in_the_header_search_and_opening_a_result_with_the_keyboard(page: Page, world):
    add_referral(db.session, world, full_name="Rania Haddad", phone="+32470111111")
    omar = add_referral(db.session, world, full_name="Omar Haddad", phone="+32470222222")
    _login(page, world.toeleider.email)

    box = page.get_by_role("searchbox", name="Zoek een persoon of dossier")
    box.focus()
    page.keyboard.type("hadd", delay=30)
    results = page.locator("#header-search-results [data-search-results] a")
    expect(results).to_have_count(2)
    expect(results.first).to_contain_text("Omar Haddad")  # newest file first
    assert violations(page) == []  # the open list of results too

    page.keyboard.press("ArrowDown")
    expect(results.nth(0)).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(results.nth(1)).to_be_focused()
    page.keyboard.press("ArrowUp")
    expect(results.nth(0)).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/referrals/{omar.id}$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Omar Haddad")
    assert page.console_problems == []  # type: ignore[attr-defined]


def test_without_javascript_the_search_is_an_ordinary_form(page_without_js: Page, world):
    referral = add_referral(db.session, world, full_name="Rania Haddad")
    page = page_without_js
    _login(page, world.toeleider.email)
    page.get_by_role("searchbox", name="Zoek een persoon of dossier").fill("rania")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Zoeken")
    page.locator("[data-search-results] a").first.click()
    expect(page).to_have_url(re.compile(rf"/referrals/{referral.id}$"))
