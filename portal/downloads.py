"""Files the portal hands out: CSV for spreadsheet programs."""

from __future__ import annotations

import csv
import io

from flask import Response


def download(body: str | bytes, mimetype: str, filename: str) -> Response:
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f"attachment; filename={filename}"},
    )


def csv_download(rows: list[list[object]], filename: str) -> Response:
    """A semicolon-separated CSV, as Belgian spreadsheet programs expect."""
    out = io.StringIO()
    csv.writer(out, delimiter=";").writerows(rows)
    # A BOM, so that spreadsheet programs read UTF-8.
    return download("\ufeff" + out.getvalue(), "text/csv", filename)
