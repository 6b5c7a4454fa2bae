"""An interpreter asked for a conversation: planned with it, confirmed by the service, moved
and cancelled with its appointment, shown where the appointment is, and reported."""

from __future__ import annotations

import re
from datetime import datetime, time

import icalendar
import pytest
from selectolax.parser import HTMLParser
from sqlalchemy import select

from portal.extensions import db
from portal.models import (
    Appointment,
    AppointmentStatus,
    AvailabilityKind,
    AvailabilitySlot,
    InterpreterMode,
    InterpreterRequest,
    InterpreterStatus,
    Referral,
    Role,
    TimelineEvent,
)
from portal.referrals import interpreters, lifecycle
from portal.referrals.interpreters import InterpreterWish
from portal.reports.interpreters import interpreter_figures

from .conftest import NOW
from .factories import add_referral, add_user, csv_rows

MONDAY_TEN = datetime(2026, 11, 30, 10, 0)


def owned(world, **changes) -> Referral:
    referral = add_referral(db.session, world, **changes)
    lifecycle.claim(db.session, referral.id, world.toeleider, NOW)
    db.session.commit()
    return referral


def plan(world, referral, start=MONDAY_TEN, minutes=60, wish=None) -> Appointment:
    appointment = lifecycle.schedule_conversation(
        db.session,
        referral,
        world.toeleider,
        world.toeleider,
        start,
        minutes,
        "Gemeentehuis",
        wish,
        NOW,
    )
    db.session.commit()
    return appointment


def request_of(appointment_id: int) -> InterpreterRequest | None:
    db.session.expire_all()
    return db.session.scalar(
        select(InterpreterRequest).where(InterpreterRequest.appointment_id == appointment_id)
    )


def events(referral, prefix="interpreter_") -> list[tuple[str, str]]:
    return [
        (e.kind, e.detail or "")
        for e in db.session.scalars(
            select(TimelineEvent)
            .where(TimelineEvent.referral_id == referral.id, TimelineEvent.kind.like(f"{prefix}%"))
            .order_by(TimelineEvent.id)
        )
    ]


def available_on_mondays(world) -> None:
    db.session.add(
        AvailabilitySlot(
            user_id=world.toeleider.id,
            weekday=0,
            starts=time(9),
            ends=time(17),
            kind=AvailabilityKind.CONVERSATIONS.value,
        )
    )
    db.session.commit()


def page(client, referral) -> HTMLParser:
    return HTMLParser(client.get(f"/referrals/{referral.id}").get_data(as_text=True))


# Planning with an interpreter ----------------------------------------------------------


def test_the_toeleider_plans_with_an_interpreter_by_phone_in_another_language(client, world):
    referral = owned(world)
    available_on_mondays(world)
    client.login(world.toeleider.email)
    form = page(client, referral).css_first('form[action$="/schedule"]')
    # The interpreter's language is the contact language unless chosen otherwise.
    chosen = form.css_first('select[name="schedule-interpreter_language"] option[selected]')
    assert chosen.attributes["value"] == "ar"
    response = client.post(
        f"/referrals/{referral.id}/schedule",
        {
            "schedule-version": str(referral.version),
            "schedule-day": "2026-11-30",
            "schedule-start": "10:00",
            "schedule-minutes": "50",
            "schedule-place": "Gemeentehuis",
            "schedule-interpreter": "y",
            "schedule-interpreter_language": "fr",
            "schedule-interpreter_mode": "phone",
        },
    )
    assert response.status_code == 303
    appointment = db.session.scalar(
        select(Appointment).where(Appointment.referral_id == referral.id)
    )
    request = request_of(appointment.id)
    assert (request.language_code, request.mode, request.status) == ("fr", "phone", "requested")
    assert request.minutes == 60  # 50 minutes: booked per quarter, so one hour
    assert request.created_by_id == world.toeleider.id
    ((kind, detail),) = events(referral)
    assert kind == "interpreter_requested" and "Frans, telefonisch" in detail
    shown = page(client, referral).css_first("ul.appointments .interpreter").text()
    assert "tolk Frans (telefonisch, aangevraagd)" in shown


def test_planning_without_the_box_asks_for_no_interpreter(client, world):
    referral = owned(world)
    available_on_mondays(world)
    client.login(world.toeleider.email)
    client.post(
        f"/referrals/{referral.id}/schedule",
        {
            "schedule-version": str(referral.version),
            "schedule-day": "2026-11-30",
            "schedule-start": "10:00",
            "schedule-minutes": "60",
            "schedule-place": "Gemeentehuis",
            "schedule-interpreter_language": "ar",
            "schedule-interpreter_mode": "on_site",
        },
    )
    assert db.session.scalars(select(InterpreterRequest)).all() == []


def book_at_desk(client, world, referral, **interpreter) -> str:
    available_on_mondays(world)
    client.login(world.desk.email)
    html = client.get(f"/desk/referrals/{referral.id}/book").get_data(as_text=True)
    slot = re.search(r'name="slot"[^>]*value="([^"]+)"', html).group(1)
    form = {"slot": slot, "place": "Onthaal", **interpreter}
    response = client.post(f"/desk/referrals/{referral.id}/book", form)
    assert response.status_code == 303
    return client.get(response.headers["Location"]).get_data(as_text=True)


def test_the_desk_books_with_an_interpreter_and_the_slip_says_so(client, world):
    referral = add_referral(db.session, world)
    slip = book_at_desk(
        client,
        world,
        referral,
        interpreter="y",
        interpreter_language="ar",
        interpreter_mode="on_site",
    )
    (request,) = db.session.scalars(select(InterpreterRequest)).all()
    assert (request.language_code, request.mode, request.status) == ("ar", "on_site", "requested")
    # Requested is enough for the slip: the municipality arranges it once asked.
    dutch = HTMLParser(slip).css_first('section.message[lang="nl"]').text()
    assert "Er is een tolk: Arabisch." in dutch


def test_a_desk_booking_without_interpreter_prints_no_interpreter_line(client, world):
    referral = add_referral(db.session, world)
    slip = book_at_desk(client, world, referral)
    assert db.session.scalars(select(InterpreterRequest)).all() == []
    assert "tolk" not in HTMLParser(slip).css_first('section.message[lang="nl"]').text()


def test_a_cancelled_interpreter_is_not_promised_on_the_reminder(client, world):
    referral = owned(world)
    appointment = plan(world, referral, wish=InterpreterWish())
    client.login(world.toeleider.email)
    reminder = f"/referrals/{referral.id}/appointments/{appointment.id}/reminder"
    assert "Er is een tolk: Arabisch." in client.get(reminder).get_data(as_text=True)
    interpreters.change(
        db.session,
        db.session.get(Appointment, appointment.id),
        world.toeleider,
        NOW,
        language_code="ar",
        mode=InterpreterMode.ON_SITE,
        status=InterpreterStatus.CANCELLED,
        service_reference=None,
        minutes=None,
    )
    db.session.commit()
    assert "tolk" not in client.get(reminder).get_data(as_text=True)


# The service's answer ------------------------------------------------------------------


def interpreter_form(client, referral, appointment, **values):
    prefix = f"interpreter-{appointment.id}"
    data = {
        f"{prefix}-version": str(db.session.get(Referral, referral.id).version),
        f"{prefix}-language": "ar",
        f"{prefix}-mode": "on_site",
        f"{prefix}-status": "requested",
        f"{prefix}-service_reference": "",
        f"{prefix}-minutes": "",
    }
    data.update({f"{prefix}-{k}": v for k, v in values.items()})
    return client.post(f"/referrals/{referral.id}/appointments/{appointment.id}/interpreter", data)


def test_the_toeleider_confirms_with_the_services_reference_then_cancels(client, world):
    referral = owned(world)
    appointment = plan(world, referral, wish=InterpreterWish(mode=InterpreterMode.VIDEO))
    client.login(world.toeleider.email)
    response = interpreter_form(
        client, referral, appointment, mode="video", status="confirmed", service_reference="STV-881"
    )
    assert response.status_code == 303
    request = request_of(appointment.id)
    assert (request.status, request.service_reference) == ("confirmed", "STV-881")
    assert request.updated_by_id == world.toeleider.id
    shown = page(client, referral).css_first("ul.appointments .interpreter").text()
    assert "tolk Arabisch (via video, bevestigd)" in shown and "STV-881" in shown
    response = interpreter_form(
        client, referral, appointment, mode="video", status="cancelled", service_reference="STV-881"
    )
    assert response.status_code == 303
    assert request_of(appointment.id).status == "cancelled"
    assert [kind for kind, _detail in events(referral)] == [
        "interpreter_requested",
        "interpreter_confirmed",
        "interpreter_cancelled",
    ]
    # The appointment itself stands; only its interpreter was cancelled.
    assert db.session.get(Appointment, appointment.id).status == AppointmentStatus.PLANNED
    timeline = page(client, referral).text()
    assert "Tolk bevestigd" in timeline and "Tolk geannuleerd" in timeline


def test_an_interpreter_is_asked_afterwards_for_an_appointment_planned_without(client, world):
    referral = owned(world)
    appointment = plan(world, referral)
    client.login(world.toeleider.email)
    summary = page(client, referral).css_first("ul.appointments details summary").text()
    assert summary.startswith("Tolk aanvragen")
    assert interpreter_form(client, referral, appointment, mode="phone").status_code == 303
    assert request_of(appointment.id).mode == "phone"
    assert [kind for kind, _d in events(referral)] == ["interpreter_requested"]


def test_a_form_read_before_another_change_is_refused_and_kept(client, world):
    referral = owned(world)
    appointment = plan(world, referral, wish=InterpreterWish())
    client.login(world.toeleider.email)
    stale = str(db.session.get(Referral, referral.id).version)
    assert interpreter_form(client, referral, appointment, status="confirmed").status_code == 303
    response = client.post(
        f"/referrals/{referral.id}/appointments/{appointment.id}/interpreter",
        {
            f"interpreter-{appointment.id}-version": stale,
            f"interpreter-{appointment.id}-language": "ar",
            f"interpreter-{appointment.id}-mode": "phone",
            f"interpreter-{appointment.id}-status": "cancelled",
            f"interpreter-{appointment.id}-service_reference": "TYPED-1",
        },
    )
    assert response.status_code == 409
    html = HTMLParser(response.get_data(as_text=True))
    typed = html.css_first(f'input[name="interpreter-{appointment.id}-service_reference"]')
    assert typed.attributes["value"] == "TYPED-1"  # what was typed is still there
    request = request_of(appointment.id)
    assert (request.status, request.mode, request.service_reference) == (
        "confirmed",
        "on_site",
        None,
    )


def test_a_duration_not_in_quarters_gets_a_dutch_message_next_to_the_form(client, world):
    referral = owned(world)
    appointment = plan(world, referral, wish=InterpreterWish())
    client.login(world.toeleider.email)
    response = interpreter_form(client, referral, appointment, minutes="50")
    assert response.status_code == 409
    assert "De tolk komt per kwartier" in response.get_data(as_text=True)
    assert request_of(appointment.id).minutes == 60


def test_an_appointment_of_another_file_is_not_reached_through_this_one(client, world):
    referral = owned(world)
    other = owned(world, full_name="Ander Dossier", phone="+32470999999")
    appointment = plan(world, other, wish=InterpreterWish())
    client.login(world.toeleider.email)
    response = client.post(
        f"/referrals/{referral.id}/appointments/{appointment.id}/interpreter",
        {f"interpreter-{appointment.id}-status": "cancelled"},
    )
    assert response.status_code == 404
    assert request_of(appointment.id).status == "requested"


def test_the_desk_cannot_change_an_interpreter(client, world):
    referral = owned(world)
    appointment = plan(world, referral, wish=InterpreterWish())
    client.login(world.desk.email)
    assert interpreter_form(client, referral, appointment, status="cancelled").status_code == 403
    assert request_of(appointment.id).status == "requested"


# Moved and cancelled with the appointment -----------------------------------------------


def test_a_moved_appointment_takes_its_interpreter_along_to_be_confirmed_again(app, world):
    referral = owned(world)
    appointment = plan(world, referral, wish=InterpreterWish(mode=InterpreterMode.PHONE))
    interpreters.change(
        db.session,
        appointment,
        world.toeleider,
        NOW,
        language_code="ar",
        mode=InterpreterMode.PHONE,
        status=InterpreterStatus.CONFIRMED,
        service_reference="STV-7",
        minutes=None,
    )
    db.session.commit()
    moved = lifecycle.reschedule(
        db.session,
        appointment,
        world.toeleider,
        MONDAY_TEN.replace(hour=14),
        90,
        "Bib",
        NOW,
        confirmed_outside=True,
    )
    db.session.commit()
    assert request_of(appointment.id) is None  # the old row keeps none: no double count
    request = request_of(moved.id)
    assert (request.mode, request.service_reference, request.minutes) == ("phone", "STV-7", 90)
    # The service confirmed the old moment: the new one must be confirmed again.
    assert request.status == "requested"
    kind, detail = events(referral)[-1]
    assert kind == "interpreter_moved" and "30/11/2026 14:00" in detail
    assert "opnieuw" in detail


@pytest.mark.parametrize("how", ["cancel", "close", "hand_over"])
def test_a_cancelled_appointment_cancels_its_interpreter(app, world, how):
    referral = owned(world)
    appointment = plan(world, referral, wish=InterpreterWish())
    if how == "cancel":
        lifecycle.cancel_appointment(db.session, appointment, world.toeleider, "Ziek", NOW)
    elif how == "close":
        lifecycle.close(
            db.session, referral, world.toeleider, lifecycle.ClosingOutcome.DECLINED, None, NOW
        )
    else:
        lifecycle.hand_over_appointments(
            db.session, [appointment], to=None, actor=world.lead, at=NOW, reason="Vertrek"
        )
    db.session.commit()
    assert db.session.get(Appointment, appointment.id).status == AppointmentStatus.CANCELLED
    assert request_of(appointment.id).status == "cancelled"
    assert events(referral)[-1][0] == "interpreter_cancelled"


# Agenda and calendar feed ---------------------------------------------------------------


def test_the_week_and_the_feed_name_the_interpreter_but_not_the_resident(client, world):
    referral = owned(world)
    plan(world, referral, wish=InterpreterWish(mode=InterpreterMode.PHONE))
    client.login(world.toeleider.email)
    week = HTMLParser(client.get("/agenda/week?day=2026-11-30").get_data(as_text=True))
    tags = [t.text() for t in week.css(".appointment .tag")]
    assert "tolk Arabisch (telefonisch, aangevraagd)" in tags
    client.post("/agenda/feed", {})
    db.session.refresh(world.toeleider)
    response = client.get(f"/agenda/feed/{world.toeleider.calendar_token}.ics")
    (event,) = icalendar.Calendar.from_ical(response.data).walk("VEVENT")
    assert str(event["description"]) == "Tolk: Arabisch, telefonisch, aangevraagd"
    assert referral.person.full_name not in response.get_data(as_text=True)


def test_an_appointment_without_interpreter_has_no_description_in_the_feed(client, world):
    plan(world, owned(world))
    client.login(world.toeleider.email)
    client.post("/agenda/feed", {})
    db.session.refresh(world.toeleider)
    response = client.get(f"/agenda/feed/{world.toeleider.calendar_token}.ics")
    (event,) = icalendar.Calendar.from_ical(response.data).walk("VEVENT")
    assert "description" not in event


# The report -----------------------------------------------------------------------------


def request_on(world, referral, start, minutes, status, language="ar", toeleider=None):
    """An appointment with its interpreter, written straight to the tables."""
    appointment = Appointment(
        referral_id=referral.id,
        toeleider_id=(toeleider or world.toeleider).id,
        kind="welcome",
        starts_at=start,
        ends_at=start,
        place="Onthaal",
        status="held",
        created_by_id=world.toeleider.id,
        created_at=start,
    )
    db.session.add(appointment)
    db.session.flush()
    db.session.add(
        InterpreterRequest(
            appointment_id=appointment.id,
            language_code=language,
            mode="on_site",
            status=status,
            minutes=minutes,
            created_by_id=world.toeleider.id,
            created_at=start,
            updated_by_id=world.toeleider.id,
            updated_at=start,
        )
    )


def known_year(world):
    """Requests in 2026 and one in 2025, in Lindeveld and one in Beekmere."""
    here = add_referral(db.session, world)
    there = add_referral(
        db.session,
        world,
        municipality_id=world.other_municipality.id,
        source_service_id=world.other_service.id,
        full_name="Elders Woonachtig",
        phone="+32470555555",
    )
    request_on(world, here, datetime(2026, 3, 2, 10), 60, "confirmed")
    request_on(world, here, datetime(2026, 3, 9, 10), 90, "confirmed")
    request_on(world, here, datetime(2026, 3, 16, 10), 45, "requested")
    request_on(world, here, datetime(2026, 3, 23, 10), 60, "cancelled")
    request_on(world, here, datetime(2026, 5, 4, 10), 30, "requested", language="uk")
    request_on(world, here, datetime(2026, 12, 31, 16), 15, "confirmed", language="uk")
    request_on(world, here, datetime(2025, 12, 31, 10), 60, "confirmed")  # another year
    request_on(world, there, datetime(2026, 3, 3, 10), 120, "confirmed")  # the lead leads both
    db.session.commit()
    return here, there


def test_the_report_counts_per_language_and_month_with_hours(app, world):
    known_year(world)
    figures = interpreter_figures(db.session, [world.municipality.id], 2026)
    assert [f.name for f in figures.languages] == ["Arabisch", "Oekraïens"]
    arabic, ukrainian = figures.languages
    march = arabic.months[3]
    assert (march.requested, march.requested_minutes) == (1, 45)
    assert (march.confirmed, march.confirmed_minutes) == (2, 150)
    assert march.cancelled == 1  # counted, but not in the hours
    assert (march.requests, march.minutes) == (3, 195)
    assert [m for m, _c in ukrainian.shown_months] == [5, 12]
    total = figures.total
    assert (total.requested, total.confirmed, total.cancelled) == (2, 3, 1)
    assert (total.requested_minutes, total.confirmed_minutes) == (75, 165)
    # Totals add up: per language, per month, and overall.
    assert sum(f.total.minutes for f in figures.languages) == total.minutes == 240
    assert sum(m.minutes for m in figures.months) == total.minutes
    assert sum(m.requests for m in figures.months) == total.requests == 5


def test_the_report_page_and_csv_show_the_same_figures(client, world):
    known_year(world)
    client.login(world.lead.email)
    html = HTMLParser(
        client.get(
            f"/reports/interpreters?year=2026&municipality={world.municipality.id}"
        ).get_data(as_text=True)
    )
    foot = [td.text() for td in html.css_first("#per-language tfoot").css("td")]
    assert foot == ["2", "1,25", "3", "2,75", "1", "5", "4,00"]
    march = [td.text() for td in html.css("#per-month tbody tr")[2].css("td")]
    assert march == ["1", "0,75", "2", "2,50", "1", "3", "3,25"]
    rows = csv_rows(
        client.get(f"/reports/interpreters.csv?year=2026&municipality={world.municipality.id}")
    )
    assert rows[0][:3] == ["taal", "maand", "aangevraagd"]
    assert rows[1] == ["Arabisch", "2026-03", "1", "0,75", "2", "2,50", "1", "3", "3,25"]
    assert rows[-1] == ["Totaal", "2026", "2", "1,25", "3", "2,75", "1", "5", "4,00"]
    assert len(rows) == 1 + 3 + 1  # Arabic in March, Ukrainian in May and December


def test_the_report_covers_every_municipality_the_lead_leads(client, world):
    known_year(world)
    client.login(world.lead.email)
    rows = csv_rows(client.get("/reports/interpreters.csv?year=2026"))
    assert rows[-1][:5] == ["Totaal", "2026", "2", "1,25", "4"]  # Beekmere's confirmed one too


def test_the_lead_finds_the_report_on_vandaag(client, world):
    client.login(world.lead.email)
    html = HTMLParser(client.get("/lead/").get_data(as_text=True))
    assert any(a.attributes.get("href") == "/reports/interpreters" for a in html.css("a"))


@pytest.mark.parametrize("who", ["desk", "toeleider", "admin", "outsider"])
def test_only_a_lead_may_read_the_interpreter_report(client, world, who):
    known_year(world)
    client.login(getattr(world, who).email)
    assert client.get("/reports/interpreters?year=2026").status_code == 403
    assert client.get("/reports/interpreters.csv?year=2026").status_code == 403


def test_a_lead_of_one_municipality_does_not_see_another_municipalitys_requests(client, world):
    known_year(world)
    add_user(db.session, "lead@beekmere.be", [Role.LEAD], [world.other_municipality])
    db.session.commit()
    client.login("lead@beekmere.be")
    # Asking for Lindeveld gives the lead's own municipality only.
    rows = csv_rows(
        client.get(f"/reports/interpreters.csv?year=2026&municipality={world.municipality.id}")
    )
    assert rows[1:] == [
        ["Arabisch", "2026-03", "0", "0,00", "1", "2,00", "0", "1", "2,00"],
        ["Totaal", "2026", "0", "0,00", "1", "2,00", "0", "1", "2,00"],
    ]
