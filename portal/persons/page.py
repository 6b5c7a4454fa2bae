"""What the person part of a file shows: the person's other files and what the user may do."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..access import can_view_referral, may_correct_person, may_see_person, may_undo_join
from ..extensions import DbSession
from ..models import PersonJoin, Referral, User
from .join import undoable_join


@dataclass(frozen=True)
class OtherFile:
    referral: Referral
    # Whether this user may open it; otherwise only its reference and municipality show.
    visible: bool


@dataclass(frozen=True)
class PersonSection:
    other_files: list[OtherFile]
    may_correct: bool
    may_join: bool
    undoable: PersonJoin | None


def person_section(
    session: DbSession, user: User, referral: Referral, now: datetime, undo_window: timedelta
) -> PersonSection:
    """The person's other files, newest first, and the person actions open to this user."""
    others = session.scalars(
        select(Referral)
        .options(joinedload(Referral.municipality))
        .where(Referral.person_id == referral.person_id, Referral.id != referral.id)
        .order_by(Referral.created_at.desc())
    ).all()
    person = referral.person
    may_join = may_see_person(user, person, now.date()) and person.anonymised_at is None
    undoable = undoable_join(session, person, now, undo_window)
    return PersonSection(
        other_files=[OtherFile(r, can_view_referral(user, r, now.date())) for r in others],
        may_correct=may_correct_person(user, referral),
        may_join=may_join,
        undoable=undoable if undoable and may_undo_join(user, undoable, now.date()) else None,
    )
