"""Language names from Babel's CLDR data, in Dutch."""

from __future__ import annotations

from functools import cache

from babel import Locale, UnknownLocaleError


@cache
def language_catalogue() -> dict[str, str]:
    """Map every language code CLDR knows to its Dutch name."""
    names = Locale("nl").languages
    # Region-qualified entries (e.g. "fa_AF" for Dari) are languages residents name as such.
    return {code.replace("_", "-"): name for code, name in names.items() if name}


@cache
def text_direction(code: str) -> str:
    """'rtl' for languages written right to left (Arabic, Pashto, Dari, ...), else 'ltr'."""
    try:
        return Locale.parse(code.replace("-", "_")).text_direction
    except (ValueError, UnknownLocaleError):
        return "ltr"


def dutch_name(code: str) -> str | None:
    """Return the Dutch name of a language code, or None when CLDR does not know it."""
    return language_catalogue().get(code)
