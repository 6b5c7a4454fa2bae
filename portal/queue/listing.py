"""What the queue shows a toeleider: open, unclaimed referrals in their municipalities."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Select, and_, or_, select
from sqlalchemy.orm import joinedload

from ..access import in_my_municipalities
from ..extensions import DbSession
from ..languages import language_name
from ..models import Language, Municipality, Person, Referral, ReferralState, Service, User
from ..pagination import Page, paginate_rows
from ..search.finding import matching_files, read_terms

PAGE_SIZE = 25


@dataclass(frozen=True)
class QueueFilter:
    """The choices on the queue page; empty values mean 'no filter'."""

    search: str = ""
    language: str = ""
    municipality_id: int | None = None
    residence: str = ""  # "newcomer" or "long_term"
    source_id: int | None = None
    all_languages: bool = False
    page: int = 1


def _search_condition(text: str, region: str) -> ColumnElement[bool] | None:
    """The header search's reading of the text (portal/search): a file number, a phone
    number, an e-mail, or the start of each part of the name, in any order ('had ra' finds
    'Rania Haddad'), looked up in the index of the persons' search keys."""
    if not text.strip():
        return None
    return matching_files(read_terms(text, region))


class QueueRow(NamedTuple):
    """What a row of the queue shows, read as plain columns: a page of the queue builds no
    ORM objects (they cost more than the query and the rendering together)."""

    id: int
    created_at: datetime
    municipality_id: int
    # None: not known (from the population register).
    dutch_difficult: bool | None
    has_work: bool | None
    has_children: bool | None
    is_newcomer: bool
    full_name: str
    language_code: str
    # The stored (Dutch) name; queue_page gives the reader's.
    language: str
    municipality: str
    source: str


def queue_statement(user: User, f: QueueFilter, region: str = "BE") -> Select[*tuple[Any, ...]]:
    """The queue as one query, ordered by priority: waiting time raised by the indicators."""
    municipality_ids = [m.id for m in user.municipalities]
    stmt = (
        select(
            Referral.id,
            Referral.created_at,
            Referral.municipality_id,
            Referral.dutch_difficult,
            Referral.has_work,
            Referral.has_children,
            Referral.is_newcomer,
            Person.full_name,
            Referral.contact_language_code,
            Language.name,
            Municipality.name,
            Service.name,
        )
        .join(Person, Person.id == Referral.person_id)
        .join(Language, Language.code == Referral.contact_language_code)
        .join(Municipality, Municipality.id == Referral.municipality_id)
        .join(Service, Service.id == Referral.source_service_id)
        .where(Referral.state == ReferralState.NEW)
        .where(Referral.municipality_id.in_(municipality_ids or [-1]))
    )
    spoken = [lang.code for lang in user.languages]
    if f.language:
        stmt = stmt.where(Referral.contact_language_code == f.language)
    elif not f.all_languages and spoken:
        stmt = stmt.where(Referral.contact_language_code.in_(spoken))
    if f.municipality_id:
        stmt = stmt.where(Referral.municipality_id == f.municipality_id)
    if f.residence in ("newcomer", "long_term"):
        stmt = stmt.where(Referral.is_newcomer.is_(f.residence == "newcomer"))
    if f.source_id:
        stmt = stmt.where(Referral.source_service_id == f.source_id)
    condition = _search_condition(f.search, region)
    if condition is not None:
        stmt = stmt.where(condition)
    return stmt.order_by(Referral.priority_at, Referral.id)


def queue_page(
    session: DbSession, user: User, f: QueueFilter, region: str = "BE"
) -> Page[QueueRow]:
    page = paginate_rows(session, queue_statement(user, f, region), f.page, PAGE_SIZE)
    rows = [QueueRow(*row) for row in page.items]
    shown = [row._replace(language=language_name(row.language_code, row.language)) for row in rows]
    return replace(page, items=shown)


def letters_to_send(
    session: DbSession, user: User, lead_municipality_ids: set[int]
) -> list[Referral]:
    """Referrals marked for a letter: one's own, and for a lead their municipalities'."""
    mine = and_(Referral.owner_id == user.id, in_my_municipalities(user))
    condition = (
        or_(mine, Referral.municipality_id.in_(lead_municipality_ids))
        if lead_municipality_ids
        else mine
    )
    stmt = (
        select(Referral)
        .options(
            joinedload(Referral.person),
            joinedload(Referral.contact_language),
            joinedload(Referral.owner),
        )
        .where(Referral.needs_letter.is_(True), Referral.consent_withdrawn_at.is_(None))
        .where(Referral.state != ReferralState.CLOSED)
        .where(condition)
        .order_by(Referral.claimed_at, Referral.id)
    )
    return list(session.scalars(stmt))


def by_postal_address(referrals: list[Referral]) -> tuple[list[Referral], list[Referral]]:
    """The letters that can be posted, and those whose resident has no address on record
    (ask for one, or reach them another way)."""
    postable = [r for r in referrals if (r.person.address or "").strip()]
    return postable, [r for r in referrals if r not in postable]
