"""Municipalities side by side: every table of a report with a column per municipality and
one for all of them together.

The together column is the sum of the municipalities' columns where a figure is a count; a
share is the part of the summed wholes that the summed parts make, never an average of the
municipalities' percentages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

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
from .evaluation import MONTHS, Period, Share, Table, evaluation_table, evaluation_tables


@dataclass(frozen=True)
class Comparison:
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
    totals: list[object]
    rule: str

    @property
    def columns(self) -> list[str]:
        """One heading per column, for a CSV or a worksheet that has a single header row."""
        if len(self.figures) == 1:
            return [self.label, *self.places]
        return [self.label, *(f"{f} – {p}" for f in self.figures for p in self.places)]


def together(cells: Sequence[object]) -> object:
    """The cell of all the municipalities together: counts add up, a share is taken of the
    sums; anything else (a dash for a figure that does not add up) stays as it is."""
    if all(isinstance(c, int) and not isinstance(c, bool) for c in cells):
        return sum(cast(int, c) for c in cells)
    if all(isinstance(c, Share) for c in cells):
        shares = [c for c in cells if isinstance(c, Share)]
        return Share(sum(s.part for s in shares), sum(s.whole for s in shares))
    return cells[0] if len(set(map(str, cells))) == 1 else "–"


def _zero_like(cell: object) -> object:
    """What a municipality without the row has in that column."""
    return Share(0, 0) if isinstance(cell, Share) else 0


def compare(combined: Table, per_place: Sequence[Table], names: Sequence[str]) -> Comparison:
    """The same table of each municipality beside the others, in the rows and the order of
    the table of them all together (the report 'alle samen')."""
    labels = [str(row[0]) for row in combined.rows]
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
