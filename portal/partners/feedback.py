"""The toeleider's word to the partner who referred: did the person arrive, and a message."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..access import may_give_partner_feedback
from ..extensions import DbSession
from ..models import PartnerFeedback, Referral, User
from ..referrals.lifecycle import TransitionRefused, count_as_change, record_event

MESSAGE_MAX = 500
# How the form and the timeline name the three answers.
ARRIVED_CODES: dict[str, bool | None] = {"yes": True, "no": False, "unknown": None}


def arrived_code(arrived: bool | None) -> str:
    return next(code for code, value in ARRIVED_CODES.items() if value is arrived)


def give_feedback(
    session: DbSession,
    referral: Referral,
    actor: User,
    at: datetime,
    *,
    arrived: bool | None,
    message: str,
) -> PartnerFeedback:
    """Record feedback for the referring partner, on the file's timeline too; caller commits."""
    if not may_give_partner_feedback(actor, referral):
        raise TransitionRefused(
            _l("Alleen de toeleider of een teamverantwoordelijke van dit dossier kan dit.")
        )
    text = message.strip()[:MESSAGE_MAX]
    feedback = PartnerFeedback(
        referral_id=referral.id, author_id=actor.id, arrived=arrived, message=text, created_at=at
    )
    session.add(feedback)
    record_event(
        session, referral, actor, at, "partner_feedback", f"{arrived_code(arrived)}: {text}"
    )
    count_as_change(referral)
    session.flush()
    return feedback


def feedback_for(
    session: DbSession, referral_ids: Iterable[int]
) -> dict[int, list[PartnerFeedback]]:
    """The feedback given on these referrals, oldest first, by referral."""
    ids = list(referral_ids)
    found: dict[int, list[PartnerFeedback]] = {i: [] for i in ids}
    if not ids:
        return found
    for item in session.scalars(
        select(PartnerFeedback)
        .where(PartnerFeedback.referral_id.in_(ids))
        .order_by(PartnerFeedback.created_at, PartnerFeedback.id)
    ):
        found[item.referral_id].append(item)
    return found
