"""Language names from Babel's CLDR data: stored in Dutch, shown in the reader's language."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from functools import cache, lru_cache
from typing import Protocol, TypeVar

from babel import Locale, UnknownLocaleError
from flask_babel import get_locale

# The stored names are Dutch: a Dutch page (nl, nl_BE) shows them as they are.
_STORED_LOCALE = "nl"


class Named(Protocol):
    """A language as the portal keeps it: a code and its stored (Dutch) name."""

    @property
    def code(self) -> str: ...

    @property
    def name(self) -> str: ...


L = TypeVar("L", bound=Named)


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


def page_locale() -> str:
    """The locale the current page speaks; Dutch outside a request (mails choose their own)."""
    return str(get_locale() or _STORED_LOCALE)


def language_name(code: str, stored: str, locale: str | None = None) -> str:
    """The name of a language in `locale` (default: the page's); the stored name in Dutch.

    A code CLDR does not name in that locale keeps its stored name rather than showing a code.
    """
    return _cldr_name(code, locale or page_locale()) or stored


def named_in_text(stored: str, locale: str | None = None) -> str:
    """A language's Dutch name as a stored text holds it (a timeline's correction), in the
    reader's language; a name CLDR does not know stays as written."""
    code = _codes_by_dutch_name().get(stored)
    return language_name(code, stored, locale) if code else stored


@cache
def _codes_by_dutch_name() -> dict[str, str]:
    codes: dict[str, str] = {}
    for code, name in language_catalogue().items():
        codes.setdefault(name, code)
    return codes


def language_label(language: Named | None, locale: str | None = None) -> str:
    """`language_name` of a stored language, '' for none (a referral without a home language)."""
    if language is None:
        return ""
    return language_name(language.code, language.name, locale)


def by_shown_name(
    pairs: Iterable[tuple[str, str]], locale: str | None = None
) -> list[tuple[str, str]]:
    """(code, stored name) pairs as (code, shown name), in the order the reader's names sort."""
    shown = [(code, language_name(code, name, locale)) for code, name in pairs]
    return sorted(shown, key=lambda pair: (pair[1].casefold(), pair[0]))


def in_name_order(languages: Iterable[L], locale: str | None = None) -> list[L]:
    """Languages in the order of their names as the reader reads them."""
    return sorted(languages, key=lambda language: language_label(language, locale).casefold())


def name_lookup(languages: Collection[Named], locale: str | None = None) -> dict[str, str]:
    """What a user may type for a language, casefolded, to its code: the code, the stored Dutch
    name, and the name in the user's language (which wins should two languages share one)."""
    lookup: dict[str, str] = {}
    for language in languages:
        lookup.setdefault(language.code.casefold(), language.code)
        lookup[language.name.casefold()] = language.code
    for language in languages:
        lookup[language_label(language, locale).casefold()] = language.code
    return lookup


@lru_cache(maxsize=4096)
def _cldr_name(code: str, locale: str) -> str | None:
    """CLDR's name for `code` in `locale`, capitalised as the stored names are; None for Dutch."""
    if locale.split("_")[0] == _STORED_LOCALE:
        return None
    try:
        names = Locale.parse(locale).languages
    except (ValueError, UnknownLocaleError):
        return None
    name = names.get(code.replace("-", "_"))
    return name[:1].upper() + name[1:] if name else None
