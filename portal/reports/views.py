"""Report pages: the monthly figures as table, chart and CSV."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Blueprint, Response, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from .. import clock
from ..access import Permission, is_lead_for, municipality_ids, requires
from ..extensions import db
from ..formtools import record_id
from .counting import (
    REACHED_HOW,
    REACHED_HOW_LABELS,
    RULE_CONVERSATIONS,
    RULE_REACHED,
    monthly_figures,
)

bp = Blueprint("reports", __name__, url_prefix="/reports")

MONTHS = ["jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"]


def _scope() -> tuple[list[int], int | None]:
    """The lead's municipalities, or the one chosen among them."""
    mine = sorted(m for m in municipality_ids(current_user) if is_lead_for(current_user, m))
    chosen = record_id(request.args.get("municipality"))
    return ([chosen], chosen) if chosen in mine else (mine, None)


def _year() -> int:
    year = record_id(request.args.get("year"))
    return year if year and 2000 <= year <= 2100 else clock.today().year


@bp.get("/monthly")
@requires(Permission.LEAD_TEAM)
def monthly() -> Any:
    """People reached per month and how, and conversations held."""
    ids, chosen = _scope()
    figures = monthly_figures(db.session, ids, _year())
    peak = max(
        [r.reached_total for r in figures.rows] + [r.conversations for r in figures.rows] + [1]
    )
    return render_template(
        "reports/monthly.html",
        figures=figures,
        how=REACHED_HOW,
        how_labels=REACHED_HOW_LABELS,
        months=MONTHS,
        peak=peak,
        rules=[RULE_REACHED, RULE_CONVERSATIONS],
        chosen=chosen,
        municipalities=[
            m
            for m in current_user.municipalities
            if m.id in municipality_ids(current_user) and is_lead_for(current_user, m.id)
        ],
    )


@bp.get("/monthly.csv")
@requires(Permission.LEAD_TEAM)
def monthly_csv() -> Any:
    """The same table as CSV, for a spreadsheet."""
    ids, _chosen = _scope()
    figures = monthly_figures(db.session, ids, _year())
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(
        [
            _("maand"),
            *[str(REACHED_HOW_LABELS[h]) for h in REACHED_HOW],
            _("bereikt"),
            _("gesprekken"),
        ]
    )
    for row in [*figures.rows, figures.totals]:
        label = f"{figures.year}-{row.month:02d}" if row.month else _("totaal")
        writer.writerow(
            [label, *[row.reached[h] for h in REACHED_HOW], row.reached_total, row.conversations]
        )
    return Response(
        "\ufeff" + out.getvalue(),  # a BOM, so that spreadsheet programs read UTF-8
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename=maandcijfers-{figures.year}.csv"},
    )
