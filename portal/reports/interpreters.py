"""Interpreters per language and month: how many were asked for, confirmed, and for how long."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from sqlalchemy import extract, func, select

from ..extensions import DbSession
from ..languages import language_name
from ..models import Appointment, InterpreterRequest, InterpreterStatus, Language, Referral

RULE_INTERPRETERS = _l(
    "Tolken: elke tolkaanvraag telt één keer, met haar status van nu, in de maand van de "
    "afspraak waarvoor ze gevraagd werd; een verplaatste afspraak neemt haar aanvraag mee "
    "naar het nieuwe moment. Uren: de geplande duur van de tolk, per kwartier. Aangevraagd en "
    "bevestigd worden apart geteld; een geannuleerde aanvraag telt als geannuleerd en niet in "
    "de uren."
)


def hours(minutes: int) -> str:
    """Minutes as hours with two decimals, in the user's notation ('1,50')."""
    return format_decimal(Decimal(minutes) / 60, "#,##0.00")


@dataclass(frozen=True)
class Hours:
    """Interpreter time that adds up: counted in minutes, shown in hours ('1,50')."""

    minutes: int = 0

    def __add__(self, other: Hours) -> Hours:
        return Hours(self.minutes + other.minutes)

    def __str__(self) -> str:
        return hours(self.minutes)


@dataclass
class Count:
    """Requests of one language in one month (or a total of them), by status."""

    requested: int = 0
    requested_minutes: int = 0
    confirmed: int = 0
    confirmed_minutes: int = 0
    cancelled: int = 0

    def add(self, other: Count) -> None:
        self.requested += other.requested
        self.requested_minutes += other.requested_minutes
        self.confirmed += other.confirmed
        self.confirmed_minutes += other.confirmed_minutes
        self.cancelled += other.cancelled

    @property
    def requests(self) -> int:
        """Requested and confirmed: the interpreters still counted on."""
        return self.requested + self.confirmed

    @property
    def minutes(self) -> int:
        return self.requested_minutes + self.confirmed_minutes

    @property
    def empty(self) -> bool:
        return not (self.requests or self.cancelled)

    def cells(self) -> list[object]:
        """The columns of COLUMNS, in order."""
        return [
            self.requested,
            hours(self.requested_minutes),
            self.confirmed,
            hours(self.confirmed_minutes),
            self.cancelled,
            self.requests,
            hours(self.minutes),
        ]


COLUMNS = [
    _l("aangevraagd"),
    _l("uren aangevraagd"),
    _l("bevestigd"),
    _l("uren bevestigd"),
    _l("geannuleerd"),
    _l("tolken (zonder geannuleerde)"),
    _l("uren"),
]


@dataclass
class LanguageFigures:
    code: str
    name: str
    months: dict[int, Count] = field(default_factory=dict)
    total: Count = field(default_factory=Count)

    @property
    def shown_months(self) -> list[tuple[int, Count]]:
        """The months in which this language had a request."""
        return [(m, c) for m, c in sorted(self.months.items()) if not c.empty]


@dataclass
class InterpreterFigures:
    year: int
    languages: list[LanguageFigures]
    # Every language together, month by month (1 to 12), and the year's total.
    months: list[Count]
    total: Count


def interpreter_figures(
    session: DbSession, municipality_ids: Iterable[int], year: int
) -> InterpreterFigures:
    """The requests for appointments of one calendar year, per language and month."""
    ids = list(municipality_ids) or [-1]
    month = extract("month", Appointment.starts_at)
    stmt = (
        select(
            InterpreterRequest.language_code,
            Language.name,
            month,
            InterpreterRequest.status,
            func.count(),
            func.coalesce(func.sum(InterpreterRequest.minutes), 0),
        )
        .join(Appointment, Appointment.id == InterpreterRequest.appointment_id)
        .join(Referral, Referral.id == Appointment.referral_id)
        .join(Language, Language.code == InterpreterRequest.language_code)
        .where(Referral.municipality_id.in_(ids))
        .where(Appointment.starts_at >= datetime(year, 1, 1))
        .where(Appointment.starts_at < datetime(year + 1, 1, 1))
        .group_by(InterpreterRequest.language_code, Language.name, month, InterpreterRequest.status)
    )
    languages: dict[str, LanguageFigures] = {}
    months = [Count() for _ in range(12)]
    total = Count()
    for code, name, m, status, n, minutes in session.execute(stmt):
        # Named as the reader names it, as the headings are (the CSV too).
        figures = languages.setdefault(code, LanguageFigures(code, language_name(code, name)))
        count = Count()
        if status == InterpreterStatus.REQUESTED:
            count.requested, count.requested_minutes = n, int(minutes)
        elif status == InterpreterStatus.CONFIRMED:
            count.confirmed, count.confirmed_minutes = n, int(minutes)
        else:
            count.cancelled = n
        figures.months.setdefault(int(m), Count()).add(count)
        figures.total.add(count)
        months[int(m) - 1].add(count)
        total.add(count)
    ordered = sorted(languages.values(), key=lambda f: f.name.casefold())
    return InterpreterFigures(year=year, languages=ordered, months=months, total=total)
