"""The lifecycle of a referral: every transition is one function here.

Each checks the current state and the actor's right to make the move, changes the referral,
and writes a timeline event with who, when and why. An illegal move raises TransitionRefused
with a Dutch message for the person who tried it. Callers commit.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from ..access import is_lead_for, works_in
from ..labels import state_label
from ..models import (
    UNREACHED_OUTCOMES,
    ClosingOutcome,
    ContactAttempt,
    ContactChannel,
    ContactOutcome,
    Referral,
    ReferralState,
    Role,
    TimelineEvent,
    User,
)
from ..settings import QueueWeights, get_int

S = ReferralState


class TransitionRefused(Exception):
    """The move is not possible now, or not for this person; the message says why."""

    def __init__(self, message: object):
        super().__init__(str(message))
        self.message = str(message)


class AlreadyClaimed(TransitionRefused):
    def __init__(self, owner_name: str):
        super().__init__(_l("%(name)s heeft deze persoon al opgenomen.", name=owner_name))
        self.owner_name = owner_name


def priority_at(created_at: datetime, referral: Referral, weights: QueueWeights) -> datetime:
    """Registration time moved earlier by a number of days per indicator that weighs."""
    days = 0
    if referral.dutch_difficult:
        days += weights.dutch_difficult_days
    if not referral.has_work:
        days += weights.no_work_days
    if referral.has_children:
        days += weights.children_days
    return created_at - timedelta(days=days)


def _record(
    session: Session,
    referral: Referral,
    actor: User,
    at: datetime,
    kind: str,
    detail: str | None = None,
    from_state: str | None = None,
) -> TimelineEvent:
    event = TimelineEvent(
        referral_id=referral.id,
        at=at,
        actor_id=actor.id,
        kind=kind,
        from_state=from_state,
        to_state=referral.state if from_state is not None else None,
        detail=detail,
    )
    session.add(event)
    return event


def _require_state(referral: Referral, *allowed: ReferralState) -> None:
    if referral.state not in {s.value for s in allowed}:
        raise TransitionRefused(
            _l(
                "Dit kan niet meer: de doorverwijzing is nu '%(state)s'.",
                state=state_label(referral.state),
            )
        )


def _require_worker(referral: Referral, actor: User) -> None:
    """The owner, or a lead of the referral's municipality, may work on an open file."""
    if referral.owner_id == actor.id or is_lead_for(actor, referral.municipality_id):
        return
    raise TransitionRefused(
        _l("Alleen de toeleider van deze persoon of een teamverantwoordelijke kan dit.")
    )


def _require_reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise TransitionRefused(_l("Geef een reden."))
    return reason


def record_intake(session: Session, referral: Referral, actor: User, at: datetime) -> None:
    """The first event on every timeline: the desk registered the referral."""
    _record(session, referral, actor, at, "registered", from_state="", detail=None)


def claim(session: Session, referral_id: int, actor: User, at: datetime) -> Referral:
    """Take a new referral from the queue. Of two claims at once exactly one wins."""
    referral = session.get(Referral, referral_id)
    if referral is None:
        raise TransitionRefused(_l("Deze doorverwijzing bestaat niet (meer)."))
    if not (actor.has_role(Role.TOELEIDER) and works_in(actor, referral.municipality_id)):
        raise TransitionRefused(_l("Alleen toeleiders van deze gemeente kunnen iemand opnemen."))
    # One conditional UPDATE decides: the database lets exactly one of concurrent claims
    # match 'state = new', whatever the number of processes or hosts.
    result = session.execute(
        update(Referral)
        .where(
            Referral.id == referral_id, Referral.state == S.NEW.value, Referral.owner_id.is_(None)
        )
        .values(
            state=S.CLAIMED.value,
            owner_id=actor.id,
            claimed_at=at,
            version=Referral.version + 1,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        current = session.get(Referral, referral_id)
        if current is not None:
            session.refresh(current)
        if current is not None and current.owner is not None:
            raise AlreadyClaimed(current.owner.full_name)
        raise TransitionRefused(_l("Deze doorverwijzing staat niet meer in de wachtrij."))
    session.refresh(referral)
    _record(session, referral, actor, at, "claimed", from_state=S.NEW.value)
    return referral


def unclaim(
    session: Session, referral: Referral, actor: User, reason: str | None, at: datetime
) -> None:
    """Give a referral back to the queue, with a reason."""
    _require_state(referral, S.CLAIMED, S.CONTACTED)
    _require_worker(referral, actor)
    reason = _require_reason(reason)
    before = referral.state
    referral.state = S.NEW.value
    referral.owner_id = None
    referral.claimed_at = None
    _record(session, referral, actor, at, "unclaimed", reason, from_state=before)


def reassign(
    session: Session,
    referral: Referral,
    actor: User,
    new_owner: User,
    reason: str | None,
    at: datetime,
) -> None:
    """A lead gives an open referral to another toeleider of the municipality."""
    if not is_lead_for(actor, referral.municipality_id):
        raise TransitionRefused(
            _l("Alleen een teamverantwoordelijke kan een doorverwijzing toewijzen.")
        )
    if referral.state == S.CLOSED.value:
        raise TransitionRefused(
            _l("Een afgesloten doorverwijzing kan niet meer toegewezen worden.")
        )
    if not (
        new_owner.active
        and new_owner.has_role(Role.TOELEIDER)
        and works_in(new_owner, referral.municipality_id)
    ):
        raise TransitionRefused(_l("Kies een actieve toeleider van deze gemeente."))
    reason = _require_reason(reason)
    before = referral.state
    previous = referral.owner.full_name if referral.owner else None
    referral.owner_id = new_owner.id
    if referral.state == S.NEW.value:
        referral.state = S.CLAIMED.value
        referral.claimed_at = at
    detail = f"{previous or '—'} → {new_owner.full_name}: {reason}"
    _record(session, referral, actor, at, "reassigned", detail, from_state=before)


def log_contact_attempt(
    session: Session,
    referral: Referral,
    actor: User,
    channel: ContactChannel,
    outcome: ContactOutcome,
    note: str | None,
    at: datetime,
) -> ContactAttempt:
    """Record one attempt to reach the person; the Nth unreached one asks for a letter."""
    _require_state(referral, S.CLAIMED, S.CONTACTED, S.SCHEDULED, S.HELD, S.FOLLOWING_UP)
    _require_worker(referral, actor)
    attempt = ContactAttempt(
        referral_id=referral.id,
        at=at,
        actor_id=actor.id,
        channel=channel.value,
        outcome=outcome.value,
        note=(note or "").strip() or None,
    )
    session.add(attempt)
    before = referral.state
    if outcome in UNREACHED_OUTCOMES:
        referral.unreached_attempts += 1
    elif outcome in (ContactOutcome.REACHED, ContactOutcome.DECLINED):
        referral.needs_letter = False
        if referral.state == S.CLAIMED.value:
            referral.state = S.CONTACTED.value
    if outcome is ContactOutcome.DECLINED:
        referral.conversation_accepted = False
    _record(
        session,
        referral,
        actor,
        at,
        "contact_attempt",
        f"{channel.value}:{outcome.value}",
        from_state=before if referral.state != before else None,
    )
    threshold = get_int(session, "letter_after_unreached_attempts")
    if (
        outcome in UNREACHED_OUTCOMES
        and referral.unreached_attempts >= threshold
        and not referral.needs_letter
    ):
        referral.needs_letter = True
        _record(session, referral, actor, at, "letter_needed", str(referral.unreached_attempts))
    return attempt


def record_answer_to_offer(
    session: Session, referral: Referral, actor: User, accepted: bool, at: datetime
) -> None:
    """Whether the person accepted or declined the offer of a welcome conversation."""
    _require_state(referral, S.CLAIMED, S.CONTACTED, S.SCHEDULED)
    _require_worker(referral, actor)
    referral.conversation_accepted = accepted
    _record(session, referral, actor, at, "offer_accepted" if accepted else "offer_declined")


def mark_letter_sent(session: Session, referral: Referral, actor: User, at: datetime) -> None:
    """The invitation letter went out; the referral leaves the letter list."""
    _require_worker(referral, actor)
    if not referral.needs_letter:
        raise TransitionRefused(_l("Voor deze persoon staat geen brief klaar."))
    referral.needs_letter = False
    session.add(
        ContactAttempt(
            referral_id=referral.id,
            at=at,
            actor_id=actor.id,
            channel=ContactChannel.LETTER.value,
            outcome=ContactOutcome.CALL_BACK.value,
            note=None,
        )
    )
    _record(session, referral, actor, at, "letter_sent")


def close(
    session: Session,
    referral: Referral,
    actor: User,
    outcome: ClosingOutcome | None,
    note: str | None,
    at: datetime,
) -> None:
    """Close an open referral; an outcome is required."""
    if referral.state == S.CLOSED.value:
        raise TransitionRefused(_l("Deze doorverwijzing is al afgesloten."))
    if referral.state == S.NEW.value:
        if not is_lead_for(actor, referral.municipality_id):
            raise TransitionRefused(
                _l("Neem de persoon eerst op, of vraag het aan een teamverantwoordelijke.")
            )
    else:
        _require_worker(referral, actor)
    if outcome is None:
        raise TransitionRefused(_l("Kies een resultaat om af te sluiten."))
    before = referral.state
    referral.state = S.CLOSED.value
    referral.outcome = outcome.value
    referral.closed_at = at
    referral.needs_letter = False
    detail = outcome.value + (f": {note.strip()}" if note and note.strip() else "")
    _record(session, referral, actor, at, "closed", detail, from_state=before)


def timeline(session: Session, referral: Referral) -> list[TimelineEvent]:
    """Every event of a referral, oldest first, with the people who made them."""
    stmt = (
        select(TimelineEvent)
        .options(joinedload(TimelineEvent.actor))
        .where(TimelineEvent.referral_id == referral.id)
        .order_by(TimelineEvent.at, TimelineEvent.id)
    )
    return list(session.scalars(stmt))
