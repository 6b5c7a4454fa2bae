"""A toeleider's own day: appointments, tasks, call-backs, letters and new referrals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from ..access import in_my_municipalities
from ..extensions import DbSession
from ..models import (
    OPEN_STATES,
    Appointment,
    AppointmentStatus,
    FollowUpTask,
    InterpreterRequest,
    PageVisit,
    Referral,
    ReferralState,
    User,
)
from ..pagination import paginate

# Visits closer together than this belong to one sitting: reloading the page keeps its list.
SITTING = timedelta(minutes=30)
NEW_SHOWN = 25


def note_visit(session: DbSession, user: User, page: str, at: datetime) -> datetime | None:
    """Record a visit of `page` and return the moment its "new since" list counts from."""
    visit = session.get(PageVisit, (user.id, page))
    if visit is None:
        try:
            with session.begin_nested():
                session.add(PageVisit(user_id=user.id, page=page, visited_at=at, since=None))
        except IntegrityError:  # the same user opened it twice at once; the other one counts
            return None
        return None
    if at - visit.visited_at >= SITTING:
        visit.since = visit.visited_at
    visit.visited_at = max(at, visit.visited_at)
    return visit.since


@dataclass(frozen=True)
class MyDay:
    """What the Vandaag page shows, each list already limited to the user's own files."""

    appointments: list[Appointment]
    tasks: list[FollowUpTask]
    tasks_count: int
    call_backs: list[Referral]
    letters: list[Referral]
    # How many letters wait in all: the page lists the NEW_SHOWN that waited longest.
    letters_count: int
    new_referrals: list[Referral]
    new_count: int
    since: datetime | None

    def shown_referral_ids(self) -> list[int]:
        """Each file shown, once, however many lists it is in."""
        ids = [
            *(a.referral_id for a in self.appointments),
            *(t.referral_id for t in self.tasks),
            *(r.id for r in (*self.call_backs, *self.letters, *self.new_referrals)),
        ]
        return list(dict.fromkeys(ids))


def _start(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time())


def appointments_on(session: DbSession, user: User, day: date) -> list[Appointment]:
    """The user's own planned or held conversations of the day."""
    stmt = (
        select(Appointment)
        .join(Appointment.referral)
        .options(
            contains_eager(Appointment.referral).joinedload(Referral.person),
            selectinload(Appointment.interpreter_request).joinedload(InterpreterRequest.language),
        )
        .where(Appointment.toeleider_id == user.id, in_my_municipalities(user))
        .where(Appointment.status.in_([AppointmentStatus.PLANNED, AppointmentStatus.HELD]))
        .where(Appointment.starts_at >= _start(day))
        .where(Appointment.starts_at < _start(day + timedelta(days=1)))
        .order_by(Appointment.starts_at)
    )
    return list(session.scalars(stmt))


def _first_shown(session: DbSession, stmt: Select[Any]) -> tuple[list[Any], int]:
    """The first NEW_SHOWN a list gives, and how many it holds in all."""
    page = paginate(session, stmt, 1, NEW_SHOWN)
    return page.items, page.total


def tasks_due(session: DbSession, user: User, day: date) -> tuple[list[FollowUpTask], int]:
    """The user's open follow-up tasks due on the day or earlier: the NEW_SHOWN oldest,
    and how many in all."""
    stmt = (
        select(FollowUpTask)
        .join(FollowUpTask.referral)
        .where(FollowUpTask.owner_id == user.id, FollowUpTask.done_at.is_(None))
        .where(FollowUpTask.due_on <= day, in_my_municipalities(user))
    )
    return _first_shown(
        session,
        stmt.options(contains_eager(FollowUpTask.referral).joinedload(Referral.person)).order_by(
            FollowUpTask.due_on, FollowUpTask.id
        ),
    )


# Listed rather than "not closed, not new", so that the owner and state index reads only
# the open files and skips the years of closed ones.
WORKED_STATES = [s for s in OPEN_STATES if s != ReferralState.NEW]


def _mine(user: User) -> ColumnElement[bool]:
    return and_(
        Referral.owner_id == user.id,
        Referral.state.in_(WORKED_STATES),
        in_my_municipalities(user),
    )


def call_backs(session: DbSession, user: User) -> list[Referral]:
    """Own open files whose last contact attempt asked to call back later.

    A letter is recorded with that outcome too, but then the resident is the one to call.
    """
    # Kept on the referral from its attempts (portal/referrals/reach.py): the own open
    # files' index alone, not the attempts of every file the user holds.
    stmt = (
        select(Referral)
        .options(joinedload(Referral.person), joinedload(Referral.contact_language))
        .where(_mine(user), Referral.call_back_since.is_not(None))
        .order_by(Referral.call_back_since, Referral.id)
    )
    return list(session.scalars(stmt))


def letters_due(session: DbSession, user: User) -> tuple[list[Referral], int]:
    """Own open files that wait for an invitation letter: the NEW_SHOWN that waited longest,
    and how many in all (the letter list has every one)."""
    stmt = (
        select(Referral)
        .where(_mine(user))
        .where(Referral.needs_letter.is_(True), Referral.consent_withdrawn_at.is_(None))
    )
    return _first_shown(
        session,
        stmt.options(joinedload(Referral.person), joinedload(Referral.contact_language)).order_by(
            Referral.claimed_at, Referral.id
        ),
    )


def _new_statement(user: User, since: datetime | None) -> Select[Referral]:
    stmt = select(Referral).where(Referral.state == ReferralState.NEW, in_my_municipalities(user))
    spoken = [lang.code for lang in user.languages]
    if spoken:
        stmt = stmt.where(Referral.contact_language_code.in_(spoken))
    if since is not None:
        stmt = stmt.where(Referral.created_at > since)
    return stmt


def new_referrals(
    session: DbSession, user: User, since: datetime | None
) -> tuple[list[Referral], int]:
    """Unclaimed referrals in the user's languages registered since `since`, and how many."""
    stmt = _new_statement(user, since)
    return _first_shown(
        session,
        stmt.options(joinedload(Referral.person), joinedload(Referral.contact_language)).order_by(
            Referral.created_at.desc(), Referral.id.desc()
        ),
    )


def my_day(session: DbSession, user: User, day: date, since: datetime | None) -> MyDay:
    """Everything of the Vandaag page for one user."""
    shown, count = new_referrals(session, user, since)
    letters, letters_count = letters_due(session, user)
    tasks, tasks_count = tasks_due(session, user, day)
    return MyDay(
        appointments=appointments_on(session, user, day),
        tasks=tasks,
        tasks_count=tasks_count,
        call_backs=call_backs(session, user),
        letters=letters,
        letters_count=letters_count,
        new_referrals=shown,
        new_count=count,
        since=since,
    )
