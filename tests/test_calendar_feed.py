"""The private calendar feed as a subscribed calendar program reads it."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest

from portal import clock
from portal.accounts import update_user
from portal.agenda.calendar_feed import new_token
from portal.extensions import db
from portal.models import Role
from portal.referrals import lifecycle

from .conftest import NOW
from .factories import add_referral

MONDAY_TEN = datetime(2026, 11, 30, 10, 0)
BRUSSELS = ZoneInfo("Europe/Brussels")


def planned(world, start=MONDAY_TEN, **changes):
    """A file of the world's toeleider with a conversation planned at `start`."""
    referral = add_referral(db.session, world, **changes)
    lifecycle.claim(db.session, referral.id, world.toeleider, NOW)
    appointment = lifecycle.schedule_conversation(
        db.session, referral, world.toeleider, world.toeleider, start, 60, "Bib", None, NOW
    )
    db.session.commit()
    return appointment


def subscribe(world) -> str:
    world.toeleider.calendar_token = new_token()
    db.session.commit()
    return f"/agenda/feed/{world.toeleider.calendar_token}.ics"


def read(client, address) -> list[icalendar.Event]:
    """The events as a calendar program parses them."""
    response = client.get(address)
    assert response.status_code == 200
    return list(icalendar.Calendar.from_ical(response.data).walk("VEVENT"))


def local(event, name):
    return event.decoded(name).astimezone(BRUSSELS).replace(tzinfo=None)


def at(monkeypatch, moment):
    monkeypatch.setattr(clock, "now", lambda: moment)
    monkeypatch.setattr(clock, "today", lambda: moment.date())


def test_every_zone_the_events_name_is_described_in_the_feed(client, world):
    planned(world)
    response = client.get(subscribe(world))
    calendar = icalendar.Calendar.from_ical(response.data)
    named = {
        event[prop].params["TZID"]
        for event in calendar.walk("VEVENT")
        for prop in ("dtstart", "dtend")
    }
    described = {str(zone["tzid"]) for zone in calendar.walk("VTIMEZONE")}
    assert named == {"Europe/Brussels"}
    assert described == named
    # A program that knows no zones but the feed's own description still gets the offsets.
    (zone,) = calendar.walk("VTIMEZONE")
    described_zone = zone.to_tz()
    assert MONDAY_TEN.replace(tzinfo=described_zone).utcoffset() == timedelta(hours=1)
    assert datetime(2027, 6, 7, 10).replace(tzinfo=described_zone).utcoffset() == timedelta(hours=2)


def test_a_new_appointment_is_sequence_zero_confirmed_and_stamped_when_made(client, world):
    appointment = planned(world)
    (event,) = read(client, subscribe(world))
    assert event["sequence"] == 0
    assert event["status"] == "CONFIRMED"
    assert local(event, "dtstamp") == appointment.created_at
    assert str(event["summary"]) == f"Onthaalgesprek {appointment.referral.reference}"
    assert appointment.referral.person.full_name not in event.to_ical().decode()


def test_a_moved_appointment_is_the_same_event_at_the_new_moment_with_a_higher_sequence(
    client, world, monkeypatch
):
    first = planned(world)
    address = subscribe(world)
    (before,) = read(client, address)
    moved_at = NOW + timedelta(hours=2)
    moved = lifecycle.reschedule(
        db.session, first, world.toeleider, MONDAY_TEN + timedelta(hours=4), 45, "Bib", moved_at
    )
    db.session.commit()
    at(monkeypatch, moved_at)
    (after,) = read(client, address)  # no ghost at the old moment
    assert str(after["uid"]) == str(before["uid"])
    assert (after["sequence"], after["status"]) == (1, "CONFIRMED")
    assert local(after, "dtstart") == MONDAY_TEN + timedelta(hours=4)
    assert local(after, "dtend") == MONDAY_TEN + timedelta(hours=4, minutes=45)
    assert str(after["location"]) == "Bib"
    assert local(after, "dtstamp") == moved_at
    # Moved once more: the sequence goes up again.
    lifecycle.reschedule(
        db.session, moved, world.toeleider, MONDAY_TEN + timedelta(days=1), 60, "Bib", moved_at
    )
    db.session.commit()
    (again,) = read(client, address)
    assert (str(again["uid"]), again["sequence"]) == (str(before["uid"]), 2)


def test_a_cancelled_appointment_is_shown_cancelled_for_30_days_then_drops_out(
    client, world, monkeypatch
):
    appointment = planned(world)
    kept = planned(world, start=MONDAY_TEN + timedelta(hours=2), full_name="Andere Persoon")
    address = subscribe(world)
    cancelled_at = NOW + timedelta(hours=1)
    lifecycle.cancel_appointment(db.session, appointment, world.toeleider, "Ziek", cancelled_at)
    db.session.commit()
    at(monkeypatch, cancelled_at + timedelta(days=30) - timedelta(minutes=1))
    cancelled, confirmed = read(client, address)
    assert str(cancelled["summary"]).endswith(appointment.referral.reference)
    assert (cancelled["status"], cancelled["sequence"]) == ("CANCELLED", 1)
    assert local(cancelled, "dtstamp") == cancelled_at
    assert (confirmed["status"], confirmed["sequence"]) == ("CONFIRMED", 0)
    at(monkeypatch, cancelled_at + timedelta(days=31))
    assert [str(e["summary"]) for e in read(client, address)] == [
        f"Onthaalgesprek {kept.referral.reference}"
    ]


def test_a_held_conversation_stays_confirmed(client, world, monkeypatch):
    appointment = planned(world)
    held_at = MONDAY_TEN + timedelta(hours=1)
    lifecycle.conversation_held(db.session, appointment, world.toeleider, held_at)
    db.session.commit()
    at(monkeypatch, held_at + timedelta(days=60))
    (event,) = read(client, subscribe(world))
    assert (event["status"], event["sequence"]) == ("CONFIRMED", 0)


@pytest.mark.parametrize("change", ["toeleider role removed", "deactivated"])
def test_the_feed_stops_for_someone_who_no_longer_keeps_an_agenda(client, world, change):
    planned(world)
    address = subscribe(world)
    assert client.get(address).status_code == 200
    if change == "deactivated":
        world.toeleider.active = False
    else:
        update_user(
            db.session,
            world.toeleider,
            roles=[Role.DESK],
            municipality_ids=[world.municipality.id],
            language_codes=[],
            actor=world.admin,
        )
    db.session.commit()
    response = client.get(address)
    assert response.status_code == 404
    assert b"VCALENDAR" not in response.data
    assert response.data == client.get("/agenda/feed/unknown.ics").data
