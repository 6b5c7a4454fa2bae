"""Working days: Monday to Friday, except Belgium's public holidays.

The holidays come from the `holidays` package (Easter Monday, Ascension, Whit Monday and the
fixed days), so "unclaimed for 3 working days" does not count Easter Monday as a working day.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

import holidays

COUNTRY = "BE"


@cache
def public_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(COUNTRY, years=year))


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in public_holidays(day.year)


def working_days_before(day: date, days: int) -> date:
    """The date `days` working days before `day`."""
    current = day
    while days > 0:
        current -= timedelta(days=1)
        if is_working_day(current):
            days -= 1
    return current
