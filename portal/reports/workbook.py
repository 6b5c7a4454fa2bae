"""The evaluation report as an XLSX workbook: one worksheet per table."""

from __future__ import annotations

import io

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from ..downloads import spreadsheet_row
from .evaluation import Period, Table


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
            sheet.append(spreadsheet_row(row))
        sheet.append(spreadsheet_row(table.totals))
        for cell in sheet[sheet.max_row]:
            cell.font = bold
        sheet.append([])
        sheet.append(spreadsheet_row([_("Zo wordt geteld:"), table.rule]))
        sheet.column_dimensions["A"].width = 34
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
