"""Follow-up after the conversation: partner referrals, tasks, and the development plan.

These do not move the referral through its states (closing does, in lifecycle), but each is
done by someone who may work on the file and lands on its timeline.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time
from typing import Any, cast

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import contains_eager
from sqlalchemy.orm.attributes import set_committed_value

from ..access import in_my_municipalities
from ..extensions import DbSession
from ..models import (
    FollowUpTask,
    Milestone,
    MilestoneStatus,
    PartnerReferral,
    PartnerReferralStatus,
    Referral,
    ReferralState,
    Service,
    Theme,
    User,
)
from .channels import channels_for
from .lifecycle import (
    NOT_REACHED_YET,
    Action,
    TransitionRefused,
    check,
    count_as_change,
    record_event,
)
from .moments import check_day


def refer_to_partner(
    session: DbSession,
    referral: Referral,
    actor: User,
    partner: Service,
    theme: Theme,
    referred_on: date,
    at: datetime,
    children: Sequence[int] = (),
) -> PartnerReferral:
    """Lead the person, or the children named of their household, to a partner's offer."""
    if referral.state == ReferralState.CLAIMED:
        # Picked up but not reached yet: say what is missing, to whoever may refer.
        check(Action.REFER_TO_PARTNER, referral, actor, state=False)
        raise TransitionRefused(NOT_REACHED_YET)
    check(Action.REFER_TO_PARTNER, referral, actor)
    if not partner.is_partner or not partner.active:
        raise TransitionRefused(_l("Kies een actieve partnerorganisatie."))
    check_day(session, referral, referred_on, at)
    named = [c for c in referral.children if c.id in set(children)]
    if len(named) != len(set(children)):
        raise TransitionRefused(_l("Kies kinderen van dit gezin."))
    item = PartnerReferral(
        referral_id=referral.id,
        partner_id=partner.id,
        theme_id=theme.id,
        referred_on=referred_on,
        status=PartnerReferralStatus.PROPOSED,
        created_by_id=actor.id,
        updated_at=at,
        **channels_for(session, referral, actor),
    )
    item.children = named
    session.add(item)
    event = record_event(
        session, referral, actor, at, "partner_referral", f"{partner.name} · {theme.name}"
    )
    if referred_on != at.date():
        event.happened_at = datetime.combine(referred_on, time.min)
    return item


def follow_up_partner_referral(
    session: DbSession,
    item: PartnerReferral,
    referral: Referral,
    actor: User,
    status: PartnerReferralStatus,
    feedback: str | None,
    at: datetime,
) -> None:
    """Note whether the person arrived at the partner, and what came of it; also once closed."""
    check(Action.PARTNER_FEEDBACK, referral, actor)
    count_as_change(referral)
    item.status = status
    item.feedback = (feedback or "").strip() or item.feedback
    item.updated_at = at
    record_event(
        session,
        referral,
        actor,
        at,
        "partner_referral_status",
        f"{item.partner.name}: {status.value}" + (f" · {item.feedback}" if item.feedback else ""),
    )


def add_task(
    session: DbSession,
    referral: Referral,
    actor: User,
    description: str,
    due_on: date,
    at: datetime,
) -> FollowUpTask:
    check(Action.TASK, referral, actor)
    task = FollowUpTask(
        referral_id=referral.id,
        owner_id=referral.owner_id or actor.id,
        description=description.strip(),
        due_on=due_on,
    )
    session.add(task)
    record_event(
        session, referral, actor, at, "task_added", f"{description.strip()} ({due_on:%d/%m/%Y})"
    )
    return task


def complete_task(session: DbSession, task: FollowUpTask, actor: User, at: datetime) -> None:
    """Mark the task done, once: of two people marking it at once, the second is told."""
    check(Action.TASK, task.referral, actor)
    # The UPDATE decides, not the done_at read earlier: the database lets one of two at once
    # match 'done_at IS NULL' (the other waits for its lock, then matches nothing).
    done = session.execute(
        update(FollowUpTask)
        .where(FollowUpTask.id == task.id, FollowUpTask.done_at.is_(None))
        .values(done_at=at)
        .execution_options(synchronize_session=False)
    )
    if cast("CursorResult[Any]", done).rowcount != 1:
        raise TransitionRefused(_l("Deze taak is al afgewerkt."))
    set_committed_value(task, "done_at", at)  # what the UPDATE wrote, without writing it again
    count_as_change(task.referral)
    record_event(session, task.referral, actor, at, "task_done", task.description)


def add_milestone(
    session: DbSession,
    referral: Referral,
    actor: User,
    description: str,
    priority: int,
    target_on: date,
    at: datetime,
) -> Milestone:
    """A step of the development plan, which long-term residents get."""
    check(Action.MILESTONE, referral, actor)
    if referral.is_newcomer:
        raise TransitionRefused(_l("Een ontwikkelingsplan is er voor oudkomers."))
    if target_on < at.date():
        raise TransitionRefused(_l("Kies een streefdatum vandaag of later."))
    milestone = Milestone(
        referral_id=referral.id,
        description=description.strip(),
        priority=priority,
        target_on=target_on,
        status=MilestoneStatus.OPEN,
    )
    session.add(milestone)
    record_event(session, referral, actor, at, "milestone_added", description.strip())
    return milestone


def set_milestone_status(
    session: DbSession,
    milestone: Milestone,
    referral: Referral,
    actor: User,
    status: MilestoneStatus,
    at: datetime,
) -> None:
    check(Action.MILESTONE, referral, actor)
    count_as_change(referral)
    milestone.status = status
    record_event(
        session, referral, actor, at, "milestone_status", f"{milestone.description}: {status.value}"
    )


def open_tasks_of(session: DbSession, user: User) -> list[FollowUpTask]:
    """The toeleider's task list: open tasks, the most urgent first."""
    stmt = (
        select(FollowUpTask)
        .join(FollowUpTask.referral)
        .options(contains_eager(FollowUpTask.referral).joinedload(Referral.person))
        .where(FollowUpTask.owner_id == user.id, FollowUpTask.done_at.is_(None))
        .where(in_my_municipalities(user))
        .order_by(FollowUpTask.due_on, FollowUpTask.id)
    )
    return list(session.scalars(stmt))
