"""The lifecycle of a referral: every transition is one function here.

Each checks the current state and the actor's right to make the move, changes the referral,
and writes a timeline event with who, when and why. An illegal move raises TransitionRefused
with a Dutch message for the person who tried it. Callers commit.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from ..access import is_lead_for, may_claim, owns_or_leads, works_in
from ..agenda.booking import (
    MAX_MINUTES,
    MIN_MINUTES,
    absent_on,
    lock_agenda,
    overlapping,
    within_availability,
)
from ..labels import state_label
from ..models import (
    UNREACHED_OUTCOMES,
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    ClosingOutcome,
    ContactAttempt,
    ContactChannel,
    ContactOutcome,
    Conversation,
    MonitoringAnswer,
    Need,
    PlaceStatus,
    ProgrammePlace,
    Referral,
    ReferralState,
    Role,
    Signal,
    Theme,
    TimelineEvent,
    User,
)
from ..settings import QueueWeights, get_int, queue_weights
from .channels import channel_for

S = ReferralState
# Conversations happen in working hours; a 03:00 appointment is a typing error.
EARLIEST_HOUR, LATEST_HOUR = 7, 21


class TransitionRefused(Exception):
    """The move is not possible now, or not for this person; the message says why."""

    def __init__(self, message: object):
        super().__init__(str(message))
        self.message = str(message)


class NeedsConfirmation(TransitionRefused):
    """Possible, but unusual: the same request with the confirmation goes through."""


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


def record_event(
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


def require_state(referral: Referral, *allowed: ReferralState) -> None:
    if referral.state not in {s.value for s in allowed}:
        raise TransitionRefused(
            _l(
                "Dit kan niet meer: de doorverwijzing is nu '%(state)s'.",
                state=state_label(referral.state),
            )
        )


def require_worker(referral: Referral, actor: User) -> None:
    """The owner, or a lead of the referral's municipality, may work on an open file."""
    if owns_or_leads(actor, referral):
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
    record_event(session, referral, actor, at, "registered", from_state="", detail=None)


def claim(session: Session, referral_id: int, actor: User, at: datetime) -> Referral:
    """Take a new referral from the queue. Of two claims at once exactly one wins."""
    referral = session.get(Referral, referral_id)
    if referral is None:
        raise TransitionRefused(_l("Deze doorverwijzing bestaat niet (meer)."))
    if not may_claim(actor, referral):
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
    record_event(session, referral, actor, at, "claimed", from_state=S.NEW.value)
    return referral


def unclaim(
    session: Session, referral: Referral, actor: User, reason: str | None, at: datetime
) -> None:
    """Give a referral back to the queue, with a reason."""
    require_state(referral, S.CLAIMED, S.CONTACTED)
    require_worker(referral, actor)
    reason = _require_reason(reason)
    before = referral.state
    referral.state = S.NEW.value
    referral.owner_id = None
    referral.claimed_at = None
    record_event(session, referral, actor, at, "unclaimed", reason, from_state=before)


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
    record_event(session, referral, actor, at, "reassigned", detail, from_state=before)


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
    require_state(referral, S.CLAIMED, S.CONTACTED, S.SCHEDULED, S.HELD, S.FOLLOWING_UP)
    require_worker(referral, actor)
    attempt = ContactAttempt(
        referral_id=referral.id,
        at=at,
        actor_id=actor.id,
        channel=channel.value,
        outcome=outcome.value,
        note=(note or "").strip() or None,
        kpi_channel_id=channel_for(session, referral, actor),
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
    record_event(
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
        # Whoever withdrew their agreement to be contacted gets no invitation letter.
        and referral.consent_withdrawn_at is None
    ):
        referral.needs_letter = True
        record_event(
            session, referral, actor, at, "letter_needed", str(referral.unreached_attempts)
        )
    return attempt


def record_answer_to_offer(
    session: Session, referral: Referral, actor: User, accepted: bool, at: datetime
) -> None:
    """Whether the person accepted or declined the offer of a welcome conversation."""
    require_state(referral, S.CLAIMED, S.CONTACTED, S.SCHEDULED)
    require_worker(referral, actor)
    referral.conversation_accepted = accepted
    record_event(session, referral, actor, at, "offer_accepted" if accepted else "offer_declined")


def mark_letter_sent(session: Session, referral: Referral, actor: User, at: datetime) -> None:
    """The invitation letter went out; the referral leaves the letter list."""
    require_worker(referral, actor)
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
            kpi_channel_id=channel_for(session, referral, actor),
        )
    )
    record_event(session, referral, actor, at, "letter_sent")


def close(
    session: Session,
    referral: Referral,
    actor: User,
    outcome: ClosingOutcome | None,
    note: str | None,
    at: datetime,
) -> int:
    """Close an open referral; an outcome is required. Returns the programme places freed."""
    if referral.state == S.CLOSED.value:
        raise TransitionRefused(_l("Deze doorverwijzing is al afgesloten."))
    if referral.state == S.NEW.value:
        if not is_lead_for(actor, referral.municipality_id):
            raise TransitionRefused(
                _l("Neem de persoon eerst op, of vraag het aan een teamverantwoordelijke.")
            )
    else:
        require_worker(referral, actor)
    if outcome is None:
        raise TransitionRefused(_l("Kies een resultaat om af te sluiten."))
    before = referral.state
    referral.state = S.CLOSED.value
    referral.outcome = outcome.value
    referral.closed_at = at
    referral.needs_letter = False
    detail = outcome.value + (f": {note.strip()}" if note and note.strip() else "")
    record_event(session, referral, actor, at, "closed", detail, from_state=before)
    return _release_places(session, referral, actor, at)


def _release_places(session: Session, referral: Referral, actor: User, at: datetime) -> int:
    """A closed file gives up its programme places and waiting-list spots."""
    places = session.scalars(
        select(ProgrammePlace)
        .options(joinedload(ProgrammePlace.programme))
        .where(
            ProgrammePlace.referral_id == referral.id,
            ProgrammePlace.status.in_([PlaceStatus.WAITING.value, PlaceStatus.ENROLLED.value]),
        )
    ).all()
    for place in places:
        place.status = PlaceStatus.LEFT.value
        place.left_at = at
        record_event(session, referral, actor, at, "programme_left", place.programme.name)
    return len(places)


def timeline(session: Session, referral: Referral) -> list[TimelineEvent]:
    """Every event of a referral, oldest first, with the people who made them."""
    stmt = (
        select(TimelineEvent)
        .options(joinedload(TimelineEvent.actor))
        .where(TimelineEvent.referral_id == referral.id)
        .order_by(TimelineEvent.at, TimelineEvent.id)
    )
    return list(session.scalars(stmt))


# Appointments ---------------------------------------------------------------------------


def _check_slot(
    session: Session,
    toeleider: User,
    starts_at: datetime,
    minutes: int,
    at: datetime,
    except_id: int | None = None,
    confirmed_outside: bool = False,
) -> datetime:
    if not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise TransitionRefused(
            _l("Een gesprek duurt tussen %(a)d en %(b)d minuten.", a=MIN_MINUTES, b=MAX_MINUTES)
        )
    if starts_at <= at:
        raise TransitionRefused(_l("Kies een moment in de toekomst."))
    if starts_at > at + timedelta(days=366):
        raise TransitionRefused(_l("Plan hoogstens een jaar vooruit."))
    ends_at = starts_at + timedelta(minutes=minutes)
    if starts_at.hour < EARLIEST_HOUR or ends_at > starts_at.replace(hour=LATEST_HOUR, minute=0):
        raise TransitionRefused(
            _l("Plan tussen %(a)d en %(b)d uur.", a=EARLIEST_HOUR, b=LATEST_HOUR)
        )
    lock_agenda(session, toeleider.id)
    if absent_on(session, toeleider.id, starts_at.date()):
        raise TransitionRefused(_l("%(name)s is die dag afwezig.", name=toeleider.full_name))
    clash = overlapping(session, toeleider.id, starts_at, ends_at, except_id)
    if clash is not None:
        raise TransitionRefused(
            _l(
                "Dubbele boeking: %(name)s heeft dan al een afspraak (%(start)s–%(end)s).",
                name=toeleider.full_name,
                start=clash.starts_at.strftime("%d/%m %H:%M"),
                end=clash.ends_at.strftime("%H:%M"),
            )
        )
    if not confirmed_outside and not within_availability(session, toeleider.id, starts_at, ends_at):
        raise NeedsConfirmation(
            _l(
                "%(name)s is dan niet beschikbaar voor gesprekken. Bevestig om toch in te plannen.",
                name=toeleider.full_name,
            )
        )
    return ends_at


def schedule_conversation(
    session: Session,
    referral: Referral,
    actor: User,
    toeleider: User,
    starts_at: datetime,
    minutes: int,
    place: str,
    interpreter_needed: bool,
    at: datetime,
    confirmed_outside: bool = False,
) -> Appointment:
    """Plan the welcome or integration conversation; a desk may book one at intake.

    A moment outside the toeleider's weekly availability needs `confirmed_outside`.
    """
    if referral.state == S.NEW.value:
        # At the desk: the resident leaves with an appointment, and the file goes to that
        # toeleider straight away.
        if not (actor.has_role(Role.DESK) or is_lead_for(actor, referral.municipality_id)):
            raise TransitionRefused(_l("Neem de persoon eerst op."))
    else:
        require_state(referral, S.CLAIMED, S.CONTACTED)
        require_worker(referral, actor)
        if toeleider.id != referral.owner_id and not is_lead_for(actor, referral.municipality_id):
            raise TransitionRefused(_l("Plan het gesprek in de eigen agenda."))
    if not (
        toeleider.active
        and toeleider.has_role(Role.TOELEIDER)
        and works_in(toeleider, referral.municipality_id)
    ):
        raise TransitionRefused(_l("Kies een actieve toeleider van deze gemeente."))
    if not (place or "").strip():
        raise TransitionRefused(_l("Geef een plaats op."))
    ends_at = _check_slot(
        session, toeleider, starts_at, minutes, at, confirmed_outside=confirmed_outside
    )
    appointment = Appointment(
        referral=referral,
        toeleider=toeleider,
        kind=(
            AppointmentKind.WELCOME if referral.is_newcomer else AppointmentKind.INTEGRATION
        ).value,
        starts_at=starts_at,
        ends_at=ends_at,
        place=place.strip(),
        interpreter_needed=interpreter_needed,
        status=AppointmentStatus.PLANNED.value,
        created_by_id=actor.id,
        created_at=at,
        kpi_channel_id=channel_for(session, referral, toeleider),
    )
    session.add(appointment)
    before = referral.state
    if referral.state == S.NEW.value:
        referral.owner_id = toeleider.id
        referral.claimed_at = at
        # Booked in person at the desk: that is how this resident was reached.
        session.add(
            ContactAttempt(
                referral=referral,
                at=at,
                actor_id=actor.id,
                channel=ContactChannel.DESK.value,
                outcome=ContactOutcome.REACHED.value,
                note=None,
                # The toeleider on desk duty reached the person, not the desk worker.
                kpi_channel_id=channel_for(session, referral, toeleider),
            )
        )
    referral.state = S.SCHEDULED.value
    referral.conversation_accepted = True
    record_event(
        session,
        referral,
        actor,
        at,
        "scheduled",
        f"{starts_at:%d/%m/%Y %H:%M}, {minutes} min, {place.strip()} · {toeleider.full_name}",
        from_state=before,
    )
    return appointment


def _planned(appointment: Appointment) -> None:
    if appointment.status != AppointmentStatus.PLANNED.value:
        raise TransitionRefused(_l("Deze afspraak is niet meer gepland."))


def conversation_held(
    session: Session, appointment: Appointment, actor: User, at: datetime
) -> None:
    referral = appointment.referral
    _planned(appointment)
    require_state(referral, S.SCHEDULED)
    require_worker(referral, actor)
    if appointment.starts_at > at:
        raise TransitionRefused(_l("Dit gesprek is nog niet begonnen."))
    appointment.status = AppointmentStatus.HELD.value
    referral.state = S.HELD.value
    record_event(session, referral, actor, at, "conversation_held", from_state=S.SCHEDULED.value)


def no_show(session: Session, appointment: Appointment, actor: User, at: datetime) -> None:
    """The person did not come: the file goes back to 'contacted' to plan again."""
    referral = appointment.referral
    _planned(appointment)
    require_state(referral, S.SCHEDULED)
    require_worker(referral, actor)
    appointment.status = AppointmentStatus.NO_SHOW.value
    referral.state = S.CONTACTED.value
    record_event(session, referral, actor, at, "no_show", from_state=S.SCHEDULED.value)


def cancel_appointment(
    session: Session, appointment: Appointment, actor: User, reason: str | None, at: datetime
) -> None:
    referral = appointment.referral
    _planned(appointment)
    require_worker(referral, actor)
    reason = _require_reason(reason)
    appointment.status = AppointmentStatus.CANCELLED.value
    before = referral.state
    if referral.state == S.SCHEDULED.value:
        referral.state = S.CONTACTED.value
    record_event(session, referral, actor, at, "appointment_cancelled", reason, from_state=before)


def reschedule(
    session: Session,
    appointment: Appointment,
    actor: User,
    starts_at: datetime,
    minutes: int,
    place: str,
    at: datetime,
    confirmed_outside: bool = False,
) -> Appointment:
    """Move a planned conversation; the old appointment stays on record as rescheduled."""
    referral = appointment.referral
    _planned(appointment)
    require_worker(referral, actor)
    if not (place or "").strip():
        raise TransitionRefused(_l("Geef een plaats op."))
    ends_at = _check_slot(
        session,
        appointment.toeleider,
        starts_at,
        minutes,
        at,
        appointment.id,
        confirmed_outside=confirmed_outside,
    )
    appointment.status = AppointmentStatus.RESCHEDULED.value
    moved = Appointment(
        referral=referral,
        toeleider=appointment.toeleider,
        kind=appointment.kind,
        starts_at=starts_at,
        ends_at=ends_at,
        place=place.strip(),
        interpreter_needed=appointment.interpreter_needed,
        status=AppointmentStatus.PLANNED.value,
        created_by_id=actor.id,
        created_at=at,
        kpi_channel_id=appointment.kpi_channel_id,
    )
    session.add(moved)
    record_event(
        session,
        referral,
        actor,
        at,
        "rescheduled",
        f"{appointment.starts_at:%d/%m %H:%M} → {starts_at:%d/%m/%Y %H:%M}, {place.strip()}",
    )
    return moved


# The conversation record ----------------------------------------------------------------


def record_conversation(
    session: Session,
    referral: Referral,
    actor: User,
    *,
    held_on: date,
    themes: list[Theme],
    answers: dict[int, str],
    needs: list[tuple[int, str | None]],
    signals: list[tuple[int, str]],
    notes: str | None,
    at: datetime,
) -> Conversation:
    """Record what the held conversation covered; the file moves on to follow-up."""
    require_state(referral, S.HELD)
    require_worker(referral, actor)
    if not themes:
        raise TransitionRefused(_l("Kies minstens één thema dat aan bod kwam."))
    if held_on > at.date():
        raise TransitionRefused(_l("Een gesprek kan niet in de toekomst gehouden zijn."))
    held = session.scalars(
        select(Appointment)
        .where(
            Appointment.referral_id == referral.id,
            Appointment.status == AppointmentStatus.HELD.value,
        )
        .order_by(Appointment.starts_at.desc())
    ).first()
    conversation = Conversation(
        referral_id=referral.id,
        appointment_id=held.id if held else None,
        held_on=held_on,
        notes=(notes or "").strip() or None,
        recorded_by_id=actor.id,
        recorded_at=at,
        themes=list(themes),
        answers=[MonitoringAnswer(parameter_id=pid, value=v) for pid, v in answers.items()],
        needs=[Need(category_id=cid, description=(d or "").strip() or None) for cid, d in needs],
    )
    session.add(conversation)
    for theme_id, description in signals:
        session.add(
            Signal(
                referral_id=referral.id,
                municipality_id=referral.municipality_id,
                theme_id=theme_id,
                description=description.strip(),
                created_by_id=actor.id,
                created_at=at,
            )
        )
    referral.state = S.FOLLOWING_UP.value
    detail = ", ".join(t.name for t in themes)
    if signals:
        detail += " · " + ngettext("%(num)d signaal", "%(num)d signalen", len(signals))
    record_event(
        session, referral, actor, at, "conversation_recorded", detail, from_state=S.HELD.value
    )
    return conversation


def reprioritise_queue(session: Session) -> int:
    """After the weights change, recompute the order of the referrals waiting in the queue."""
    weights = queue_weights(session)
    waiting = session.scalars(select(Referral).where(Referral.state == S.NEW.value)).all()
    for referral in waiting:
        referral.priority_at = priority_at(referral.created_at, referral, weights)
    return len(waiting)
