"""The evaluation report's counts per municipality and month, kept so that a report of a year
reads twenty-four small rows instead of counting every referral of the year again.

A month's counts (`Figures`) are what the report's statements give for that month alone, by
the keys that the report's rows are made of (a service's id, not its name, so that renaming it
needs no recount). A report over whole months adds up their counts; a part of a month at the
edge of a picked period is counted from the files each time.

A stored month (report_tally) is used while its version equals the month's version in
report_month, which database triggers raise with every change that touches the month
(portal/reports/marks.py). Otherwise the report counts the month from the files, uses that,
and stores it with the version it read before counting: a change committed while it counted
raised the version again, so the stored row is found out of date next time, never wrong. Two
reports that count one month at once each write the whole row (an upsert), so the last one
wins and nothing is counted twice. A report stores nothing while its own session holds
changes not yet committed (its counts would include them), nor when the database takes no
writes now: then it still answers, from what it counted.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Engine, case, extract, func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError

from ..extensions import DbSession
from ..models import (
    Appointment,
    AppointmentStatus,
    Conversation,
    Need,
    PartnerReferral,
    PartnerReferralStatus,
    Referral,
    ReportMonth,
    ReportTally,
    Signal,
    Theme,
)

# The counts of one registration row, in this order: see evaluation._Profile.
PROFILE_COUNTS = 9


def profile_counts() -> tuple[Any, ...]:
    """The PROFILE_COUNTS aggregates of a group of referrals: newcomers, long-term, each
    indicator answered yes (for work: no), each indicator not asked, and all of them."""
    return (
        func.sum(case((Referral.is_newcomer.is_(True), 1), else_=0)),
        func.sum(case((Referral.is_newcomer.is_(False), 1), else_=0)),
        func.sum(case((Referral.dutch_difficult.is_(True), 1), else_=0)),
        func.sum(case((Referral.has_work.is_(False), 1), else_=0)),
        func.sum(case((Referral.has_children.is_(True), 1), else_=0)),
        func.sum(case((Referral.dutch_difficult.is_(None), 1), else_=0)),
        func.sum(case((Referral.has_work.is_(None), 1), else_=0)),
        func.sum(case((Referral.has_children.is_(None), 1), else_=0)),
        func.count(),
    )


@dataclass
class Figures:
    """What the report counts in a stretch of time, by the ids its rows are made of."""

    # (source service id, language code) -> the PROFILE_COUNTS counts
    registered: dict[tuple[int, str], list[int]] = field(default_factory=dict)
    # (year, month, reached_via, source service id, answer) -> n
    reached: dict[tuple[int, int, str, int, str], int] = field(default_factory=dict)
    # (year, month) -> conversations held
    held: dict[tuple[int, int], int] = field(default_factory=dict)
    # outcome value -> n
    closed: dict[str, int] = field(default_factory=dict)
    # partner id -> [partner referrals, arrived]
    partners: dict[int, list[int]] = field(default_factory=dict)
    # need category id -> n
    needs: dict[int, int] = field(default_factory=dict)
    # theme id -> n
    signals: dict[int, int] = field(default_factory=dict)
    # The people with a held conversation in the month (whole months only), by
    # (previous, dutch_from): the month_index of their last month with a held conversation
    # before this one, and of their first partner referral in a theme that counts as Dutch
    # learning; -1 for none. A report over whole months counts a person once, in the month
    # whose `previous` lies before the period.
    dutch: dict[tuple[int, int], int] = field(default_factory=dict)

    def add(self, other: Figures) -> None:
        for key, counts in other.registered.items():
            mine = self.registered.setdefault(key, [0] * PROFILE_COUNTS)
            for index, value in enumerate(counts):
                mine[index] += value
        for pid, pair in other.partners.items():
            both = self.partners.setdefault(pid, [0, 0])
            both[0] += pair[0]
            both[1] += pair[1]
        for name in ("reached", "held", "closed", "needs", "signals", "dutch"):
            own, theirs = getattr(self, name), getattr(other, name)
            for key, n in theirs.items():
                own[key] = own.get(key, 0) + n

    def to_json(self) -> str:
        return json.dumps(
            {
                "registered": [[*key, *counts] for key, counts in self.registered.items()],
                "reached": [[*key, n] for key, n in self.reached.items()],
                "held": [[*key, n] for key, n in self.held.items()],
                "closed": self.closed,
                "partners": [[key, *pair] for key, pair in self.partners.items()],
                "needs": [[key, n] for key, n in self.needs.items()],
                "signals": [[key, n] for key, n in self.signals.items()],
                "dutch": [[*key, n] for key, n in self.dutch.items()],
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, stored: str) -> Figures:
        data = json.loads(stored)
        return cls(
            registered={(r[0], r[1]): r[2:] for r in data["registered"]},
            reached={(r[0], r[1], r[2], r[3], r[4]): r[5] for r in data["reached"]},
            held={(r[0], r[1]): r[2] for r in data["held"]},
            closed=dict(data["closed"]),
            partners={r[0]: r[1:] for r in data["partners"]},
            needs={r[0]: r[1] for r in data["needs"]},
            signals={r[0]: r[1] for r in data["signals"]},
            dutch={(r[0], r[1]): r[2] for r in data["dutch"]},
        )


def month_index(moment: date) -> int:
    """Months since the year 0: consecutive months are consecutive numbers."""
    return moment.year * 12 + moment.month - 1


def _month_index_of(column: Any) -> Any:
    return extract("year", column) * 12 + extract("month", column) - 1


def month_start(moment: date) -> date:
    return date(moment.year, moment.month, 1)


def next_month(month: date) -> date:
    return date(month.year + 1, 1, 1) if month.month == 12 else date(month.year, month.month + 1, 1)


def months_between(start: date, end: date) -> Iterator[date]:
    """The first days of the whole months in [start, end)."""
    month = start if start.day == 1 else next_month(month_start(start))
    while next_month(month) <= end:
        yield month
        month = next_month(month)


def _moment(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time())


def _ym(column: Any) -> tuple[Any, Any]:
    return extract("year", column), extract("month", column)


def _all(session: DbSession, stmt: Any) -> list[Any]:
    return list(session.execute(stmt))


def count_months(
    session: DbSession, ids: list[int], start: date, end: date
) -> dict[tuple[int, date], Figures]:
    """The figures of every municipality in `ids` and month in [start, end), counted from the
    files; a month that only partly lies in [start, end) counts only that part."""
    found: dict[tuple[int, date], Figures] = {}

    def at(municipality: Any, year: Any, month: Any) -> Figures:
        key = (int(municipality), date(int(year), int(month), 1))
        figures = found.get(key)
        if figures is None:
            figures = found[key] = Figures()
        return figures

    low, high = _moment(start), _moment(end)
    in_ids = Referral.municipality_id.in_(ids)

    year, month = _ym(Referral.created_at)
    profile = profile_counts()
    groups = (
        Referral.municipality_id,
        year,
        month,
        Referral.source_service_id,
        Referral.contact_language_code,
    )
    for mun, y, m, service, language, *counts in _all(
        session,
        select(*groups, *profile)
        .where(Referral.created_at >= low, Referral.created_at < high, in_ids)
        .group_by(*groups),
    ):
        at(mun, y, m).registered[(int(service), str(language))] = [int(c or 0) for c in counts]

    year, month = _ym(Referral.reached_at)
    answer = case(
        (Referral.conversation_accepted.is_(True), "accepted"),
        (Referral.conversation_accepted.is_(False), "declined"),
        else_="open",
    )
    reach_groups = (
        Referral.municipality_id,
        year,
        month,
        Referral.reached_via,
        Referral.source_service_id,
        answer,
    )
    for mun, y, m, via, service, said, n in _all(
        session,
        select(*reach_groups, func.count())
        .where(Referral.reached_at >= low, Referral.reached_at < high, in_ids)
        .group_by(*reach_groups),
    ):
        key = (int(y), int(m), str(via), int(service), str(said))
        at(mun, y, m).reached[key] = int(n)

    year, month = _ym(Appointment.starts_at)
    for mun, y, m, n in _all(
        session,
        select(Referral.municipality_id, year, month, func.count())
        .join(Referral, Referral.id == Appointment.referral_id)
        .where(
            Appointment.status == AppointmentStatus.HELD,
            Appointment.starts_at >= low,
            Appointment.starts_at < high,
            in_ids,
        )
        .group_by(Referral.municipality_id, year, month),
    ):
        at(mun, y, m).held[(int(y), int(m))] = int(n)

    year, month = _ym(Referral.closed_at)
    for mun, y, m, outcome, n in _all(
        session,
        select(Referral.municipality_id, year, month, Referral.outcome, func.count())
        .where(
            Referral.closed_at >= low,
            Referral.closed_at < high,
            Referral.outcome.is_not(None),
            in_ids,
        )
        .group_by(Referral.municipality_id, year, month, Referral.outcome),
    ):
        at(mun, y, m).closed[str(outcome.value)] = int(n)

    year, month = _ym(PartnerReferral.referred_on)
    arrived = func.sum(case((PartnerReferral.status == PartnerReferralStatus.ARRIVED, 1), else_=0))
    for mun, y, m, partner, n, came in _all(
        session,
        select(
            Referral.municipality_id, year, month, PartnerReferral.partner_id, func.count(), arrived
        )
        .join(Referral, Referral.id == PartnerReferral.referral_id)
        .where(PartnerReferral.referred_on >= start, PartnerReferral.referred_on < end, in_ids)
        .group_by(Referral.municipality_id, year, month, PartnerReferral.partner_id),
    ):
        at(mun, y, m).partners[int(partner)] = [int(n), int(came or 0)]

    year, month = _ym(Conversation.held_on)
    for mun, y, m, category, n in _all(
        session,
        select(Referral.municipality_id, year, month, Need.category_id, func.count())
        .join(Conversation, Conversation.id == Need.conversation_id)
        .join(Referral, Referral.id == Conversation.referral_id)
        .where(Conversation.held_on >= start, Conversation.held_on < end, in_ids)
        .group_by(Referral.municipality_id, year, month, Need.category_id),
    ):
        at(mun, y, m).needs[int(category)] = int(n)

    year, month = _ym(Signal.created_at)
    for mun, y, m, theme, n in _all(
        session,
        select(Signal.municipality_id, year, month, Signal.theme_id, func.count())
        .where(Signal.created_at >= low, Signal.created_at < high, Signal.municipality_id.in_(ids))
        .group_by(Signal.municipality_id, year, month, Signal.theme_id),
    ):
        at(mun, y, m).signals[int(theme)] = int(n)

    _count_dutch(session, ids, low, high, at)
    return found


def _count_dutch(
    session: DbSession, ids: list[int], low: datetime, high: datetime, at: Any
) -> None:
    """Figures.dutch of the months in [low, high)."""
    held_here = (
        select(Appointment.referral_id)
        .join(Referral, Referral.id == Appointment.referral_id)
        .where(
            Appointment.status == AppointmentStatus.HELD,
            Appointment.starts_at >= low,
            Appointment.starts_at < high,
            Referral.municipality_id.in_(ids),
        )
    )
    # Every month with a held conversation of those people, also outside [low, high).
    months = (
        select(Appointment.referral_id, _month_index_of(Appointment.starts_at).label("m"))
        .where(
            Appointment.status == AppointmentStatus.HELD,
            Appointment.referral_id.in_(held_here),
        )
        .distinct()
        .subquery()
    )
    previous = func.lag(months.c.m).over(partition_by=months.c.referral_id, order_by=months.c.m)
    lagged = select(months.c.referral_id, months.c.m, previous.label("p")).subquery()
    dutch_from = (
        select(
            PartnerReferral.referral_id,
            func.min(PartnerReferral.referred_on).label("first"),
        )
        .join(Theme, Theme.id == PartnerReferral.theme_id)
        .where(Theme.is_dutch_learning.is_(True), PartnerReferral.referral_id.in_(held_here))
        .group_by(PartnerReferral.referral_id)
        .subquery()
    )
    q = _month_index_of(dutch_from.c.first)
    stmt = (
        select(Referral.municipality_id, lagged.c.m, lagged.c.p, q, func.count())
        .join(Referral, Referral.id == lagged.c.referral_id)
        .outerjoin(dutch_from, dutch_from.c.referral_id == lagged.c.referral_id)
        .where(
            lagged.c.m >= month_index(low.date()),
            lagged.c.m < month_index(high.date()),
            Referral.municipality_id.in_(ids),
        )
        .group_by(Referral.municipality_id, lagged.c.m, lagged.c.p, q)
    )
    for mun, m, p, first, n in _all(session, stmt):
        year, month = divmod(int(m), 12)
        key = (-1 if p is None else int(p), -1 if first is None else int(first))
        at(mun, year, month + 1).dutch[key] = int(n)


def _holds_changes(session: DbSession) -> bool:
    """Whether the session's transaction wrote something not yet committed."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        return session.scalar(text("SELECT pg_current_xact_id_if_assigned() IS NOT NULL")) is True
    raw: Any = connection.connection.dbapi_connection
    return bool(getattr(raw, "in_transaction", True))


def _store(session: DbSession, rows: list[dict[str, Any]]) -> None:
    """Write counted months in a transaction of their own; a database that takes no writes
    now leaves them to be counted again."""
    if not rows or _holds_changes(session):
        return
    engine = cast(Engine, session.get_bind())
    insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
    stmt = insert(ReportTally).values(rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=[ReportTally.municipality_id, ReportTally.month],
        set_={"version": stmt.excluded.version, "figures": stmt.excluded.figures},
    )
    try:
        with engine.connect() as connection:
            connection.execute(stmt)
            connection.commit()
    except DBAPIError:
        return


def whole_months(session: DbSession, ids: list[int], months: list[date]) -> Figures:
    """The figures of these whole months in these municipalities, summed: stored ones where
    they are up to date, the others counted now (and stored)."""
    total = Figures()
    if not months or not ids:
        return total
    first, end = months[0], next_month(months[-1])
    where = (
        ReportMonth.municipality_id.in_(ids),
        ReportMonth.month >= first,
        ReportMonth.month < end,
    )
    # Versions first: what was committed before they were read is in what is counted next.
    versions = {
        (mun, month): version
        for mun, month, version in session.execute(
            select(ReportMonth.municipality_id, ReportMonth.month, ReportMonth.version).where(
                *where
            )
        )
    }
    stored = session.execute(
        select(
            ReportTally.municipality_id, ReportTally.month, ReportTally.version, ReportTally.figures
        ).where(
            ReportTally.municipality_id.in_(ids),
            ReportTally.month >= first,
            ReportTally.month < end,
        )
    )
    wanted = {(mun, month) for mun in ids for month in months}
    for mun, month, version, stored_figures in stored:
        if (mun, month) in wanted and versions.get((mun, month), 0) == version:
            total.add(Figures.from_json(stored_figures))
            wanted.discard((mun, month))
    if not wanted:
        return total
    stale_months = sorted({month for _mun, month in wanted})
    stale_ids = sorted({mun for mun, _month in wanted})
    counted = count_months(session, stale_ids, stale_months[0], next_month(stale_months[-1]))
    rows = []
    for key in sorted(wanted):
        figures = counted.get(key, Figures())
        total.add(figures)
        mun, month = key
        rows.append(
            {
                "municipality_id": mun,
                "month": month,
                "version": versions.get(key, 0),
                "figures": figures.to_json(),
            }
        )
    _store(session, rows)
    return total


def period_figures(session: DbSession, ids: Iterable[int], start: date, end: date) -> Figures:
    """The figures of [start, end): whole months from the tallies, the parts of months at its
    edges counted from the files."""
    ids = sorted({i for i in ids if i > 0})  # [-1]: a lead of no municipality
    months = list(months_between(start, end))
    total = whole_months(session, ids, months)
    edges = [(start, end)] if not months else [(start, months[0]), (next_month(months[-1]), end)]
    for low, high in edges:
        if low < high and ids:
            for figures in count_months(session, ids, low, high).values():
                figures.dutch = {}  # counted per whole month only (the report counts it raw)
                total.add(figures)
    return total
