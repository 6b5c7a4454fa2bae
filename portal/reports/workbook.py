"""The evaluation report as an XLSX workbook: one worksheet per table."""

from __future__ import annotations

import io

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from ..downloads import spreadsheet_row
from .evaluation import Period, Share, Table

# A share as Excel and LibreOffice write a percentage with one decimal: 0.45 shows as 45.0%.
PERCENT = "0.0%"


def workbook(tables: list[Table], period: Period) -> bytes:
    book = Workbook()
    book.remove(book.active)
    bold = Font(bold=True)
    for table in tables:
        sheet = book.create_sheet(title=table.key[:31])
        sheet.append(spreadsheet_row([table.title]))
        sheet["A1"].font = bold
        sheet.append([_("Periode"), f"{period.start:%d/%m/%Y} – {period.last_day:%d/%m/%Y}"])
        sheet.append([])
        sheet.append(spreadsheet_row(table.columns))
        for cell in sheet[sheet.max_row]:
            cell.font = bold
        for row in table.rows:
            _append(sheet, row)
        _append(sheet, table.totals)
        for cell in sheet[sheet.max_row]:
            cell.font = bold
        sheet.append([])
        sheet.append(spreadsheet_row([_("Zo wordt geteld:"), table.rule]))
        sheet.column_dimensions["A"].width = 34
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


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
