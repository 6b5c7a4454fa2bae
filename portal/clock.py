"""The portal's notion of 'now': local Belgian wall-clock time, stored without zone.

All users work in one zone, and reports count per local day and month, so timestamps are
kept as local time; this module is the single place that decides it, and tests replace it.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context


def _zone() -> ZoneInfo:
    name = "Europe/Brussels"
    if has_app_context():
        name = current_app.config.get("BABEL_DEFAULT_TIMEZONE", name)
    return ZoneInfo(name)


def now() -> datetime:
    """Current local time, without tzinfo, to the second."""
    return datetime.now(_zone()).replace(tzinfo=None, microsecond=0)


def today() -> date:
    return now().date()
