"""Every page fits the screen from a phone (320 CSS px) to a desktop: no page-wide horizontal
scrolling (WCAG 1.4.10), every menu link on screen, wide tables scroll in their own box."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from portal.extensions import db
from portal.referrals import lifecycle

from ..conftest import NOW
from ..factories import add_referral
from .test_accessibility import sign_in

pytestmark = pytest.mark.browser

WIDTHS = (320, 390, 768, 1366)

OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
# Menu links that lie (partly) beyond the right edge of the screen.
LINKS_OFF_SCREEN = """() => [...document.querySelectorAll('header.top a, header.top button')]
  .filter(a => a.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
  .map(a => a.textContent.trim())"""


def fits(page: Page, paths: list[str]) -> list[str]:
    """What does not fit, as 'width path: ...' lines."""
    problems = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        for path in paths:
            page.goto(path)
            page.wait_for_load_state("networkidle")
            over = page.evaluate(OVERFLOW)
            if over > 0:
                problems.append(f"{width} {path}: page scrolls {over} px sideways")
            off = page.evaluate(LINKS_OFF_SCREEN)
            if off:
                problems.append(f"{width} {path}: off screen {off}")
    return problems


def test_the_toeleiders_pages_fit_from_phone_to_desktop(page: Page, world):
    for n in range(3):
        add_referral(db.session, world, full_name=f"Wachtende Persoon{n} Met Een Lange Naam")
    mine = add_referral(db.session, world, full_name="Al Opgenomen")
    lifecycle.claim(db.session, mine.id, world.toeleider, NOW)
    db.session.commit()
    sign_in(page, world.toeleider.email, "**/today/")
    paths = [
        "/today/",
        "/queue/",
        f"/referrals/{mine.id}",
        "/queue/mine",
        "/agenda/week",
        "/queue/letters",
        "/desk/",
    ]
    assert fits(page, paths) == []


def test_the_leads_and_admins_pages_fit_from_phone_to_desktop(page: Page, world):
    add_referral(db.session, world)
    db.session.commit()
    sign_in(page, world.lead.email, "**/lead/")
    year = NOW.year
    paths = [
        "/lead/",
        "/lead/workload",
        "/lead/signals",
        f"/reports/monthly?year={year}",
        f"/reports/evaluation?year={year}",
        f"/reports/kpis?year={year}",
        f"/reports/kpis?year={year}&municipality=naast-elkaar",
        f"/reports/interpreters?year={year}&municipality=naast-elkaar",
        "/reports/sources?municipality=naast-elkaar",
        f"/reports/monthly?year={year}&municipality=naast-elkaar",
        f"/reports/evaluation?year={year}&municipality=naast-elkaar",
        "/lead/children-without-school",
        "/register-import/",
    ]
    assert fits(page, paths) == []
    page.get_by_role("button", name="Afmelden").click()
    sign_in(page, world.admin.email, "**/admin/")
    admin_paths = ["/admin/", "/admin/users/", "/admin/c/kpis/", "/admin/texts/"]
    assert fits(page, [*admin_paths, "/admin/c/services/new", "/admin/c/programmes/new"]) == []


def test_a_table_wider_than_the_phone_scrolls_in_a_box_the_keyboard_can_reach(page: Page, world):
    for n in range(3):
        add_referral(db.session, world, full_name=f"Wachtende Persoon{n}")
    db.session.commit()
    sign_in(page, world.toeleider.email, "**/today/")
    page.set_viewport_size({"width": 320, "height": 900})
    page.goto("/queue/")
    page.wait_for_load_state("networkidle")
    box = page.locator("#queue-list .table-scroll")
    assert box.evaluate("b => b.scrollWidth > b.clientWidth")
    assert box.get_attribute("tabindex") == "0"
    assert box.get_attribute("role") == "region" and box.get_attribute("aria-label")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.wait_for_function("() => !document.querySelector('#queue-list .table-scroll[tabindex]')")


def test_the_other_pages_fit_a_phone(page: Page, world):
    """At 320 px only (the widths above are walked for the everyday pages)."""
    mine = add_referral(
        db.session, world, full_name="Al Opgenomen", email="een.heel.lang.adres@voorbeeld.example"
    )
    lifecycle.claim(db.session, mine.id, world.toeleider, NOW)
    db.session.commit()
    sign_in(page, world.toeleider.email, "**/today/")
    page.set_viewport_size({"width": 320, "height": 900})
    paths = [
        "/agenda/",
        "/agenda/availability",
        "/groupwork/activities",
        "/groupwork/waiting-lists",
        "/search/?q=al",
        f"/referrals/{mine.id}/person",
        "/notifications/",
        "/account",
    ]
    problems = []
    for path in paths:
        page.goto(path)
        page.wait_for_load_state("networkidle")
        over = page.evaluate(OVERFLOW)
        if over > 0:
            problems.append(f"{path}: {over} px")
    page.get_by_role("button", name="Afmelden", exact=True).click()
    sign_in(page, world.lead.email, "**/lead/")
    for path in [
        f"/reports/interpreters?year={NOW.year}",
        "/reports/sources",
        "/register-import/",
        "/lead/list/unclaimed",
        "/privacy/access-log",
    ]:
        page.goto(path)
        page.wait_for_load_state("networkidle")
        over = page.evaluate(OVERFLOW)
        if over > 0:
            problems.append(f"{path}: {over} px")
    assert problems == []


# Each row's cells, as tall as their row: a cell that is not a table cell (display: flex) ends
# where its content does, and the row's line beneath it stops short or runs through it.
CELLS_SHORTER_THAN_ROW = """() => [...document.querySelectorAll('main tbody tr')].flatMap(tr =>
  [...tr.cells]
    .filter(td => tr.getBoundingClientRect().height - td.getBoundingClientRect().height > 1)
    .map(td => tr.cells[0].textContent.trim() + ': ' + td.textContent.trim().slice(0, 30)))"""


def test_the_users_action_buttons_stand_in_a_cell_as_tall_as_its_row(page: Page, world):
    world.toeleider.full_name = "Een Toeleider Met Een Naam Die Over Twee Regels Loopt"
    db.session.commit()
    sign_in(page, world.admin.email, "**/admin/")
    page.goto("/admin/users/")
    page.wait_for_load_state("networkidle")
    assert page.evaluate(CELLS_SHORTER_THAN_ROW) == []
