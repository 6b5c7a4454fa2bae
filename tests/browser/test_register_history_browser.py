"""In Chromium: the lead imports a spreadsheet of earlier registrations, from upload through
the preview to the files with their history."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import Page, expect

from ..test_register_history import HEADER, ROWS, csv_file
from .test_accessibility import sign_in, violations

pytestmark = pytest.mark.browser


def _shot(page: Page, name: str) -> None:
    # Screenshots only when asked for, to look at the pages by eye.
    folder = os.environ.get("PORTAL_SCREENSHOTS")
    if folder:
        page.screenshot(path=f"{folder}/{name}.png", full_page=True)


def test_the_lead_uploads_earlier_registrations_previews_and_imports_them(
    page: Page, world, tmp_path
):
    sheet = tmp_path / "eerdere-inschrijvingen.csv"
    sheet.write_bytes(csv_file([HEADER, *ROWS]))
    sign_in(page, world.lead.email, "**/lead/")
    page.goto("/register-import/")
    page.get_by_label("Eerdere inschrijvingen", exact=False).check()
    page.get_by_label("Gemeente").select_option(label=world.municipality.name)
    page.locator("input[type=file]").set_input_files(str(sheet))
    _shot(page, "history-upload")
    page.get_by_role("button", name="Bestand lezen").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Welke kolom bevat wat?")
    # The columns are guessed from their names; the history's too.
    expect(page.get_by_label("Datum van de intake")).to_have_value("Intake")
    expect(page.get_by_label("Datum van het onthaalgesprek")).to_have_value("Gesprek")
    _shot(page, "history-columns")
    page.get_by_role("button", name="Elke rij nakijken").click()

    rows = page.locator("#import-rows")
    first = rows.locator('tr[data-line="2"]')
    expect(first.locator(".outcome")).to_have_text("nieuwe persoon")
    expect(first.locator(".held")).to_have_text("03/02/2025")
    expect(rows.locator('tr[data-line="7"] .reason')).to_contain_text(
        "De datum van bereik (01/05/2025) ligt vóór de datum van de intake (10/05/2025)."
    )
    _shot(page, "history-preview")
    assert violations(page) == []
    page.get_by_role("button", name="Importeren").click()

    expect(page.get_by_role("status")).to_contain_text("Geïmporteerd: 4 eerdere dossiers")
    expect(page.get_by_role("button", name="Import ongedaan maken")).to_be_visible()
    _shot(page, "history-imported")
    page.locator('#import-rows tr[data-line="2"] a').click()
    feed = page.locator("ol.feed")
    expect(feed).to_contain_text("Eerdere registratie, van vóór het portaal")
    expect(feed).to_contain_text("Gesprek gehouden")
    _shot(page, "history-file")
    assert page.console_problems == []  # type: ignore[attr-defined]
