"""axe-core finds no accessibility violations on the pages people use every day."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect
from sqlalchemy import select

from portal.extensions import db

from ..factories import add_referral
from .test_intake_browser import log_in

pytestmark = pytest.mark.browser


def violations(page: Page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])}x, {v['nodes'][0]['target']})"
        for v in results.response["violations"]
    ]


def sign_in(page: Page, email: str, lands_on: str) -> None:
    page.goto("/login")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill("juist-wachtwoord-123")
    page.keyboard.press("Enter")
    page.wait_for_url(lands_on)


def test_login_page_has_no_violations(page: Page, world):
    page.goto("/login")
    assert violations(page) == []


def test_intake_page_empty_and_with_errors_has_no_violations(page: Page, world):
    add_referral(db.session, world, by=world.desk, full_name="Vandaag Geregistreerd")
    log_in(page, world.desk.email)
    assert violations(page) == []
    page.get_by_role("button", name="Bewaren").click()
    page.wait_for_selector(".error-summary")
    assert violations(page) == []


def test_slip_and_admin_pages_have_no_violations(page: Page, world):
    referral = add_referral(db.session, world, by=world.desk)
    log_in(page, world.desk.email)
    paths = (f"/desk/referrals/{referral.id}/slip", f"/desk/referrals/{referral.id}/book")
    for path in (*paths, "/desk/recent"):
        page.goto(path)
        assert violations(page) == [], path
    page.get_by_role("button", name="Afmelden").click()
    sign_in(page, world.admin.email, "**/admin/")
    for path in ("/admin/users/", f"/admin/users/{world.desk.id}", "/admin/c/services/new"):
        page.goto(path)
        assert violations(page) == [], path


def test_toeleider_pages_have_no_violations(page: Page, world):
    from portal.referrals import lifecycle

    from ..conftest import NOW

    add_referral(db.session, world, full_name="In De Wachtrij")
    mine = add_referral(db.session, world, full_name="Al Opgenomen")
    lifecycle.claim(db.session, mine.id, world.toeleider, NOW)
    db.session.commit()
    sign_in(page, world.toeleider.email, "**/today/")
    for path in (
        "/today/",
        "/agenda/week?day=2026-11-30",
        "/queue/",
        f"/referrals/{mine.id}",
        "/queue/mine",
        "/agenda/",
        "/agenda/availability",
        "/queue/letters",
        "/search/?q=al",
    ):
        page.goto(path)
        page.wait_for_load_state("networkidle")
        assert violations(page) == [], path


def test_lead_pages_have_no_violations(page: Page, world):
    from portal.referrals import lifecycle

    from ..conftest import NOW

    owned = add_referral(db.session, world, full_name="Al Opgenomen")
    lifecycle.claim(db.session, owned.id, world.toeleider, NOW)
    db.session.commit()
    sign_in(page, world.lead.email, "**/lead/")
    for path in (
        "/lead/",
        "/lead/workload",
        "/lead/list/new_today",
        "/lead/signals",
        "/reports/monthly",
        "/reports/evaluation",
        "/reports/sources",
        # A lead of two municipalities: the reports with them side by side too.
        "/reports/sources?municipality=naast-elkaar",
        "/reports/interpreters?municipality=naast-elkaar",
        f"/lead/toeleiders/{world.toeleider.id}",
        "/agenda/week",
        "/lead/children-without-school",
        "/lead/agii",
        "/lead/agii?first_day=2026-11-20&last_day=2026-11-01",
        "/reports/monthly?municipality=naast-elkaar",
        "/reports/evaluation?municipality=naast-elkaar",
        "/register-import/",
    ):
        page.goto(path)
        assert violations(page) == [], path


def test_kpi_group_work_and_waiting_list_pages_have_no_violations(page: Page, world):
    from datetime import date, datetime

    from portal.models import Activity, Channel, Kpi, Programme, ProgrammePlace

    channel = Channel(name="Toeleiders")
    db.session.add(channel)
    db.session.flush()
    waiting = add_referral(db.session, world, full_name="Op De Wachtlijst")
    programme = Programme(partner_id=world.partner.id, name="NT2 avondles", capacity=1)
    db.session.add_all(
        [
            programme,
            Kpi(name="Oefenkansen", target=100, unit="practice", rule="activity", start_month=10),
            Activity(
                municipality_id=world.municipality.id,
                held_on=date(2026, 11, 20),
                channel_id=channel.id,
                kind="conversation_table",
                title="Praattafel",
                participants=12,
                young_participants=2,
                created_by_id=world.lead.id,
                created_at=datetime(2026, 11, 20, 18),
            ),
        ]
    )
    db.session.flush()
    db.session.add(
        ProgrammePlace(
            programme_id=programme.id,
            referral_id=waiting.id,
            status="waiting",
            waiting_since=datetime(2026, 11, 1, 10),
        )
    )
    db.session.commit()
    sign_in(page, world.lead.email, "**/lead/")
    for path in (
        "/reports/kpis",
        "/reports/kpis?municipality=naast-elkaar",
        "/groupwork/activities",
        "/groupwork/waiting-lists",
        f"/referrals/{waiting.id}",
    ):
        page.goto(path)
        assert violations(page) == [], path
    page.get_by_role("button", name="Afmelden").click()
    sign_in(page, world.admin.email, "**/admin/")
    for path in (
        "/admin/c/kpis/new",
        "/admin/c/programmes/new",
        "/admin/c/services/new",
        "/admin/c/channels/",
    ):
        page.goto(path)
        assert violations(page) == [], path


def test_person_pages_and_the_same_person_question_have_no_violations(page: Page, world):
    from portal.referrals import lifecycle

    from ..conftest import NOW

    earlier = add_referral(db.session, world, full_name="Rania Haddad")
    mine = add_referral(db.session, world, full_name="Rania Haddad", email="r@example.org")
    lifecycle.claim(db.session, mine.id, world.toeleider, NOW)
    db.session.commit()
    sign_in(page, world.toeleider.email, "**/today/")
    for path in (
        f"/referrals/{mine.id}/person",
        f"/referrals/{mine.id}/person/join",
        f"/referrals/{mine.id}/person/join?reference={earlier.reference}",
        f"/referrals/{mine.id}/person/join?reference=bestaat-niet",
    ):
        page.goto(path)
        assert violations(page) == [], path
    page.goto(f"/referrals/{mine.id}/person")
    page.get_by_label("Telefoon").fill("12")
    page.get_by_role("button", name="Verbeteringen bewaren").click()
    page.wait_for_selector(".error")
    assert violations(page) == []
    page.get_by_role("button", name="Afmelden").click()
    log_in(page, world.desk.email)
    page.get_by_label("Telefoon").press_sequentially("0470123456")
    page.wait_for_selector("input[name=same_person]")
    assert violations(page) == []


def test_the_resident_message_pages_and_notifications_have_no_violations(page: Page, world):
    """The pages of this round: texts, letterhead, reminder, letters, notifications, and the
    states that matter (a refused text, a refused action, a small screen)."""
    from datetime import time

    from portal.models import AvailabilityKind, AvailabilitySlot
    from portal.referrals import lifecycle

    from ..conftest import NOW

    db.session.add(
        AvailabilitySlot(
            user_id=world.toeleider.id,
            weekday=0,
            starts=time(9),
            ends=time(11),
            kind=AvailabilityKind.CONVERSATIONS.value,
        )
    )
    mine = add_referral(db.session, world, full_name="Al Opgenomen", address="Kerkstraat 1")
    lifecycle.claim(db.session, mine.id, world.toeleider, NOW)
    appointment = lifecycle.schedule_conversation(
        db.session,
        mine,
        world.toeleider,
        world.toeleider,
        NOW.replace(day=30, hour=9),
        60,
        "Onthaal",
        None,
        NOW,
    )
    mine.needs_letter = True
    add_referral(db.session, world, full_name="Zonder Adres").needs_letter = True
    claimed = add_referral(db.session, world, full_name="Net Opgenomen")
    lifecycle.claim(db.session, claimed.id, world.toeleider, NOW)
    db.session.commit()
    sign_in(page, world.toeleider.email, "**/today/")
    for path in (
        "/notifications/",
        f"/referrals/{mine.id}/appointments/{appointment.id}/reminder",
        "/queue/letters",
        f"/queue/letters/print?id={mine.id}",
    ):
        page.goto(path)
        page.wait_for_load_state("networkidle")
        assert violations(page) == [], path
    page.goto(f"/referrals/{claimed.id}")
    page.locator("#contact summary", has_text="Teruggeven aan de wachtrij").click()
    page.get_by_role("button", name="Teruggeven").click()
    page.wait_for_selector("#action-refused")
    assert violations(page) == [], "refused action"
    page.set_viewport_size({"width": 320, "height": 800})
    page.goto("/queue/")
    page.wait_for_load_state("networkidle")
    assert violations(page) == [], "queue at 320 px"
    page.set_viewport_size({"width": 1280, "height": 800})
    page.get_by_role("button", name="Afmelden").click()
    sign_in(page, world.admin.email, "**/admin/")
    for path in (
        "/admin/texts/",
        "/admin/texts/slip_appointment/ar",
        "/admin/texts/slip_appointment/ar/preview",
        f"/admin/letterhead/{world.municipality.id}",
    ):
        page.goto(path)
        assert violations(page) == [], path
    page.goto("/admin/texts/reminder/uk")
    page.get_by_label("Tekst").fill("Нагадуємо {naam}")
    page.get_by_role("button", name="Bewaren").click()
    page.wait_for_selector(".error")
    assert violations(page) == [], "refused text"
    # The text as typed, previewed before saving: the focus goes to the preview.
    page.get_by_label("Tekst").fill("Нагадуємо: {datum} {uur}, {plaats}")
    page.get_by_role("button", name="Voorbeeld van deze tekst").click()
    heading = page.get_by_role("heading", name="Voorbeeld van de getypte tekst (nog niet bewaard)")
    expect(heading).to_be_focused()
    expect(page.locator(".typed-preview")).to_contain_text("Нагадуємо:")
    assert violations(page) == [], "typed preview"


def test_the_file_page_in_every_state_has_no_violations(page: Page, world):
    """Each state shows other forms (claim, attempt, booking, outcome, report, partner,
    closing, reopening): every one of them, as the owner and as the lead, checked."""
    from datetime import timedelta

    from portal.models import Appointment, ReferralState

    from ..test_lifecycle_matrix import in_state

    files = {}
    for index, state in enumerate(ReferralState):
        files[state] = in_state(world, state)
        # Each file books the same hour: move this one's out of the way of the next.
        for appointment in db.session.scalars(
            select(Appointment).where(Appointment.referral_id == files[state].id)
        ):
            appointment.starts_at -= timedelta(days=index + 1)
            appointment.ends_at -= timedelta(days=index + 1)
        db.session.commit()
    for email, lands_on in ((world.toeleider.email, "**/today/"), (world.lead.email, "**/lead/")):
        sign_in(page, email, lands_on)
        for state, referral in files.items():
            page.goto(f"/referrals/{referral.id}")
            page.wait_for_load_state("networkidle")
            assert violations(page) == [], (email, state)
        page.get_by_role("button", name="Afmelden").click()
