"""Booking outside the availability asks first; the desk offers two weeks of free moments."""

from __future__ import annotations

import re
from datetime import datetime, time

import pytest
from selectolax.parser import HTMLParser
from sqlalchemy import select

from portal.extensions import db
from portal.models import Appointment, AvailabilitySlot, Language, Role
from portal.referrals import lifecycle

from .factories import add_referral, add_user

NOW = datetime(2026, 11, 26, 10, 15)  # a Thursday


def _available(user, weekday, starts, ends, kind="conversations"):
    db.session.add(
        AvailabilitySlot(user_id=user.id, weekday=weekday, starts=starts, ends=ends, kind=kind)
    )


def _owned(world):
    referral = add_referral(db.session, world)
    lifecycle.claim(db.session, referral.id, world.toeleider, NOW)
    db.session.commit()
    return referral


def _schedule_form(client, referral, day="2026-12-01", start="15:00", **extra):
    html = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    version = re.search(r'name="schedule-version" type="hidden" value="(\d+)"', html).group(1)
    return {
        "schedule-day": day,
        "schedule-start": start,
        "schedule-minutes": "60",
        "schedule-place": "Gemeentehuis",
        "schedule-version": version,
        **extra,
    }


def test_the_availability_rule_joins_adjacent_periods(app, world):
    from portal.agenda.booking import within_availability

    assert within_availability(
        db.session, world.toeleider.id, datetime(2026, 12, 1, 15), datetime(2026, 12, 1, 16)
    )
    _available(world.toeleider, 1, time(9), time(12))
    _available(world.toeleider, 1, time(12), time(14), kind="desk_duty")
    db.session.commit()

    def inside(start, end):
        return within_availability(db.session, world.toeleider.id, start, end)

    assert inside(datetime(2026, 12, 1, 11, 30), datetime(2026, 12, 1, 12, 30))
    assert inside(datetime(2026, 12, 1, 9), datetime(2026, 12, 1, 14))
    assert not inside(datetime(2026, 12, 1, 13, 30), datetime(2026, 12, 1, 14, 30))
    assert not inside(datetime(2026, 12, 2, 10), datetime(2026, 12, 2, 11))


def test_booking_outside_the_availability_asks_for_confirmation_then_books(client, world):
    _available(world.toeleider, 1, time(9), time(12))
    db.session.commit()
    referral = _owned(world)
    client.login(world.toeleider.email)
    asked = client.post(f"/referrals/{referral.id}/schedule", _schedule_form(client, referral))
    assert asked.status_code == 409
    page = HTMLParser(asked.get_data(as_text=True))
    assert "niet beschikbaar voor gesprekken" in page.css_first("p.notice[role=alert]").text()
    checkbox = page.css_first("input[name=schedule-confirm_outside]")
    assert checkbox is not None
    # What was typed stays in the form.
    assert page.css_first("input[name=schedule-start]").attributes["value"] == "15:00"
    assert db.session.scalars(select(Appointment)).all() == []

    confirmed = client.post(
        f"/referrals/{referral.id}/schedule",
        _schedule_form(client, referral, **{"schedule-confirm_outside": "y"}),
    )
    assert confirmed.status_code == 303
    appointment = db.session.scalars(select(Appointment)).one()
    assert appointment.starts_at == datetime(2026, 12, 1, 15, 0)


def test_booking_inside_the_availability_asks_nothing(client, world):
    _available(world.toeleider, 1, time(9), time(12))
    db.session.commit()
    referral = _owned(world)
    client.login(world.toeleider.email)
    response = client.post(
        f"/referrals/{referral.id}/schedule", _schedule_form(client, referral, start="10:00")
    )
    assert response.status_code == 303


def test_moving_an_appointment_outside_the_availability_asks_too(app, world):
    _available(world.toeleider, 1, time(9), time(12))
    db.session.commit()
    referral = _owned(world)
    planned = lifecycle.schedule_conversation(
        db.session,
        referral,
        world.toeleider,
        world.toeleider,
        datetime(2026, 12, 1, 9),
        60,
        "Gemeentehuis",
        None,
        NOW,
    )
    db.session.commit()
    with pytest.raises(lifecycle.NeedsConfirmation):
        lifecycle.reschedule(
            db.session, planned, world.toeleider, datetime(2026, 12, 1, 16), 60, "Gemeentehuis", NOW
        )
    db.session.rollback()
    moved = lifecycle.reschedule(
        db.session,
        db.session.get(Appointment, planned.id),
        world.toeleider,
        datetime(2026, 12, 1, 16),
        60,
        "Gemeentehuis",
        NOW,
        confirmed_outside=True,
    )
    assert moved.starts_at == datetime(2026, 12, 1, 16)


@pytest.fixture
def team(world):
    """Three more toeleiders: one speaking Arabic, one not, one in the other municipality."""
    arabic = db.session.get(Language, "ar")
    french = db.session.get(Language, "fr")
    speaker = add_user(
        db.session,
        "amal@lindeveld.be",
        [Role.TOELEIDER],
        [world.municipality],
        languages=[arabic],
        name="Amal Spreker",
    )
    other_language = add_user(
        db.session,
        "fleur@lindeveld.be",
        [Role.TOELEIDER],
        [world.municipality],
        languages=[french],
        name="Fleur Frans",
    )
    outside = add_user(
        db.session,
        "omar@beekmere.be",
        [Role.TOELEIDER],
        [world.other_municipality],
        languages=[arabic],
        name="Omar Elders",
    )
    db.session.commit()
    # The toeleider is free on Monday morning, the speaker on Tuesday of the second week.
    _available(world.toeleider, 0, time(9), time(11))
    _available(speaker, 1, time(14), time(15))
    for user in (other_language, outside):
        _available(user, 0, time(9), time(17))
    db.session.commit()
    return speaker


def _days(html):
    return [
        (a.text(strip=True), "aria-current" in a.attributes)
        for a in HTMLParser(html).css("ul.days a")
    ]


def _moments(html):
    page = HTMLParser(html)
    return [label.text(strip=True) for label in page.css("fieldset label.choice")]


def test_the_desk_offers_two_weeks_across_the_toeleiders_who_speak_the_language(
    client, world, team
):
    referral = add_referral(db.session, world, by=world.desk)
    client.login(world.desk.email)
    html = client.get(f"/desk/referrals/{referral.id}/book").get_data(as_text=True)
    assert _days(html) == [
        ("maandag 30 november", True),
        ("dinsdag 1 december", False),
        ("maandag 7 december", False),
        ("dinsdag 8 december", False),
    ]
    assert _moments(html) == ["09:00 · Toeleider", "10:00 · Toeleider"]
    assert "Fleur" not in html and "Omar" not in html

    link = HTMLParser(html).css("ul.days a")[3].attributes["href"]
    chosen = client.get(link).get_data(as_text=True)
    assert _moments(chosen) == ["14:00 · Amal Spreker"]
    slot = HTMLParser(chosen).css_first("input[name=slot]").attributes["value"]
    action = HTMLParser(chosen).css_first("form.narrow").attributes["action"]
    response = client.post(action, {"slot": slot, "place": "Onthaal"})
    assert response.status_code == 303
    appointment = db.session.scalars(select(Appointment)).one()
    assert (appointment.toeleider_id, appointment.starts_at) == (
        team.id,
        datetime(2026, 12, 8, 14, 0),
    )


def test_no_moments_when_no_toeleider_of_the_municipality_speaks_the_language(client, world, team):
    referral = add_referral(db.session, world, by=world.desk, contact_language_code="uk")
    client.login(world.desk.email)
    html = client.get(f"/desk/referrals/{referral.id}/book").get_data(as_text=True)
    assert _days(html) == []
    assert "Geen toeleider die Oekraïens spreekt" in html
