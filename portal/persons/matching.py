"""Finding the person an intake may be about: were they here before, in any file?"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ScalarResult, and_, or_, select
from sqlalchemy.orm import contains_eager

from ..desk.rules import name_key
from ..extensions import DbSession
from ..models import Person, Referral, Role, User, UserRole, user_municipalities


@dataclass(frozen=True)
class PersonMatch:
    """A person who may be the one at the desk, by their latest file.

    The desk sees only `initials`, `birth_year` and the reference: enough to ask the resident
    "were you here before?", nothing more.
    """

    person: Person
    latest: Referral

    @property
    def initials(self) -> str:
        return " ".join(f"{word[0].upper()}." for word in self.person.full_name.split()[:3])

    @property
    def birth_year(self) -> int | None:
        return self.person.birth_year


def served_municipality_ids(session: DbSession) -> list[int]:
    """Every municipality an active toeleider of this installation works for."""
    ids: ScalarResult[int] = session.scalars(
        select(user_municipalities.c.municipality_id)
        .join(User, User.id == user_municipalities.c.user_id)
        .join(UserRole, UserRole.user_id == User.id)
        .where(User.active.is_(True), UserRole.role == Role.TOELEIDER)
        .distinct()
    )
    return sorted(int(mid) for mid in ids)


def matching_persons(
    session: DbSession,
    municipality_ids: list[int],
    *,
    phone: str | None,
    full_name: str | None,
    birth_year: int | None,
    limit: int = 5,
) -> list[PersonMatch]:
    """Persons with the same phone, or the same name and birth year, open files or closed."""
    conditions = []
    if phone:
        conditions.append(Person.phone == phone)
    if full_name and birth_year:
        conditions.append(
            and_(Person.name_key == name_key(full_name), Person.birth_year == birth_year)
        )
    if not conditions or not municipality_ids:
        return []
    stmt = (
        select(Referral)
        .join(Referral.person)
        .options(contains_eager(Referral.person))
        .where(or_(*conditions))
        .where(Person.anonymised_at.is_(None), Person.merged_into_id.is_(None))
        .where(Referral.anonymised_at.is_(None))
        .where(Referral.municipality_id.in_(municipality_ids))
        .order_by(Referral.created_at.desc(), Referral.id.desc())
        .limit(limit * 4)
    )
    latest: dict[int, Referral] = {}
    for referral in session.scalars(stmt):
        latest.setdefault(referral.person_id, referral)
    return [PersonMatch(r.person, r) for r in list(latest.values())[:limit]]
