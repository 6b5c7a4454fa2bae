"""The agenda: planning without double bookings, the outcomes, the desk booking, the feed."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

import icalendar
import pytest
from sqlalchemy import select

from portal.agenda.booking import free_slots
from portal.extensions import db
from portal.models import (
    Absence,
    Appointment,
    AppointmentStatus,
    AvailabilityKind,
    AvailabilitySlot,
    Referral,
    ReferralState,
    Role,
    User,
)
from portal.referrals import lifecycle
from portal.referrals.interpreters import InterpreterWish
from portal.referrals.lifecycle import TransitionRefused

from .concurrency import at_once
from .factories import add_referral, add_user

NOW = datetime(2026, 11, 26, 10, 15)  # a Thursday
MONDAY = datetime(2026, 11, 30)


def available(world, weekday, starts, ends, kind=AvailabilityKind.CONVERSATIONS):
    """A weekly period in which the toeleider is available."""
    return AvailabilitySlot(
        user_id=world.toeleider.id, weekday=weekday, starts=starts, ends=ends, kind=kind.value
    )


def owned(world, **changes):
    referral = add_referral(db.session, world, **changes)
    lifecycle.claim(db.session, referral.id, world.toeleider, NOW)
    db.session.commit()
    return referral


def plan(world, referral, start, minutes=60, by=None):
    return lifecycle.schedule_conversation(
        db.session,
        referral,
        by or world.toeleider,
        world.toeleider,
        start,
        minutes,
        "Gemeentehuis",
        None,
        NOW,
    )


def test_planning_moves_the_referral_to_scheduled_with_the_right_kind(app, world):
    newcomer = owned(world)
    appointment = plan(world, newcomer, MONDAY.replace(hour=10))
    assert newcomer.state == ReferralState.SCHEDULED
    assert (appointment.kind, appointment.duration_minutes) == ("welcome", 60)
    long_term = owned(world, registered_on=date(2015, 1, 1))
    assert plan(world, long_term, MONDAY.replace(hour=14)).kind == "integration"


@pytest.mark.parametrize(
    ("start", "minutes"),
    [((10, 0), 60), ((10, 30), 30), ((9, 30), 45), ((9, 0), 120)],
)
def test_double_booking_is_refused(app, world, start, minutes):
    plan(world, owned(world), MONDAY.replace(hour=10))
    second = owned(world, full_name="Tweede Persoon")
    with pytest.raises(
        TransitionRefused, match="Dubbele boeking: Toeleider heeft dan al een afspraak"
    ):
        plan(world, second, MONDAY.replace(hour=start[0], minute=start[1]), minutes)
    assert second.state == ReferralState.CLAIMED


def test_back_to_back_conversations_are_fine(app, world):
    plan(world, owned(world), MONDAY.replace(hour=10))
    plan(world, owned(world), MONDAY.replace(hour=11))
    assert db.session.query(Appointment).count() == 2


def test_planning_in_the_past_or_on_an_absence_is_refused(app, world):
    referral = owned(world)
    with pytest.raises(TransitionRefused, match="toekomst"):
        plan(world, referral, NOW - timedelta(hours=1))
    db.session.add(
        Absence(user_id=world.toeleider.id, first_day=MONDAY.date(), last_day=MONDAY.date())
    )
    with pytest.raises(TransitionRefused, match="afwezig"):
        plan(world, referral, MONDAY.replace(hour=10))


def test_held_no_show_cancel_and_reschedule(app, world):
    referral = owned(world)
    appointment = plan(world, referral, MONDAY.replace(hour=10))
    with pytest.raises(TransitionRefused, match="nog niet begonnen"):
        lifecycle.conversation_held(db.session, appointment, world.toeleider, NOW)
    moved = lifecycle.reschedule(
        db.session, appointment, world.toeleider, MONDAY.replace(hour=13), 45, "Bib", NOW
    )
    assert (appointment.status, moved.status, referral.state) == (
        "rescheduled",
        "planned",
        "scheduled",
    )
    lifecycle.no_show(db.session, moved, world.toeleider, NOW)
    assert referral.state == ReferralState.CONTACTED
    again = plan(world, referral, MONDAY.replace(hour=15))
    lifecycle.cancel_appointment(db.session, again, world.toeleider, "Ziek", NOW)
    assert (again.status, referral.state) == ("cancelled", "contacted")
    last = plan(world, referral, datetime(2026, 11, 26, 11, 0))
    lifecycle.conversation_held(db.session, last, world.toeleider, datetime(2026, 11, 26, 12, 0))
    assert (last.status, referral.state) == ("held", "held")
    kinds = [e.kind for e in lifecycle.timeline(db.session, referral)]
    assert kinds[-7:] == [
        "scheduled",
        "rescheduled",
        "no_show",
        "scheduled",
        "appointment_cancelled",
        "scheduled",
        "conversation_held",
    ]


def test_free_slots_follow_availability_minus_appointments_and_absences(app, world):
    db.session.add_all(
        [
            available(world, 0, time(9), time(12)),
            available(world, 1, time(9), time(10)),
            Absence(
                user_id=world.toeleider.id, first_day=date(2026, 12, 1), last_day=date(2026, 12, 1)
            ),
        ]
    )
    plan(world, owned(world), MONDAY.replace(hour=10))
    slots = free_slots(db.session, [world.toeleider], NOW.date(), 7, 60, NOW)
    assert [start for _user, start in slots] == [MONDAY.replace(hour=9), MONDAY.replace(hour=11)]


def test_desk_books_a_free_slot_at_intake_and_the_slip_shows_it(client, world):
    db.session.add(available(world, 0, time(9), time(11)))
    referral = add_referral(db.session, world, by=world.desk)
    client.login(world.desk.email)
    page = client.get(f"/desk/referrals/{referral.id}/book").get_data(as_text=True)
    slot = re.search(r'name="slot"[^>]*value="([^"]+)"', page).group(1)
    assert slot == f"{world.toeleider.id}|2026-11-30T09:00:00"
    response = client.post(
        f"/desk/referrals/{referral.id}/book", {"slot": slot, "place": "Onthaal"}
    )
    assert response.status_code == 303
    slip = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Uw afspraak" in slip and "Onthaal" in slip
    db.session.expire_all()
    booked = db.session.get(Referral, referral.id)
    assert (booked.state, booked.owner_id) == ("scheduled", world.toeleider.id)


def test_desk_booking_a_slot_just_taken_is_refused_with_a_message(client, world):
    db.session.add(available(world, 0, time(9), time(10)))
    referral = add_referral(db.session, world, by=world.desk)
    other = owned(world, full_name="Was Eerst")
    client.login(world.desk.email)
    page = client.get(f"/desk/referrals/{referral.id}/book").get_data(as_text=True)
    slot = re.search(r'name="slot"[^>]*value="([^"]+)"', page).group(1)
    plan(world, other, MONDAY.replace(hour=9))  # a colleague was quicker
    db.session.commit()
    response = client.post(
        f"/desk/referrals/{referral.id}/book", {"slot": slot, "place": "Onthaal"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Dit moment is intussen niet meer vrij. Kies een ander moment." in html
    assert "2026-12-07T09:00:00" in html  # the next free moment is offered instead
    assert (
        db.session.scalars(select(Appointment).where(Appointment.referral_id == referral.id)).all()
        == []
    )


def test_calendar_feed_parses_back_with_only_my_appointments(client, world):
    colleague = add_user(db.session, "yonas@lindeveld.be", [Role.TOELEIDER], [world.municipality])
    mine = owned(world)
    plan(world, mine, MONDAY.replace(hour=10))
    theirs = add_referral(db.session, world, full_name="Van Collega")
    lifecycle.claim(db.session, theirs.id, colleague, NOW)
    lifecycle.schedule_conversation(
        db.session,
        theirs,
        colleague,
        colleague,
        MONDAY.replace(hour=10),
        60,
        "Bib",
        InterpreterWish(),
        NOW,
    )
    db.session.commit()
    client.login(world.toeleider.email)
    client.post("/agenda/feed", {})
    db.session.refresh(world.toeleider)
    token = world.toeleider.calendar_token
    client.post("/logout", {})
    response = client.get(f"/agenda/feed/{token}.ics")  # no login: the address is the key
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    calendar = icalendar.Calendar.from_ical(response.data)
    events = list(calendar.walk("VEVENT"))
    assert [str(e["summary"]) for e in events] == [f"Onthaalgesprek {mine.reference}"]
    assert events[0].decoded("dtstart").replace(tzinfo=None) == MONDAY.replace(hour=10)
    assert mine.person.full_name not in response.get_data(as_text=True)


def test_revoked_or_replaced_feed_address_answers_404(client, world):
    client.login(world.toeleider.email)
    client.post("/agenda/feed", {})
    db.session.refresh(world.toeleider)
    first = world.toeleider.calendar_token
    client.post("/agenda/feed", {})
    db.session.refresh(world.toeleider)
    assert client.get(f"/agenda/feed/{first}.ics").status_code == 404
    assert client.get(f"/agenda/feed/{world.toeleider.calendar_token}.ics").status_code == 200
    client.post("/agenda/feed/revoke", {})
    db.session.refresh(world.toeleider)
    assert world.toeleider.calendar_token is None
    assert client.get(f"/agenda/feed/{first}.ics").status_code == 404


def test_my_agenda_shows_the_day_and_the_week(client, world):
    referral = owned(world)
    plan(world, referral, MONDAY.replace(hour=10))
    db.session.commit()
    client.login(world.toeleider.email)
    name = referral.person.full_name
    assert name in client.get("/agenda/?day=2026-11-30").get_data(as_text=True)
    assert name not in client.get("/agenda/?day=2026-12-01").get_data(as_text=True)
    assert name in client.get("/agenda/?day=2026-12-02&view=week").get_data(as_text=True)


def test_availability_is_kept_per_toeleider(client, world):
    client.login(world.toeleider.email)
    response = client.post(
        "/agenda/availability",
        {
            "slot-weekday": "0",
            "slot-starts": "09:00",
            "slot-ends": "08:00",
            "slot-kind": "conversations",
        },
    )
    assert response.status_code == 422
    assert "Het einduur ligt na het beginuur." in response.get_data(as_text=True)
    client.post(
        "/agenda/availability",
        {
            "slot-weekday": "0",
            "slot-starts": "09:00",
            "slot-ends": "12:00",
            "slot-kind": "desk_duty",
        },
    )
    slot = db.session.scalars(select(AvailabilitySlot)).one()
    assert (slot.user_id, slot.kind, slot.starts) == (world.toeleider.id, "desk_duty", time(9))


def test_planning_from_the_referral_page(client, world):
    referral = owned(world)
    client.login(world.toeleider.email)
    html = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    version = re.search(
        r'id="schedule-version" name="schedule-version" type="hidden" value="(\d+)"', html
    ).group(1)
    response = client.post(
        f"/referrals/{referral.id}/schedule",
        {
            "schedule-day": "2026-11-30",
            "schedule-start": "10:00",
            "schedule-minutes": "60",
            "schedule-place": "Gemeentehuis",
            "schedule-version": version,
        },
    )
    assert response.status_code == 303
    db.session.expire_all()
    appointment = db.session.scalars(select(Appointment)).one()
    assert (appointment.starts_at, appointment.status) == (
        MONDAY.replace(hour=10),
        AppointmentStatus.PLANNED,
    )


@pytest.mark.parametrize(
    ("start", "message"),
    [
        (datetime(2026, 12, 10, 3, 0), "Plan tussen 7 en 21 uur."),
        (datetime(2026, 12, 10, 20, 30), "Plan tussen 7 en 21 uur."),
        (datetime(2028, 1, 10, 10, 0), "Plan hoogstens een jaar vooruit."),
    ],
)
def test_implausible_moments_are_refused(app, world, start, message):
    with pytest.raises(TransitionRefused, match=message):
        plan(world, owned(world), start)


def test_eight_desks_booking_one_hour_at_once_give_exactly_one_appointment(app, world):
    db.session.add(available(world, 0, time(9), time(12)))
    referrals = [add_referral(db.session, world, full_name=f"Persoon {n}").id for n in range(8)]
    desk_id, toeleider_id = world.desk.id, world.toeleider.id

    def book(referral_id):
        def call():
            lifecycle.schedule_conversation(
                db.session,
                db.session.get(Referral, referral_id),
                db.session.get(User, desk_id),
                db.session.get(User, toeleider_id),
                MONDAY.replace(hour=10),
                60,
                "Onthaal",
                None,
                NOW,
            )
            db.session.commit()
            return "booked"

        return call

    outcomes = at_once(app, [book(r) for r in referrals])
    refusals = [o for o in outcomes if isinstance(o, TransitionRefused)]
    assert outcomes.count("booked") == 1
    assert len(refusals) == 7
    assert all(r.message.startswith("Dubbele boeking: Toeleider heeft dan al") for r in refusals)
    db.session.expire_all()
    planned = db.session.scalars(
        select(Appointment).where(Appointment.status == AppointmentStatus.PLANNED.value)
    ).all()
    assert len(planned) == 1
    states = db.session.scalars(select(Referral.state).order_by(Referral.id)).all()
    assert sorted(states) == ["new"] * 7 + ["scheduled"]
