"""Interpreters for conversations: asked for when planning, confirmed by the service, cancelled.

One request per calendar event (models.InterpreterRequest). A moved appointment takes its
request along to its new row; a cancelled appointment cancels it. Every change is written on
the file's timeline with the interpreting service's reference, so that the toeleider knows
what to tell the service. Callers commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..agenda.booking import MAX_MINUTES
from ..extensions import DbSession
from ..labels import interpreter_summary
from ..languages import by_shown_name
from ..models import (
    Appointment,
    AppointmentStatus,
    InterpreterMode,
    InterpreterRequest,
    InterpreterStatus,
    Language,
    User,
)
from .lifecycle import Action, TransitionRefused, check, count_as_change, record_event

QUARTER = 15
# A conversation that took place may still get the service's answer and reference (its
# invoice quotes them); a new request only makes sense for one still to come.
SETTLED = (AppointmentStatus.HELD, AppointmentStatus.NO_SHOW)
REFERENCE_MAX = 60


@dataclass(frozen=True)
class InterpreterWish:
    """An interpreter asked for while planning: in which language, and how they take part."""

    language_code: str | None = None  # None: the referral's contact language
    mode: InterpreterMode = InterpreterMode.ON_SITE


def quarters(minutes: int) -> int:
    """Minutes rounded up to whole quarters of an hour, the unit interpreters are booked in."""
    return -(-minutes // QUARTER) * QUARTER


def changeable(appointment: Appointment) -> bool:
    """Whether the interpreter of this appointment can still be asked for or updated."""
    if appointment.status == AppointmentStatus.PLANNED:
        return True
    return appointment.status in SETTLED and appointment.interpreter is not None


def _language(session: DbSession, code: str | None, current: str | None = None) -> Language:
    """An active language, or the one already asked for."""
    language = session.get(Language, code) if code else None
    if language is None or not (language.active or language.code == current):
        raise TransitionRefused(_l("Kies de taal van de tolk."))
    return language


def _detail(request: InterpreterRequest, appointment: Appointment, note: object = None) -> str:
    """What the timeline shows: the appointment, the language and how, the reference."""
    parts = [
        f"{appointment.starts_at:%d/%m/%Y %H:%M}",
        interpreter_summary(request, with_status=False),
        f"{request.minutes} min",
    ]
    if request.service_reference:
        parts.append(str(_l("referentie %(ref)s", ref=request.service_reference)))
    if note is not None:
        parts.append(str(note))
    return " · ".join(parts)


def _event(
    session: DbSession,
    request: InterpreterRequest,
    appointment: Appointment,
    kind: str,
    actor: User,
    at: datetime,
    note: object = None,
) -> None:
    record_event(
        session, appointment.referral, actor, at, kind, _detail(request, appointment, note)
    )


def ask_for(
    session: DbSession,
    appointment: Appointment,
    wish: InterpreterWish,
    actor: User,
    at: datetime,
) -> InterpreterRequest:
    """An interpreter for a conversation being planned, for the whole of it."""
    referral = appointment.referral
    language = _language(session, wish.language_code or referral.contact_language_code)
    request = InterpreterRequest(
        appointment=appointment,
        # Both, so that the timeline can name the language before the request is written.
        language=language,
        language_code=language.code,
        mode=InterpreterMode(wish.mode),
        status=InterpreterStatus.REQUESTED,
        minutes=quarters(appointment.duration_minutes),
        created_by_id=actor.id,
        created_at=at,
        updated_by_id=actor.id,
        updated_at=at,
    )
    session.add(request)
    _event(session, request, appointment, "interpreter_requested", actor, at)
    return request


def change(
    session: DbSession,
    appointment: Appointment,
    actor: User,
    at: datetime,
    *,
    language_code: str | None,
    mode: InterpreterMode,
    status: InterpreterStatus,
    service_reference: str | None,
    minutes: int | None,
) -> InterpreterRequest:
    """The toeleider's form on the file: ask for an interpreter, note the service's answer
    and reference, change the language, how or how long, or cancel."""
    referral = appointment.referral
    check(Action.CHANGE_APPOINTMENT, referral, actor)
    request = appointment.interpreter_request
    asking = request is None or (
        request.status == InterpreterStatus.CANCELLED and status != InterpreterStatus.CANCELLED
    )
    if not changeable(appointment):
        raise TransitionRefused(_l("Voor deze afspraak kan geen tolk meer aangevraagd worden."))
    if request is None and status == InterpreterStatus.CANCELLED:
        raise TransitionRefused(_l("Voor deze afspraak is geen tolk aangevraagd."))
    minutes = minutes or quarters(appointment.duration_minutes)
    if minutes % QUARTER or not QUARTER <= minutes <= MAX_MINUTES:
        raise TransitionRefused(
            _l(
                "De tolk komt per kwartier, tussen %(a)d en %(b)d minuten.",
                a=QUARTER,
                b=MAX_MINUTES,
            )
        )
    reference = (service_reference or "").strip()[:REFERENCE_MAX] or None
    language = _language(session, language_code, request.language_code if request else None)
    if request is None:
        request = InterpreterRequest(appointment=appointment, created_by_id=actor.id, created_at=at)
        session.add(request)
        before = None
    else:
        before = (
            request.language_code,
            request.mode,
            request.status,
            request.service_reference,
            request.minutes,
        )
    request.language = language
    request.language_code = language.code
    request.mode = InterpreterMode(mode)
    request.status = InterpreterStatus(status)
    request.service_reference = reference
    request.minutes = minutes
    after = (request.language_code, request.mode, request.status, reference, minutes)
    if after == before:
        return request
    request.updated_by_id = actor.id
    request.updated_at = at
    count_as_change(referral)
    if request.status == InterpreterStatus.CANCELLED:
        kind = "interpreter_cancelled"
    elif request.status == InterpreterStatus.CONFIRMED and (
        before is None or before[2] != InterpreterStatus.CONFIRMED
    ):
        kind = "interpreter_confirmed"
    elif asking:
        kind = "interpreter_requested"
    else:
        kind = "interpreter_changed"
    _event(session, request, appointment, kind, actor, at)
    return request


def move_along(
    session: DbSession, old: Appointment, moved: Appointment, actor: User, at: datetime
) -> None:
    """The interpreter of a moved appointment moves with it, to be confirmed again: the
    service confirmed the old moment, not the new one."""
    request = old.interpreter
    if request is None:
        return
    if request.minutes == quarters(old.duration_minutes):
        request.minutes = quarters(moved.duration_minutes)
    note = None
    if request.status == InterpreterStatus.CONFIRMED:
        request.status = InterpreterStatus.REQUESTED
        note = _l("vraag het nieuwe moment opnieuw bij de tolkendienst")
    request.appointment = moved
    request.updated_by_id = actor.id
    request.updated_at = at
    _event(session, request, moved, "interpreter_moved", actor, at, note)


def cancel_with(session: DbSession, appointment: Appointment, actor: User, at: datetime) -> None:
    """The appointment is cancelled, and with it its interpreter."""
    request = appointment.interpreter
    if request is None:
        return
    request.status = InterpreterStatus.CANCELLED
    request.updated_by_id = actor.id
    request.updated_at = at
    note = _l("annuleer bij de tolkendienst") if request.service_reference else None
    _event(session, request, appointment, "interpreter_cancelled", actor, at, note)


def language_choices(session: DbSession) -> list[tuple[str, str]]:
    """The languages an interpreter can be asked for, by their names in the page's language:
    the active ones."""
    return by_shown_name(
        session.execute(select(Language.code, Language.name).where(Language.active.is_(True)))
    )
