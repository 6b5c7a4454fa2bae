"""What a search finds: the files of matching persons that the user may see, in any state."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, func, intersect, select
from sqlalchemy.orm import Session, joinedload

from ..access import in_my_municipalities
from ..desk.rules import PhoneError, normalise_phone
from ..models import Referral, SearchKey, SearchKeyKind, TimelineEvent, User
from .keys import KEY_LENGTH, name_tokens, phone_digits

MAX_TEXT = 100
MAX_NAME_PARTS = 5
RESULTS_SHOWN = 50
# Above every code point: `value < prefix + TOP` closes the range of values starting so.
TOP = "\U0010ffff"

_REFERENCE = re.compile(r"^(\d{4})-(\d{1,9})$")
_PHONE_CHARACTERS = re.compile(r"^[\d\s+()./-]+$")


@dataclass(frozen=True)
class Terms:
    """How a search text is read: a file number, a phone number, an e-mail or name parts."""

    reference: str | None = None
    phone: str | None = None
    email: str | None = None
    name_parts: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (self.reference or self.phone or self.email or self.name_parts)


def read_terms(text: str, region: str = "BE") -> Terms:
    """Read the text the user typed; nothing usable gives empty terms."""
    text = text.strip()[:MAX_TEXT]
    if not text:
        return Terms()
    reference = _REFERENCE.match(text)
    if reference:
        return Terms(reference=f"{reference.group(1)}-{int(reference.group(2)):06d}")
    if "@" in text:
        return Terms(email=text.lower()[:KEY_LENGTH])
    if _PHONE_CHARACTERS.match(text):
        with contextlib.suppress(PhoneError):
            return Terms(phone=phone_digits(normalise_phone(text, region)))
        return Terms()
    return Terms(name_parts=tuple(name_tokens(text)[:MAX_NAME_PARTS]))


def _with_prefix(kind: SearchKeyKind, prefix: str) -> Select[tuple[int]]:
    return select(SearchKey.person_id).where(
        SearchKey.kind == kind.value, SearchKey.value >= prefix, SearchKey.value < prefix + TOP
    )


def _persons_matching(terms: Terms) -> Select[tuple[int]] | None:
    if terms.phone:
        return select(SearchKey.person_id).where(
            SearchKey.kind == SearchKeyKind.PHONE.value, SearchKey.value == terms.phone
        )
    if terms.email:
        return _with_prefix(SearchKeyKind.EMAIL, terms.email)
    if terms.name_parts:
        # Every part typed starts some part of the name, in any order: 'had ra' finds
        # 'Rania Haddad'.
        parts = [_with_prefix(SearchKeyKind.NAME, part) for part in terms.name_parts]
        if len(parts) == 1:
            return parts[0]
        return select(intersect(*parts).subquery().c[0])
    return None


def matching_files(terms: Terms) -> ColumnElement[bool]:
    """SQL condition: the file has the reference, or belongs to a person the terms find."""
    if terms.reference:
        return Referral.reference == terms.reference
    persons = _persons_matching(terms)
    if persons is None:
        return Referral.id.is_(None)
    return Referral.person_id.in_(persons)


def search_statement(user: User, terms: Terms) -> Select[tuple[Referral]]:
    """The files the terms find among those the user may see, newest first."""
    return (
        select(Referral)
        .options(
            joinedload(Referral.person),
            joinedload(Referral.owner),
            joinedload(Referral.municipality),
        )
        .where(in_my_municipalities(user), Referral.anonymised_at.is_(None))
        .where(matching_files(terms))
        .order_by(Referral.id.desc())
    )


@dataclass(frozen=True)
class Found:
    """What a search shows: the files (at most RESULTS_SHOWN), and whether there are more."""

    terms: Terms
    referrals: list[Referral]
    more: bool
    last_activity: dict[int, datetime]

    @property
    def straight_to(self) -> Referral | None:
        """The file to open at once: an exact reference, or one person's phone number."""
        if not self.referrals or self.more:
            return None
        if self.terms.reference:
            return self.referrals[0]
        if self.terms.phone and len({r.person_id for r in self.referrals}) == 1:
            return self.referrals[0]
        return None


def last_activity(session: Session, referral_ids: Iterable[int]) -> dict[int, datetime]:
    """When something last happened in each of these files, from their timelines."""
    ids = sorted(set(referral_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(TimelineEvent.referral_id, func.max(TimelineEvent.at))
        .where(TimelineEvent.referral_id.in_(ids))
        .group_by(TimelineEvent.referral_id)
    )
    return {referral_id: at for referral_id, at in rows}


def find(session: Session, user: User, text: str, region: str = "BE") -> Found:
    """Search every file the user may see, open and closed."""
    terms = read_terms(text, region)
    if terms.is_empty:
        return Found(terms=terms, referrals=[], more=False, last_activity={})
    rows = list(session.scalars(search_statement(user, terms).limit(RESULTS_SHOWN + 1)).unique())
    shown = rows[:RESULTS_SHOWN]
    return Found(
        terms=terms,
        referrals=shown,
        more=len(rows) > RESULTS_SHOWN,
        last_activity=last_activity(session, (r.id for r in shown)),
    )
