"""The toeleider's own open files ("Mijn dossiers"): searched, sorted, one page at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select
from sqlalchemy.orm import contains_eager, joinedload

from ..access import in_my_municipalities
from ..extensions import DbSession
from ..models import (
    Appointment,
    AppointmentStatus,
    FollowUpTask,
    Person,
    Referral,
    ReferralState,
    TimelineEvent,
    User,
)
from ..pagination import Page, paginate
from ..search.finding import last_activity, matching_files, read_terms

PAGE_SIZE = 25

_LAST_ACTIVITY = (
    select(func.max(TimelineEvent.at))
    .where(TimelineEvent.referral_id == Referral.id)
    .correlate(Referral)
    .scalar_subquery()
)

SORTS = {
    # Letters first, then those waiting longest since they were claimed: the old order.
    "waiting": (Referral.needs_letter.desc(), Referral.claimed_at, Referral.id),
    "activity": (_LAST_ACTIVITY.desc(), Referral.id.desc()),
    "quiet": (_LAST_ACTIVITY, Referral.id),
    "name": (Person.name_key, Referral.id),
    "reference": (Referral.id,),
}
SORT_LABELS = {
    "waiting": _l("Brief nodig, dan langst opgenomen"),
    "activity": _l("Laatste activiteit, recentste eerst"),
    "quiet": _l("Laatste activiteit, langst stil eerst"),
    "name": _l("Naam"),
    "reference": _l("Dossiernummer"),
}

# What usually comes next in each state, when no appointment or task says otherwise.
NEXT_STEP_BY_STATE = {
    ReferralState.CLAIMED: _l("Contact opnemen"),
    ReferralState.CONTACTED: _l("Gesprek plannen"),
    ReferralState.SCHEDULED: _l("Gesprek voeren"),
    ReferralState.HELD: _l("Toeleiden naar partners"),
    ReferralState.FOLLOWING_UP: _l("Opvolging nagaan"),
}


@dataclass(frozen=True)
class MyFilesFilter:
    search: str = ""
    sort: str = "waiting"
    page: int = 1


@dataclass(frozen=True)
class NextAction:
    """The next thing to do in a file, and the day it is due or planned, if any."""

    label: str
    on: date | None = None
    overdue: bool = False


@dataclass(frozen=True)
class MyFiles:
    page: Page[Referral]
    last_activity: dict[int, datetime]
    next_action: dict[int, NextAction]


def my_files_statement(user: User, f: MyFilesFilter, region: str = "BE") -> Select[Referral]:
    stmt = (
        select(Referral)
        .join(Referral.person)
        .options(contains_eager(Referral.person), joinedload(Referral.contact_language))
        .where(Referral.owner_id == user.id, in_my_municipalities(user))
        .where(Referral.state.not_in([ReferralState.CLOSED, ReferralState.NEW]))
    )
    if f.search.strip():
        stmt = stmt.where(matching_files(read_terms(f.search, region)))
    return stmt.order_by(*SORTS.get(f.sort, SORTS["waiting"]))


def next_actions(
    session: DbSession, referrals: list[Referral], today: date
) -> dict[int, NextAction]:
    """Per file: a letter to send, else the planned conversation, else the first open task,
    else the usual next step of its state."""
    ids = [r.id for r in referrals]
    planned = dict(
        session.execute(
            select(Appointment.referral_id, func.min(Appointment.starts_at))
            .where(
                Appointment.referral_id.in_(ids or [-1]),
                Appointment.status == AppointmentStatus.PLANNED,
            )
            .group_by(Appointment.referral_id)
        ).all()
    )
    first_task: dict[int, FollowUpTask] = {}
    tasks = session.scalars(
        select(FollowUpTask)
        .where(FollowUpTask.referral_id.in_(ids or [-1]), FollowUpTask.done_at.is_(None))
        .order_by(FollowUpTask.due_on, FollowUpTask.id)
    )
    for task in tasks:
        first_task.setdefault(task.referral_id, task)
    actions = {}
    for r in referrals:
        if r.needs_letter:
            actions[r.id] = NextAction(str(_l("Uitnodigingsbrief versturen")))
        elif r.id in planned:
            starts = planned[r.id]
            actions[r.id] = NextAction(
                str(_l("Gesprek")), starts.date(), overdue=starts.date() < today
            )
        elif r.id in first_task:
            task = first_task[r.id]
            actions[r.id] = NextAction(task.description, task.due_on, task.due_on < today)
        else:
            actions[r.id] = NextAction(str(NEXT_STEP_BY_STATE.get(r.state, "")))
    return actions


def my_files(
    session: DbSession, user: User, f: MyFilesFilter, today: date, region: str = "BE"
) -> MyFiles:
    """One page of the user's open files, with what happened last and what comes next."""
    page = paginate(session, my_files_statement(user, f, region), f.page, PAGE_SIZE)
    return MyFiles(
        page=page,
        last_activity=last_activity(session, (r.id for r in page.items)),
        next_action=next_actions(session, page.items, today),
    )
