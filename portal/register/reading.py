"""Reading the population register's export: a CSV or XLSX file into a header and rows.

Nothing in a file is ever evaluated: a CSV cell that starts with '=' is text like any other,
and an XLSX workbook is read for the values its program last calculated (data_only). A file
that cannot be read as a whole is refused with a Dutch message, before anything is stored.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time

from flask_babel import lazy_gettext as _l

from ..inputs import clean_text

MAX_FILE_BYTES = 10 * 1024 * 1024
# Far more than a municipality registers in a year; a zip that unpacks to more is a bomb.
MAX_ROWS = 20_000
MAX_COLUMNS = 60
MAX_CELL = 500
MAX_UNPACKED_BYTES = 200 * 1024 * 1024

_ZIP = b"PK\x03\x04"
_OLD_EXCEL = b"\xd0\xcf\x11\xe0"


class FileRefused(Exception):
    """The file cannot be imported as it is; `message` says why in Dutch."""

    def __init__(self, message: object):
        super().__init__(str(message))
        self.message = str(message)


@dataclass(frozen=True)
class RegisterFile:
    """What a file holds: its column names, its data rows with their line numbers, and how
    it was read ("UTF-8", "Windows-1252", "UTF-16" or "XLSX")."""

    header: list[str]
    rows: list[tuple[int, list[str]]]
    encoding: str


def read_register_file(data: bytes) -> RegisterFile:
    """Read an export as the population register writes it; FileRefused says what is wrong."""
    if len(data) > MAX_FILE_BYTES:
        raise FileRefused(_too_large())
    if not data.strip():
        raise FileRefused(_l("Het bestand is leeg."))
    if data.startswith(_OLD_EXCEL):
        raise FileRefused(
            _l(
                "Dit is een oud Excel-bestand (.xls). Bewaar het in uw rekenblad als .xlsx of "
                "als CSV en kies het opnieuw."
            )
        )
    if data.startswith(_ZIP):
        header, rows = _read_xlsx(data)
        return _checked(header, rows, "XLSX")
    text, encoding = decode(data)
    header, rows = _read_csv(text)
    return _checked(header, rows, encoding)


def _too_large() -> str:
    return str(
        _l(
            "Het bestand is groter dan %(mb)d MB. Deel het op in kleinere bestanden.",
            mb=MAX_FILE_BYTES // (1024 * 1024),
        )
    )


def decode(data: bytes) -> tuple[str, str]:
    """The text of a CSV file and the encoding it was in: UTF-8 (with or without BOM), UTF-16
    with a BOM, or else Windows-1252, as Belgian spreadsheet programs often export."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return _text(data.decode("utf-16")), "UTF-16"
        except UnicodeDecodeError:
            raise FileRefused(_undecodable()) from None
    try:
        return _text(data.decode("utf-8-sig")), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return _text(data.decode("cp1252")), "Windows-1252"
    except UnicodeDecodeError:
        raise FileRefused(_undecodable()) from None


def _text(text: str) -> str:
    if "\x00" in text:
        # A text file never holds NUL; this one is binary, or in an encoding we cannot tell.
        raise FileRefused(_undecodable())
    return text


def _undecodable() -> str:
    return str(
        _l(
            "De tekens in dit bestand zijn niet te lezen. Bewaar het als CSV in UTF-8 "
            "(of als .xlsx) en kies het opnieuw."
        )
    )


def _read_csv(text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    first_line = text.split("\n", 1)[0]
    # The register's own exports use ';' (the Belgian list separator); others ',' or tab.
    delimiter = max(";,\t", key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    rows: list[tuple[int, list[str]]] = []
    header: list[str] | None = None
    start = 1
    try:
        for record in reader:
            line, start = start, reader.line_num + 1
            if header is None:
                header = record
                continue
            rows.append((line, record))
            if len(rows) > MAX_ROWS:
                raise FileRefused(_too_many_rows())
    except csv.Error:
        raise FileRefused(
            _l("Het bestand is geen geldige CSV (rond regel %(line)d).", line=start)
        ) from None
    return header or [], rows


def _cell_text(value: object) -> str:
    """A spreadsheet value as the text a CSV export would hold."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_xlsx(data: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > MAX_UNPACKED_BYTES:
            raise FileRefused(_too_many_rows())
        formulas = _formula_cells(data)
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except FileRefused:
        raise
    except Exception:  # openpyxl raises many kinds for a damaged or foreign zip
        raise FileRefused(
            _l("Dit is geen leesbaar Excel-bestand. Bewaar het als .xlsx of CSV.")
        ) from None
    try:
        sheet = book.worksheets[0]
        header: list[str] | None = None
        rows: list[tuple[int, list[str]]] = []
        for number, values in enumerate(
            sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True), start=1
        ):
            cells = [_cell_text(v) for v in values]
            for column, value in enumerate(values, start=1):
                if value is None and (number, column) in formulas:
                    raise FileRefused(
                        _l(
                            "Cel %(cell)s bevat een formule zonder berekende waarde. Open het "
                            "bestand in uw rekenblad, bewaar het opnieuw en kies het nog eens.",
                            cell=_cell_name(number, column),
                        )
                    )
            if header is None:
                header = cells
                continue
            rows.append((number, cells))
            if len(rows) > MAX_ROWS:
                raise FileRefused(_too_many_rows())
    finally:
        book.close()
    return header or [], rows


def _formula_cells(data: bytes) -> set[tuple[int, int]]:
    """(row, column) of every formula on the first sheet: read again without values."""
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    try:
        found: set[tuple[int, int]] = set()
        sheet = book.worksheets[0]
        for number, values in enumerate(
            sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True), start=1
        ):
            for column, value in enumerate(values, start=1):
                if isinstance(value, str) and value.startswith("="):
                    found.add((number, column))
            if number > MAX_ROWS + 1:
                raise FileRefused(_too_many_rows())
        return found
    finally:
        book.close()


def _cell_name(row: int, column: int) -> str:
    letters = ""
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row}"


def _too_many_rows() -> str:
    return str(
        _l(
            "Het bestand heeft meer dan %(n)d rijen. Deel het op in kleinere bestanden.",
            n=MAX_ROWS,
        )
    )


def _checked(header: list[str], rows: list[tuple[int, list[str]]], encoding: str) -> RegisterFile:
    names = [clean_text(h, one_line=True).strip()[:MAX_CELL] for h in header[:MAX_COLUMNS]]
    if not any(names):
        raise FileRefused(
            _l("De eerste regel van het bestand moet de namen van de kolommen bevatten.")
        )
    seen: set[str] = set()
    for name in names:
        if name and name.casefold() in seen:
            raise FileRefused(
                _l(
                    "De kolom '%(name)s' komt twee keer voor. Geef elke kolom een eigen naam.",
                    name=name,
                )
            )
        seen.add(name.casefold())
    width = len(names)
    kept = []
    for line, cells in rows:
        values = [clean_text(c, one_line=True).strip()[:MAX_CELL] for c in cells[:width]]
        if any(values):
            kept.append((line, values + [""] * (width - len(values))))
    if not kept:
        raise FileRefused(_l("Het bestand bevat geen rijen onder de kolomnamen."))
    return RegisterFile(header=names, rows=kept, encoding=encoding)
