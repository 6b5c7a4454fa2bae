"""The private iCalendar feed of one toeleider's appointments."""

from __future__ import annotations

import secrets
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from ..access import in_my_municipalities
from ..extensions import DbSession
from ..labels import APPOINTMENT_KIND_LABELS
from ..models import Appointment, AppointmentStatus, User

SHOWN = (AppointmentStatus.PLANNED, AppointmentStatus.HELD)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def user_for_token(session: DbSession, token: str) -> User | None:
    if not token or len(token) > 64:
        return None
    user = session.scalar(select(User).where(User.calendar_token == token))
    return user if user is not None and user.active else None


def feed(session: DbSession, user: User, zone: str) -> tuple[bytes, list[int]]:
    """Planned and held appointments of this toeleider only.

    Calendar programs copy events to other services, so an event names the reference and
    the kind of conversation, never the resident. Returns the feed and the files it names.
    """
    tz = ZoneInfo(zone)
    calendar = Calendar()
    calendar.add("prodid", "-//Onthaalportaal//agenda//NL")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"Onthaalportaal – {user.full_name}")
    appointments = session.scalars(
        select(Appointment)
        .join(Appointment.referral)
        .options(contains_eager(Appointment.referral))
        .where(Appointment.toeleider_id == user.id, Appointment.status.in_(SHOWN))
        .where(in_my_municipalities(user))
        .order_by(Appointment.starts_at)
    )
    shown = []
    for appointment in appointments:
        shown.append(appointment.referral_id)
        event = Event()
        event.add("uid", f"appointment-{appointment.id}@onthaalportaal")
        event.add("dtstamp", appointment.created_at.replace(tzinfo=tz))
        event.add("dtstart", appointment.starts_at.replace(tzinfo=tz))
        event.add("dtend", appointment.ends_at.replace(tzinfo=tz))
        kind = str(APPOINTMENT_KIND_LABELS[appointment.kind]).capitalize()
        event.add("summary", f"{kind} {appointment.referral.reference}")
        event.add("location", appointment.place)
        if appointment.interpreter_needed:
            event.add("description", "Tolk nodig")
        calendar.add_component(event)
    return calendar.to_ical(), shown
