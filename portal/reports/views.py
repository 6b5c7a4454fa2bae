"""Report pages: the monthly figures as table, chart and CSV."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from .. import clock
from ..access import (
    Permission,
    led_municipalities,
    report_scope,
    requires,
    side_by_side_municipalities,
)
from ..downloads import csv_download, download, file_slug
from ..extensions import db
from ..formtools import record_id, year_arg
from ..inputs import known_args
from ..labels import UNIT_LABELS
from ..models import Municipality
from .comparison import (
    compared_evaluation,
    compared_interpreters,
    compared_kpis,
    compared_monthly,
    compared_sources,
    compared_table,
)
from .counting import (
    REACHED_HOW,
    REACHED_HOW_LABELS,
    RULE_CONVERSATIONS,
    RULE_REACHED,
    monthly_figures,
)
from .evaluation import (
    MONTHS,
    Period,
    Table,
    default_part,
    evaluation_table,
    evaluation_tables,
    work_year_period,
)
from .interpreters import COLUMNS as INTERPRETER_COLUMNS
from .interpreters import RULE_INTERPRETERS, interpreter_figures
from .kpis import export_rows, progress_report
from .sources import RULE_SOURCES, month_totals, referrals_by_source, shown_months
from .workbook import workbook

bp = Blueprint("reports", __name__, url_prefix="/reports")


def _led_municipalities() -> list[Any]:
    """The municipalities this lead answers for, for the 'which municipality' choice."""
    return led_municipalities(current_user)


def _scope() -> tuple[list[int], int | None]:
    """The lead's municipalities, or the one chosen among them."""
    return report_scope(current_user, record_id(request.args.get("municipality")))


def _scope_name(ids: list[int]) -> str:
    """The municipality a report covers, or 'alle samen' for several: in every title,
    printout, workbook and download."""
    if len(ids) == 1:
        municipality = db.session.get(Municipality, ids[0])
        if municipality is not None:
            return municipality.name
    return _("alle samen")


# The choice of a report's municipality that sets the lead's municipalities side by side.
SIDE_BY_SIDE = "naast-elkaar"


def _side_by_side() -> list[tuple[int, str]]:
    """(id, name) of the lead's municipalities when they asked to see them side by side; none
    for a lead of one municipality, whatever the address says."""
    if request.args.get("municipality") != SIDE_BY_SIDE:
        return []
    return [(m.id, m.name) for m in side_by_side_municipalities(current_user)]


def _side_by_side_name(places: list[tuple[int, str]]) -> str:
    return _("%(names)s naast elkaar", names=", ".join(name for _id, name in places))


def _year() -> int:
    return year_arg(request.args.get("year")) or clock.today().year


@bp.get("/monthly")
@requires(Permission.LEAD_TEAM)
def monthly() -> Any:
    """People reached per month and how, and conversations held; for a lead of several
    municipalities also with the municipalities side by side."""
    ids, chosen = _scope()
    figures = monthly_figures(db.session, ids, _year())
    places = _side_by_side()
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
        compared=compared_monthly(db.session, places, figures.year) if places else None,
        chosen=SIDE_BY_SIDE if places else chosen,
        where=_side_by_side_name(places) if places else _scope_name(ids),
        municipalities=_led_municipalities(),
        side_by_side=bool(side_by_side_municipalities(current_user)),
    )


@bp.get("/monthly.csv")
@requires(Permission.LEAD_TEAM)
def monthly_csv() -> Any:
    """The same table as CSV, for a spreadsheet."""
    ids, _chosen = _scope()
    places = _side_by_side()
    if places:
        compared = compared_monthly(db.session, places, _year(), numbered=True)
        return csv_download(
            [compared.columns, *compared.rows, compared.totals],
            f"maandcijfers-{_year()}-{SIDE_BY_SIDE}.csv",
        )
    figures = monthly_figures(db.session, ids, _year())
    table = Table(
        "maandcijfers",
        "",
        [
            _("maand"),
            *[str(REACHED_HOW_LABELS[h]) for h in REACHED_HOW],
            _("bereikt"),
            _("gesprekken"),
        ],
        [
            [
                f"{figures.year}-{row.month:02d}",
                *[row.reached[h] for h in REACHED_HOW],
                row.reached_total,
                row.conversations,
            ]
            for row in figures.rows
        ],
        "",
    )
    return _csv_response(table, f"maandcijfers-{figures.year}{_where(ids)}.csv")


@bp.get("/interpreters")
@requires(Permission.LEAD_TEAM)
def interpreters() -> Any:
    """Interpreters asked for and confirmed, and their hours, per language and month."""
    ids, chosen = _scope()
    places = _side_by_side()
    return render_template(
        "reports/interpreters.html",
        figures=interpreter_figures(db.session, ids, _year()),
        columns=INTERPRETER_COLUMNS,
        months=MONTHS,
        rule=RULE_INTERPRETERS,
        comparisons=compared_interpreters(db.session, places, _year()) if places else [],
        chosen=SIDE_BY_SIDE if places else chosen,
        where=_side_by_side_name(places) if places else _scope_name(ids),
        municipalities=_led_municipalities(),
        side_by_side=bool(side_by_side_municipalities(current_user)),
    )


@bp.get("/interpreters.csv")
@requires(Permission.LEAD_TEAM)
def interpreters_csv() -> Any:
    """The same figures as CSV: one line per language and month, and the total; side by
    side, each municipality's interpreters and hours and their sum."""
    ids, _chosen = _scope()
    places = _side_by_side()
    if places:
        compared = compared_interpreters(db.session, places, _year(), numbered=True)[0]
        return csv_download(
            [compared.columns, *compared.rows, compared.totals],
            f"tolken-{_year()}-{SIDE_BY_SIDE}.csv",
        )
    figures = interpreter_figures(db.session, ids, _year())
    rows: list[list[object]] = [
        [_("taal"), _("maand"), *[str(c) for c in INTERPRETER_COLUMNS]],
        *(
            [language.name, f"{figures.year}-{month:02d}", *count.cells()]
            for language in figures.languages
            for month, count in language.shown_months
        ),
        # From the same counts as the lines above: the total is their sum.
        [_("Totaal"), str(figures.year), *figures.total.cells()],
    ]
    return csv_download(rows, f"tolken-{figures.year}{_where(ids)}.csv")


def _period() -> tuple[Period, str]:
    """A work-year report (interim or final), or any period picked with start and end."""
    try:
        start = date.fromisoformat(request.args.get("start", ""))
        end = date.fromisoformat(request.args.get("end", ""))
        if start <= end and (end - start).days <= 3660:
            return Period(start, date.fromordinal(end.toordinal() + 1)), "custom"
    except ValueError:
        pass
    asked = request.args.get("part")
    part = asked if asked in ("interim", "final") else default_part(_year(), clock.today())
    return work_year_period(_year(), part), part


def _csv_response(table: Table, filename: str) -> Response:
    return csv_download([table.columns, *table.rows, table.totals], filename)


def _where(ids: list[int]) -> str:
    return f"-{file_slug(_scope_name(ids))}"


@bp.get("/evaluation")
@requires(Permission.LEAD_TEAM)
def evaluation() -> Any:
    """The evaluation report of a period: printable, and as workbook or CSV per table; for a
    lead of several municipalities also with the municipalities side by side."""
    ids, chosen = _scope()
    period, part = _period()
    places = _side_by_side()
    return render_template(
        "reports/evaluation.html",
        tables=[] if places else evaluation_tables(db.session, ids, period),
        comparisons=compared_evaluation(db.session, places, period) if places else [],
        period=period,
        part=part,
        chosen=SIDE_BY_SIDE if places else chosen,
        where=_side_by_side_name(places) if places else _scope_name(ids),
        year=_year(),
        args=known_args("municipality", "year", "start", "end", "part"),
        municipalities=_led_municipalities(),
        side_by_side=bool(side_by_side_municipalities(current_user)),
    )


@bp.get("/evaluation/<key>.csv")
@requires(Permission.LEAD_TEAM)
def evaluation_csv(key: str) -> Any:
    """One table of the evaluation report as CSV, or its municipalities side by side."""
    ids, _chosen = _scope()
    period, _part = _period()
    places = _side_by_side()
    if places:
        compared = compared_table(db.session, places, period, key)
        if compared is None:
            abort(404)
        return csv_download(
            [compared.columns, *compared.rows, compared.totals],
            f"evaluatie-{key}-{_file_part(period, ids, side_by_side=True)}.csv",
        )
    table = evaluation_table(db.session, ids, period, key)
    if table is None:
        abort(404)
    return _csv_response(table, f"evaluatie-{key}-{_file_part(period, ids)}.csv")


def _file_part(period: Period, ids: list[int], side_by_side: bool = False) -> str:
    """Period and municipality in a download's name, so two downloads never look alike."""
    where = f"-{SIDE_BY_SIDE}" if side_by_side else _where(ids)
    return f"{period.start}-{period.last_day}{where}"


@bp.get("/evaluation.xlsx")
@requires(Permission.LEAD_TEAM)
def evaluation_xlsx() -> Any:
    """One worksheet per table, each with its total and its counting rule, and the KPIs; with
    the municipalities side by side, one more worksheet that sets them beside each other."""
    ids, _chosen = _scope()
    period, _part = _period()
    kpis = progress_report(db.session, ids, period.last_day, None)
    places = _side_by_side()
    compared = compared_evaluation(db.session, places, period) if places else None
    return download(
        workbook(
            evaluation_tables(db.session, ids, period),
            period,
            _scope_name(ids),
            kpis,
            compared=compared,
            compared_title=_side_by_side_name(places),
        ),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        f"evaluatie-{_file_part(period, ids, side_by_side=bool(places))}.xlsx",
    )


@bp.get("/sources")
@requires(Permission.LEAD_TEAM)
def sources() -> Any:
    """Referrals per source over the last six months; sources that stopped are flagged."""
    ids, chosen = _scope()
    today = clock.today()
    rows = referrals_by_source(db.session, ids, today)
    places = _side_by_side()
    return render_template(
        "reports/sources.html",
        rows=rows,
        totals=month_totals(rows),
        months=shown_months(today),
        month_names=MONTHS,
        rule=RULE_SOURCES,
        comparisons=compared_sources(db.session, places, today) if places else [],
        chosen=SIDE_BY_SIDE if places else chosen,
        where=_side_by_side_name(places) if places else _scope_name(ids),
        municipalities=_led_municipalities(),
        side_by_side=bool(side_by_side_municipalities(current_user)),
    )


def _kpi_progress() -> tuple[list[Any], int | None, int | None, list[int]]:
    ids, chosen = _scope()
    start_year = year_arg(request.args.get("year"))
    return progress_report(db.session, ids, clock.today(), start_year), start_year, chosen, ids


@bp.get("/kpis")
@requires(Permission.LEAD_TEAM)
def kpis() -> Any:
    """Each KPI against its target over its project year, with the breakdown per channel."""
    progress, start_year, chosen, ids = _kpi_progress()
    places = _side_by_side()
    return render_template(
        "reports/kpis.html",
        progress=progress,
        compared=compared_kpis(db.session, places, clock.today(), start_year) if places else None,
        year=start_year,
        unit_labels=UNIT_LABELS,
        chosen=SIDE_BY_SIDE if places else chosen,
        where=_side_by_side_name(places) if places else _scope_name(ids),
        today=clock.today(),
        municipalities=_led_municipalities(),
        side_by_side=bool(side_by_side_municipalities(current_user)),
    )


@bp.get("/kpis.csv")
@requires(Permission.LEAD_TEAM)
def kpis_csv() -> Any:
    """The KPI progress per channel as CSV, for the subsidising agency; side by side, the
    overview with each municipality's figures and their sum."""
    progress, start_year, _chosen, ids = _kpi_progress()
    year = start_year or f"lopend-{clock.today()}"
    places = _side_by_side()
    if places:
        overview = compared_kpis(db.session, places, clock.today(), start_year).overview
        return csv_download([overview.columns, *overview.rows], f"kpi-{year}-{SIDE_BY_SIDE}.csv")
    return csv_download(export_rows(progress, _scope_name(ids)), f"kpi-{year}{_where(ids)}.csv")
