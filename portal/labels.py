"""Dutch labels for the values stored in English."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from .models import ReferralState, Role

STATE_LABELS = {
    ReferralState.NEW: _l("nieuw"),
    ReferralState.CLAIMED: _l("opgenomen"),
    ReferralState.CONTACTED: _l("gecontacteerd"),
    ReferralState.SCHEDULED: _l("gesprek gepland"),
    ReferralState.HELD: _l("gesprek gehouden"),
    ReferralState.FOLLOWING_UP: _l("opvolging"),
    ReferralState.CLOSED: _l("afgesloten"),
}

ROLE_LABELS = {
    Role.DESK: _l("loketmedewerker"),
    Role.TOELEIDER: _l("toeleider"),
    Role.LEAD: _l("teamverantwoordelijke"),
    Role.ADMIN: _l("beheerder"),
}


def state_label(state: str) -> str:
    return str(STATE_LABELS[ReferralState(state)])


def role_label(role: str) -> str:
    return str(ROLE_LABELS[Role(role)])
