"""The school follow-up of a child and the referral to Agii, filled in with the keyboard alone."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from portal.extensions import db
from portal.models import AgiiReferral, SchoolItem
from portal.referrals import lifecycle

from ..factories import PASSWORD, add_referral

pytestmark = pytest.mark.browser

NOW = datetime(2026, 11, 26, 10, 15)


def _sign_out(page: Page) -> None:
    """As a user leaves: the button, then the login page. Clearing the cookies instead left
    the page's own requests running, and one answered with the login page while the next
    user was being signed in."""
    # By the form, not the button's name: the page may be in English.
    page.locator("form[action$='/logout'] button").click()
    page.wait_for_url("**/login**")
    page.wait_for_load_state("networkidle")


def _sign_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/login" not in url)
    page.wait_for_load_state("networkidle")


def _tab_to(page: Page, target, most: int = 6) -> None:
    """Tab on until `target` has the focus, as a keyboard user does past a date's parts."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError("the field was not reached with Tab")


def _owned_file(world):
    referral = add_referral(
        db.session, world, full_name="Rania Haddad", children_birth_years=[2016]
    )
    lifecycle.claim(db.session, referral.id, world.toeleider, NOW)
    db.session.commit()
    return referral


def test_the_school_of_a_child_is_noted_with_the_keyboard_and_a_missing_school_is_told(
    page: Page, world
):
    referral = _owned_file(world)
    _sign_in(page, world.toeleider.email)
    page.goto(f"/referrals/{referral.id}#leerplicht")
    item = page.locator(".school-items li").first
    expect(item.locator(".school-status")).to_have_text("nog op te volgen")
    item.locator("summary").focus()
    page.keyboard.press("Enter")  # opens the form
    page.keyboard.press("Tab")
    expect(item.get_by_label("Stand van zaken")).to_be_focused()
    page.keyboard.press("ArrowDown")  # "ingeschreven in een school"
    page.keyboard.press("Tab")
    expect(item.get_by_label("School")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.type("Start in januari")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # sent without the school
    refused = page.locator("#action-refused")
    expect(refused).to_be_focused()
    expect(refused).to_contain_text("School: Vul de naam van de school in.")
    item = page.locator(".school-items li").first
    expect(item.locator(".field.has-error")).to_contain_text("Vul de naam van de school in.")
    note = item.get_by_label("Notitie")
    expect(note).to_have_value("Start in januari")  # what was typed is kept
    school = item.get_by_label("School")
    school.focus()
    page.keyboard.type("Basisschool De Linde")
    page.keyboard.press("Enter")  # Enter in a text field sends the form
    page.wait_for_url(f"**/referrals/{referral.id}")
    item = page.locator(".school-items li").first
    expect(item.locator(".school-status")).to_have_text("ingeschreven in een school")
    expect(item).to_contain_text("Basisschool De Linde")
    expect(page.locator("#tijdlijn")).to_contain_text("Leerplicht bijgewerkt")
    # Only the refused save's answer (422) and no script error.
    problems = page.console_problems  # type: ignore[attr-defined]
    assert [p for p in problems if "status of 422" not in p] == []
    db.session.expire_all()
    saved = db.session.scalar(select(SchoolItem))
    assert (saved.status, saved.school_name, saved.note) == (
        "enrolled",
        "Basisschool De Linde",
        "Start in januari",
    )


def test_the_referral_to_agii_is_made_with_the_keyboard_and_the_lead_downloads_it(
    page: Page, world, browser, live_server
):
    referral = _owned_file(world)
    _sign_in(page, world.toeleider.email)
    page.goto(f"/referrals/{referral.id}#agii")
    section = page.locator("#opvolging")
    section.locator("summary", has_text="Verwijzen naar Agii").focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")  # onto the checked answer of the radio group: not known yet
    expect(section.get_by_label("nog niet bekend")).to_be_focused()
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    expect(section.get_by_label("ja, inburgeringsplichtig")).to_be_checked()
    page.keyboard.press("Tab")
    page.keyboard.press("Space")  # maatschappelijke oriëntatie
    page.keyboard.press("Tab")
    page.keyboard.press("Space")  # Nederlands als tweede taal
    for _ in range(3):
        page.keyboard.press("Tab")
    expect(section.get_by_label("Status")).to_be_focused()
    page.keyboard.press("ArrowDown")  # doorverwezen
    # Past the day (empty: today), whose day, month and year Chromium stops at one by one.
    _tab_to(page, section.get_by_label("Dossiernummer bij Agii"))
    page.keyboard.type("AG-2026-17")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/referrals/{referral.id}")
    facts = page.locator("dl.agii-facts")
    expect(facts.locator(".agii-status")).to_have_text("doorverwezen · doorverwezen op 26/11/2026")
    expect(facts).to_contain_text("maatschappelijke oriëntatie, Nederlands als tweede taal (NT2)")
    expect(facts).to_contain_text("AG-2026-17")
    db.session.expire_all()
    saved = db.session.scalar(select(AgiiReferral))
    assert (saved.obliged, saved.civic_orientation, saved.dutch_course) == (True, True, True)

    lead = browser.new_context(base_url=live_server, locale="nl-BE", accept_downloads=True)
    page = lead.new_page()
    _sign_in(page, world.lead.email)
    page.goto("/lead/agii")
    expect(page.locator("table.agii-referrals tbody tr")).to_have_count(1)
    with page.expect_download() as download:
        page.get_by_role("link", name="Downloaden als CSV voor Agii").focus()
        page.keyboard.press("Enter")
    body = Path(download.value.path()).read_text(encoding="utf-8")
    assert body.startswith("\ufeffdossiernummer;gemeente_nis;")
    assert referral.reference in body and "AG-2026-17" in body
    lead.close()


def test_the_lead_sees_a_child_who_reached_school_age_and_a_closed_files_school_section(
    page: Page, world, tmp_path
):
    # Registered in May, when the child of 2021 was a toddler; 1 September made it of age.
    referral = add_referral(
        db.session,
        world,
        at=datetime(2026, 5, 11, 10),
        full_name="Rania Haddad",
        children_birth_years=[2016, 2021],
    )
    lifecycle.claim(db.session, referral.id, world.toeleider, NOW)
    moved = add_referral(
        db.session,
        world,
        at=datetime(2026, 9, 1, 10),
        full_name="Marta Nowak",
        phone="+32470000077",
        children_birth_years=[2014, 2024],
    )
    lifecycle.claim(db.session, moved.id, world.toeleider, NOW)
    db.session.commit()
    _sign_in(page, world.lead.email)
    page.goto("/lead/children-without-school")
    rows = page.locator("table.children-without-school tbody tr")
    # Marta Nowak's child of 2014, Rania Haddad's of 2016 and the child of 2021 that the daily
    # command did not give its item yet: the list counts it all the same.
    expect(rows).to_have_count(3)
    of_age = rows.filter(has_text="2021")
    expect(of_age).to_contain_text("over tijd")
    expect(of_age).to_contain_text("01/10/2026")
    page.screenshot(path=tmp_path / "children-without-school.png", full_page=True)
    of_age.get_by_role("link").click()
    expect(page.locator("li.school-coming")).to_contain_text("Kind geboren in 2021")
    # The toeleider closes the other file: the family moved away.
    _sign_out(page)
    _sign_in(page, world.toeleider.email)
    page.goto(f"/referrals/{moved.id}")
    closing = page.locator("form[action$='/close']")
    if not closing.is_visible():
        page.locator("summary", has_text="Afsluiten").first.click()
    expect(closing.locator(".school-at-closing")).to_contain_text("2 kinderen")
    closing.get_by_label("Resultaat").select_option("moved_away")
    closing.get_by_role("button", name="Afsluiten").click()
    page.wait_for_url(f"**/referrals/{moved.id}")
    section = page.locator("ul.school-items")
    expect(section).to_contain_text("het gezin is verhuisd")
    expect(section.locator(".badge")).to_have_count(0)
    page.locator("#leerplicht").scroll_into_view_if_needed()
    page.screenshot(path=tmp_path / "closed-file-school.png", full_page=True)
    _sign_out(page)
    _sign_in(page, world.lead.email)
    page.goto("/lead/children-without-school")
    expect(rows).to_have_count(2)
    problems = page.console_problems  # type: ignore[attr-defined]
    assert problems == []
