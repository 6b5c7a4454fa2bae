"""End to end in Chromium: a desk worker registers a referral with the keyboard only."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from portal.extensions import db
from portal.models import Referral

from ..factories import PASSWORD, add_referral

pytestmark = pytest.mark.browser

MAX_ACTIONS = 12


class CountedUser:
    """Drives the page as a person does, counting each fill, key press and click."""

    def __init__(self, page: Page):
        self.page = page
        self.actions: list[str] = []

    def fill(self, label: str, text: str) -> None:
        self.page.get_by_label(label, exact=True).fill(text)
        self.actions.append(f"fill {label}")

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)
        self.actions.append(key)

    def click(self, locator) -> None:
        locator.click()
        self.actions.append("click")


def log_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/desk/$"))
    # htmx loads the (empty) duplicate warning once; wait so it does not race the test.
    page.wait_for_load_state("networkidle")


def test_keyboard_only_intake_takes_at_most_twelve_actions(page: Page, world):
    log_in(page, world.desk.email)
    user = CountedUser(page)

    # The consent checkbox has the focus when the page opens.
    expect(page.get_by_label("De persoon gaat akkoord om gecontacteerd te worden")).to_be_focused()
    user.press("Space")  # consent
    user.press("Tab")
    user.press("Space")  # Dutch difficult: ja
    user.press("Tab")
    user.press("ArrowRight")  # work: nee
    user.press("Tab")
    user.press("Space")  # children: ja
    user.fill("Contacttaal", "Arabisch")
    user.fill("Naam", "Rania Haddad")
    user.fill("Telefoon", "0470 12 34 56")
    user.fill("Ingeschreven in de gemeente sinds", "2026-05-04")
    expect(page.get_by_text("Nieuwkomer: woont hier 6 maanden.")).to_be_visible()
    user.press("Enter")

    page.wait_for_url(re.compile(r"/desk/referrals/\d+/slip$"))
    expect(page.get_by_role("status")).to_contain_text("Bewaard")
    slip = page.locator("article.slip")
    expect(slip).to_contain_text("Rania Haddad")
    expect(slip).to_contain_text("0470 12 34 56")
    expect(slip).to_contain_text("Wat gebeurt er nu?")
    expect(slip.locator('p[lang="ar"][dir="rtl"]')).to_contain_text("خلال الأسابيع القادمة")
    expect(page.get_by_role("button", name="Strookje afdrukken")).to_be_visible()
    reference = re.search(r"2026-\d{6}", slip.inner_text()).group(0)

    saved = db.session.scalars(select(Referral)).one()
    assert (saved.dutch_difficult, saved.has_work, saved.has_children) == (True, False, True)
    assert (saved.contact_language_code, saved.person.phone) == ("ar", "+32470123456")
    assert len(user.actions) <= MAX_ACTIONS, user.actions
    print(f"\nintake actions: {len(user.actions)}: {', '.join(user.actions)}")
    assert page.console_problems == []  # type: ignore[attr-defined]

    page.get_by_role("link", name="Volgende doorverwijzing").click()
    expect(page.locator("section.today")).to_contain_text(reference)


def test_errors_appear_next_to_the_field_and_nothing_typed_is_lost(page: Page, world):
    log_in(page, world.desk.email)
    page.get_by_label("Naam", exact=True).fill("Rania Haddad")
    page.get_by_label("Telefoon").fill("0470 12")
    page.get_by_label("Korte notitie").fill("Komt met zus als tolk.")
    # Leaving the phone field checks it inline.
    expect(page.locator("#phone-error")).to_contain_text("Dit is geen geldig telefoonnummer")
    page.get_by_role("button", name="Bewaren").click()

    expect(page.locator("#consent-error")).to_contain_text("Zonder akkoord")
    expect(page.locator("#dutch_difficult-error")).to_have_text("Kies ja of nee.")
    expect(page.get_by_label("Naam", exact=True)).to_have_value("Rania Haddad")
    expect(page.get_by_label("Korte notitie")).to_have_value("Komt met zus als tolk.")
    expect(page.get_by_label("Telefoon")).to_have_attribute("aria-invalid", "true")


def test_possible_duplicate_is_shown_while_typing(page: Page, world):
    existing = add_referral(db.session, world, phone="+32470123456")
    log_in(page, world.desk.email)
    page.get_by_label("Telefoon").press_sequentially("0470123456")
    warning = page.locator("#duplicates")
    expect(warning).to_contain_text("Mogelijk al doorverwezen")
    expect(warning).to_contain_text(existing.reference)


def test_intake_works_without_javascript(page_without_js: Page, world):
    page = page_without_js
    log_in(page, world.desk.email)
    page.get_by_label("De persoon gaat akkoord om gecontacteerd te worden").check()
    for name, answer in [("dutch_difficult", "ja"), ("has_work", "nee"), ("has_children", "nee")]:
        page.locator(f'input[name="{name}"][value="{answer}"]').check()
    page.get_by_label("Contacttaal").fill("Oekraïens")
    page.get_by_label("Naam", exact=True).fill("Olena Melnyk")
    page.get_by_label("Telefoon").fill("+380 50 123 4567")
    page.get_by_label("Ingeschreven in de gemeente sinds").fill("2019-03-12")
    page.get_by_role("button", name="Bewaren").click()
    page.wait_for_url(re.compile(r"/slip$"))
    expect(page.locator("article.slip")).to_contain_text("+380 50 123 4567")
