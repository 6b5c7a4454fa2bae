"""Correcting what was recorded: entries struck through, conversation records corrected.

Nothing is deleted: a struck entry stays on the timeline with who struck it and why, and the
reports stop counting it; a corrected conversation keeps its earlier version.
"""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..access import owns_or_leads
from ..extensions import DbSession
from ..labels import event_detail, event_label
from ..models import (
    UNREACHED_OUTCOMES,
    Appointment,
    ContactAttempt,
    ContactOutcome,
    Conversation,
    ConversationRevision,
    Referral,
    Theme,
    TimelineEvent,
    User,
)
from .lifecycle import TransitionRefused, record_event
from .moments import check_day

# The entries that can be logged by mistake and struck: what they record is undone in the
# figures by skipping the contact attempt behind them.
STRIKABLE_KINDS = frozenset({"contact_attempt", "letter_sent"})


def _require_corrector(referral: Referral, actor: User) -> None:
    if not owns_or_leads(actor, referral):
        raise TransitionRefused(
            _l("Alleen de toeleider van deze persoon of een teamverantwoordelijke kan dit.")
        )


def may_strike(event: TimelineEvent) -> bool:
    return event.kind in STRIKABLE_KINDS and event.struck_at is None


def strike_event(
    session: DbSession,
    referral: Referral,
    event: TimelineEvent,
    actor: User,
    *,
    reason: str | None,
    at: datetime,
) -> None:
    """Strike an entry logged by mistake, with a reason; the reports stop counting it."""
    _require_corrector(referral, actor)
    if event.struck_at is not None:
        raise TransitionRefused(_l("Dit is al doorgehaald."))
    if event.kind not in STRIKABLE_KINDS:
        raise TransitionRefused(_l("Dit soort gebeurtenis kan niet doorgehaald worden."))
    reason = (reason or "").strip()
    if not reason:
        raise TransitionRefused(_l("Geef een reden."))
    event.struck_at, event.struck_by_id, event.struck_reason = at, actor.id, reason
    attempt = event.contact_attempt or _attempt_of(session, event)
    if attempt is not None and attempt.struck_at is None:
        attempt.struck_at, attempt.struck_by_id, attempt.struck_reason = at, actor.id, reason
        if ContactOutcome(attempt.outcome) in UNREACHED_OUTCOMES:
            referral.unreached_attempts = max(0, referral.unreached_attempts - 1)
    what = event_label(event.kind)
    detail = event_detail(event.kind, event.detail)
    summary = f"{what} ({event.moment:%d/%m/%Y %H:%M})" + (f", {detail}" if detail else "")
    record_event(session, referral, actor, at, "struck", f"{summary}: {reason}")


def _attempt_of(session: DbSession, event: TimelineEvent) -> ContactAttempt | None:
    """The attempt behind an event recorded before events pointed at their attempt."""
    return session.scalars(
        select(ContactAttempt)
        .where(
            ContactAttempt.referral_id == event.referral_id,
            ContactAttempt.at == event.moment,
            ContactAttempt.struck_at.is_(None),
        )
        .order_by(ContactAttempt.id)
    ).first()


def correct_conversation(
    session: DbSession,
    referral: Referral,
    conversation: Conversation,
    actor: User,
    *,
    held_on: date,
    themes: list[Theme],
    notes: str | None,
    at: datetime,
) -> bool:
    """Correct the record of a conversation; its earlier version is kept.

    Returns False when nothing changed (then nothing is written).
    """
    _require_corrector(referral, actor)
    if not themes:
        raise TransitionRefused(_l("Kies minstens één thema dat aan bod kwam."))
    notes = (notes or "").strip() or None
    if (
        held_on == conversation.held_on
        and notes == conversation.notes
        and [t.id for t in themes] == [t.id for t in conversation.themes]
    ):
        return False
    if held_on != conversation.held_on:
        check_day(session, referral, held_on, at)
    session.add(
        ConversationRevision(
            conversation_id=conversation.id,
            held_on=conversation.held_on,
            notes=conversation.notes,
            themes_text=", ".join(t.name for t in conversation.themes),
            written_by_id=conversation.corrected_by_id or conversation.recorded_by_id,
            written_at=conversation.corrected_at or conversation.recorded_at,
            replaced_by_id=actor.id,
            replaced_at=at,
        )
    )
    if held_on != conversation.held_on and conversation.walk_in:
        # A walk-in's conversation is counted by its appointment: it moves with the record.
        appointment = session.get(Appointment, conversation.appointment_id)
        if appointment is not None:
            length = appointment.ends_at - appointment.starts_at
            appointment.starts_at = datetime.combine(held_on, appointment.starts_at.time())
            appointment.ends_at = appointment.starts_at + length
    conversation.held_on = held_on
    conversation.notes = notes
    conversation.themes = list(themes)
    conversation.corrected_at, conversation.corrected_by_id = at, actor.id
    record_event(
        session,
        referral,
        actor,
        at,
        "conversation_corrected",
        f"{held_on:%d/%m/%Y} · " + ", ".join(t.name for t in themes),
    )
    return True
