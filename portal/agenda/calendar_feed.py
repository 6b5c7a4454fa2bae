"""The private iCalendar feed of one toeleider's appointments."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from icalendar import Calendar, Event
from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import aliased, contains_eager, selectinload

from ..access import Permission, can, in_my_municipalities
from ..extensions import DbSession
from ..labels import APPOINTMENT_KIND_LABELS, interpreter_summary
from ..models import Appointment, AppointmentStatus, InterpreterRequest, User

CONFIRMED = (AppointmentStatus.PLANNED, AppointmentStatus.HELD)
WITHDRAWN = (AppointmentStatus.CANCELLED, AppointmentStatus.RESCHEDULED)
# A subscribed calendar learns of a cancellation only when it reads the feed again: a
# withdrawn appointment stays in the feed, cancelled, long enough for every refresh
# interval a calendar program uses, and then drops out.
WITHDRAWN_SHOWN_FOR = timedelta(days=30)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def user_for_token(session: DbSession, token: str) -> User | None:
    """The owner of the feed address, while they may still keep an agenda."""
    if not token or len(token) > 64:
        return None
    user = session.scalar(select(User).where(User.calendar_token == token))
    if user is None or not user.active or not can(user, Permission.WORK_QUEUE):
        return None
    return user


def feed(session: DbSession, user: User, zone: str, at: datetime) -> tuple[bytes, list[int]]:
    """This toeleider's planned and held appointments, and those withdrawn lately.

    Calendar programs copy events to other services, so an event names the reference and
    the kind of conversation, never the resident. Returns the feed and the files it names.
    """
    tz = ZoneInfo(zone)
    calendar = Calendar()
    calendar.add("prodid", "-//Onthaalportaal//agenda//NL")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"Onthaalportaal – {user.full_name}")
    later = aliased(Appointment)
    superseded = exists().where(
        later.calendar_uid == Appointment.calendar_uid, later.sequence > Appointment.sequence
    )
    appointments = session.scalars(
        select(Appointment)
        .join(Appointment.referral)
        .options(
            contains_eager(Appointment.referral),
            selectinload(Appointment.interpreter_request).joinedload(InterpreterRequest.language),
        )
        .where(Appointment.toeleider_id == user.id, in_my_municipalities(user))
        .where(
            or_(
                Appointment.status.in_(CONFIRMED),
                and_(
                    Appointment.status.in_(WITHDRAWN),
                    Appointment.changed_at > at - WITHDRAWN_SHOWN_FOR,
                ),
            )
        )
        # A moved appointment's old row: its event now stands at the new moment.
        .where(~superseded)
        .order_by(Appointment.starts_at)
    )
    shown = []
    for appointment in appointments:
        shown.append(appointment.referral_id)
        event = Event()
        event.add("uid", appointment.calendar_uid)
        event.add("sequence", appointment.sequence)
        confirmed = appointment.status in CONFIRMED
        event.add("status", "CONFIRMED" if confirmed else "CANCELLED")
        # Without a METHOD, DTSTAMP is when the event was last revised (RFC 5545 §3.8.7.2).
        revised = appointment.changed_at or appointment.created_at
        event.add("dtstamp", revised.replace(tzinfo=tz))
        event.add("dtstart", appointment.starts_at.replace(tzinfo=tz))
        event.add("dtend", appointment.ends_at.replace(tzinfo=tz))
        kind = str(APPOINTMENT_KIND_LABELS[appointment.kind]).capitalize()
        event.add("summary", f"{kind} {appointment.referral.reference}")
        event.add("location", appointment.place)
        if appointment.interpreter_request is not None:
            # The language, how and the status only: nothing about the resident.
            summary = interpreter_summary(appointment.interpreter_request)
            event.add("description", _("Tolk: %(summary)s", summary=summary))
        calendar.add_component(event)
    # Each TZID the events name needs its VTIMEZONE (RFC 5545 §3.2.19).
    calendar.add_missing_timezones()
    return calendar.to_ical(), shown
