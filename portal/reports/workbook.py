"""The evaluation report as an XLSX workbook: one worksheet per table, and one of the KPIs."""

from __future__ import annotations

import io
from collections.abc import Sequence

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from ..downloads import spreadsheet_row
from ..labels import UNIT_LABELS
from .comparison import Comparison
from .evaluation import Period, Share, Table
from .kpis import KpiProgress

# A share as Excel and LibreOffice write a percentage with one decimal: 0.45 shows as 45.0%.
PERCENT = "0.0%"
SIDE_BY_SIDE_SHEET = "naast-elkaar"


def workbook(
    tables: list[Table],
    period: Period,
    where: str,
    kpis: list[KpiProgress] | None = None,
    compared: list[Comparison] | None = None,
    compared_title: str = "",
) -> bytes:
    book = Workbook()
    book.remove(book.active)
    bold = Font(bold=True)
    for table in tables:
        sheet = book.create_sheet(title=table.key[:31])
        sheet.append(spreadsheet_row([f"{table.title} – {where}"]))
        sheet["A1"].font = bold
        sheet.append([_("Periode"), f"{period.start:%d/%m/%Y} – {period.last_day:%d/%m/%Y}"])
        sheet.append([])
        _figures(sheet, table.columns, table.rows, table.totals)
        sheet.append([])
        sheet.append(spreadsheet_row([_("Zo wordt geteld:"), table.rule]))
        sheet.column_dimensions["A"].width = 34
    if compared is not None:
        _comparison_sheet(
            book.create_sheet(title=SIDE_BY_SIDE_SHEET), compared, period, compared_title
        )
    if kpis is not None:
        _kpi_sheet(book.create_sheet(title="kpi"), kpis, period, where)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _figures(
    sheet: Worksheet,
    header: Sequence[object],
    rows: Sequence[list[object]],
    totals: list[object],
) -> None:
    """A table's heading row and its total in bold, its rows between them."""
    bold = Font(bold=True)
    sheet.append(spreadsheet_row(header))
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    for row in rows:
        _append(sheet, row)
    _append(sheet, totals)
    for cell in sheet[sheet.max_row]:
        cell.font = bold


def _append(sheet: Worksheet, row: list[object]) -> None:
    """A row of the table; a share becomes its fraction, shown as a percentage."""
    sheet.append(spreadsheet_row([_cell_value(v) for v in row]))
    for value, cell in zip(row, sheet[sheet.max_row], strict=False):
        if isinstance(value, Share) and value.fraction is not None:
            cell.number_format = PERCENT


def _cell_value(value: object) -> object:
    if isinstance(value, Share):
        return value.fraction if value.fraction is not None else str(value)
    return value


def _comparison_sheet(
    sheet: Worksheet, compared: list[Comparison], period: Period, title: str
) -> None:
    """Every table with the municipalities side by side, one below the other: a header row
    of the figures where a table has more than one, then the municipalities and 'Samen'."""
    bold = Font(bold=True)
    sheet.append(spreadsheet_row([title]))
    sheet["A1"].font = bold
    sheet.append([_("Periode"), f"{period.start:%d/%m/%Y} – {period.last_day:%d/%m/%Y}"])
    for table in compared:
        sheet.append([])
        sheet.append(spreadsheet_row([table.title]))
        sheet[sheet.max_row][0].font = bold
        if len(table.figures) > 1:
            width = len(table.places)
            groups: list[object] = [""]
            for figure in table.figures:
                groups += [figure] + [""] * (width - 1)
            sheet.append(spreadsheet_row(groups))
            row = sheet.max_row
            for cell in sheet[row]:
                cell.font = bold
            for index in range(len(table.figures)):
                first = 2 + index * width
                sheet.merge_cells(
                    start_row=row, start_column=first, end_row=row, end_column=first + width - 1
                )
        _figures(sheet, [table.label, *table.places * len(table.figures)], table.rows, table.totals)
        sheet.append(spreadsheet_row([_("Zo wordt geteld:"), table.rule]))
    sheet.column_dimensions["A"].width = 34


def _kpi_sheet(sheet: Worksheet, kpis: list[KpiProgress], period: Period, where: str) -> None:
    """Each KPI over its project year holding the period's last day: the overview, then
    the breakdown per channel, each with its counting rule."""
    bold = Font(bold=True)
    sheet.append(spreadsheet_row([f"{_('KPI-voortgang')} – {where}"]))
    sheet["A1"].font = bold
    sheet.append(
        spreadsheet_row(
            [
                _("Stand op"),
                f"{period.last_day:%d/%m/%Y}",
                _("elke KPI over zijn projectjaar waarin deze dag valt"),
            ]
        )
    )
    sheet.append(spreadsheet_row([_("Gemeente"), where]))
    sheet.append([])
    sheet.append(
        spreadsheet_row(
            [
                _("KPI"),
                _("Projectjaar"),
                _("Eenheid"),
                _("Doel"),
                _("Behaald"),
                _("Verwacht tegen die dag"),
                _("Procent van het doel"),
            ]
        )
    )
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    for p in kpis:
        sheet.append(
            spreadsheet_row(
                [
                    p.kpi.name,
                    f"{p.period.start:%d/%m/%Y} – {p.period.last_day:%d/%m/%Y}",
                    str(UNIT_LABELS[p.kpi.unit]),
                    p.target,
                    p.total,
                    p.expected,
                    p.total / p.target if p.target else None,
                ]
            )
        )
        sheet[sheet.max_row][6].number_format = PERCENT
    for p in kpis:
        sheet.append([])
        sheet.append(spreadsheet_row([p.kpi.name]))
        sheet[sheet.max_row][0].font = bold
        sheet.append(spreadsheet_row([_("Kanaal"), _("Aantal")]))
        for channel, n in p.by_channel:
            sheet.append(spreadsheet_row([channel, n]))
        sheet.append(spreadsheet_row([_("Totaal"), p.total]))
        sheet[sheet.max_row][0].font = bold
        sheet.append(spreadsheet_row([_("Zo wordt geteld:"), p.rule_text]))
    sheet.column_dimensions["A"].width = 40
