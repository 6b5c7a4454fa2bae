"""The signal register: needs and gaps reported upward, until policy answers them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from ..extensions import DbSession
from ..models import Signal, SignalStatus, User
from ..notifications import records as notifications
from ..referrals.lifecycle import TransitionRefused


def register_statement(municipality_ids: Iterable[int], status: str = "") -> Select[Signal]:
    """The signals of these municipalities, newest first; one status, or all when none is given."""
    stmt = (
        select(Signal)
        .options(joinedload(Signal.theme), joinedload(Signal.created_by))
        .where(Signal.municipality_id.in_(list(municipality_ids) or [-1]))
        .order_by(Signal.created_at.desc(), Signal.id.desc())
    )
    if status in {s.value for s in SignalStatus}:
        stmt = stmt.where(Signal.status == status)
    return stmt


def update_signal(
    session: DbSession,
    signal: Signal,
    actor: User,
    status: SignalStatus,
    answer: str | None,
    at: datetime,
) -> None:
    """Move a signal along; an answered signal carries the answer, and its raiser hears it."""
    answer = (answer or "").strip() or None
    if status is SignalStatus.ANSWERED and not answer:
        raise TransitionRefused(_l("Noteer het antwoord van het beleid."))
    news = status is SignalStatus.ANSWERED and (
        signal.status != SignalStatus.ANSWERED or signal.answer != answer
    )
    signal.status = status
    signal.answer = answer
    if news:
        notifications.signal_answered(session, signal, actor, at)
