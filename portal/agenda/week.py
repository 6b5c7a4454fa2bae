"""The agenda as a week grid: days as columns, hours as rows, for one toeleider or a team."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import contains_eager, selectinload

from ..extensions import DbSession
from ..models import (
    Appointment,
    AppointmentStatus,
    AvailabilitySlot,
    InterpreterRequest,
    Referral,
    User,
)

FIRST_HOUR, LAST_HOUR = 8, 18  # rows shown even on an empty week
WORKING_DAYS = 5  # Saturday and Sunday only show when something happens on them
SHOWN_STATUSES = (
    AppointmentStatus.PLANNED,
    AppointmentStatus.HELD,
    AppointmentStatus.NO_SHOW,
)


@dataclass
class WeekGrid:
    monday: date
    days: list[date]
    hours: list[int]
    appointments: list[Appointment]
    cells: dict[tuple[date, int], list[Appointment]] = field(default_factory=dict)
    # (day, hour) pairs inside the weekly availability: only for a single toeleider's week.
    available: set[tuple[date, int]] = field(default_factory=set)

    def cell(self, day: date, hour: int) -> list[Appointment]:
        return self.cells.get((day, hour), [])

    def is_available(self, day: date, hour: int) -> bool:
        return (day, hour) in self.available


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _start(day: date) -> datetime:
    return datetime.combine(day, time())


def week_grid(
    session: DbSession,
    toeleiders: Iterable[User],
    municipality_ids: Iterable[int],
    day: date,
    with_availability: bool,
) -> WeekGrid:
    """The week around `day` of these toeleiders, for files of these municipalities."""
    people = [u.id for u in toeleiders] or [-1]
    monday = monday_of(day)
    appointments = list(
        session.scalars(
            select(Appointment)
            .join(Appointment.referral)
            .options(
                contains_eager(Appointment.referral).joinedload(Referral.person),
                contains_eager(Appointment.toeleider),
                selectinload(Appointment.interpreter_request).joinedload(
                    InterpreterRequest.language
                ),
            )
            .join(Appointment.toeleider)
            .where(Appointment.toeleider_id.in_(people))
            .where(Referral.municipality_id.in_(sorted(municipality_ids) or [-1]))
            .where(Appointment.status.in_(SHOWN_STATUSES))
            .where(Appointment.starts_at >= _start(monday))
            .where(Appointment.starts_at < _start(monday + timedelta(days=7)))
            .order_by(Appointment.starts_at, User.full_name)
        )
    )
    slots = (
        list(session.scalars(select(AvailabilitySlot).where(AvailabilitySlot.user_id.in_(people))))
        if with_availability
        else []
    )
    hours = {h for a in appointments for h in range(a.starts_at.hour, _end_hour(a.ends_at))}
    hours |= {h for s in slots for h in range(s.starts.hour, _end_hour(s.ends))}
    hours |= set(range(FIRST_HOUR, LAST_HOUR))
    last_weekday = max([WORKING_DAYS - 1, *(a.starts_at.weekday() for a in appointments)])
    days = [monday + timedelta(days=n) for n in range(last_weekday + 1)]
    grid = WeekGrid(monday=monday, days=days, hours=sorted(hours), appointments=appointments)
    for appointment in appointments:
        key = (appointment.starts_at.date(), appointment.starts_at.hour)
        grid.cells.setdefault(key, []).append(appointment)
    for slot in slots:
        if slot.weekday < len(days):
            for hour in range(slot.starts.hour, _end_hour(slot.ends)):
                grid.available.add((days[slot.weekday], hour))
    return grid


def _end_hour(moment: datetime | time) -> int:
    """The last hour row a period reaches into, plus one: 10:00 ends in row 9, 10:30 in 10."""
    return moment.hour + (1 if moment.minute else 0)
