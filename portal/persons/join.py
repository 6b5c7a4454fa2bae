"""Joining two person records that turn out to be one resident, and undoing that.

Nothing is lost: the absorbed person's referrals move to the kept person with everything
recorded on them, the absorbed record stays (marked as joined) and the kept person's empty
details are filled from it. The reports count referrals, so their totals do not change.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from ..extensions import DbSession
from ..models import Person, PersonJoin, Referral, User
from ..referrals.lifecycle import record_event
from . import person_changed

JOINED_FIELDS = ("full_name", "birth_year", "phone", "email", "address")


class JoinRefused(Exception):
    """The join or its undoing cannot be done; `message` says why in Dutch."""

    def __init__(self, message: object):
        super().__init__(str(message))
        self.message = str(message)


@dataclass(frozen=True)
class FieldOutcome:
    """One detail in the preview: what each person has and what the joined person keeps."""

    field: str
    kept_value: object
    absorbed_value: object

    @property
    def result(self) -> object:
        return self.kept_value if _filled(self.kept_value) else self.absorbed_value

    @property
    def from_absorbed(self) -> bool:
        return not _filled(self.kept_value) and _filled(self.absorbed_value)


@dataclass(frozen=True)
class JoinPreview:
    kept: Person
    absorbed: Person
    fields: list[FieldOutcome]
    kept_referrals: list[Referral]
    moved_referrals: list[Referral]


def _filled(value: object) -> bool:
    return value is not None and value != ""


def final_person(session: DbSession, person: Person) -> Person:
    """The person a record was joined into, following joins of joins."""
    seen = {person.id}
    while person.merged_into_id is not None and person.merged_into_id not in seen:
        seen.add(person.merged_into_id)
        person = session.get(Person, person.merged_into_id) or person
    return person


def _check(kept: Person, absorbed: Person) -> None:
    if kept.id == absorbed.id:
        raise JoinRefused(_l("Dit dossier hoort al bij deze persoon."))
    if kept.merged_into_id is not None or absorbed.merged_into_id is not None:
        raise JoinRefused(_l("Een van beide personen is intussen al samengevoegd."))
    if kept.anonymised_at is not None or absorbed.anonymised_at is not None:
        raise JoinRefused(_l("Een gewiste persoon kan niet samengevoegd worden."))


def preview_join(kept: Person, absorbed: Person) -> JoinPreview:
    """What joining would keep from each person, before anything is changed."""
    _check(kept, absorbed)
    return JoinPreview(
        kept=kept,
        absorbed=absorbed,
        fields=[
            FieldOutcome(name, getattr(kept, name), getattr(absorbed, name))
            for name in JOINED_FIELDS
        ],
        kept_referrals=list(kept.referrals),
        moved_referrals=list(absorbed.referrals),
    )


def join_persons(
    session: DbSession,
    kept: Person,
    absorbed: Person,
    actor: User,
    at: datetime,
    *,
    versions: tuple[int, int],
) -> PersonJoin:
    """Move the absorbed person's referrals to the kept person; the caller commits.

    `versions` are the two persons' versions the preview showed: a change since is refused.
    """
    if versions != (kept.version, absorbed.version):
        raise JoinRefused(
            _l("Een van beide personen werd intussen gewijzigd. Bekijk het voorstel opnieuw.")
        )
    preview = preview_join(kept, absorbed)
    filled = {f.field: [f.kept_value, f.absorbed_value] for f in preview.fields if f.from_absorbed}
    moved = preview.moved_referrals
    kept_refs = [r.reference for r in preview.kept_referrals]
    for name, (_old, new) in filled.items():
        setattr(kept, name, new)
    for referral in moved:
        referral.person = kept
    absorbed.merged_into_id = kept.id
    join = PersonJoin(
        kept_id=kept.id,
        absorbed_id=absorbed.id,
        actor_id=actor.id,
        created_at=at,
        snapshot=json.dumps({"moved": [r.id for r in moved], "filled": filled}),
    )
    session.add(join)
    moved_refs = ", ".join(r.reference or "" for r in moved)
    for referral in preview.kept_referrals:
        record_event(session, referral, actor, at, "person_joined", detail=moved_refs)
    for referral in moved:
        record_event(
            session, referral, actor, at, "person_joined", detail=", ".join(filter(None, kept_refs))
        )
    session.flush()
    person_changed(session, kept)
    person_changed(session, absorbed)
    return join


def join_returning_person(
    session: DbSession, new: Person, earlier: Person, actor: User, at: datetime
) -> PersonJoin:
    """The desk says a new intake's person was here before: join the earlier record into it.

    The new intake's details are the newest and stay; what it lacks comes from the earlier
    record. As any join, the file's toeleider can undo it within the window if it was wrong.
    """
    return join_persons(session, new, earlier, actor, at, versions=(new.version, earlier.version))


def undoable_join(
    session: DbSession, person: Person, now: datetime, window: timedelta
) -> PersonJoin | None:
    """The latest join into this person, if it may still be undone."""
    join = session.scalars(
        select(PersonJoin)
        .where(or_(PersonJoin.kept_id == person.id, PersonJoin.absorbed_id == person.id))
        .where(PersonJoin.undone_at.is_(None))
        .order_by(PersonJoin.created_at.desc(), PersonJoin.id.desc())
        .limit(1)
    ).first()
    if join is None or join.kept_id != person.id or now - join.created_at > window:
        return None
    if person.anonymised_at is not None or join.absorbed.anonymised_at is not None:
        return None
    return join


def undo_join(
    session: DbSession, join: PersonJoin, actor: User, at: datetime, *, window: timedelta
) -> None:
    """Give the absorbed person back the referrals that moved; the caller commits."""
    if join.undone_at is not None:
        raise JoinRefused(_l("Deze samenvoeging werd al ongedaan gemaakt."))
    if join.kept.anonymised_at is not None or join.absorbed.anonymised_at is not None:
        raise JoinRefused(_l("De gegevens van deze persoon zijn gewist."))
    if undoable_join(session, join.kept, at, window) is not join:
        raise JoinRefused(
            _l(
                "Deze samenvoeging kan niet meer ongedaan gemaakt worden: ze is ouder dan "
                "toegelaten of er volgde een nieuwere."
            )
        )
    kept, absorbed = join.kept, join.absorbed
    snapshot = json.loads(join.snapshot)
    moved = [r for r in kept.referrals if r.id in set(snapshot["moved"])]
    for name, (old, new) in snapshot["filled"].items():
        # A detail corrected since the join is the newer truth and stays.
        if getattr(kept, name) == new:
            setattr(kept, name, old)
    for referral in moved:
        referral.person = absorbed
    absorbed.merged_into_id = None
    join.undone_at = at
    join.undone_by_id = actor.id
    moved_refs = ", ".join(r.reference or "" for r in moved)
    remaining = [r for r in kept.referrals if r not in moved]
    for referral in remaining:
        record_event(session, referral, actor, at, "person_unjoined", detail=moved_refs)
    for referral in moved:
        record_event(
            session,
            referral,
            actor,
            at,
            "person_unjoined",
            detail=", ".join(r.reference or "" for r in remaining),
        )
    session.flush()
    person_changed(session, kept)
    person_changed(session, absorbed)


def joined_records(session: DbSession, person: Person) -> list[Person]:
    """Every record joined into this person, directly or through joins of joins."""
    found: list[Person] = []
    todo = [person.id]
    while todo:
        absorbed = session.scalars(select(Person).where(Person.merged_into_id.in_(todo))).all()
        absorbed = [p for p in absorbed if p not in found and p.id != person.id]
        found.extend(absorbed)
        todo = [p.id for p in absorbed]
    return found


def forget_join_details(session: DbSession, person: Person) -> None:
    """Drop the copies of personal details that joins of an anonymised person kept for undo.

    Such a join can no longer be undone (an anonymised person is joined or split by nobody).
    """
    ids = [person.id, *(p.id for p in joined_records(session, person))]
    joins = session.scalars(
        select(PersonJoin).where(or_(PersonJoin.kept_id.in_(ids), PersonJoin.absorbed_id.in_(ids)))
    ).all()
    for join in joins:
        snapshot = json.loads(join.snapshot)
        join.snapshot = json.dumps({"moved": snapshot.get("moved", []), "filled": {}})
