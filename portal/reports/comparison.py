"""Municipalities side by side: every table of a report with a column per municipality and
one for all of them together.

The together column is the sum of the municipalities' columns where a figure is a count (or
adds up as one: interpreters' hours, a source's referrals in its quiet windows); a share is
the part of the summed wholes that the summed parts make, never an average of the
municipalities' percentages. A KPI's target is no count of a municipality: it stands once.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import reduce
from typing import cast

from flask_babel import format_date
from flask_babel import lazy_gettext as _l

from ..extensions import DbSession
from .counting import (
    REACHED_HOW,
    REACHED_HOW_LABELS,
    RULE_CONVERSATIONS,
    RULE_REACHED,
    MonthlyFigures,
    monthly_figures,
)
from .evaluation import (
    MONTHS,
    CatalogueLabels,
    Period,
    Share,
    Table,
    evaluation_table,
    evaluation_tables,
)
from .interpreters import COLUMNS as INTERPRETER_COLUMNS
from .interpreters import RULE_INTERPRETERS, Hours, InterpreterFigures, interpreter_figures
from .kpis import NO_CHANNEL, KpiProgress, progress_report
from .sources import RULE_SOURCES, Quiet, SourceRow, month_totals, referrals_by_source, shown_months

# Figures that add up but are no plain count: their together cell is their sum.
ADDING = (Hours, Quiet)


@dataclass(frozen=True)
class Comparison(CatalogueLabels):
    """One table of a report for several municipalities, figure by figure."""

    key: str
    title: str
    # The heading of the rows' labels ("Maand", "Taal") and the figures of each row.
    label: str
    figures: list[str]
    # The municipalities' names, then "Samen".
    places: list[str]
    # Each row: its label, then for each figure a cell per place.
    rows: list[list[object]]
    # 'Totaal' and the columns' totals; none where the rows do not add up (KPIs).
    totals: list[object]
    rule: str
    # The headings of columns that belong to the row, not to a municipality (a KPI's
    # target): after the label, before the municipalities' columns.
    fixed: list[str] = field(default_factory=list)
    # As in the Table: the rows' labels are stored Dutch names, except these.
    dutch_labels: bool = False
    own_labels: frozenset[str] = frozenset()
    dutch_title: bool = False

    @property
    def columns(self) -> list[str]:
        """One heading per column, for a CSV or a worksheet that has a single header row."""
        if len(self.figures) == 1 and not self.fixed:
            return [self.label, *self.places]
        return [
            self.label,
            *self.fixed,
            *(f"{f} – {p}" for f in self.figures for p in self.places),
        ]

    @property
    def grouped(self) -> bool:
        """Whether the places stand under a heading of their figure (a second header row)."""
        return len(self.figures) > 1 or bool(self.fixed)


def together(cells: Sequence[object]) -> object:
    """The cell of all the municipalities together: counts add up, a share is taken of the
    sums; anything else (a dash for a figure that does not add up) stays as it is."""
    if all(isinstance(c, int) and not isinstance(c, bool) for c in cells):
        return sum(cast(int, c) for c in cells)
    if all(isinstance(c, Share) for c in cells):
        shares = [c for c in cells if isinstance(c, Share)]
        return Share(sum(s.part for s in shares), sum(s.whole for s in shares))
    if cells and len({type(c) for c in cells}) == 1 and isinstance(cells[0], ADDING):
        return reduce(operator.add, cells)
    return cells[0] if len(set(map(str, cells))) == 1 else "–"


def _zero_like(cell: object) -> object:
    """What a municipality without the row has in that column."""
    if isinstance(cell, Share):
        return Share(0, 0)
    return type(cell)() if isinstance(cell, ADDING) else 0


def compare(combined: Table, per_place: Sequence[Table], names: Sequence[str]) -> Comparison:
    """The same table of each municipality beside the others, in the rows and the order of
    the table of them all together (the report 'alle samen')."""
    # One row per label: municipalities' own services of one name (each its "Onthaal") are
    # two rows of the table of them all, and one row here, each in its municipality's column.
    labels = list(dict.fromkeys(str(row[0]) for row in combined.rows))
    for table in per_place:
        labels += [str(r[0]) for r in table.rows if str(r[0]) not in labels]
    width = len(combined.columns) - 1
    blank: list[object] = [
        _zero_like(combined.rows[0][i + 1]) if combined.rows else 0 for i in range(width)
    ]
    by_label = [{str(row[0]): row[1:] for row in table.rows} for table in per_place]
    rows: list[list[object]] = []
    for label in labels:
        values = [mine.get(label, blank) for mine in by_label]
        rows.append([label, *_beside(values, width)])
    totals = [t.totals[1:] for t in per_place]
    return Comparison(
        key=combined.key,
        title=combined.short_title or combined.title,
        label=combined.columns[0],
        figures=combined.columns[1:],
        places=[*names, str(_l("Samen"))],
        rows=rows,
        totals=[str(_l("Totaal")), *_beside(totals, width)],
        rule=combined.rule,
        dutch_labels=combined.dutch_labels,
        own_labels=combined.own_labels,
        dutch_title=combined.dutch_title,
    )


def _beside(values: Sequence[Sequence[object]], width: int) -> list[object]:
    """For each figure, the municipalities' cells and their together cell."""
    cells: list[object] = []
    for figure in range(width):
        mine = [v[figure] for v in values]
        cells += [*mine, together(mine)]
    return cells


def compared_evaluation(
    session: DbSession, places: Sequence[tuple[int, str]], period: Period
) -> list[Comparison]:
    """Every table of the evaluation report with the municipalities (id, name) side by side."""
    combined = evaluation_tables(session, [pid for pid, _name in places], period)
    per_place = [evaluation_tables(session, [pid], period) for pid, _name in places]
    names = [name for _pid, name in places]
    return [
        compare(table, [tables[index] for tables in per_place], names)
        for index, table in enumerate(combined)
    ]


def compared_table(
    session: DbSession, places: Sequence[tuple[int, str]], period: Period, key: str
) -> Comparison | None:
    """One table of the report with the municipalities side by side; None for a key the
    report lacks."""
    combined = evaluation_table(session, [pid for pid, _name in places], period, key)
    if combined is None:
        return None
    per_place = [evaluation_table(session, [pid], period, key) for pid, _name in places]
    return compare(combined, [t for t in per_place if t is not None], [n for _p, n in places])


def _monthly_table(figures: MonthlyFigures, numbered: bool) -> Table:
    """The monthly figures as a table: each month's people reached, by how and in all, and
    its conversations; the months by name for the page, numbered (2026-03) for a CSV."""
    return Table(
        "maandcijfers",
        str(_l("Bereikt en gesprekken per maand")),
        [
            str(_l("Maand")),
            *[str(REACHED_HOW_LABELS[h]) for h in REACHED_HOW],
            str(_l("Bereikt")),
            str(_l("Gesprekken")),
        ],
        [
            [
                f"{figures.year}-{row.month:02d}" if numbered else MONTHS[row.month - 1],
                *[row.reached[h] for h in REACHED_HOW],
                row.reached_total,
                row.conversations,
            ]
            for row in figures.rows
        ],
        f"{RULE_REACHED} {RULE_CONVERSATIONS}",
    )


def compared_monthly(
    session: DbSession, places: Sequence[tuple[int, str]], year: int, numbered: bool = False
) -> Comparison:
    """The monthly figures of a year with the municipalities (id, name) side by side."""
    ids = [pid for pid, _name in places]
    combined = _monthly_table(monthly_figures(session, ids, year), numbered)
    per_place = [_monthly_table(monthly_figures(session, [pid], year), numbered) for pid in ids]
    return compare(combined, per_place, [name for _pid, name in places])


def _source_tables(rows: list[SourceRow], months: list[tuple[int, int]]) -> list[Table]:
    """The sources report as tables: each source's referrals over the months shown and
    whether it stopped; and the referrals of all sources month by month."""
    partner = str(_l("partner"))
    per_month = month_totals(rows) or [0] * len(months)
    return [
        Table(
            "bronnen",
            str(_l("Doorverwijzingen per bron")),
            [
                str(_l("Bron")),
                str(_l("Doorverwijzingen in deze zes maanden")),
                str(_l("Opvallend")),
            ],
            [
                [
                    f"{r.service.name} ({partner})" if r.service.is_partner else r.service.name,
                    r.total,
                    r.quiet,
                ]
                for r in rows
            ],
            str(RULE_SOURCES),
            total_cells={2: ""},
            # Named by the service ("partner" is the same word in English).
            dutch_labels=True,
        ),
        Table(
            "maanden",
            str(_l("Doorverwijzingen per maand")),
            [str(_l("Maand")), str(_l("Doorverwijzingen"))],
            [[f"{MONTHS[m - 1]} {y}", n] for (y, m), n in zip(months, per_month, strict=True)],
            str(RULE_SOURCES),
        ),
    ]


def compared_sources(
    session: DbSession, places: Sequence[tuple[int, str]], today: date
) -> list[Comparison]:
    """The referrals per source of the last six months with the municipalities side by side;
    a source stopped for them together when their summed windows say so."""
    months = shown_months(today)
    ids = [pid for pid, _name in places]
    combined = _source_tables(referrals_by_source(session, ids, today), months)
    per_place = [_source_tables(referrals_by_source(session, [pid], today), months) for pid in ids]
    names = [name for _pid, name in places]
    return [
        compare(table, [tables[index] for tables in per_place], names)
        for index, table in enumerate(combined)
    ]


def _interpreter_tables(figures: InterpreterFigures, numbered: bool) -> list[Table]:
    """Interpreters counted on and their hours: per language and month, per language, per
    month; the months by name for the page, numbered (2026-03) for a CSV."""

    def month(m: int) -> str:
        return f"{figures.year}-{m:02d}" if numbered else MONTHS[m - 1]

    requests, hours = str(INTERPRETER_COLUMNS[5]), str(INTERPRETER_COLUMNS[6])
    total_hours: dict[int, object] = {2: Hours(figures.total.minutes)}
    rule = str(RULE_INTERPRETERS)
    return [
        Table(
            "taal-en-maand",
            str(_l("Tolken per taal en maand")),
            [str(_l("Taal en maand")), requests, hours],
            [
                [f"{language.name} · {month(m)}", c.requests, Hours(c.minutes)]
                for language in figures.languages
                for m, c in language.shown_months
            ],
            rule,
            total_cells=total_hours,
        ),
        Table(
            "talen",
            str(_l("Tolken per taal")),
            [str(_l("Taal")), requests, hours],
            [
                [language.name, language.total.requests, Hours(language.total.minutes)]
                for language in figures.languages
            ],
            rule,
            total_cells=total_hours,
        ),
        Table(
            "maanden",
            str(_l("Tolken per maand, alle talen samen")),
            [str(_l("Maand")), requests, hours],
            [
                [month(index + 1), c.requests, Hours(c.minutes)]
                for index, c in enumerate(figures.months)
            ],
            rule,
            total_cells=total_hours,
        ),
    ]


def compared_interpreters(
    session: DbSession, places: Sequence[tuple[int, str]], year: int, numbered: bool = False
) -> list[Comparison]:
    """The interpreters of a year with the municipalities (id, name) side by side."""
    ids = [pid for pid, _name in places]
    combined = _interpreter_tables(interpreter_figures(session, ids, year), numbered)
    per_place = [
        _interpreter_tables(interpreter_figures(session, [pid], year), numbered) for pid in ids
    ]
    names = [name for _pid, name in places]
    return [
        compare(table, [tables[index] for tables in per_place], names)
        for index, table in enumerate(combined)
    ]


@dataclass(frozen=True)
class KpiComparison:
    """The KPI page with the municipalities side by side: the overview, then each KPI's
    channels for the municipalities it counts in."""

    overview: Comparison
    # Per KPI (in the overview's order): its progress over them together, its channels.
    kpis: list[tuple[KpiProgress, Comparison]]


def _channel_table(p: KpiProgress) -> Table:
    return Table(
        f"kpi-{p.kpi.id}",
        p.kpi.name,
        [str(_l("Kanaal")), str(_l("Aantal"))],
        [[name, n] for name, n in p.by_channel],
        p.rule_text,
        dutch_labels=True,
        own_labels=frozenset({str(NO_CHANNEL)}),
        dutch_title=True,
    )


def compared_kpis(
    session: DbSession, places: Sequence[tuple[int, str]], today: date, start_year: int | None
) -> KpiComparison:
    """Each KPI's target, what is expected by today and what each municipality achieved,
    and their sum. A target belongs to the KPI, not to a municipality: it stands once, and
    the percentage is of the sum. A KPI limited to one municipality has figures in that
    municipality's column only."""
    ids = [pid for pid, _name in places]
    combined = progress_report(session, ids, today, start_year)
    mine = {
        pid: {p.kpi.id: p for p in progress_report(session, [pid], today, start_year)}
        for pid in ids
    }
    names = [name for _pid, name in places]
    everywhere = str(_l("alle gemeenten"))
    rows: list[list[object]] = []
    channels: list[tuple[KpiProgress, Comparison]] = []
    for p in combined:
        counted = [(pid, name) for pid, name in places if p.kpi.municipality_id in (None, pid)]
        achieved = [mine[pid][p.kpi.id].total for pid, _name in counted]
        cells: list[object] = [
            mine[pid][p.kpi.id].total if p.kpi.id in mine[pid] else "–" for pid in ids
        ]
        total = sum(achieved)
        rows.append(
            [
                p.kpi.name,
                f"{format_date(p.period.start, 'dd/MM/y')} – "
                f"{format_date(p.period.last_day, 'dd/MM/y')}",
                everywhere
                if p.kpi.municipality_id is None
                else str(_l("alleen %(name)s", name=", ".join(n for _i, n in counted))),
                p.target,
                p.expected,
                Share(total, p.target) if p.target > 0 else "–",
                *cells,
                total,
            ]
        )
        channels.append(
            (
                p,
                compare(
                    _channel_table(p),
                    [_channel_table(mine[pid][p.kpi.id]) for pid, _name in counted],
                    [name for _pid, name in counted],
                ),
            )
        )
    overview = Comparison(
        key="kpi-overzicht",
        title=str(_l("Overzicht")),
        label=str(_l("KPI")),
        figures=[str(_l("Behaald"))],
        places=[*names, str(_l("Samen"))],
        rows=rows,
        totals=[],
        rule=str(
            _l(
                "Een doel geldt voor de KPI, niet per gemeente: het staat één keer, en het "
                "procent is dat van de som. Verwacht: het deel van het doel dat voorbij is van "
                "het projectjaar. Een KPI die alleen voor één gemeente geldt, heeft alleen in "
                "de kolom van die gemeente cijfers."
            )
        ),
        fixed=[
            str(_l("Projectjaar")),
            str(_l("Geldt voor")),
            str(_l("Doel")),
            str(_l("Verwacht tegen vandaag")),
            str(_l("Procent van het doel")),
        ],
        dutch_labels=True,
    )
    return KpiComparison(overview, channels)
