"""The file's activity feed: every event with who and when, and what was recorded with it.

Attempt notes, the conversation record (notes, monitoring answers, needs, signals) and the
partner's feedback are shown with the event that recorded them; an entry struck through
stays, with who struck it and why. Entries are in the order they happened.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload, lazyload, selectinload

from ..access import owns_or_leads
from ..extensions import DbSession
from ..models import (
    Conversation,
    MonitoringAnswer,
    Need,
    Referral,
    Signal,
    TimelineEvent,
    User,
)
from .corrections import may_strike


@dataclass
class FeedItem:
    event: TimelineEvent
    # Set when the entry was recorded at another moment than it happened.
    recorded_at: datetime | None
    # For entries recorded by their day alone (a partner referral), the time means nothing.
    day_only: bool
    note: str | None = None
    conversation: Conversation | None = None
    signals: list[Signal] = field(default_factory=list)
    strikable: bool = False

    @property
    def moment(self) -> datetime:
        return self.event.moment


# Who did what is shown by name: the users' roles are not read for it.
NAME_ONLY = lazyload(User.role_rows)


def feed_events(session: DbSession, referral_id: int) -> list[TimelineEvent]:
    """The file's events with what the feed shows of each, in one query."""
    return list(
        session.scalars(
            select(TimelineEvent)
            .options(
                joinedload(TimelineEvent.actor).options(NAME_ONLY),
                joinedload(TimelineEvent.struck_by).options(NAME_ONLY),
                joinedload(TimelineEvent.contact_attempt),
            )
            .where(TimelineEvent.referral_id == referral_id)
            .order_by(TimelineEvent.at, TimelineEvent.id)
        )
    )


def file_conversations(session: DbSession, referral_id: int) -> list[Conversation]:
    """The file's conversation records with all the page and the feed show of them."""
    return list(
        session.scalars(
            select(Conversation)
            .options(
                selectinload(Conversation.themes),
                selectinload(Conversation.answers).joinedload(MonitoringAnswer.parameter),
                selectinload(Conversation.needs).joinedload(Need.category),
                selectinload(Conversation.revisions),
                joinedload(Conversation.corrected_by).options(NAME_ONLY),
            )
            .where(Conversation.referral_id == referral_id)
            .order_by(Conversation.held_on, Conversation.id)
        )
    )


def file_signals(session: DbSession, referral_id: int) -> list[Signal]:
    return list(
        session.scalars(
            select(Signal)
            .options(joinedload(Signal.theme))
            .where(Signal.referral_id == referral_id)
            .order_by(Signal.id)
        )
    )


def build_feed(
    referral: Referral,
    user: User,
    events: list[TimelineEvent],
    conversations: list[Conversation],
    signals: list[Signal],
) -> list[FeedItem]:
    """The feed of one file as `user` sees it, oldest first; `events` from feed_events,
    the conversations and signals from file_conversations and file_signals."""
    conversation_at = {c.recorded_at: c for c in conversations}
    signals_at: dict[datetime, list[Signal]] = {}
    for signal in signals:
        signals_at.setdefault(signal.created_at, []).append(signal)
    may_correct = owns_or_leads(user, referral)
    items = []
    for event in events:
        item = FeedItem(
            event=event,
            recorded_at=event.at if event.happened_at and event.happened_at != event.at else None,
            day_only=event.kind == "partner_referral",
            note=event.contact_attempt.note if event.contact_attempt else None,
            strikable=may_correct and may_strike(event),
        )
        if event.kind == "conversation_recorded":
            item.conversation = conversation_at.get(event.at)
            item.signals = signals_at.get(event.at, [])
        items.append(item)
    items.sort(key=lambda i: (i.moment, i.event.id))
    return items
