"""What a search finds: the files of matching persons that the user may see, in any state."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, and_, exists, false, func, literal, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased, joinedload
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import NullType

from ..access import in_my_municipalities
from ..desk.rules import PhoneError, normalise_phone
from ..extensions import DbSession
from ..models import Referral, SearchKey, SearchKeyKind, TimelineEvent, User
from .keys import KEY_LENGTH, name_tokens, phone_digits

MAX_TEXT = 100
MAX_NAME_PARTS = 5
RESULTS_SHOWN = 50
# Above every code point: `value < prefix + TOP` closes the range of values starting so.
TOP = "\U0010ffff"
# A name part's keys are counted up to this many to find the rarest part; past it a part is
# common, and among common parts the longest leads.
RARITY_CAP = 1_000

_REFERENCE = re.compile(r"^(\d{4})-(\d{1,9})$")
_PHONE_CHARACTERS = re.compile(r"^[\d\s+()./-]+$")


@dataclass(frozen=True)
class Terms:
    """How a search text is read: a file number, a phone number, an e-mail or name parts."""

    reference: str | None = None
    phone: str | None = None
    email: str | None = None
    name_parts: tuple[str, ...] = ()
    # The name part the search starts from, once counted the rarest (see rarest_first), and
    # whether fewer than RARITY_CAP keys start with it.
    lead: str | None = None
    lead_is_rare: bool = False
    # When the lead is rare: the persons whose names it starts, read before the files.
    lead_persons: tuple[int, ...] = ()

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


class StartsWith(ColumnElement[bool]):
    """`column` starts with `prefix`: one range of an index on the column.

    SQLite compares bytes and reads `prefix <= value < prefix + TOP` as a range. PostgreSQL
    (the column's collation is "C") gets the same range out of `value LIKE 'prefix%'`, and
    with it an estimate of how many rows start so from the column's statistics; for the
    range written out it estimates about one row whatever the prefix, and so probes a common
    name's keys one by one where reading two ranges and hashing them costs a fraction.
    """

    # Not Boolean: SQLite would compare a boolean element with 1, and then use no index.
    type = NullType()  # type: ignore[assignment]
    inherit_cache = True
    _traverse_internals = [
        ("column", InternalTraversal.dp_clauseelement),
        ("low", InternalTraversal.dp_clauseelement),
        ("high", InternalTraversal.dp_clauseelement),
        ("pattern", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column: Any, prefix: str):
        self.column = column
        self.low = literal(prefix, column.type)
        self.high = literal(prefix + TOP, column.type)
        # Backslash is PostgreSQL's default escape character in LIKE.
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        self.pattern = literal(escaped + "%", column.type)


@compiles(StartsWith)
def _starts_with_as_range(element: StartsWith, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    low, high = compiler.process(element.low, **kw), compiler.process(element.high, **kw)
    return f"({column} >= {low} AND {column} < {high})"


@compiles(StartsWith, "postgresql")
def _starts_with_as_like(element: StartsWith, compiler: Any, **kw: Any) -> str:
    return (
        f"{compiler.process(element.column, **kw)} LIKE {compiler.process(element.pattern, **kw)}"
    )


def _in_range(key: Any, kind: SearchKeyKind, prefix: str) -> ColumnElement[bool]:
    return and_(key.kind == kind.value, StartsWith(key.value, prefix))


def _key_condition(terms: Terms) -> tuple[Any, Any, ColumnElement[bool]] | None:
    """The search keys to start from, their person id, and what the person's keys must match."""
    key = aliased(SearchKey)
    if terms.phone:
        return (
            key,
            key.person_id,
            and_(key.kind == SearchKeyKind.PHONE.value, key.value == terms.phone),
        )
    if terms.email:
        return key, key.person_id, _in_range(key, SearchKeyKind.EMAIL, terms.email)
    if not terms.name_parts:
        return None
    # Every part typed starts some part of the name, in any order: 'had ra' finds 'Rania
    # Haddad'. One part leads and the others are looked up per person, so that the database
    # can stop as soon as it has enough files to show; a search costs a look-up for every
    # person the leading part finds. The rarest part leads when it was counted, else the
    # longest, usually the rarest.
    first = terms.lead or max(terms.name_parts, key=len)
    others = list(terms.name_parts)
    others.remove(first)
    if terms.lead_is_rare:
        # Fewer than RARITY_CAP keys start with the lead: their persons were read first
        # (rarest_first), and the files are looked up by those persons, whatever the planner's
        # statistics say. PostgreSQL orders a join from its estimates, and with estimates from
        # before a load it read every file to find one 'Li', or started from every 'Mohammed'
        # to find one 'Mohammed Li'.
        source: Any = Referral
        person_id: Any = Referral.person_id
        condition: ColumnElement[bool] = (
            Referral.person_id.in_(terms.lead_persons) if terms.lead_persons else false()
        )
    else:
        source, person_id = key, key.person_id
        condition = _in_range(key, SearchKeyKind.NAME, first)
    for part in others:
        other = aliased(SearchKey)
        condition = and_(
            condition,
            exists().where(
                other.person_id == person_id, _in_range(other, SearchKeyKind.NAME, part)
            ),
        )
    return source, person_id, condition


def rarest_first(session: DbSession, terms: Terms) -> Terms:
    """The terms with the name part the fewest persons' names start with as the lead.

    The longest part is not always the rarest: in 'Mohammed Li' the given name is common and
    the family name rare, and leading with the common one reads thousands of keys to find one
    person. One statement counts each part's keys, up to RARITY_CAP each, from the index alone.
    A lead under the cap is read first on both backends (see _key_condition); past it the
    database orders the join, SQLite as written and PostgreSQL from its statistics.
    """
    parts = list(dict.fromkeys(terms.name_parts))
    if not parts:
        return terms
    counts = [
        select(func.count())
        .select_from(
            select(literal(1))
            .where(_in_range(SearchKey, SearchKeyKind.NAME, part))
            .limit(RARITY_CAP)
            .subquery()
        )
        .scalar_subquery()
        for part in parts
    ]
    found = cast("Sequence[int]", session.execute(select(*counts)).one())
    # Fewest keys first; among parts past the cap, the longest.
    count, lead = min(zip(found, parts, strict=True), key=lambda c: (c[0], -len(c[1])))
    if int(count) >= RARITY_CAP:
        return replace(terms, lead=lead)
    persons = session.scalars(
        select(SearchKey.person_id)
        .where(_in_range(SearchKey, SearchKeyKind.NAME, lead))
        .distinct()
        .order_by(SearchKey.person_id)
    )
    return replace(terms, lead=lead, lead_is_rare=True, lead_persons=tuple(persons))


def matching_files(terms: Terms) -> ColumnElement[bool]:
    """SQL condition: the file has the reference, or belongs to a person the terms find."""
    if terms.reference:
        return Referral.reference == terms.reference
    match = _key_condition(terms)
    if match is None:
        return Referral.id.is_(None)
    source, person_id, condition = match
    if source is Referral:
        return condition
    return Referral.person_id.in_(select(person_id).where(condition))


def search_statement(user: User, terms: Terms) -> Select[int]:
    """Ids of files the terms find among those the user may see; a person may come twice.

    Ids only, in no particular order, from the indexes on the keys and on (person,
    municipality, id) alone: with a common name thousands of files match, and the database
    stops reading after the first few instead of sorting them all.
    """
    mine = in_my_municipalities(user)
    match = _key_condition(terms)
    if terms.reference or match is None:
        return select(Referral.id).where(mine, matching_files(terms))
    source, person_id, condition = match
    if source is Referral:
        return select(Referral.id).where(condition, mine)
    return (
        select(Referral.id)
        .select_from(source)
        .join(Referral, Referral.person_id == person_id)
        .where(condition, mine)
    )


def _shown(session: DbSession, ids: list[int]) -> list[Referral]:
    if not ids:
        return []
    # An anonymised file belongs to a person without keys; a file number still names it.
    stmt = (
        select(Referral)
        .options(
            joinedload(Referral.person),
            joinedload(Referral.owner),
            joinedload(Referral.municipality),
        )
        .where(Referral.id.in_(ids), Referral.anonymised_at.is_(None))
        .order_by(Referral.id.desc())
    )
    return list(session.scalars(stmt).unique())


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


def last_activity(session: DbSession, referral_ids: Iterable[int]) -> dict[int, datetime]:
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


def find(session: DbSession, user: User, text: str, region: str = "BE") -> Found:
    """Search every file the user may see, open and closed."""
    terms = read_terms(text, region)
    if terms.is_empty:
        return Found(terms=terms, referrals=[], more=False, last_activity={})
    terms = rarest_first(session, terms)
    # A person matches once per name part the search starts: read twice what is shown.
    rows = session.scalars(search_statement(user, terms).limit(2 * (RESULTS_SHOWN + 1)))
    ids = list(dict.fromkeys(rows))
    shown = _shown(session, ids[:RESULTS_SHOWN])
    return Found(
        terms=terms,
        referrals=shown,
        more=len(ids) > RESULTS_SHOWN,
        last_activity=last_activity(session, (r.id for r in shown)),
    )
