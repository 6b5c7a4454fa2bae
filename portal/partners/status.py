"""What a referring partner is told of a referral's progress: four plain words, nothing more."""

from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l

from ..models import ReferralState


class PlainStatus(enum.StrEnum):
    WAITING = "waiting"
    CONTACTED = "contacted"
    CONVERSATION_HELD = "conversation_held"
    CLOSED = "closed"


# Every lifecycle state says one plain status; a new state must choose one here.
PLAIN_STATUS: dict[ReferralState, PlainStatus] = {
    ReferralState.NEW: PlainStatus.WAITING,
    ReferralState.CLAIMED: PlainStatus.WAITING,
    ReferralState.CONTACTED: PlainStatus.CONTACTED,
    ReferralState.SCHEDULED: PlainStatus.CONTACTED,
    ReferralState.HELD: PlainStatus.CONVERSATION_HELD,
    ReferralState.FOLLOWING_UP: PlainStatus.CONVERSATION_HELD,
    ReferralState.CLOSED: PlainStatus.CLOSED,
}

PLAIN_STATUS_LABELS = {
    PlainStatus.WAITING: _l("wacht"),
    PlainStatus.CONTACTED: _l("gecontacteerd"),
    PlainStatus.CONVERSATION_HELD: _l("gesprek gehouden"),
    PlainStatus.CLOSED: _l("afgesloten"),
}


def plain_status(state: ReferralState | str) -> PlainStatus:
    """The partner's word for a lifecycle state."""
    return PLAIN_STATUS[ReferralState(state)]


def plain_status_label(state: ReferralState | str) -> str:
    return str(PLAIN_STATUS_LABELS[plain_status(state)])
