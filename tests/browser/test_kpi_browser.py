"""In Chromium: the admin enters a KPI with its channels and year's target, the lead reads
the project year's KPI table."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from ..test_kpi_project_year import (
    enter_catalogues,
    enter_other_kpis,
    enter_the_years_work,
)
from .test_accessibility import sign_in, violations

pytestmark = pytest.mark.browser


def test_admin_enters_a_kpi_and_the_lead_reads_the_years_table(page: Page, client, world, tmp_path):
    enter_catalogues(client, world)
    enter_other_kpis(client)
    enter_the_years_work(world)

    sign_in(page, world.admin.email, "**/admin/")
    page.goto("/admin/c/kpis/new")
    page.get_by_label("Naam").fill("Gezinnen bereikt")
    page.get_by_label("Doel", exact=True).fill("driehonderd")
    page.get_by_label("Doel voor het projectjaar dat begint in").select_option(label="2022-2023")
    page.get_by_label("Telregel").select_option(label="bereikt")
    page.get_by_label("Eenheid").select_option(label="gezinnen")
    page.get_by_label("Kanaal in de opsplitsing").select_option(label="het team van de medewerker")
    channels = page.get_by_role("group", name="Alleen deze kanalen (geen: alle kanalen)")
    channels.get_by_label("Brugfiguren").check()
    channels.get_by_label("Toeleiders").check()
    page.get_by_label("Het projectjaar begint in").select_option(label="oktober")
    page.get_by_role("button", name="Bewaren").click()
    # A word for the target: the error next to the field, everything else kept.
    expect(page.locator("#target-error")).to_contain_text("getal")
    expect(page.get_by_label("Naam")).to_have_value("Gezinnen bereikt")
    expect(channels.get_by_label("Brugfiguren")).to_be_checked()
    expect(page.get_by_label("Kanaal in de opsplitsing")).to_have_value("team")
    page.screenshot(path=tmp_path / "kpi-admin-form-error.png", full_page=True)
    page.get_by_label("Doel", exact=True).fill("300")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Bewaard")
    expect(page.get_by_role("table")).to_contain_text("Gezinnen bereikt")
    page.get_by_role("link", name="Gezinnen bereikt").click()
    expect(page.get_by_label("Doel", exact=True)).to_have_value("300")
    page.screenshot(path=tmp_path / "kpi-admin-form.png", full_page=True)
    assert violations(page) == []
    page.get_by_role("button", name="Afmelden").click()

    sign_in(page, world.lead.email, "**/lead/")
    page.goto(f"/reports/kpis?municipality={world.municipality.id}")
    page.get_by_label("Projectjaar dat begint in").fill("2022")
    page.get_by_role("button", name="Toon").click()
    overview = page.locator("#kpi-overview-table")
    expect(overview).to_contain_text("Gezinnen bereikt")
    row = overview.locator("tbody tr").first
    expect(row).to_contain_text("307")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Lindeveld")
    page.screenshot(path=tmp_path / "kpi-page.png", full_page=True)
    page.emulate_media(media="print")
    page.screenshot(path=tmp_path / "kpi-page-print.png", full_page=True)
    assert violations(page) == []
    # The refused form answered 422, as it should; nothing else went wrong.
    problems = page.console_problems  # type: ignore[attr-defined]
    assert [p for p in problems if "status of 422" not in p] == []
