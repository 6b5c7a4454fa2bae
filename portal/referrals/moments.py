"""Work recorded after the fact: the moment it happened, and conversations held on the spot.

An attempt, a walk-in conversation and a partner referral may be recorded with the moment it
happened: not in the future, not before the referral was registered, and at most a number of
days back (the setting 'backdating_max_days'). The reports count that moment; the timeline
shows it next to the moment it was recorded.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from ..agenda.booking import MAX_MINUTES, MIN_MINUTES
from ..extensions import DbSession
from ..models import (
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    ContactAttempt,
    ContactChannel,
    ContactOutcome,
    Conversation,
    Referral,
    ReferralState,
    Theme,
    User,
)
from ..settings import get_int
from . import lifecycle
from .channels import channels_for
from .lifecycle import Action, TransitionRefused

S = ReferralState


def max_days_back(session: DbSession) -> int:
    return get_int(session, "backdating_max_days")


def check_moment(
    session: DbSession, referral: Referral, happened_at: datetime, at: datetime
) -> None:
    """Refuse a moment in the future, before the referral, or further back than allowed."""
    if happened_at > at:
        raise TransitionRefused(_l("Dit moment ligt in de toekomst."))
    if happened_at < referral.created_at:
        raise TransitionRefused(
            _l(
                "Dit moment ligt vóór de registratie van de doorverwijzing (%(when)s).",
                when=f"{referral.created_at:%d/%m/%Y %H:%M}",
            )
        )
    check_day(session, referral, happened_at.date(), at)


def check_day(session: DbSession, referral: Referral, day: date, at: datetime) -> None:
    """The same rule for something recorded by its day alone."""
    days = max_days_back(session)
    if day > at.date():
        raise TransitionRefused(_l("Deze datum ligt in de toekomst."))
    if day < referral.created_at.date():
        raise TransitionRefused(
            _l(
                "Deze datum ligt vóór de registratie van de doorverwijzing (%(when)s).",
                when=f"{referral.created_at:%d/%m/%Y}",
            )
        )
    if day < at.date() - timedelta(days=days):
        raise TransitionRefused(
            ngettext(
                "Achteraf registreren kan hoogstens %(num)d dag terug.",
                "Achteraf registreren kan hoogstens %(num)d dagen terug.",
                days,
            )
        )


def record_walk_in(
    session: DbSession,
    referral: Referral,
    actor: User,
    *,
    happened_at: datetime,
    minutes: int,
    place: str,
    themes: list[Theme],
    answers: dict[int, str],
    needs: list[tuple[int, str | None]],
    signals: list[tuple[int, str]],
    notes: str | None,
    at: datetime,
) -> Conversation:
    """A conversation held on the spot (a walk-in at desk duty), with no appointment before.

    The person was reached at the desk and the conversation held at `happened_at`: the
    reports count both on that moment, as if the toeleider had recorded them then.
    """
    lifecycle.check(Action.WALK_IN, referral, actor)
    check_moment(session, referral, happened_at, at)
    if not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise TransitionRefused(
            _l("Een gesprek duurt tussen %(a)d en %(b)d minuten.", a=MIN_MINUTES, b=MAX_MINUTES)
        )
    place = (place or "").strip()
    if not place:
        raise TransitionRefused(_l("Geef een plaats op."))
    if not themes:
        raise TransitionRefused(_l("Kies minstens één thema dat aan bod kwam."))
    if referral.state == S.NEW:
        lifecycle.claim(session, referral.id, actor, at)
    toeleider = referral.owner or actor
    channels = channels_for(session, referral, toeleider)
    attempt = ContactAttempt(
        referral_id=referral.id,
        at=happened_at,
        recorded_at=at,
        actor_id=actor.id,
        channel=ContactChannel.DESK,
        outcome=ContactOutcome.REACHED,
        note=None,
        **channels,
    )
    session.add(attempt)
    session.add(
        Appointment(
            referral=referral,
            toeleider=toeleider,
            kind=(
                AppointmentKind.WELCOME if referral.is_newcomer else AppointmentKind.INTEGRATION
            ).value,
            starts_at=happened_at,
            ends_at=happened_at + timedelta(minutes=minutes),
            place=place,
            status=AppointmentStatus.HELD,
            created_by_id=actor.id,
            created_at=at,
            **channels,
        )
    )
    before = referral.state
    referral.state = S.HELD
    referral.needs_letter = False
    referral.conversation_accepted = True
    event = lifecycle.record_event(
        session, referral, actor, at, "walk_in_held", f"{minutes} min, {place}", from_state=before
    )
    event.happened_at = happened_at
    event.contact_attempt = attempt
    conversation = lifecycle.record_conversation(
        session,
        referral,
        actor,
        held_on=happened_at.date(),
        themes=themes,
        answers=answers,
        needs=needs,
        signals=signals,
        notes=notes,
        at=at,
    )
    conversation.walk_in = True
    return conversation
