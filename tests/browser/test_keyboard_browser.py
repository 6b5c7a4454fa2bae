"""Keyboard details of the desk's day: Enter in the language field, the focus after saving."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from portal.extensions import db
from portal.models import Referral

from .test_intake_browser import log_in

pytestmark = pytest.mark.browser


def test_enter_in_the_language_field_picks_the_language_and_sends_nothing(page: Page, world):
    log_in(page, world.desk.email)
    language = page.get_by_label("Contacttaal")
    language.fill("arab")
    language.press("Enter")
    expect(language).to_have_value("Arabisch")
    expect(language).to_be_focused()
    expect(page.locator(".error-summary")).to_have_count(0)  # the form was not sent
    assert re.search(r"/desk/$", page.url)
    assert db.session.query(Referral).count() == 0


def test_after_saving_the_intake_the_focus_is_on_printing_the_slip(page: Page, world):
    log_in(page, world.desk.email)
    page.get_by_label("De persoon gaat akkoord om gecontacteerd te worden").check()
    for name, answer in [("dutch_difficult", "ja"), ("has_work", "nee"), ("has_children", "nee")]:
        page.locator(f'input[name="{name}"][value="{answer}"]').check()
    page.get_by_label("Contacttaal").fill("Arabisch")
    page.get_by_label("Naam", exact=True).fill("Rania Haddad")
    page.get_by_label("Telefoon").fill("0470 12 34 56")
    page.get_by_label("Ingeschreven in de gemeente sinds").fill("2026-10-01")
    page.get_by_role("button", name="Bewaren").click()
    page.wait_for_url("**/slip")
    expect(page.get_by_role("button", name="Strookje afdrukken")).to_be_focused()
