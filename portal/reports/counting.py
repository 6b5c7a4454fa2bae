"""Counting rules for the reports, each one SQL aggregate with its rule in plain Dutch.

A referral counts in the period in which the counted event happened, never by when it was
registered, so that a month's figure does not change when older files move on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, and_, case, extract, func, select

from ..extensions import DbSession
from ..models import Appointment, AppointmentStatus, Referral, Service
from ..referrals.reach import VIA_DESK, VIA_LETTER
from .tallies import period_figures

REACHED_HOW = ("desk", "letter", "partner", "phone")
REACHED_HOW_LABELS = {
    "desk": _l("aan het loket of in permanentie"),
    "letter": _l("na een uitnodigingsbrief"),
    "partner": _l("via een partner"),
    "phone": _l("telefonisch, per sms of e-mail"),
}

RULE_REACHED = _l(
    "Bereikt: elke doorverwijzing telt één keer, in de maand van het eerste contact met "
    "resultaat 'bereikt' (ook een afspraak die aan het loket gemaakt werd), op het moment "
    "waarop het plaatsvond; een doorgehaalde contactpoging telt niet. Hoe: aan het loket "
    "als dat contact aan het loket was; anders na een brief als er eerder een uitnodigingsbrief "
    "verstuurd werd; anders via een partner als een partner de persoon doorverwees; anders "
    "telefonisch."
)
RULE_CONVERSATIONS = _l(
    "Gesprekken: elke afspraak met status 'gehouden', in de maand waarin ze plaatsvond."
)


@dataclass
class MonthRow:
    month: int
    reached: dict[str, int] = field(default_factory=lambda: dict.fromkeys(REACHED_HOW, 0))
    conversations: int = 0

    @property
    def reached_total(self) -> int:
        return sum(self.reached.values())


@dataclass
class MonthlyFigures:
    year: int
    rows: list[MonthRow]

    @property
    def totals(self) -> MonthRow:
        total = MonthRow(month=0)
        for row in self.rows:
            for how, n in row.reached.items():
                total.reached[how] += n
            total.conversations += row.conversations
        return total


def _year_bounds(year: int) -> tuple[datetime, datetime]:
    return datetime(year, 1, 1), datetime(year + 1, 1, 1)


def first_reached_in(start: datetime, end: datetime) -> ColumnElement[bool]:
    """The referrals whose first 'reached' contact attempt happened in [start, end).

    The referral carries that moment (portal/referrals/reach.py keeps it from its attempts:
    the first by the moment it happened, struck attempts left out).
    """
    return and_(Referral.reached_at >= start, Referral.reached_at < end)


ANSWER_TO_OFFER = case(
    (Referral.conversation_accepted.is_(True), "accepted"),
    (Referral.conversation_accepted.is_(False), "declined"),
    else_="open",
).label("answer")


def reached_statement(
    municipality_ids: Iterable[int],
    start: datetime,
    end: datetime,
    by_year: bool = False,
    by_answer: bool = False,
) -> Select[*tuple[Any, ...]]:
    """(month, how, n) of referrals first reached in [start, end); by_year puts the year first,
    by_answer adds the answer to the offer of a conversation ('accepted', 'declined', 'open')
    after how."""
    ids = list(municipality_ids) or [-1]
    how = case(
        (Referral.reached_via == VIA_DESK, "desk"),
        (Referral.reached_via == VIA_LETTER, "letter"),
        (Service.is_partner.is_(True), "partner"),
        else_="phone",
    ).label("how")
    month = extract("month", Referral.reached_at).label("month")
    groups = [extract("year", Referral.reached_at).label("year"), month] if by_year else [month]
    groups.append(how)
    if by_answer:
        groups.append(ANSWER_TO_OFFER)
    return (
        select(*groups, func.count().label("n"))
        .select_from(Referral)
        .join(Service, Service.id == Referral.source_service_id)
        .where(first_reached_in(start, end), Referral.municipality_id.in_(ids))
        .group_by(*groups)
    )


def reached_how(via: str, from_partner: bool) -> str:
    """How a referral was reached (REACHED_HOW) by its first reach's `reached_via` and whether
    a partner referred it: RULE_REACHED, as reached_statement counts it."""
    if via == VIA_DESK:
        return "desk"
    if via == VIA_LETTER:
        return "letter"
    return "partner" if from_partner else "phone"


def monthly_figures(
    session: DbSession, municipality_ids: Iterable[int], year: int, from_files: bool = False
) -> MonthlyFigures:
    """People reached per month and how, and conversations held, for one calendar year.

    Added up from the months' tallies (portal/reports/tallies.py), which count by the same
    rules; from_files counts every file of the year with the rules' statements instead.
    """
    ids = list(municipality_ids)
    rows = {m: MonthRow(month=m) for m in range(1, 13)}
    if from_files:
        start, end = _year_bounds(year)
        reached: list[Any] = list(session.execute(reached_statement(ids, start, end)))
        for month, how, n in reached:
            rows[int(month)].reached[how] += n
        for _year, month, n in session.execute(held_statement(ids, start, end)):
            rows[int(month)].conversations = n
        return MonthlyFigures(year=year, rows=[rows[m] for m in range(1, 13)])
    figures = period_figures(session, ids, date(year, 1, 1), date(year + 1, 1, 1))
    sources = {key[3] for key in figures.reached}
    partners = set(
        session.scalars(
            select(Service.id).where(Service.id.in_(sources or {-1}), Service.is_partner.is_(True))
        )
    )
    for (_year, month, via, source, _answer), n in figures.reached.items():
        rows[month].reached[reached_how(via, source in partners)] += n
    for (_year, month), n in figures.held.items():
        rows[month].conversations += n
    return MonthlyFigures(year=year, rows=[rows[m] for m in range(1, 13)])


def held_statement(
    municipality_ids: Iterable[int], start: datetime, end: datetime
) -> Select[int, int, int]:
    """(year, month, n) of conversations held in [start, end): RULE_CONVERSATIONS."""
    ids = list(municipality_ids) or [-1]
    year, month = extract("year", Appointment.starts_at), extract("month", Appointment.starts_at)
    return (
        select(year, month, func.count())
        .join(Referral, Referral.id == Appointment.referral_id)
        .where(Referral.municipality_id.in_(ids))
        .where(Appointment.status == AppointmentStatus.HELD)
        .where(Appointment.starts_at >= start, Appointment.starts_at < end)
        .group_by(year, month)
    )


def reached_between(
    session: DbSession, municipality_ids: Iterable[int], start: date, end: date
) -> int:
    """How many referrals were first reached in [start, end): the same rule, one number."""
    stmt = reached_statement(
        municipality_ids,
        datetime.combine(start, datetime.min.time()),
        datetime.combine(end, datetime.min.time()),
    ).subquery()
    return session.scalar(select(func.coalesce(func.sum(stmt.c.n), 0))) or 0
