"""Rules of the desk intake that hold without HTTP: residence, phone, names, household."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date

import phonenumbers

from ..inputs import ascii_int

MAX_CHILDREN = 20


@dataclass(frozen=True)
class Residence:
    """Newcomer or long-term resident, and how long the person has lived here."""

    is_newcomer: bool
    months: int


def _one_year_after(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February: the first anniversary falls on 1 March.
        return date(day.year + 1, 3, 1)


def residence(registered_on: date, on: date) -> Residence:
    """A person is a newcomer until the first anniversary of their registration."""
    if registered_on > on:
        raise ValueError("registration date lies in the future")
    months = (on.year - registered_on.year) * 12 + on.month - registered_on.month
    if on.day < registered_on.day:
        months -= 1
    return Residence(is_newcomer=on < _one_year_after(registered_on), months=max(months, 0))


class PhoneError(ValueError):
    """The text is not a phone number that can be dialled."""


def normalise_phone(raw: str, region: str = "BE") -> str:
    """Return the number in E.164 form; national numbers are read as `region`."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise PhoneError(str(exc)) from exc
    if not phonenumbers.is_valid_number(number):
        raise PhoneError("not a valid number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str | None, region: str = "BE") -> str:
    """Format a stored number for reading: national for the home region, else international."""
    if not e164:
        return ""
    number = phonenumbers.parse(e164, None)
    if phonenumbers.region_code_for_number(number) == region:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


# Letters without a decomposition, folded by hand.
_FOLDED: dict[str, str | int | None] = {"ı": "i", "ø": "o", "ł": "l", "đ": "d", "ß": "ss"}
NAME_PUNCTUATION = frozenset(" -'.’")


def is_plausible_name(name: str) -> bool:
    """Letters (any script), combining marks, spaces, hyphens, apostrophes and dots only."""
    return bool(name.strip()) and all(
        ch in NAME_PUNCTUATION or unicodedata.category(ch)[0] in "LM" for ch in name
    )


def clean_name(name: str) -> str:
    """Collapse runs of whitespace, as people type them at a counter."""
    return " ".join(name.split())


def name_key(name: str) -> str:
    """Fold case, accents and spacing so that 'Ayşe  Yılmaz' and 'ayse yilmaz' match."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    letters = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    # Dotless i and similar letters have no decomposition; fold the common ones by hand.
    letters = letters.translate(str.maketrans(_FOLDED))
    return " ".join(letters.replace("-", " ").replace("'", "").replace("’", "").split())


def parse_birth_years(text: str, this_year: int) -> list[int]:
    """Read '2015, 2019 2021' into sorted years; raise ValueError on anything else."""
    parts = [p for p in text.replace(",", " ").replace(";", " ").split() if p]
    if len(parts) > MAX_CHILDREN:
        raise ValueError("too many")
    years = []
    for part in parts:
        year = ascii_int(part) if len(part) == 4 else None
        if year is None or not this_year - 30 <= year <= this_year:
            raise ValueError(part)
        years.append(year)
    return sorted(years)
