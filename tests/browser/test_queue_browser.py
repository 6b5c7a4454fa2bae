"""The queue in Chromium: searching, claiming in place, and the filters agreeing with the list."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from portal.extensions import db

from ..factories import PASSWORD, add_referral

pytestmark = pytest.mark.browser

# Whether an event on an element makes htmx start a request at once (no delay on 'change').
STARTS_REQUEST = """(selector) => {
  let started = false;
  const note = () => { started = true; };
  document.body.addEventListener("htmx:configRequest", note);
  document.querySelector(selector).dispatchEvent(new Event("change", {bubbles: true}));
  document.body.removeEventListener("htmx:configRequest", note);
  return started;
}"""


def _sign_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/today/")
    page.get_by_role("link", name="Wachtrij").click()
    # Typed before htmx has read the page, a search would never be sent (as for a person
    # who types in the first instant): wait until the page's scripts have run.
    page.wait_for_url("**/queue/")
    page.wait_for_load_state("networkidle")


def test_first_claim_after_a_search_works_and_the_count_follows(page: Page, world):
    first = add_referral(db.session, world, full_name="Rania Haddad")
    add_referral(db.session, world, full_name="Samir Haddad", phone="+32470999888")
    _sign_in(page, world.toeleider.email)
    count = page.locator("#queue-count")
    expect(count).to_have_text("2 personen wachten.")

    page.locator("#q").fill("Rania")
    # A loaded machine may take a while to answer the search (CI runs on two cores).
    expect(page.locator("#queue-list tbody tr")).to_have_count(1, timeout=15_000)
    # Leaving the search box must not re-render the list under the pointer.
    assert page.evaluate(STARTS_REQUEST, "#q") is False

    row = page.locator(f"#queue-row-{first.id}")
    row.get_by_role("button", name="Opnemen").click()
    expect(row).to_contain_text("Opgenomen door u.")
    expect(count).to_have_text("0 personen wachten.")
    page.locator("#q").fill("")
    # The emptied search is sent after its pause like any other: as slow on two loaded cores.
    expect(page.locator("#queue-count")).to_have_text("1 persoon wacht.", timeout=15_000)
    # The other filters still refresh the list when they change.
    assert page.evaluate(STARTS_REQUEST, "#residence") is True


def test_the_language_menu_says_all_languages_when_all_are_shown(page: Page, world):
    add_referral(db.session, world, full_name="Spreekt Tigrinya", contact_language_code="ti")
    _sign_in(page, world.toeleider.email)
    first_option = page.locator("#language option[value='']")
    expect(first_option).to_have_text("mijn talen")
    page.get_by_label("Toon alle talen").check()
    expect(page.locator("#queue-list")).to_contain_text("Spreekt Tigrinya")
    expect(first_option).to_have_text("alle talen")
    page.get_by_label("Toon alle talen").uncheck()
    expect(page.locator("#queue-list")).not_to_contain_text("Spreekt Tigrinya")
    expect(first_option).to_have_text("mijn talen")
