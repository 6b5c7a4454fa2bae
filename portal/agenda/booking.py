"""Rules of the agenda: when a toeleider is free, and what counts as a double booking."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from sqlalchemy import select, update

from ..extensions import DbSession
from ..models import (
    Absence,
    Appointment,
    AppointmentStatus,
    AvailabilityKind,
    AvailabilitySlot,
    User,
)

MIN_MINUTES, MAX_MINUTES = 15, 240


def overlapping(
    session: DbSession,
    toeleider_id: int,
    starts: datetime,
    ends: datetime,
    except_id: int | None = None,
) -> Appointment | None:
    """A planned appointment of this toeleider that overlaps [starts, ends), if any."""
    stmt = (
        select(Appointment)
        .where(Appointment.toeleider_id == toeleider_id)
        .where(Appointment.status == AppointmentStatus.PLANNED)
        .where(Appointment.starts_at < ends, Appointment.ends_at > starts)
        .order_by(Appointment.starts_at)
    )
    if except_id is not None:
        stmt = stmt.where(Appointment.id != except_id)
    return session.scalars(stmt.limit(1)).first()


def absent_on(session: DbSession, toeleider_id: int, day: date) -> Absence | None:
    stmt = select(Absence).where(
        Absence.user_id == toeleider_id, Absence.first_day <= day, Absence.last_day >= day
    )
    return session.scalars(stmt.limit(1)).first()


def within_availability(
    session: DbSession, toeleider_id: int, starts: datetime, ends: datetime
) -> bool:
    """Whether [starts, ends) lies inside the toeleider's weekly periods (adjacent ones join).

    A toeleider who declared no periods at all has no availability to be outside of.
    """
    slots = session.scalars(
        select(AvailabilitySlot).where(AvailabilitySlot.user_id == toeleider_id)
    ).all()
    if not slots:
        return True
    # Conversations are planned within one day (see lifecycle's planning hours).
    covered_until = starts.time()
    for slot in sorted((s for s in slots if s.weekday == starts.weekday()), key=lambda s: s.starts):
        if slot.starts <= covered_until < slot.ends:
            covered_until = slot.ends
    return covered_until >= ends.time()


def lock_agenda(session: DbSession, toeleider_id: int) -> None:
    """Serialise bookings for one toeleider: two desks booking at once cannot both win.

    An UPDATE of the toeleider's row that changes nothing takes the row lock on PostgreSQL
    and SQLite's write lock at once, before the agenda is read for overlaps; a SELECT ... FOR
    UPDATE would lock nothing on SQLite, and every booking of the hour would pass the check.
    """
    session.execute(
        update(User)
        .where(User.id == toeleider_id)
        .values(active=User.active)
        .execution_options(synchronize_session=False)
    )


def free_slots(
    session: DbSession,
    toeleiders: Iterable[User],
    first_day: date,
    days: int,
    minutes: int,
    now: datetime,
    kind: AvailabilityKind = AvailabilityKind.CONVERSATIONS,
) -> list[tuple[User, datetime]]:
    """Start times in the toeleiders' weekly availability that are free, soonest first."""
    people = {u.id: u for u in toeleiders}
    if not people:
        return []
    last_day = first_day + timedelta(days=days)
    slots = session.scalars(
        select(AvailabilitySlot).where(
            AvailabilitySlot.user_id.in_(people), AvailabilitySlot.kind == kind.value
        )
    ).all()
    booked = session.scalars(
        select(Appointment).where(
            Appointment.toeleider_id.in_(people),
            Appointment.status == AppointmentStatus.PLANNED,
            Appointment.starts_at < datetime.combine(last_day, datetime.min.time()),
            Appointment.ends_at > datetime.combine(first_day, datetime.min.time()),
        )
    ).all()
    absences = session.scalars(
        select(Absence).where(
            Absence.user_id.in_(people),
            Absence.first_day <= last_day,
            Absence.last_day >= first_day,
        )
    ).all()
    step = timedelta(minutes=minutes)
    found: list[tuple[User, datetime]] = []
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        for slot in slots:
            if slot.weekday != day.weekday():
                continue
            if any(
                a.user_id == slot.user_id and a.first_day <= day <= a.last_day for a in absences
            ):
                continue
            start = datetime.combine(day, slot.starts)
            end_of_slot = datetime.combine(day, slot.ends)
            while start + step <= end_of_slot:
                end = start + step
                taken = any(
                    b.toeleider_id == slot.user_id and b.starts_at < end and b.ends_at > start
                    for b in booked
                )
                if start > now and not taken:
                    found.append((people[slot.user_id], start))
                start = end
    found.sort(key=lambda pair: (pair[1], pair[0].full_name))
    return found


def free_moments_by_day(
    session: DbSession,
    toeleiders: Iterable[User],
    first_day: date,
    days: int,
    minutes: int,
    now: datetime,
) -> dict[date, list[tuple[User, datetime]]]:
    """The free conversation moments of these toeleiders, per day, the days in order."""
    by_day: dict[date, list[tuple[User, datetime]]] = {}
    for user, start in free_slots(session, toeleiders, first_day, days, minutes, now):
        by_day.setdefault(start.date(), []).append((user, start))
    return by_day


def speakers_of(toeleiders: Iterable[User], language_code: str) -> list[User]:
    """The toeleiders who speak the language."""
    return [u for u in toeleiders if language_code in {lang.code for lang in u.languages}]
