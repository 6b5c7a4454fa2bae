"""The lead's day at a glance and the team's workload, counted in SQL."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import joinedload

from ..accounts import toeleiders_of
from ..extensions import DbSession
from ..models import (
    OPEN_STATES as OPEN,
)
from ..models import (
    Appointment,
    AppointmentStatus,
    FollowUpTask,
    Milestone,
    MilestoneStatus,
    Referral,
    ReferralState,
    User,
)
from ..workdays import working_days_before


def _start(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time())


@dataclass(frozen=True)
class TodayCounts:
    new_today: int
    unclaimed_too_long: int
    appointments_today: int
    overdue_tasks: int
    overdue_milestones: int
    letters_to_send: int


def list_statement(kind: str, municipality_ids: Iterable[int], today: date, unclaimed_days: int):
    """The referrals behind one number of the Today page."""
    ids = list(municipality_ids) or [-1]
    stmt = select(Referral).where(Referral.municipality_id.in_(ids))
    if kind == "new_today":
        return stmt.where(Referral.created_at >= _start(today)).order_by(
            Referral.created_at, Referral.id
        )
    if kind == "unclaimed":
        cutoff = _start(working_days_before(today, unclaimed_days))
        return stmt.where(
            Referral.state == ReferralState.NEW, Referral.created_at < cutoff
        ).order_by(Referral.created_at, Referral.id)
    if kind == "letters":
        return stmt.where(Referral.needs_letter.is_(True), Referral.state.in_(OPEN)).order_by(
            Referral.claimed_at
        )
    if kind == "overdue_tasks":
        overdue = select(FollowUpTask.referral_id).where(
            FollowUpTask.done_at.is_(None), FollowUpTask.due_on < today
        )
        return stmt.where(Referral.id.in_(overdue), Referral.state.in_(OPEN)).order_by(Referral.id)
    if kind == "overdue_milestones":
        overdue = select(Milestone.referral_id).where(
            Milestone.status == MilestoneStatus.OPEN, Milestone.target_on < today
        )
        return stmt.where(Referral.id.in_(overdue), Referral.state.in_(OPEN)).order_by(Referral.id)
    raise KeyError(kind)


LIST_KINDS = ("new_today", "unclaimed", "letters", "overdue_tasks", "overdue_milestones")


def today_counts(
    session: DbSession, municipality_ids: Iterable[int], today: date, unclaimed_days: int
) -> TodayCounts:
    ids = list(municipality_ids) or [-1]

    def count(kind: str) -> int:
        stmt = list_statement(kind, ids, today, unclaimed_days).order_by(None)
        return session.scalar(select(func.count()).select_from(stmt.subquery())) or 0

    appointments = (
        session.scalar(
            select(func.count())
            .select_from(Appointment)
            .join(Referral, Referral.id == Appointment.referral_id)
            .where(Referral.municipality_id.in_(ids))
            .where(Appointment.status.in_([AppointmentStatus.PLANNED, AppointmentStatus.HELD]))
            .where(
                Appointment.starts_at >= _start(today),
                Appointment.starts_at < _start(today + timedelta(days=1)),
            )
        )
        or 0
    )
    return TodayCounts(
        new_today=count("new_today"),
        unclaimed_too_long=count("unclaimed"),
        appointments_today=appointments,
        overdue_tasks=count("overdue_tasks"),
        overdue_milestones=count("overdue_milestones"),
        letters_to_send=count("letters"),
    )


def appointments_today(
    session: DbSession, municipality_ids: Iterable[int], today: date
) -> list[Appointment]:
    ids = list(municipality_ids) or [-1]
    stmt = (
        select(Appointment)
        # The page names the toeleider and the resident of every appointment: load them now.
        .options(
            joinedload(Appointment.toeleider),
            joinedload(Appointment.referral).joinedload(Referral.person),
        )
        .join(Referral, Referral.id == Appointment.referral_id)
        .where(Referral.municipality_id.in_(ids))
        .where(Appointment.status.in_([AppointmentStatus.PLANNED, AppointmentStatus.HELD]))
        .where(
            Appointment.starts_at >= _start(today),
            Appointment.starts_at < _start(today + timedelta(days=1)),
        )
        .order_by(Appointment.toeleider_id, Appointment.starts_at)
    )
    return list(session.scalars(stmt))


@dataclass(frozen=True)
class Workload:
    toeleider: User
    open_referrals: int
    appointments_this_week: int
    appointments_next_week: int
    overdue_items: int


def workload(session: DbSession, municipality_ids: Iterable[int], today: date) -> list[Workload]:
    """Per toeleider of these municipalities: open files, appointments, overdue items."""
    ids = list(municipality_ids) or [-1]
    people = toeleiders_of(session, ids)
    if not people:
        return []
    person_ids = [u.id for u in people]
    open_files = dict(
        session.execute(
            select(Referral.owner_id, func.count())
            .where(Referral.owner_id.in_(person_ids), Referral.state.in_(OPEN))
            .where(Referral.municipality_id.in_(ids))
            .group_by(Referral.owner_id)
        ).all()
    )
    monday = today - timedelta(days=today.weekday())
    this_week, next_week = _start(monday), _start(monday + timedelta(days=7))
    after_next = _start(monday + timedelta(days=14))
    planned = Appointment.status == AppointmentStatus.PLANNED
    weeks = {
        row[0]: (row[1] or 0, row[2] or 0)
        for row in session.execute(
            select(
                Appointment.toeleider_id,
                func.sum(
                    case(
                        (
                            and_(
                                planned,
                                Appointment.starts_at >= this_week,
                                Appointment.starts_at < next_week,
                            ),
                            1,
                        ),
                        else_=0,
                    )
                ),
                func.sum(
                    case(
                        (
                            and_(
                                planned,
                                Appointment.starts_at >= next_week,
                                Appointment.starts_at < after_next,
                            ),
                            1,
                        ),
                        else_=0,
                    )
                ),
            )
            .where(Appointment.toeleider_id.in_(person_ids), planned)
            # Only these two weeks are counted: read only them, through the toeleider index.
            .where(Appointment.starts_at >= this_week, Appointment.starts_at < after_next)
            .group_by(Appointment.toeleider_id)
        ).all()
    }
    overdue_tasks = dict(
        session.execute(
            select(FollowUpTask.owner_id, func.count())
            .where(
                FollowUpTask.owner_id.in_(person_ids),
                FollowUpTask.done_at.is_(None),
                FollowUpTask.due_on < today,
            )
            .group_by(FollowUpTask.owner_id)
        ).all()
    )
    overdue_milestones = dict(
        session.execute(
            select(Referral.owner_id, func.count())
            .join(Milestone, Milestone.referral_id == Referral.id)
            .where(Referral.owner_id.in_(person_ids), Referral.state.in_(OPEN))
            .where(Milestone.status == MilestoneStatus.OPEN)
            .where(Milestone.target_on < today)
            .group_by(Referral.owner_id)
        ).all()
    )
    return [
        Workload(
            toeleider=u,
            open_referrals=open_files.get(u.id, 0),
            appointments_this_week=weeks.get(u.id, (0, 0))[0],
            appointments_next_week=weeks.get(u.id, (0, 0))[1],
            overdue_items=overdue_tasks.get(u.id, 0) + overdue_milestones.get(u.id, 0),
        )
        for u in people
    ]
