"""End to end in Chromium: a lead's morning and the semi-annual evaluation."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from portal.extensions import db
from portal.models import Referral, Role
from portal.referrals import lifecycle

from ..conftest import NOW
from ..factories import PASSWORD, add_referral, add_user

pytestmark = pytest.mark.browser


def test_lead_opens_today_reassigns_and_downloads_the_evaluation(page: Page, world, tmp_path):
    referral = add_referral(db.session, world, full_name="Rania Haddad")
    lifecycle.claim(db.session, referral.id, world.toeleider, NOW)
    add_user(db.session, "yonas@lindeveld.be", [Role.TOELEIDER], [world.municipality], name="Yonas")
    db.session.commit()

    page.goto("/login")
    page.get_by_label("E-mailadres").fill(world.lead.email)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Vandaag")
    expect(page.locator("#today-panel")).to_contain_text("nieuw vandaag")

    page.get_by_role("link", name="Werklast per toeleider").click()
    page.get_by_role("link", name="Toeleider").click()
    page.get_by_label("Rania Haddad").check()
    page.get_by_label("Nieuwe toeleider").select_option(label="Yonas")
    page.get_by_label("Reden").fill("Toeleider met verlof")
    page.get_by_role("button", name="Gekozen dossiers toewijzen").click()
    expect(page.get_by_role("status")).to_contain_text("toegewezen aan Yonas")

    page.get_by_role("link", name="Vandaag").click()
    page.get_by_role("link", name="Evaluatierapport").click()
    expect(page.get_by_role("heading", name="Contacttalen")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download als Excel-werkboek").click()
    path = tmp_path / "evaluatie.xlsx"
    download.value.save_as(path)
    book = load_workbook(path)
    assert "talen" in book.sheetnames and "bereikt" in book.sheetnames

    db.session.expire_all()
    assert db.session.get(Referral, referral.id).owner.full_name == "Yonas"
    assert page.console_problems == []  # type: ignore[attr-defined]


def test_lead_records_a_conversation_table_and_sees_the_kpi_move(page: Page, world):
    from portal.models import Channel, Kpi

    team = Channel(name="Toeleiders")
    db.session.add(team)
    db.session.flush()
    world.lead.channel_id = team.id
    db.session.add(
        Kpi(
            name="Oefenkansen Nederlands",
            target=40,
            unit="practice",
            rule="activity",
            start_month=10,
        )
    )
    db.session.commit()

    page.goto("/login")
    page.get_by_label("E-mailadres").fill(world.lead.email)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.get_by_role("link", name="Groepswerk").click()
    page.get_by_label("Datum").fill("2026-11-20")
    page.get_by_label("Soort activiteit").select_option(label="conversatietafel")
    page.get_by_label("Omschrijving").fill("Praattafel in de bib")
    page.get_by_label("Gemeente").select_option(label="Lindeveld")
    expect(page.get_by_label("Kanaal (team of partner)")).to_have_value(str(team.id))
    page.get_by_label("Aantal deelnemers").fill("10")
    page.get_by_label("Van wie kinderen en jongeren").fill("12")
    page.get_by_label("Van wie kinderen en jongeren").press("Enter")
    expect(page.locator("#young_participants-error")).to_contain_text(
        "meer dan het aantal deelnemers"
    )
    expect(page.get_by_label("Omschrijving")).to_have_value("Praattafel in de bib")
    page.get_by_label("Van wie kinderen en jongeren").fill("2")
    page.get_by_label("Van wie kinderen en jongeren").press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Activiteit bewaard")
    expect(page.locator("table.figures")).to_contain_text("Praattafel in de bib")

    page.get_by_role("link", name="Vandaag").click()
    page.get_by_role("link", name="KPI-voortgang").click()
    section = page.get_by_role("region", name="Oefenkansen Nederlands")
    expect(section).to_contain_text("10 van 40 oefenkansen (25%)")
    expect(section.locator("tbody")).to_contain_text("Toeleiders")

    page.get_by_role("link", name="Groepswerk").click()
    remove = page.get_by_role("button", name="Verwijderen Praattafel in de bib")
    page.once("dialog", lambda dialog: dialog.dismiss())
    remove.click()
    expect(page.locator("table.figures")).to_contain_text("Praattafel in de bib")
    page.once("dialog", lambda dialog: dialog.accept())
    remove.click()
    expect(page.get_by_role("status")).to_contain_text("Activiteit verwijderd")
    expect(page.locator("table.figures")).not_to_contain_text("Praattafel in de bib")
