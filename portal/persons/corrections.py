"""Correcting what is recorded about a person, without overwriting someone else's change.

The identity and contact details live on the person; the languages, the household and the
registration date belong to the intake and are corrected on the referral the user works on,
so that the reports count the corrected figures for that file. Person.version guards both:
every correction raises it, so a form shown before someone else's correction is refused.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields, replace
from datetime import date, datetime

from sqlalchemy.orm.attributes import flag_modified

from ..desk.rules import name_key, residence
from ..extensions import DbSession
from ..models import Language, Referral, User
from ..referrals import school
from ..referrals.lifecycle import record_event
from . import person_changed

PERSON_FIELDS = ("full_name", "birth_year", "phone", "email", "address")
REFERRAL_FIELDS = (
    "contact_language_code",
    "home_language_code",
    "adults",
    "children_birth_years",
    "registered_on",
)


@dataclass(frozen=True)
class PersonDetails:
    """Everything the correction form shows, as plain values."""

    full_name: str
    birth_year: int | None
    phone: str | None
    email: str | None
    address: str | None
    contact_language_code: str
    home_language_code: str | None
    adults: int
    children_birth_years: tuple[int, ...]
    registered_on: date

    def as_json(self) -> str:
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values["registered_on"] = self.registered_on.isoformat()
        values["children_birth_years"] = list(self.children_birth_years)
        return json.dumps(values, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> PersonDetails | None:
        """The details a form was shown with, or None if the text is not such a record."""
        try:
            values = json.loads(text)
            values["registered_on"] = date.fromisoformat(values["registered_on"])
            values["children_birth_years"] = tuple(values["children_birth_years"])
            return cls(**values)
        except (ValueError, TypeError, KeyError):
            return None


@dataclass(frozen=True)
class Change:
    field: str
    old: object
    new: object


class CorrectionConflict(Exception):
    """Someone corrected the person after the form was shown; nothing was saved.

    `current` is what is recorded now and `changed_by_others` the fields that differ from
    what the form was shown with.
    """

    def __init__(self, current: PersonDetails, changed_by_others: tuple[str, ...]):
        super().__init__("stale correction")
        self.current = current
        self.changed_by_others = changed_by_others


def details_of(referral: Referral) -> PersonDetails:
    person = referral.person
    return PersonDetails(
        full_name=person.full_name,
        birth_year=person.birth_year,
        phone=person.phone,
        email=person.email,
        address=person.address,
        contact_language_code=referral.contact_language_code,
        home_language_code=referral.home_language_code,
        adults=referral.adults,
        children_birth_years=tuple(sorted(c.birth_year for c in referral.children)),
        registered_on=referral.registered_on,
    )


def resolve_conflict(
    typed: PersonDetails, shown: PersonDetails, current: PersonDetails
) -> PersonDetails:
    """What the form shows again after a conflict: the user's own changes on what is current.

    A field the user left as it was shows the other person's value, so that sending the form
    again keeps their correction; a field the user changed keeps what the user typed.
    """
    kept = {
        f.name: getattr(current, f.name)
        for f in fields(typed)
        if getattr(typed, f.name) == getattr(shown, f.name)
    }
    return replace(typed, **kept)


def correct_person(
    session: DbSession,
    referral: Referral,
    actor: User,
    at: datetime,
    *,
    typed: PersonDetails,
    shown: PersonDetails,
    version: int,
) -> list[Change]:
    """Apply what changed between the record and the form; the caller commits.

    Refused with CorrectionConflict when the person's version is not the form's.
    """
    person = referral.person
    current = details_of(referral)
    if version != person.version:
        others = tuple(
            f.name for f in fields(current) if getattr(current, f.name) != getattr(shown, f.name)
        )
        raise CorrectionConflict(current, others)
    changes = [
        Change(f.name, getattr(current, f.name), getattr(typed, f.name))
        for f in fields(typed)
        if getattr(typed, f.name) != getattr(current, f.name)
    ]
    if not changes:
        return []
    for change in changes:
        if change.field in PERSON_FIELDS:
            setattr(person, change.field, change.new)
        elif change.field == "children_birth_years":
            # A child whose birth year stays keeps its row: the partner referrals naming that
            # child still name them, and its school item stays.
            school.set_children(session, referral, change.new, actor, at)  # type: ignore[arg-type]
        else:
            setattr(referral, change.field, change.new)
    if typed.full_name != current.full_name:
        person.name_key = name_key(typed.full_name)
    if typed.registered_on != current.registered_on:
        referral.is_newcomer = residence(
            typed.registered_on, referral.created_at.date()
        ).is_newcomer
    # The version guards the whole form: raise it even when only the intake's part changed.
    flag_modified(person, "full_name")
    record_event(session, referral, actor, at, "person_corrected", detail=_detail(session, changes))
    # A child added, or a household that became known as a newcomer's: their school items.
    school.add_missing_items(session, referral, actor, at)
    session.flush()
    person_changed(session, person)
    return changes


def _detail(session: DbSession, changes: list[Change]) -> str:
    """The changes as JSON, languages by their names, for the timeline to show as written."""

    def plain(field: str, value: object) -> object:
        if isinstance(value, date):
            return value.strftime("%d/%m/%Y")
        if isinstance(value, tuple):
            return ", ".join(str(v) for v in value)
        if field.endswith("language_code") and value:
            language = session.get(Language, value)
            return language.name if language else value
        return value

    rows = [[c.field, plain(c.field, c.old), plain(c.field, c.new)] for c in changes]
    return json.dumps(rows, ensure_ascii=False)
