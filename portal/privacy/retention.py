"""Retention and the resident's rights: anonymise in time, export on request, erase on request.

Anonymising a file removes the resident's name, contact details, notes and every free text,
and keeps what the reports count (dates, states, outcomes, languages, indicators, household
sizes, channels, themes, categories, partners). Every report therefore gives the same
figures before and after. The file keeps its reference, so the access log that names it
stays readable as a pseudonymous record.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dateutil.relativedelta import relativedelta
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select, update

from ..extensions import DbSession
from ..models import (
    AgiiReferral,
    Appointment,
    AppointmentStatus,
    ClosingOutcome,
    ContactAttempt,
    ContactOutcome,
    Conversation,
    FollowUpTask,
    Milestone,
    MonitoringAnswer,
    MonitoringParameter,
    Need,
    ParameterKind,
    PartnerFeedback,
    PartnerReferral,
    Person,
    Referral,
    ReferralState,
    SchoolItem,
    Signal,
    TimelineEvent,
    User,
)
from ..persons.join import forget_join_details, joined_records
from ..referrals.lifecycle import record_event
from ..search.keys import refresh_search_keys
from ..settings import get_int

ERASED_NAME = "—"
ERASED_TEXT = "—"


@dataclass(frozen=True)
class Due:
    """The files whose retention period is over, by reason."""

    closed: list[int]
    never_reached: list[int]

    @property
    def all(self) -> list[int]:
        return sorted({*self.closed, *self.never_reached})


def due_for_anonymisation(session: DbSession, at: datetime) -> Due:
    """Closed files past the closed-file period; files never reached past the unreached one."""
    closed_before = at - relativedelta(months=get_int(session, "retention_closed_months"))
    intake_before = at - relativedelta(months=get_int(session, "retention_unreached_months"))
    pending = Referral.anonymised_at.is_(None)
    closed = session.scalars(
        select(Referral.id).where(
            pending,
            Referral.state == ReferralState.CLOSED,
            Referral.closed_at < closed_before,
        )
    ).all()
    never_reached = session.scalars(
        select(Referral.id).where(
            pending,
            Referral.created_at < intake_before,
            ~exists().where(
                ContactAttempt.referral_id == Referral.id,
                ContactAttempt.outcome == ContactOutcome.REACHED,
                ContactAttempt.struck_at.is_(None),
            ),
            ~exists().where(Conversation.referral_id == Referral.id),
            ~exists().where(
                Appointment.referral_id == Referral.id,
                Appointment.status == AppointmentStatus.HELD,
            ),
        )
    ).all()
    return Due(closed=list(closed), never_reached=sorted(set(never_reached) - set(closed)))


def anonymise(
    session: DbSession, referral_ids: Iterable[int], *, actor: User, at: datetime, reason: str
) -> int:
    """Anonymise these files; returns how many were anonymised now.

    An open file is closed first (a file nobody may read any more cannot be worked on). A
    person whose every file is anonymised loses their own data too; a person with other
    files still in use keeps theirs, and the anonymised file moves to a person of its own.
    """
    referrals = session.scalars(
        select(Referral).where(
            Referral.id.in_(list(referral_ids)), Referral.anonymised_at.is_(None)
        )
    ).all()
    for referral in referrals:
        if referral.state != ReferralState.CLOSED:
            before = referral.state
            referral.state = ReferralState.CLOSED
            referral.outcome = ClosingOutcome.UNREACHABLE
            referral.closed_at = at
            referral.needs_letter = False
            record_event(session, referral, actor, at, "closed", reason, from_state=before)
        _erase_free_text(session, referral.id)
        referral.note = None
        referral.anonymised_at = at
        record_event(session, referral, actor, at, "anonymised", reason)
    session.flush()
    for person_id in {r.person_id for r in referrals}:
        _anonymise_person(session, person_id, at)
    return len(referrals)


def _erase_free_text(session: DbSession, referral_id: int) -> None:
    def blank(model: Any, column: str, value: object = None, *extra: Any) -> None:
        session.execute(
            update(model)
            .where(model.referral_id == referral_id, *extra)
            .values({column: value})
            .execution_options(synchronize_session=False)
        )

    blank(ContactAttempt, "note")
    blank(PartnerReferral, "feedback")
    blank(PartnerFeedback, "message", ERASED_TEXT)
    blank(FollowUpTask, "description", ERASED_TEXT)
    blank(Milestone, "description", ERASED_TEXT)
    blank(SchoolItem, "school_name")
    blank(SchoolItem, "note")
    blank(AgiiReferral, "agii_reference")
    blank(AgiiReferral, "note")
    # Kinds and states stay: the reports and the timeline's shape are built from them.
    blank(TimelineEvent, "detail")
    # A signal belongs to the register for policy; it no longer points at the resident.
    blank(Signal, "referral_id")
    conversations = select(Conversation.id).where(Conversation.referral_id == referral_id)
    session.execute(
        update(Conversation)
        .where(Conversation.referral_id == referral_id)
        .values(notes=None)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Need)
        .where(Need.conversation_id.in_(conversations))
        .values(description=None)
        .execution_options(synchronize_session=False)
    )
    # Yes/no, number and choice answers are counted; a text answer is the toeleider's words.
    text_questions = select(MonitoringParameter.id).where(
        MonitoringParameter.kind == ParameterKind.TEXT.value
    )
    session.execute(
        update(MonitoringAnswer)
        .where(
            MonitoringAnswer.conversation_id.in_(conversations),
            MonitoringAnswer.parameter_id.in_(text_questions),
        )
        .values(value=ERASED_TEXT)
        .execution_options(synchronize_session=False)
    )


def _blank_person(person: Person, at: datetime) -> None:
    person.full_name = ERASED_NAME
    person.name_key = ""
    person.birth_year = None
    person.phone = None
    person.email = None
    person.address = None
    person.anonymised_at = at


def _anonymise_person(session: DbSession, person_id: int, at: datetime) -> None:
    person = session.get(Person, person_id)
    if person is None:
        return
    in_use = session.scalars(
        select(Referral).where(Referral.person_id == person_id, Referral.anonymised_at.is_(None))
    ).all()
    if not in_use:
        # Records joined into this person hold the same resident's details: they go too.
        for record in [person, *joined_records(session, person)]:
            _blank_person(record, at)
            refresh_search_keys(record, session)
        forget_join_details(session, person)
        return
    done = session.scalars(
        select(Referral).where(Referral.person_id == person_id, Referral.anonymised_at.isnot(None))
    ).all()
    stand_in = Person(full_name=ERASED_NAME, name_key="", created_at=at)
    _blank_person(stand_in, at)
    session.add(stand_in)
    session.flush()
    for referral in done:
        referral.person_id = stand_in.id


def person_files(session: DbSession, person_id: int) -> list[Referral]:
    return list(
        session.scalars(
            select(Referral)
            .where(Referral.person_id == person_id)
            .order_by(Referral.created_at, Referral.id)
        )
    )


def erase_person(session: DbSession, person: Person, *, actor: User, at: datetime) -> int:
    """Erase a person on their request: every file anonymised now, the figures kept."""
    ids = [r.id for r in person_files(session, person.id)]
    return anonymise(
        session, ids, actor=actor, at=at, reason=str(_l("gewist op vraag van de persoon"))
    )


def withdraw_consent(session: DbSession, referral: Referral, *, actor: User, at: datetime) -> None:
    """The person no longer agrees to be contacted: out of the queue and the letter lists."""
    if referral.consent_withdrawn_at is not None:
        return
    referral.consent_withdrawn_at = at
    referral.needs_letter = False
    record_event(session, referral, actor, at, "consent_withdrawn")
    if referral.state == ReferralState.NEW:
        # Still waiting in the queue: nobody is to call, so the offer counts as declined.
        referral.state = ReferralState.CLOSED
        referral.outcome = ClosingOutcome.DECLINED
        referral.closed_at = at
        record_event(
            session,
            referral,
            actor,
            at,
            "closed",
            f"{ClosingOutcome.DECLINED}: {_l('akkoord ingetrokken')}",
            from_state=ReferralState.NEW,
        )


RETENTION_REASON = _l("bewaartermijn verstreken")


def purge(session: DbSession, *, actor: User, at: datetime, dry_run: bool = False) -> Due:
    """Anonymise every file whose retention period is over (or only say which, dry run)."""
    due = due_for_anonymisation(session, at)
    if not dry_run:
        anonymise(session, due.all, actor=actor, at=at, reason=str(RETENTION_REASON))
    return due
