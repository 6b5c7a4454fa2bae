"""Referrals by source over time, and the sources whose referrals stopped."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import extract, func, select

from ..extensions import DbSession
from ..models import Referral, Service

MONTHS_SHOWN = 6
QUIET_DAYS, STEADY_DAYS, STEADY_MINIMUM = 30, 90, 3

RULE_SOURCES = _l(
    "Elke doorverwijzing telt in de maand waarin ze geregistreerd werd, bij de dienst of "
    "partner die doorverwees. Gestopt: geen enkele doorverwijzing in de laatste 30 dagen, "
    "terwijl er in de 90 dagen daarvoor minstens 3 waren."
)

STOPPED = _l("gestopt")


@dataclass(frozen=True)
class Quiet:
    """A source's referrals in the last 30 days and in the 90 before: whether it stopped.
    Municipalities' windows add up, so that the sum says whether it stopped for them all."""

    recent: int = 0
    before: int = 0

    def __add__(self, other: Quiet) -> Quiet:
        return Quiet(self.recent + other.recent, self.before + other.before)

    @property
    def stopped(self) -> bool:
        return self.recent == 0 and self.before >= STEADY_MINIMUM

    def __str__(self) -> str:
        return str(STOPPED) if self.stopped else ""


@dataclass
class SourceRow:
    service: Service
    per_month: list[int]
    recent: int
    before: int

    @property
    def total(self) -> int:
        return sum(self.per_month)

    @property
    def quiet(self) -> Quiet:
        return Quiet(self.recent, self.before)

    @property
    def stopped(self) -> bool:
        return self.quiet.stopped


def month_totals(rows: list[SourceRow]) -> list[int]:
    """The total row: per month, the sum over all sources."""
    return (
        [sum(column) for column in zip(*(r.per_month for r in rows), strict=True)] if rows else []
    )


def shown_months(today: date) -> list[tuple[int, int]]:
    """The current month and the five before it, oldest first."""
    year, month = today.year, today.month
    months = []
    for _ in range(MONTHS_SHOWN):
        months.append((year, month))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return list(reversed(months))


def referrals_by_source(
    session: DbSession, municipality_ids: Iterable[int], today: date
) -> list[SourceRow]:
    ids = list(municipality_ids) or [-1]
    months = shown_months(today)
    first = datetime(months[0][0], months[0][1], 1)
    year, month = extract("year", Referral.created_at), extract("month", Referral.created_at)
    counts: dict[tuple[int, int, int], int] = {
        (sid, int(y), int(m)): n
        for sid, y, m, n in session.execute(
            select(Referral.source_service_id, year, month, func.count())
            .where(Referral.municipality_id.in_(ids), Referral.created_at >= first)
            .group_by(Referral.source_service_id, year, month)
        )
    }
    now = datetime.combine(today + timedelta(days=1), datetime.min.time())
    quiet_from = now - timedelta(days=QUIET_DAYS)
    steady_from = quiet_from - timedelta(days=STEADY_DAYS)

    def window(start: datetime, end: datetime) -> dict[int, int]:
        return dict(
            session.execute(
                select(Referral.source_service_id, func.count())
                .where(Referral.municipality_id.in_(ids))
                .where(Referral.created_at >= start, Referral.created_at < end)
                .group_by(Referral.source_service_id)
            ).all()
        )

    recent, before = window(quiet_from, now), window(steady_from, quiet_from)
    source_ids = {sid for sid, _y, _m in counts} | set(before)
    services = session.scalars(
        select(Service)
        .where(Service.id.in_(source_ids or [-1]))
        .order_by(Service.is_partner, Service.name)
    )
    return [
        SourceRow(
            service=s,
            per_month=[counts.get((s.id, y, m), 0) for y, m in months],
            recent=recent.get(s.id, 0),
            before=before.get(s.id, 0),
        )
        for s in services
    ]
