"""Registering a referral at the desk."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..extensions import DbSession
from ..languages import language_name
from ..models import (
    HouseholdChild,
    Language,
    Person,
    Referral,
    ReferralState,
    User,
)
from ..notifications import records as notifications
from ..referrals.lifecycle import priority_at, record_intake
from ..referrals.school import add_missing_items
from ..search.finding import matching_files, read_terms
from ..search.keys import refresh_search_keys
from ..settings import queue_weights
from .rules import name_key, residence


@dataclass(frozen=True)
class IntakeData:
    """What the desk worker recorded, already validated and normalised."""

    municipality_id: int
    dutch_difficult: bool
    has_work: bool
    has_children: bool
    contact_language_code: str
    home_language_code: str | None
    full_name: str
    birth_year: int | None
    phone: str | None
    email: str | None
    address: str | None
    adults: int
    children_birth_years: list[int] = field(default_factory=list)
    registered_on: date = date.min
    source_service_id: int = 0
    consent_given: bool = False
    note: str | None = None
    legal_basis: str = "consent"


class IntakeRefused(Exception):
    """The intake cannot be registered as it stands."""


_FORM_TOKEN = re.compile(r"[A-Za-z0-9_-]{32,64}")


def new_form_token() -> str:
    """A one-time token for a fresh intake form, sent back with it as a hidden field."""
    return secrets.token_urlsafe(32)


def is_form_token(value: str | None) -> bool:
    """Whether a posted value is a token as the portal issues them (and fits the column)."""
    return value is not None and _FORM_TOKEN.fullmatch(value) is not None


def registered_with_token(session: DbSession, token: str | None) -> Referral | None:
    """The referral an intake form already created, when the same form is sent again."""
    if not is_form_token(token):
        return None
    return session.scalar(select(Referral).where(Referral.intake_token == token))


def register_referral(
    session: DbSession,
    data: IntakeData,
    actor: User,
    at: datetime,
    *,
    person: Person | None = None,
    form_token: str | None = None,
) -> Referral:
    """Create a referral in state `new`, with its reference number; the caller commits.

    The referral belongs to a new person unless `person` says who this is already. With the
    intake form's `form_token`, a second referral from the same form fails the token's unique
    index, also when both are saved at the same moment (see registered_with_token).
    """
    if not data.consent_given:
        raise IntakeRefused("no consent")
    weights = queue_weights(session)
    is_new_person = person is None
    if person is None:
        person = Person(
            full_name=data.full_name,
            name_key=name_key(data.full_name),
            birth_year=data.birth_year,
            phone=data.phone,
            email=data.email,
            address=data.address,
            created_at=at,
        )
        session.add(person)
    referral = Referral(
        person=person,
        municipality_id=data.municipality_id,
        state=ReferralState.NEW,
        dutch_difficult=data.dutch_difficult,
        has_work=data.has_work,
        has_children=data.has_children,
        contact_language_code=data.contact_language_code,
        home_language_code=data.home_language_code,
        adults=data.adults,
        registered_on=data.registered_on,
        is_newcomer=residence(data.registered_on, at.date()).is_newcomer,
        source_service_id=data.source_service_id,
        consent_given=True,
        legal_basis=data.legal_basis,
        consent_recorded_by_id=actor.id,
        consent_recorded_at=at,
        note=data.note,
        created_by_id=actor.id,
        created_at=at,
        children=[HouseholdChild(birth_year=y) for y in data.children_birth_years],
        intake_token=form_token if is_form_token(form_token) else None,
    )
    referral.priority_at = priority_at(at, referral, weights)
    session.add(referral)
    session.flush()
    # Derived from the primary key, so two desks saving at once never get the same number.
    referral.reference = reference_for(referral.id, at.year)
    if is_new_person:
        refresh_search_keys(person, session)
    record_intake(session, referral, actor, at)
    add_missing_items(session, referral, actor, at)
    notifications.new_referral(session, referral, actor, at)
    return referral


def reference_for(referral_id: int, year: int) -> str:
    return f"{year}-{referral_id:06d}"


def registered_today_by(session: DbSession, actor: User, day: date) -> list[Referral]:
    """The referrals this desk worker registered on the given day, newest first."""
    start = datetime.combine(day, datetime.min.time())
    end = datetime.combine(day, datetime.max.time())
    stmt = (
        select(Referral)
        .options(joinedload(Referral.contact_language), joinedload(Referral.person))
        .where(Referral.created_by_id == actor.id)
        .where(Referral.created_at.between(start, end))
        .order_by(Referral.created_at.desc(), Referral.id.desc())
    )
    return list(session.scalars(stmt))


RECENT_SHOWN = 200


def registered_recently_by(
    session: DbSession, actor: User, today: date, days: int, search: str = "", region: str = "BE"
) -> list[Referral]:
    """The desk worker's own registrations of the last `days` days (today included), newest
    first; a search narrows them by name, phone, e-mail or number."""
    start = datetime.combine(today - timedelta(days=days - 1), datetime.min.time())
    stmt = (
        select(Referral)
        .options(joinedload(Referral.contact_language), joinedload(Referral.person))
        .where(Referral.created_by_id == actor.id, Referral.created_at >= start)
        .where(Referral.anonymised_at.is_(None))
        .order_by(Referral.created_at.desc(), Referral.id.desc())
        .limit(RECENT_SHOWN)
    )
    if search.strip():
        stmt = stmt.where(matching_files(read_terms(search, region)))
    return list(session.scalars(stmt))


# How many of the latest referrals the intake form's language order is counted from.
RECENT_USES = 1_000


def languages_by_use(session: DbSession, municipality_ids: Iterable[int]) -> list[Language]:
    """Active languages, those most registered lately in these municipalities first (in the
    last RECENT_USES referrals), then by their names in the page's language.

    Counting every referral ever made the intake form cost 0.2 s at a million; the latest
    ones are read backwards from the registration-time index and say as well who comes to
    the desk now.
    """
    ids = list(municipality_ids) or [-1]
    latest = (
        select(Referral.contact_language_code)
        .where(Referral.municipality_id.in_(ids))
        .order_by(Referral.created_at.desc())
        .limit(RECENT_USES)
        .subquery()
    )
    uses = (
        select(latest.c.contact_language_code, func.count().label("uses"))
        .group_by(latest.c.contact_language_code)
        .subquery()
    )
    stmt = (
        select(Language, func.coalesce(uses.c.uses, 0))
        .outerjoin(uses, uses.c.contact_language_code == Language.code)
        .where(Language.active.is_(True))
    )
    # By name as the reader names them: an English desk worker's list goes by English names.
    rows: list[Any] = list(session.execute(stmt))
    rows.sort(key=lambda row: (-row[1], language_name(row[0].code, row[0].name).casefold()))
    return [lang for lang, _uses in rows]
