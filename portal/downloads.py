"""Files the portal hands out: CSV and XLSX for spreadsheet programs.

Every cell of every download goes through spreadsheet_cell: a name typed as '=HYPERLINK(...)'
or '@SUM(...)' must reach the spreadsheet as text, never as a formula it runs, and a control
character (which XLSX cannot hold) must not make the whole file unreadable.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Sequence

from flask import Response

from .inputs import clean_text

# What makes a spreadsheet program read a cell as a formula (tab and CR too: some programs
# skip them and read on).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# A number written as text (a negative count, a date range '2026-01') is no formula.
_PLAIN_NUMBER = re.compile(r"-?[0-9]+([.,][0-9]+)?")


def spreadsheet_cell(value: object) -> object:
    """The value as a spreadsheet may safely show it: text stays text, numbers stay numbers."""
    if not isinstance(value, str):
        return value
    text = clean_text(value)
    if text.startswith(_FORMULA_START) and text != "-" and not _PLAIN_NUMBER.fullmatch(text):
        # The apostrophe is how spreadsheet programs themselves mark "this is text".
        return "'" + text
    return text


def spreadsheet_row(values: Sequence[object]) -> list[object]:
    return [spreadsheet_cell(v) for v in values]


def download(body: str | bytes, mimetype: str, filename: str) -> Response:
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f"attachment; filename={filename}"},
    )


def csv_download(rows: Sequence[Sequence[object]], filename: str) -> Response:
    """A semicolon-separated CSV, as Belgian spreadsheet programs expect."""
    out = io.StringIO()
    csv.writer(out, delimiter=";").writerows(spreadsheet_row(row) for row in rows)
    # A BOM, so that spreadsheet programs read UTF-8.
    return download("\ufeff" + out.getvalue(), "text/csv", filename)


def file_slug(text: str) -> str:
    """A name for a download's file name: 'Sint-Gillis' becomes 'sint-gillis'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in decomposed if ch.isascii() and (ch.isalnum() or ch in " -"))
    return "-".join(plain.replace("-", " ").split()) or "gemeente"
