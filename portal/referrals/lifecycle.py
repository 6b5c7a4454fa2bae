"""The lifecycle of a referral: every transition is one function here.

Each checks the current state and the actor's right to make the move, changes the referral,
and writes a timeline event with who, when and why. An illegal move raises TransitionRefused
with a Dutch message for the person who tried it. Callers commit.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from ..access import WHO_REFUSALS, Who, is_lead_for, may_act_as, may_own
from ..agenda.booking import (
    MAX_MINUTES,
    MIN_MINUTES,
    absent_on,
    lock_agenda,
    overlapping,
    within_availability,
)
from ..extensions import DbSession
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
    FollowUpTask,
    Milestone,
    MilestoneStatus,
    MonitoringAnswer,
    Need,
    PartnerReferral,
    PartnerReferralStatus,
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
from ..notifications import records as notifications
from ..settings import QueueWeights, get_int, queue_weights
from .channels import channels_for

if TYPE_CHECKING:
    from .interpreters import InterpreterWish

S = ReferralState
# Conversations happen in working hours; a 03:00 appointment is a typing error.
EARLIEST_HOUR, LATEST_HOUR = 7, 21


class Action(enum.StrEnum):
    """Every move that can be made on a file; the table below says when and by whom."""

    CLAIM = "claim"
    UNCLAIM = "unclaim"
    REASSIGN = "reassign"
    CONTACT_ATTEMPT = "contact_attempt"
    ANSWER_OFFER = "answer_offer"
    LETTER_SENT = "letter_sent"
    SCHEDULE = "schedule"
    DESK_BOOKING = "desk_booking"
    APPOINTMENT_OUTCOME = "appointment_outcome"
    CHANGE_APPOINTMENT = "change_appointment"
    RECORD_CONVERSATION = "record_conversation"
    REFER_TO_PARTNER = "refer_to_partner"
    PARTNER_FEEDBACK = "partner_feedback"
    TASK = "task"
    MILESTONE = "milestone"
    PROGRAMME = "programme"
    CLOSE = "close"
    REOPEN = "reopen"
    WALK_IN = "walk_in"
    SCHOOL = "school"
    AGII = "agii"


@dataclass(frozen=True)
class Transition:
    """One row of the table: `action` is possible in `states` for `who`.

    `refused` replaces the access policy's message for those who may not; `wrong_state`
    replaces the generic message for a file in none of the action's states.
    """

    action: Action
    states: frozenset[ReferralState]
    who: Who
    refused: object | None = None
    wrong_state: object | None = None


OPEN = frozenset(s for s in S if s is not S.CLOSED)
PICKED_UP = OPEN - {S.NEW}
AFTER_CONVERSATION = frozenset({S.HELD, S.FOLLOWING_UP})
# The person was reached (or is expected at an appointment): a partner referral may come
# before any conversation, for a family a partner brings in directly.
REACHED = frozenset({S.CONTACTED, S.SCHEDULED}) | AFTER_CONVERSATION
NOT_REACHED_YET = _l(
    "Een toeleiding kan pas als de persoon bereikt is: noteer eerst het contact waarbij u "
    "de persoon sprak."
)
NO_WALK_IN = _l(
    "Een gesprek zonder afspraak kan alleen als er nog geen gesprek gepland of gehouden is."
)
ALREADY_CLOSED = _l("Deze doorverwijzing is al afgesloten.")
CLOSED_HINT = _l(
    "Alleen de terugkoppeling van een partner kan nog; een teamverantwoordelijke kan het "
    "dossier heropenen."
)


def _row(action: Action, states: frozenset[ReferralState] | set[ReferralState], who: Who, **kw):
    return Transition(action, frozenset(states), who, **kw)


TRANSITIONS: tuple[Transition, ...] = (
    _row(Action.CLAIM, {S.NEW}, Who.TOELEIDER_HERE),
    _row(Action.UNCLAIM, {S.CLAIMED, S.CONTACTED}, Who.WORKER),
    _row(
        Action.REASSIGN,
        OPEN,
        Who.LEAD,
        refused=_l("Alleen een teamverantwoordelijke kan een doorverwijzing toewijzen."),
        wrong_state=_l("Een afgesloten doorverwijzing kan niet meer toegewezen worden."),
    ),
    _row(Action.CONTACT_ATTEMPT, PICKED_UP, Who.WORKER),
    _row(Action.ANSWER_OFFER, {S.CLAIMED, S.CONTACTED, S.SCHEDULED}, Who.WORKER),
    _row(Action.LETTER_SENT, OPEN, Who.WORKER),
    _row(Action.SCHEDULE, {S.CLAIMED, S.CONTACTED}, Who.WORKER),
    # At the desk: the resident leaves with an appointment, and the file goes to that
    # toeleider straight away.
    _row(Action.DESK_BOOKING, {S.NEW}, Who.DESK_OR_LEAD),
    _row(Action.APPOINTMENT_OUTCOME, {S.SCHEDULED}, Who.WORKER),
    _row(Action.CHANGE_APPOINTMENT, PICKED_UP, Who.WORKER),
    _row(Action.RECORD_CONVERSATION, {S.HELD}, Who.WORKER),
    _row(Action.REFER_TO_PARTNER, REACHED, Who.WORKER),
    # A partner's word that the person arrived often comes after the file was closed.
    _row(Action.PARTNER_FEEDBACK, REACHED | {S.CLOSED}, Who.WORKER),
    _row(Action.TASK, OPEN, Who.WORKER),
    _row(Action.MILESTONE, AFTER_CONVERSATION, Who.WORKER),
    _row(Action.PROGRAMME, OPEN, Who.WORKER),
    # The school follow-up of the children and the referral to Agii: while the file is open.
    _row(Action.SCHOOL, OPEN, Who.WORKER),
    _row(Action.AGII, OPEN, Who.WORKER),
    # A conversation held on the spot, without appointment (moments.py), before one was
    # planned; a toeleider on desk duty takes a new file on the spot.
    _row(Action.WALK_IN, {S.NEW}, Who.TOELEIDER_HERE, wrong_state=NO_WALK_IN),
    _row(Action.WALK_IN, {S.CLAIMED, S.CONTACTED}, Who.WORKER, wrong_state=NO_WALK_IN),
    _row(
        Action.CLOSE,
        {S.NEW},
        Who.LEAD,
        refused=_l("Neem de persoon eerst op, of vraag het aan een teamverantwoordelijke."),
        wrong_state=_l("Deze doorverwijzing is al afgesloten."),
    ),
    _row(
        Action.CLOSE, PICKED_UP, Who.WORKER, wrong_state=_l("Deze doorverwijzing is al afgesloten.")
    ),
    _row(
        Action.REOPEN,
        {S.CLOSED},
        Who.LEAD,
        refused=_l("Alleen een teamverantwoordelijke kan een dossier heropenen."),
        wrong_state=_l("Deze doorverwijzing is niet afgesloten."),
    ),
)

# The one or two moves that make sense now, first the likeliest; the file page offers
# those that the user may make at the top.
NEXT_STEPS: dict[ReferralState, tuple[Action, ...]] = {
    S.NEW: (Action.CLAIM, Action.REASSIGN),
    S.CLAIMED: (Action.CONTACT_ATTEMPT, Action.SCHEDULE),
    S.CONTACTED: (Action.SCHEDULE, Action.CONTACT_ATTEMPT),
    S.SCHEDULED: (Action.APPOINTMENT_OUTCOME,),
    S.HELD: (Action.RECORD_CONVERSATION,),
    S.FOLLOWING_UP: (Action.REFER_TO_PARTNER, Action.CLOSE),
    S.CLOSED: (Action.PARTNER_FEEDBACK, Action.REOPEN),
}


def rows_for(action: Action) -> list[Transition]:
    return [t for t in TRANSITIONS if t.action is action]


def allowed_actions(referral: Referral, user: User) -> frozenset[Action]:
    """What this user may do on this file now, by the table."""
    state = S(referral.state)
    return frozenset(
        t.action for t in TRANSITIONS if state in t.states and may_act_as(t.who, user, referral)
    )


def next_steps(referral: Referral, allowed: frozenset[Action]) -> list[Action]:
    return [a for a in NEXT_STEPS[S(referral.state)] if a in allowed][:2]


def check(action: Action, referral: Referral, actor: User, *, state: bool = True) -> None:
    """Refuse, with the reason in Dutch, a move the table does not allow now for `actor`.

    `state=False` leaves the state to the caller (a claim lets the database decide).
    """
    rows = rows_for(action)
    current = S(referral.state)
    here = [t for t in rows if current in t.states] if state else rows
    if not here:
        if rows[0].wrong_state is not None:
            raise TransitionRefused(rows[0].wrong_state)
        message = str(
            _l(
                "Dit kan niet meer: de doorverwijzing is nu '%(state)s'.",
                state=state_label(referral.state),
            )
        )
        raise TransitionRefused(f"{message} {CLOSED_HINT}" if current is S.CLOSED else message)
    if not any(may_act_as(t.who, actor, referral) for t in here):
        raise TransitionRefused(here[0].refused or WHO_REFUSALS[here[0].who])


class TransitionRefused(Exception):
    """The move is not possible now, or not for this person; the message says why."""

    def __init__(self, message: object):
        super().__init__(str(message))
        self.message = str(message)


class NeedsConfirmation(TransitionRefused):
    """Possible, but unusual: the same request with the confirmation goes through."""


class LetterAlreadySent(TransitionRefused):
    """Someone noted the invitation letter as sent a moment earlier."""


class AlreadyClaimed(TransitionRefused):
    def __init__(self, owner_name: str):
        super().__init__(_l("%(name)s heeft deze persoon al opgenomen.", name=owner_name))
        self.owner_name = owner_name


def priority_at(created_at: datetime, referral: Referral, weights: QueueWeights) -> datetime:
    """Registration time moved earlier by a number of days per indicator that weighs.

    An indicator not known (None, a referral from the population register) weighs nothing.
    """
    days = 0
    if referral.dutch_difficult:
        days += weights.dutch_difficult_days
    if referral.has_work is False:
        days += weights.no_work_days
    if referral.has_children:
        days += weights.children_days
    return created_at - timedelta(days=days)


def record_event(
    session: DbSession,
    referral: Referral,
    actor: User,
    at: datetime,
    kind: str,
    detail: str | None = None,
    from_state: ReferralState | None = None,
    *,
    entered: bool = False,
) -> TimelineEvent:
    """One entry on the file's timeline; a state change gives the state before (or, for the
    registration, `entered`: the file enters its first state) and the state after."""
    event = TimelineEvent(
        referral_id=referral.id,
        at=at,
        actor_id=actor.id,
        kind=kind,
        from_state=from_state,
        to_state=referral.state if from_state is not None or entered else None,
        detail=detail,
    )
    session.add(event)
    if from_state is S.NEW and referral.state != S.NEW:
        # Whoever was told of it as new need not look any more.
        notifications.no_longer_new(session, referral.id, at)
    return event


def count_as_change(referral: Referral) -> None:
    """A save that changes only one of the file's items still moves the file's version on.

    The version check (a form read at an older version is refused; of two saves at once the
    second's UPDATE ... WHERE version matches nothing) guards the referral's row only: without
    this, a milestone or a partner referral would change while the file's version stood still.
    """
    referral.version = referral.version + 1


def _require_reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise TransitionRefused(_l("Geef een reden."))
    return reason


def record_intake(session: DbSession, referral: Referral, actor: User, at: datetime) -> None:
    """The first event on every timeline: the desk, or a partner, registered the referral."""
    kind = "registered_by_partner" if actor.has_role(Role.PARTNER) else "registered"
    record_event(session, referral, actor, at, kind, entered=True)


def claim(session: DbSession, referral_id: int, actor: User, at: datetime) -> Referral:
    """Take a new referral from the queue. Of two claims at once exactly one wins."""
    referral = session.get(Referral, referral_id)
    if referral is None:
        raise TransitionRefused(_l("Deze doorverwijzing bestaat niet (meer)."))
    check(Action.CLAIM, referral, actor, state=False)
    # One conditional UPDATE decides: the database lets exactly one of concurrent claims
    # match 'state = new', whatever the number of processes or hosts.
    result = session.execute(
        update(Referral)
        .where(Referral.id == referral_id, Referral.state == S.NEW, Referral.owner_id.is_(None))
        .values(
            state=S.CLAIMED,
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
    record_event(session, referral, actor, at, "claimed", from_state=S.NEW)
    return referral


def unclaim(
    session: DbSession, referral: Referral, actor: User, reason: str | None, at: datetime
) -> None:
    """Give a referral back to the queue, with a reason."""
    check(Action.UNCLAIM, referral, actor)
    reason = _require_reason(reason)
    before = referral.state
    referral.state = S.NEW
    referral.owner_id = None
    referral.claimed_at = None
    record_event(session, referral, actor, at, "unclaimed", reason, from_state=before)


@dataclass
class Reassignment:
    """What reassigning a file did with its future appointments, for the confirmation."""

    appointments_moved: int = 0
    appointments_cancelled: int = 0


def reassign(
    session: DbSession,
    referral: Referral,
    actor: User,
    new_owner: User,
    reason: str | None,
    at: datetime,
    *,
    move_appointments: bool = True,
) -> Reassignment:
    """A lead gives an open referral to another toeleider of the municipality.

    The file's future appointments move to the new toeleider's agenda where they are free
    then, and are cancelled otherwise (or all, with `move_appointments=False`); their open
    tasks go along. Nothing stays behind in the old toeleider's agenda, feed or lists.
    """
    check(Action.REASSIGN, referral, actor)
    if not may_own(new_owner, referral):
        raise TransitionRefused(_l("Kies een actieve toeleider van deze gemeente."))
    reason = _require_reason(reason)
    before = referral.state
    previous = referral.owner
    referral.owner_id = new_owner.id
    if referral.state == S.NEW:
        referral.state = S.CLAIMED
        referral.claimed_at = at
    detail = f"{previous.full_name if previous else '—'} → {new_owner.full_name}: {reason}"
    record_event(session, referral, actor, at, "reassigned", detail, from_state=before)
    if previous is None or previous.id != new_owner.id:
        notifications.reassigned(session, referral, new_owner, actor, at)
    if previous is not None:
        for task in session.scalars(
            select(FollowUpTask).where(
                FollowUpTask.referral_id == referral.id,
                FollowUpTask.owner_id == previous.id,
                FollowUpTask.done_at.is_(None),
            )
        ):
            task.owner_id = new_owner.id
    future = session.scalars(
        select(Appointment)
        .where(
            Appointment.referral_id == referral.id,
            Appointment.status == AppointmentStatus.PLANNED,
            Appointment.starts_at >= at,
            Appointment.toeleider_id != new_owner.id,
        )
        .order_by(Appointment.starts_at)
    ).all()
    moved, cancelled = hand_over_appointments(
        session,
        future,
        to=new_owner if move_appointments else None,
        actor=actor,
        at=at,
        reason=reason,
    )
    return Reassignment(moved, cancelled)


def hand_over_appointments(
    session: DbSession,
    appointments: Iterable[Appointment],
    *,
    to: User | None,
    actor: User,
    at: datetime,
    reason: str,
) -> tuple[int, int]:
    """Move planned appointments to `to` where they are free then; cancel the others.

    Returns (moved, cancelled). A file whose conversation is cancelled goes back to
    'contacted', to plan again.
    """
    from . import interpreters  # it builds on this module: imported when needed

    if to is not None:
        lock_agenda(session, to.id)
    moved = cancelled = 0
    for appointment in appointments:
        referral = appointment.referral
        free = (
            to is not None
            and may_own(to, referral)
            and absent_on(session, to.id, appointment.starts_at.date()) is None
            and overlapping(session, to.id, appointment.starts_at, appointment.ends_at) is None
        )
        if free and to is not None:
            appointment.toeleider_id = to.id
            detail = f"{appointment.starts_at:%d/%m/%Y %H:%M} → {to.full_name}"
            record_event(session, referral, actor, at, "appointment_moved", detail)
            moved += 1
        else:
            appointment.cancel(at)
            before = referral.state
            if referral.state == S.SCHEDULED:
                referral.state = S.CONTACTED
            record_event(
                session, referral, actor, at, "appointment_cancelled", reason, from_state=before
            )
            interpreters.cancel_with(session, appointment, actor, at)
            cancelled += 1
        # The next appointment's overlap check must see this one in its new agenda.
        session.flush()
    return moved, cancelled


def log_contact_attempt(
    session: DbSession,
    referral: Referral,
    actor: User,
    channel: ContactChannel,
    outcome: ContactOutcome,
    note: str | None,
    at: datetime,
    happened_at: datetime | None = None,
) -> ContactAttempt:
    """Record one attempt to reach the person; the Nth unreached one asks for a letter.

    `happened_at` is the moment of an attempt recorded afterwards (see moments.py).
    """
    check(Action.CONTACT_ATTEMPT, referral, actor)
    if happened_at is not None:
        # moments.py builds on this module, so it is imported when needed.
        from .moments import check_moment

        check_moment(session, referral, happened_at, at)
    attempt = ContactAttempt(
        referral_id=referral.id,
        at=happened_at or at,
        recorded_at=at,
        actor_id=actor.id,
        channel=channel.value,
        outcome=outcome.value,
        note=(note or "").strip() or None,
        **channels_for(session, referral, actor),
    )
    session.add(attempt)
    before = referral.state
    if outcome in UNREACHED_OUTCOMES:
        referral.unreached_attempts += 1
    elif outcome in (ContactOutcome.REACHED, ContactOutcome.DECLINED):
        referral.needs_letter = False
        if referral.state == S.CLAIMED:
            referral.state = S.CONTACTED
    if outcome is ContactOutcome.DECLINED:
        referral.conversation_accepted = False
    event = record_event(
        session,
        referral,
        actor,
        at,
        "contact_attempt",
        f"{channel.value}:{outcome.value}",
        from_state=before if referral.state != before else None,
    )
    event.happened_at = happened_at
    event.contact_attempt = attempt
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
    session: DbSession, referral: Referral, actor: User, accepted: bool, at: datetime
) -> None:
    """Whether the person accepted or declined the offer of a welcome conversation."""
    check(Action.ANSWER_OFFER, referral, actor)
    referral.conversation_accepted = accepted
    record_event(session, referral, actor, at, "offer_accepted" if accepted else "offer_declined")


def mark_letter_sent(session: DbSession, referral: Referral, actor: User, at: datetime) -> None:
    """The invitation letter went out; the referral leaves the letter list."""
    check(Action.LETTER_SENT, referral, actor)
    if not referral.needs_letter:
        raise TransitionRefused(_l("Voor deze persoon staat geen brief klaar."))
    # One conditional UPDATE decides, as for a claim: of the same letter noted twice at once
    # (a double click, two colleagues), one notes it and the other is told it already was.
    noted = session.execute(
        update(Referral)
        .where(Referral.id == referral.id, Referral.needs_letter.is_(True))
        .values(needs_letter=False, version=Referral.version + 1)
        .execution_options(synchronize_session=False)
    )
    session.refresh(referral)
    if noted.rowcount != 1:  # type: ignore[attr-defined]
        raise LetterAlreadySent(_l("Deze brief werd intussen al als verstuurd genoteerd."))
    letter = ContactAttempt(
        referral_id=referral.id,
        at=at,
        recorded_at=at,
        actor_id=actor.id,
        channel=ContactChannel.LETTER,
        outcome=ContactOutcome.CALL_BACK,
        note=None,
        **channels_for(session, referral, actor),
    )
    session.add(letter)
    record_event(session, referral, actor, at, "letter_sent").contact_attempt = letter


def mark_letters_sent(
    session: DbSession, referrals: Iterable[Referral], actor: User, at: datetime
) -> tuple[int, int]:
    """Note the chosen letters as sent: how many now, and how many were noted already."""
    noted = already = 0
    for referral in referrals:
        if not referral.needs_letter:
            already += 1
            continue
        try:
            mark_letter_sent(session, referral, actor, at)
            noted += 1
        except LetterAlreadySent:
            already += 1
    return noted, already


class Settle(enum.StrEnum):
    """What becomes of an item still open when its file closes."""

    DONE = "done"  # a task done, a milestone achieved
    DROP = "drop"  # a task struck off, a milestone stopped
    AWAIT = "await"  # a partner referral waits for the partner's word, also once closed
    NOT_ARRIVED = "not_arrived"  # the person did not arrive at the partner


SETTLE_DEFAULTS = {"partner": Settle.AWAIT, "task": Settle.DROP, "milestone": Settle.DROP}
SETTLE_CHOICES = {
    "partner": (Settle.AWAIT, Settle.NOT_ARRIVED),
    "task": (Settle.DONE, Settle.DROP),
    "milestone": (Settle.DONE, Settle.DROP),
}


@dataclass
class OpenItems:
    """What is still open on a file: closing settles every one of these."""

    partner_referrals: list[PartnerReferral] = field(default_factory=list)
    tasks: list[FollowUpTask] = field(default_factory=list)
    milestones: list[Milestone] = field(default_factory=list)
    appointments: list[Appointment] = field(default_factory=list)
    places: list[ProgrammePlace] = field(default_factory=list)

    def __bool__(self) -> bool:
        return any(
            (self.partner_referrals, self.tasks, self.milestones, self.appointments, self.places)
        )

    @classmethod
    def among(
        cls,
        partner_referrals: list[PartnerReferral],
        tasks: list[FollowUpTask],
        milestones: list[Milestone],
        appointments: list[Appointment],
        places: list[ProgrammePlace],
    ) -> OpenItems:
        """The open ones among a file's items (already loaded for its page)."""
        return cls(
            [p for p in partner_referrals if p.status in PARTNER_OPEN],
            [t for t in tasks if t.done_at is None],
            [m for m in milestones if m.status == MilestoneStatus.OPEN],
            [a for a in appointments if a.status == AppointmentStatus.PLANNED],
            [p for p in places if p.status in PLACE_OPEN],
        )


PARTNER_OPEN = (PartnerReferralStatus.PROPOSED, PartnerReferralStatus.CONTACTED_PARTNER)
PLACE_OPEN = (PlaceStatus.WAITING, PlaceStatus.ENROLLED)


def open_items(session: DbSession, referral: Referral) -> OpenItems:
    rid = referral.id
    return OpenItems(
        list(
            session.scalars(
                select(PartnerReferral)
                .options(joinedload(PartnerReferral.partner))
                .where(PartnerReferral.referral_id == rid, PartnerReferral.status.in_(PARTNER_OPEN))
            )
        ),
        list(
            session.scalars(
                select(FollowUpTask).where(
                    FollowUpTask.referral_id == rid, FollowUpTask.done_at.is_(None)
                )
            )
        ),
        list(
            session.scalars(
                select(Milestone).where(
                    Milestone.referral_id == rid, Milestone.status == MilestoneStatus.OPEN
                )
            )
        ),
        list(
            session.scalars(
                select(Appointment).where(
                    Appointment.referral_id == rid,
                    Appointment.status == AppointmentStatus.PLANNED,
                )
            )
        ),
        list(
            session.scalars(
                select(ProgrammePlace)
                .options(joinedload(ProgrammePlace.programme))
                .where(ProgrammePlace.referral_id == rid, ProgrammePlace.status.in_(PLACE_OPEN))
            )
        ),
    )


@dataclass
class Closing:
    """What closing a file settled, for the confirmation."""

    places_freed: int = 0
    appointments_cancelled: int = 0
    tasks_settled: int = 0
    milestones_settled: int = 0
    partners_awaited: int = 0
    partners_settled: int = 0
    school_items_settled: int = 0


def close(
    session: DbSession,
    referral: Referral,
    actor: User,
    outcome: ClosingOutcome | None,
    note: str | None,
    at: datetime,
    *,
    settle: Mapping[tuple[str, int], Settle] | None = None,
) -> Closing:
    """Close an open referral with an outcome, settling everything still open on it.

    `settle` says per open item (("task", id), ("milestone", id), ("partner", id)) what
    becomes of it; items it does not name get SETTLE_DEFAULTS. Planned appointments are
    cancelled and programme places given up: nothing stays open in someone's lists. The
    children's school items follow the outcome (school.settle_at_closing).
    """
    from . import interpreters, school  # they build on this module: imported when needed

    check(Action.CLOSE, referral, actor)
    if outcome is None:
        raise TransitionRefused(_l("Kies een resultaat om af te sluiten."))
    settle = settle or {}
    items = open_items(session, referral)
    before = referral.state
    referral.state = S.CLOSED
    referral.outcome = outcome
    referral.closed_at = at
    referral.needs_letter = False
    detail = outcome.value + (f": {note.strip()}" if note and note.strip() else "")
    record_event(session, referral, actor, at, "closed", detail, from_state=before)
    result = Closing()
    result.school_items_settled = school.settle_at_closing(session, referral, outcome, actor, at)

    def choice(kind: str, item_id: int) -> Settle:
        chosen = settle.get((kind, item_id), SETTLE_DEFAULTS[kind])
        if chosen not in SETTLE_CHOICES[kind]:
            raise TransitionRefused(_l("Kies voor elk open punt wat ermee gebeurt."))
        return chosen

    for item in items.partner_referrals:
        if choice("partner", item.id) is Settle.NOT_ARRIVED:
            item.status = PartnerReferralStatus.NOT_ARRIVED
            item.updated_at = at
            record_event(
                session,
                referral,
                actor,
                at,
                "partner_referral_status",
                f"{item.partner.name}: {item.status}",
            )
            result.partners_settled += 1
        else:
            result.partners_awaited += 1
    for task in items.tasks:
        task.done_at = at
        kind = "task_done" if choice("task", task.id) is Settle.DONE else "task_dropped"
        record_event(session, referral, actor, at, kind, task.description)
        result.tasks_settled += 1
    for milestone in items.milestones:
        chosen = choice("milestone", milestone.id)
        status = MilestoneStatus.ACHIEVED if chosen is Settle.DONE else MilestoneStatus.STOPPED
        milestone.status = status
        record_event(
            session, referral, actor, at, "milestone_status", f"{milestone.description}: {status}"
        )
        result.milestones_settled += 1
    reason = str(_l("Dossier afgesloten."))
    for appointment in items.appointments:
        appointment.cancel(at)
        record_event(session, referral, actor, at, "appointment_cancelled", reason)
        interpreters.cancel_with(session, appointment, actor, at)
        result.appointments_cancelled += 1
    for place in items.places:
        place.status = PlaceStatus.LEFT
        place.left_at = at
        record_event(session, referral, actor, at, "programme_left", place.programme.name)
        result.places_freed += 1
    if items.places:
        # programmes.py builds on this module, so it is imported when needed.
        from .programmes import offer_free_place

        for programme in {place.programme_id: place.programme for place in items.places}.values():
            offer_free_place(session, programme, actor, at)
    return result


def reopen(
    session: DbSession, referral: Referral, actor: User, reason: str | None, at: datetime
) -> None:
    """A lead opens a closed file again, with a reason; it returns to where it was, and the
    school items the closing settled are pending again."""
    from .school import restore_at_reopening  # it builds on this module: imported when needed

    check(Action.REOPEN, referral, actor)
    reason = _require_reason(reason)
    closed_from = session.scalar(
        select(TimelineEvent.from_state)
        .where(TimelineEvent.referral_id == referral.id, TimelineEvent.kind == "closed")
        .order_by(TimelineEvent.at.desc(), TimelineEvent.id.desc())
        .limit(1)
    )
    state = (
        S(closed_from) if closed_from and closed_from in S._value2member_map_ else S.FOLLOWING_UP
    )
    if state is S.SCHEDULED:
        # Closing cancelled the planned conversation.
        state = S.CONTACTED
    if state is not S.NEW and referral.owner_id is None:
        state = S.NEW
    referral.state = state
    referral.outcome = None
    referral.closed_at = None
    record_event(session, referral, actor, at, "reopened", reason, from_state=S.CLOSED)
    restore_at_reopening(session, referral, actor, at)


def timeline(session: DbSession, referral: Referral) -> list[TimelineEvent]:
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
    session: DbSession,
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
    session: DbSession,
    referral: Referral,
    actor: User,
    toeleider: User,
    starts_at: datetime,
    minutes: int,
    place: str,
    interpreter: InterpreterWish | None,
    at: datetime,
    confirmed_outside: bool = False,
) -> Appointment:
    """Plan the welcome or integration conversation; a desk may book one at intake.

    A moment outside the toeleider's weekly availability needs `confirmed_outside`; with
    `interpreter`, an interpreter is asked for it.
    """
    from . import interpreters  # it builds on this module: imported when needed

    if referral.state == S.NEW:
        check(Action.DESK_BOOKING, referral, actor)
    else:
        check(Action.SCHEDULE, referral, actor)
        if toeleider.id != referral.owner_id and not is_lead_for(actor, referral.municipality_id):
            raise TransitionRefused(_l("Plan het gesprek in de eigen agenda."))
    if not may_own(toeleider, referral):
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
        status=AppointmentStatus.PLANNED,
        created_by_id=actor.id,
        created_at=at,
        **channels_for(session, referral, toeleider),
    )
    session.add(appointment)
    before = referral.state
    if referral.state == S.NEW:
        referral.owner_id = toeleider.id
        referral.claimed_at = at
        # Booked in person at the desk: that is how this resident was reached.
        session.add(
            ContactAttempt(
                referral=referral,
                at=at,
                actor_id=actor.id,
                channel=ContactChannel.DESK,
                outcome=ContactOutcome.REACHED,
                note=None,
                # The toeleider on desk duty reached the person, not the desk worker.
                **channels_for(session, referral, toeleider),
            )
        )
    referral.state = S.SCHEDULED
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
    if interpreter is not None:
        interpreters.ask_for(session, appointment, interpreter, actor, at)
    notifications.appointment_booked(session, appointment, actor, at)
    return appointment


def _planned(appointment: Appointment) -> None:
    if appointment.status != AppointmentStatus.PLANNED:
        raise TransitionRefused(_l("Deze afspraak is niet meer gepland."))


def conversation_held(
    session: DbSession, appointment: Appointment, actor: User, at: datetime
) -> None:
    referral = appointment.referral
    _planned(appointment)
    check(Action.APPOINTMENT_OUTCOME, referral, actor)
    if appointment.starts_at > at:
        raise TransitionRefused(_l("Dit gesprek is nog niet begonnen."))
    appointment.status = AppointmentStatus.HELD
    referral.state = S.HELD
    record_event(session, referral, actor, at, "conversation_held", from_state=S.SCHEDULED)


def no_show(session: DbSession, appointment: Appointment, actor: User, at: datetime) -> None:
    """The person did not come: the file goes back to 'contacted' to plan again."""
    referral = appointment.referral
    _planned(appointment)
    check(Action.APPOINTMENT_OUTCOME, referral, actor)
    appointment.status = AppointmentStatus.NO_SHOW
    referral.state = S.CONTACTED
    record_event(session, referral, actor, at, "no_show", from_state=S.SCHEDULED)


def cancel_appointment(
    session: DbSession, appointment: Appointment, actor: User, reason: str | None, at: datetime
) -> None:
    from . import interpreters  # it builds on this module: imported when needed

    referral = appointment.referral
    _planned(appointment)
    check(Action.CHANGE_APPOINTMENT, referral, actor)
    reason = _require_reason(reason)
    appointment.cancel(at)
    before = referral.state
    if referral.state == S.SCHEDULED:
        referral.state = S.CONTACTED
    record_event(session, referral, actor, at, "appointment_cancelled", reason, from_state=before)
    interpreters.cancel_with(session, appointment, actor, at)


def reschedule(
    session: DbSession,
    appointment: Appointment,
    actor: User,
    starts_at: datetime,
    minutes: int,
    place: str,
    at: datetime,
    confirmed_outside: bool = False,
) -> Appointment:
    """Move a planned conversation; the old appointment stays on record as rescheduled.

    The new appointment is the next revision of the same calendar event, so a subscribed
    calendar shows it at the new moment and nothing at the old one.
    """
    from . import interpreters  # it builds on this module: imported when needed

    referral = appointment.referral
    _planned(appointment)
    check(Action.CHANGE_APPOINTMENT, referral, actor)
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
    appointment.status = AppointmentStatus.RESCHEDULED
    appointment.changed_at = at
    moved = Appointment(
        referral=referral,
        toeleider=appointment.toeleider,
        kind=appointment.kind,
        starts_at=starts_at,
        ends_at=ends_at,
        place=place.strip(),
        status=AppointmentStatus.PLANNED,
        created_by_id=actor.id,
        created_at=at,
        kpi_channel_id=appointment.kpi_channel_id,
        team_channel_id=appointment.team_channel_id,
        calendar_uid=appointment.calendar_uid,
        sequence=appointment.sequence + 1,
        changed_at=at,
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
    interpreters.move_along(session, appointment, moved, actor, at)
    return moved


# The conversation record ----------------------------------------------------------------


def record_conversation(
    session: DbSession,
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
    check(Action.RECORD_CONVERSATION, referral, actor)
    if not themes:
        raise TransitionRefused(_l("Kies minstens één thema dat aan bod kwam."))
    if held_on > at.date():
        raise TransitionRefused(_l("Een gesprek kan niet in de toekomst gehouden zijn."))
    held = session.scalars(
        select(Appointment)
        .where(
            Appointment.referral_id == referral.id,
            Appointment.status == AppointmentStatus.HELD,
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
    referral.state = S.FOLLOWING_UP
    detail = ", ".join(t.name for t in themes)
    if signals:
        detail += " · " + ngettext("%(num)d signaal", "%(num)d signalen", len(signals))
    record_event(session, referral, actor, at, "conversation_recorded", detail, from_state=S.HELD)
    return conversation


def reprioritise_queue(session: DbSession) -> int:
    """After the weights change, recompute the order of the referrals waiting in the queue."""
    weights = queue_weights(session)
    waiting = session.scalars(select(Referral).where(Referral.state == S.NEW)).all()
    for referral in waiting:
        referral.priority_at = priority_at(referral.created_at, referral, weights)
    return len(waiting)
