"""In Chromium: a lead of two municipalities sets them side by side on the reports, and each
prints on landscape A4 with every column on the paper."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from portal.extensions import db

from ..conftest import NOW
from ..factories import add_referral
from ..test_side_by_side_reports import add_interpreters, add_kpis, add_referrers
from .test_accessibility import violations
from .test_printing_browser import log_in, page_size, printed

pytestmark = pytest.mark.browser

A4_LANDSCAPE_POINTS = (842, 595)
# The printable width of landscape A4 (297 mm less 2 x 15 mm margins) in CSS pixels.
LANDSCAPE_WIDTH = 1009


def test_a_lead_compares_two_municipalities_on_screen_and_on_paper(page: Page, world):
    for n in range(3):
        add_referral(db.session, world, full_name=f"Lindeveld {n}")
    for n in range(2):
        add_referral(
            db.session,
            world,
            by=world.outsider,
            full_name=f"Beekmere {n}",
            municipality_id=world.other_municipality.id,
            source_service_id=world.other_service.id,
            phone=f"+3247055500{n}",
        )
    db.session.commit()
    log_in(page, world.lead.email)
    page.goto(f"/reports/evaluation?year={NOW.year}&part=final")
    page.get_by_label("Gemeente").select_option(label="Gemeenten naast elkaar")
    page.get_by_role("button", name="Toon").first.click()
    expect(page.locator("h1")).to_contain_text("Beekmere, Lindeveld naast elkaar")
    sources = page.locator("section[aria-labelledby='t-bronnen'] table")
    expect(sources.locator("thead th")).to_have_text(
        ["Dienst of partner", "Beekmere", "Lindeveld", "Samen"]
    )
    expect(sources.locator("tfoot td")).to_have_text(["2", "3", "5"])
    assert violations(page) == []
    reader = printed(page)
    assert all(page_size(reader, i) == A4_LANDSCAPE_POINTS for i in range(len(reader.pages)))
    text = "".join(p.extract_text() for p in reader.pages)
    assert "Bereikt en gesprekken per maand" in text and "Gesprekken" in text
    assert "CSV van deze tabel" not in text
    page.emulate_media(media="print")
    page.set_viewport_size({"width": LANDSCAPE_WIDTH, "height": 700})
    overflow = page.evaluate(
        "() => [...document.querySelectorAll('main .table-scroll, main table')]"
        ".map(b => b.scrollWidth - b.clientWidth)"
    )
    assert overflow and max(overflow) <= 0


def test_the_monthly_figures_side_by_side_have_no_violations(page: Page, world):
    add_referral(db.session, world, full_name="Lindeveld Een")
    db.session.commit()
    log_in(page, world.lead.email)
    page.goto(f"/reports/monthly?year={NOW.year}")
    page.get_by_label("Gemeente").select_option(label="Gemeenten naast elkaar")
    page.get_by_role("button", name="Toon").click()
    expect(page.locator("table.compared caption")).to_contain_text("per gemeente en samen")
    assert violations(page) == []


@pytest.mark.parametrize(
    ("address", "table", "heading"),
    [
        ("/reports/sources", "t-bronnen", "Doorverwijzingen per bron"),
        ("/reports/kpis?year=2026", "kpi-overview", "Overzicht"),
        ("/reports/interpreters?year=2026", "t-taal-en-maand", "Tolken per taal en maand"),
    ],
)
def test_the_other_reports_side_by_side_on_screen_and_on_paper(
    page: Page, world, address, table, heading
):
    add_referrers(world)
    add_interpreters(world)
    add_kpis(world)
    log_in(page, world.lead.email)
    page.goto(address)
    page.get_by_label("Gemeente").select_option(label="Gemeenten naast elkaar")
    page.get_by_role("button", name="Toon").first.click()
    expect(page.locator("h1")).to_contain_text("Beekmere, Lindeveld naast elkaar")
    compared = page.locator(f"section[aria-labelledby='{table}'] table.compared")
    expect(compared.locator("caption")).to_have_text(f"{heading}: per gemeente en samen")
    expect(compared.locator("thead th.place")).to_have_text(
        ["Beekmere", "Lindeveld", "Samen"] * (compared.locator("thead th.place").count() // 3)
    )
    assert violations(page) == []
    reader = printed(page)
    assert all(page_size(reader, i) == A4_LANDSCAPE_POINTS for i in range(len(reader.pages)))
    text = "".join(p.extract_text() for p in reader.pages)
    assert heading in text and "Samen" in text
    assert "Download als CSV" not in text and "Toon" not in text
    page.emulate_media(media="print")
    page.set_viewport_size({"width": LANDSCAPE_WIDTH, "height": 700})
    overflow = page.evaluate(
        "() => [...document.querySelectorAll('main .table-scroll, main table')]"
        ".map(b => b.scrollWidth - b.clientWidth)"
    )
    assert overflow and max(overflow) <= 0
