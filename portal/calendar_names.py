"""Month and day names in the user's language, from the locale data Babel ships (CLDR).

Lazy, like `_l()` texts: they are read at render time, in the locale of the request, so a list
defined at import time (form choices, column headings) follows the user's language.
"""

from __future__ import annotations

from typing import Literal

from babel import Locale
from babel.dates import get_day_names, get_month_names
from flask_babel import LazyString, get_locale

FALLBACK_LOCALE = "nl_BE"


def _locale() -> Locale:
    return get_locale() or Locale.parse(FALLBACK_LOCALE)


def _month(number: int, width: Literal["abbreviated", "narrow", "wide"]) -> str:
    return str(get_month_names(width, locale=_locale())[number])


def _day(weekday: int) -> str:
    return str(get_day_names("wide", locale=_locale())[weekday])


#: "januari" .. "december"; index 0 is January.
MONTH_NAMES = [LazyString(_month, n, "wide") for n in range(1, 13)]
#: "jan" .. "dec" (as the locale abbreviates them); index 0 is January.
MONTH_ABBREVIATIONS = [LazyString(_month, n, "abbreviated") for n in range(1, 13)]
#: "maandag" .. "zondag"; index 0 is Monday, as date.weekday() counts.
DAY_NAMES = [LazyString(_day, n) for n in range(7)]
