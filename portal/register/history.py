"""Earlier registrations (ImportKind.HISTORY): a file made as it went before the portal.

A row's dates become the file's real history, recorded as the portal records that work, so
that the reports count every step in the month it happened:
- the intake is the referral's registration (`created_at`, which the report counts);
- the day the person was reached is a contact attempt with outcome 'reached', which gives
  the referral its first reach (portal/referrals/reach.py); the way is not known, so it
  counts as by phone. A conversation without a day of reach was reached that day, as at a
  walk-in;
- the day of the welcome conversation is a held appointment, which the report counts as a
  conversation held (RULE_CONVERSATIONS); the person accepted the offer;
- the closing day closes the file with the outcome the row gives ("Resultaat bij
  afsluiten"), else the one guessed: completed after a conversation, declined when reached
  without one, unreachable otherwise. Without it the file stays open where it stood:
  after the conversation, contacted, or in the queue.

Every step is on the timeline, at the moment of the import (`at`) with the day it happened
(`happened_at`). An open file that is past the queue is the importing lead's, who hands it
on as any file (reassign). All of it is made with bulk statements in the import's
transaction; the report's triggers mark the months it touches.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import insert

from ..desk.rules import residence
from ..extensions import DbSession
from ..models import (
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    ClosingOutcome,
    ContactAttempt,
    ContactChannel,
    ContactOutcome,
    Referral,
    ReferralState,
    TimelineEvent,
    User,
)
from ..referrals.reach import refresh_reach
from .rows import History

REGISTERED_FROM_HISTORY = "registered_from_history"
# The timeline events an import of earlier registrations writes: anything else on a file's
# timeline is work done since, which an undo may not remove.
HISTORY_EVENTS = (
    REGISTERED_FROM_HISTORY,
    "contact_attempt",
    "conversation_held",
    "closed",
)
# The hour a day of the file is put at: the reports count by month, the timeline by moment.
_HOUR = time(12, 0)
_CONVERSATION = timedelta(hours=1)
_PLACE = "—"


def moment(day: date) -> datetime:
    return datetime.combine(day, _HOUR)


def state_of(history: History) -> ReferralState:
    """Where the file stands after its history."""
    if history.closed_on is not None:
        return ReferralState.CLOSED
    if history.held_on is not None:
        return ReferralState.HELD
    if history.reached_on is not None:
        return ReferralState.CONTACTED
    return ReferralState.NEW


def outcome_of(history: History) -> ClosingOutcome | None:
    if history.closed_on is None:
        return None
    if history.outcome is not None:
        return history.outcome
    if history.held_on is not None:
        return ClosingOutcome.COMPLETED
    if history.reached_on is not None:
        return ClosingOutcome.DECLINED
    return ClosingOutcome.UNREACHABLE


def reached_on(history: History) -> date | None:
    return history.reached_on or history.held_on


def shape(referral: Referral, history: History, registered_on: date, actor: User) -> None:
    """Give a new referral what its history says: indicators, registration, state, owner."""
    referral.dutch_difficult = history.dutch_difficult
    referral.has_work = history.has_work
    referral.has_children = history.has_children
    intake = moment(history.intake_on)
    referral.created_at = intake
    # Registered in the population register after the intake: a newcomer at the intake.
    referral.is_newcomer = residence(
        registered_on, max(history.intake_on, registered_on)
    ).is_newcomer
    referral.state = state_of(history)
    referral.outcome = outcome_of(history)
    referral.closed_at = moment(history.closed_on) if history.closed_on else None
    if history.held_on is not None:
        referral.conversation_accepted = True
    reached = reached_on(history)
    if referral.state not in (ReferralState.NEW, ReferralState.CLOSED):
        # An open file past the queue has someone who holds it: whoever imported it.
        referral.owner_id = actor.id
        referral.claimed_at = moment(reached) if reached else intake


@dataclass(frozen=True)
class Made:
    """One referral the import made, with the row's history and line."""

    referral: Referral
    history: History
    line: int


def record(
    session: DbSession, made: Sequence[Made], *, import_id: int, actor: User, at: datetime
) -> None:
    """The timeline, contact attempts and held appointments of the referrals made."""
    attempts = [
        {
            "referral_id": m.referral.id,
            "at": moment(day),
            "recorded_at": at,
            "actor_id": actor.id,
            "channel": ContactChannel.PHONE,
            "outcome": ContactOutcome.REACHED,
            "note": None,
        }
        for m in made
        if (day := reached_on(m.history)) is not None
    ]
    attempt_of: dict[int, int] = {}
    if attempts:
        made_attempts = session.execute(
            insert(ContactAttempt).returning(ContactAttempt.referral_id, ContactAttempt.id),
            attempts,
        )
        attempt_of = {referral_id: attempt_id for referral_id, attempt_id in made_attempts}
    held = [
        {
            "referral_id": m.referral.id,
            "toeleider_id": actor.id,
            "kind": (
                AppointmentKind.WELCOME if m.referral.is_newcomer else AppointmentKind.INTEGRATION
            ),
            "starts_at": moment(m.history.held_on),
            "ends_at": moment(m.history.held_on) + _CONVERSATION,
            "place": _PLACE,
            "status": AppointmentStatus.HELD,
            "created_by_id": actor.id,
            "created_at": at,
        }
        for m in made
        if m.history.held_on is not None
    ]
    _insert(session, Appointment, held)
    events = [e for m in made for e in _events(m, import_id, actor, at, attempt_of)]
    _insert(session, TimelineEvent, events)
    # Bulk inserts pass no flush: the first reach is derived from the attempts here.
    refresh_reach(session.connection(), list(attempt_of))


def _events(
    made: Made, import_id: int, actor: User, at: datetime, attempt_of: dict[int, int]
) -> list[dict[str, Any]]:
    history, referral = made.history, made.referral
    steps: list[tuple[str, datetime, ReferralState | None, ReferralState, str | None]] = [
        (
            REGISTERED_FROM_HISTORY,
            moment(history.intake_on),
            None,
            ReferralState.NEW,
            str(
                _l(
                    "uit een bestand van eerdere inschrijvingen (import %(id)d, regel %(line)d)",
                    id=import_id,
                    line=made.line,
                )
            ),
        )
    ]
    state = ReferralState.NEW
    reached = reached_on(history)
    if reached is not None:
        steps.append(
            ("contact_attempt", moment(reached), state, ReferralState.CONTACTED, "phone:reached")
        )
        state = ReferralState.CONTACTED
    if history.held_on is not None:
        steps.append(
            ("conversation_held", moment(history.held_on), state, ReferralState.HELD, None)
        )
        state = ReferralState.HELD
    if history.closed_on is not None:
        outcome = outcome_of(history)
        steps.append(
            (
                "closed",
                moment(history.closed_on),
                state,
                ReferralState.CLOSED,
                outcome.value if outcome else None,
            )
        )
    return [
        {
            "referral_id": referral.id,
            "at": at,
            "happened_at": happened_at,
            "actor_id": actor.id,
            "kind": kind,
            "from_state": from_state,
            "to_state": to_state,
            "detail": detail,
            # Striking the attempt's event strikes the attempt, as for one logged by hand.
            "contact_attempt_id": attempt_of.get(referral.id)
            if kind == "contact_attempt"
            else None,
        }
        for kind, happened_at, from_state, to_state, detail in steps
    ]


def _insert(session: DbSession, model: Any, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(model), rows)
