"""One row of the register's export read with the municipality's column mapping.

A row gives a registration or a Dutch reason why not; the same rules hold as at the desk
(a plausible name, a phone that can be dialled, some way to reach the person, a registration
date that is not in the future).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from babel import Locale
from babel.languages import get_official_languages
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from ..desk.rules import PhoneError, clean_name, is_plausible_name, name_key, normalise_phone
from ..i18n import DEFAULT as DEFAULT_LOCALE
from ..labels import CLOSING_OUTCOME_LABELS
from ..models import ClosingOutcome, ImportKind

# The fields a column can be chosen for, in the order the mapping form shows them.
FIELDS: dict[str, Any] = {
    "last_name": _l("Naam (of volledige naam)"),
    "first_name": _l("Voornaam"),
    "birth": _l("Geboortedatum of geboortejaar"),
    "registered_on": _l("Datum van inschrijving"),
    "address": _l("Adres (straat en huisnummer)"),
    "place": _l("Postcode en woonplaats"),
    "phone": _l("Telefoon"),
    "email": _l("E-mailadres"),
    "language": _l("Taal"),
    "nationality": _l("Nationaliteit"),
}
REQUIRED_FIELDS = ("last_name", "registered_on")

# What a file of earlier registrations (ImportKind.HISTORY) can give besides: the answers to
# the three indicator questions, and the dates of what happened to the file.
HISTORY_FIELDS: dict[str, Any] = {
    "dutch_difficult": _l("Nederlands moeilijk (ja/nee)"),
    "has_work": _l("Werk (ja/nee)"),
    "has_children": _l("Kinderen (ja/nee)"),
    "intake_on": _l("Datum van de intake"),
    "reached_on": _l("Datum waarop de persoon bereikt werd"),
    "held_on": _l("Datum van het onthaalgesprek"),
    "closed_on": _l("Datum van afsluiting"),
    # The file's closing outcome in the portal's Dutch words; without it, it is guessed
    # from the dates (portal/register/history.py outcome_of).
    "closing_outcome": _l("Resultaat bij afsluiten"),
}
HISTORY_REQUIRED_FIELDS = ("intake_on",)


def fields_of(kind: ImportKind) -> dict[str, Any]:
    """The fields a column can be chosen for in an import of this kind."""
    return {**FIELDS, **HISTORY_FIELDS} if kind is ImportKind.HISTORY else dict(FIELDS)


def required_fields_of(kind: ImportKind) -> tuple[str, ...]:
    extra = HISTORY_REQUIRED_FIELDS if kind is ImportKind.HISTORY else ()
    return (*REQUIRED_FIELDS, *extra)


_HISTORY_DATES = ("intake_on", "reached_on", "held_on", "closed_on")
# How a refusal names each date.
_DATE_NAMES = {
    "intake_on": _l("De datum van de intake"),
    "reached_on": _l("De datum van bereik"),
    "held_on": _l("De datum van het gesprek"),
    "closed_on": _l("De datum van afsluiting"),
}
_YES = {"ja", "j", "yes", "y", "1", "waar", "true", "x"}
_NO = {"nee", "n", "neen", "no", "0", "onwaar", "false"}

# What a column is often called in an export: the first import's choices are guessed from it.
_USUAL_HEADERS = {
    "last_name": ("naam", "familienaam", "achternaam", "volledige naam", "naam en voornaam"),
    "first_name": ("voornaam", "voornamen"),
    "birth": ("geboortedatum", "geboortejaar", "geboren", "geboren op"),
    "registered_on": (
        "datum inschrijving",
        "datum van inschrijving",
        "inschrijvingsdatum",
        "ingeschreven op",
        "inschrijving",
    ),
    "address": ("adres", "straat", "straat en nummer"),
    "place": ("postcode en gemeente", "woonplaats", "postcode gemeente"),
    "phone": ("telefoon", "gsm", "telefoonnummer", "tel"),
    "email": ("e-mail", "email", "e-mailadres"),
    "language": ("taal", "contacttaal", "moedertaal"),
    "nationality": ("nationaliteit",),
    "dutch_difficult": ("nederlands moeilijk", "spreekt weinig nederlands", "nederlands"),
    "has_work": ("werk", "heeft werk", "werkt"),
    "has_children": ("kinderen", "heeft kinderen"),
    "intake_on": ("intake", "datum intake", "intakedatum", "datum van de intake"),
    "reached_on": ("bereikt", "bereikt op", "datum bereikt", "datum bereik"),
    "held_on": ("gesprek", "gesprek op", "datum gesprek", "onthaalgesprek"),
    "closed_on": ("afgesloten", "afgesloten op", "datum afsluiting", "afsluiting"),
    "closing_outcome": ("resultaat bij afsluiten", "resultaat", "resultaat afsluiting"),
}

_DATE = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[ T].*)?")
_YEAR = re.compile(r"\d{4}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def guessed_mapping(header: list[str]) -> dict[str, str]:
    """The columns a first import proposes, by their usual names."""
    by_name = {h.casefold(): h for h in header if h}
    guessed = {}
    for field, names in _USUAL_HEADERS.items():
        found = next((by_name[n] for n in names if n in by_name), None)
        if found:
            guessed[field] = found
    return guessed


@dataclass(frozen=True)
class History:
    """What a row of earlier registrations says happened: the answers to the indicator
    questions (None: not given) and the dates, each on or after the ones before it."""

    intake_on: date
    reached_on: date | None
    held_on: date | None
    closed_on: date | None
    dutch_difficult: bool | None
    has_work: bool | None
    has_children: bool | None
    # The closing outcome the row gives; None: guessed from the dates.
    outcome: ClosingOutcome | None = None


@dataclass(frozen=True)
class Registration:
    """A row that can become a referral, its values normalised as the desk would."""

    full_name: str
    name_key: str
    birth_year: int | None
    registered_on: date
    address: str | None
    phone: str | None
    email: str | None
    language_code: str
    # Where the language came from: "column", "nationality" or "default".
    language_from: str
    # Only in a file of earlier registrations.
    history: History | None = None


class RowRefused(ValueError):
    """The row cannot be imported; the message says why in Dutch."""


@dataclass(frozen=True)
class RowReader:
    """Reads rows of one file: its mapping (field -> column index) and what rows are checked
    against (today, the region phones are read in, the portal's active languages)."""

    columns: dict[str, int]
    today: date
    region: str
    languages: dict[str, str]  # folded code or Dutch name -> code
    default_language: str
    # A file of earlier registrations: each row has its history too.
    with_history: bool = False

    def read(self, cells: list[str]) -> Registration:
        """The row's registration, or RowRefused with the reason."""
        value = {field: cells[i].strip() for field, i in self.columns.items() if i < len(cells)}
        name = clean_name(" ".join(filter(None, (value.get("first_name"), value.get("last_name")))))
        if not name:
            raise RowRefused(_l("Geen naam."))
        if len(name) > 160 or not is_plausible_name(name):
            raise RowRefused(
                _l("De naam mag alleen letters, spaties, koppeltekens, punten en apostrofs hebben.")
            )
        registered_text = value.get("registered_on", "")
        if not registered_text:
            raise RowRefused(_l("Geen datum van inschrijving."))
        registered_on = read_date(registered_text)
        if registered_on is None:
            raise RowRefused(_l("De datum van inschrijving bestaat niet."))
        if registered_on > self.today:
            raise RowRefused(_l("De datum van inschrijving ligt in de toekomst."))
        if registered_on.year < 1900:
            raise RowRefused(_l("De datum van inschrijving ligt te ver in het verleden."))
        birth_year = self._birth_year(value.get("birth", ""))
        phone = None
        if value.get("phone"):
            try:
                phone = normalise_phone(value["phone"][:32], self.region)
            except PhoneError:
                raise RowRefused(_l("Het telefoonnummer is niet geldig.")) from None
        email = value.get("email") or None
        if email is not None and (len(email) > 254 or not _EMAIL.fullmatch(email)):
            raise RowRefused(_l("Het e-mailadres is niet geldig."))
        address = ", ".join(filter(None, (value.get("address"), value.get("place"))))[:300] or None
        if not (phone or email or address):
            raise RowRefused(_l("Geen telefoonnummer, e-mailadres of adres."))
        language_code, language_from = self._language(value)
        history = self._history(value) if self.with_history else None
        return Registration(
            full_name=name,
            name_key=name_key(name),
            birth_year=birth_year,
            registered_on=registered_on,
            address=address,
            phone=phone,
            email=email,
            language_code=language_code,
            language_from=language_from,
            history=history,
        )

    def _history(self, value: dict[str, str]) -> History:
        """The row's history, or RowRefused: a date that is unreadable, in the future, or
        before one that must come first (intake, reached, conversation, closing)."""
        days: dict[str, date | None] = {}
        for field in _HISTORY_DATES:
            text = value.get(field, "")
            if not text:
                days[field] = None
                continue
            day = read_date(text)
            name = _DATE_NAMES[field]
            if day is None:
                raise RowRefused(
                    _l(
                        "%(name)s is niet te lezen: '%(text)s'. Schrijf ze als dd/mm/jjjj.",
                        name=name,
                        text=text[:20],
                    )
                )
            if day > self.today:
                raise RowRefused(_l("%(name)s ligt in de toekomst.", name=name))
            if day.year < 1900:
                raise RowRefused(_l("%(name)s ligt te ver in het verleden.", name=name))
            days[field] = day
        intake = days["intake_on"]
        if intake is None:
            raise RowRefused(_l("Geen datum van de intake."))
        for index, field in enumerate(_HISTORY_DATES[1:], start=1):
            day = days[field]
            if day is None:
                continue
            for earlier in reversed(_HISTORY_DATES[:index]):
                before = days[earlier]
                if before is not None and day < before:
                    raise RowRefused(
                        _l(
                            "%(name)s (%(day)s) ligt vóór %(other)s (%(before)s).",
                            name=_DATE_NAMES[field],
                            day=day.strftime("%d/%m/%Y"),
                            other=str(_DATE_NAMES[earlier]).lower(),
                            before=before.strftime("%d/%m/%Y"),
                        )
                    )
        return History(
            intake_on=intake,
            reached_on=days["reached_on"],
            held_on=days["held_on"],
            closed_on=days["closed_on"],
            dutch_difficult=self._answer(value, "dutch_difficult"),
            has_work=self._answer(value, "has_work"),
            has_children=self._answer(value, "has_children"),
            outcome=self._closing_outcome(value.get("closing_outcome", ""), days["closed_on"]),
        )

    def _closing_outcome(self, text: str, closed_on: date | None) -> ClosingOutcome | None:
        """The outcome named by its Dutch label in any case, or RowRefused: a word the portal
        does not know, or an outcome of a file that the row does not close."""
        if not text:
            return None
        words = closing_outcome_words()
        outcome = words.get(_folded(text))
        if outcome is None:
            raise RowRefused(
                _l(
                    "Resultaat bij afsluiten: '%(text)s' kent het portaal niet. Schrijf een van "
                    "deze: %(words)s.",
                    text=text[:30],
                    words=", ".join(words),
                )
            )
        if closed_on is None:
            raise RowRefused(
                _l("Een resultaat bij afsluiten zonder datum van afsluiting: het dossier is open.")
            )
        return outcome

    def _answer(self, value: dict[str, str], field: str) -> bool | None:
        text = _folded(value.get(field, ""))
        if not text:
            return None
        if text in _YES:
            return True
        if text in _NO:
            return False
        raise RowRefused(
            _l(
                "%(name)s: antwoord met ja of nee, niet '%(text)s'.",
                name=HISTORY_FIELDS[field],
                text=value.get(field, "")[:20],
            )
        )

    def _birth_year(self, text: str) -> int | None:
        if not text:
            return None
        day = read_date(text)
        year = day.year if day else (int(text) if _YEAR.fullmatch(text) else None)
        if year is None:
            raise RowRefused(_l("De geboortedatum bestaat niet."))
        if not 1900 <= year <= self.today.year:
            raise RowRefused(_l("Een geboortejaar tussen 1900 en %(year)d.", year=self.today.year))
        return year

    def _language(self, value: dict[str, str]) -> tuple[str, str]:
        spoken = value.get("language", "")
        if spoken:
            code = self.languages.get(_folded(spoken))
            if code is None:
                raise RowRefused(_l("De taal staat niet in de lijst van talen van het portaal."))
            return code, "column"
        nationality = value.get("nationality", "")
        if nationality:
            for code in official_languages(nationality):
                if code in self.languages.values():
                    return code, "nationality"
        return self.default_language, "default"


def read_date(text: str) -> date | None:
    """A day written as 31/12/2026, 31-12-2026, 31.12.2026 or 2026-12-31; None otherwise."""
    text = text.strip()
    iso = _ISO_DATE.fullmatch(text)
    parts = (
        (int(iso[1]), int(iso[2]), int(iso[3]))
        if iso
        else ((int(m[3]), int(m[2]), int(m[1])) if (m := _DATE.fullmatch(text)) else None)
    )
    if parts is None:
        return None
    try:
        return date(*parts)
    except ValueError:
        return None


def closing_outcome_words() -> dict[str, ClosingOutcome]:
    """The closing outcomes by their Dutch label, folded (a file in Dutch, whatever language
    the screens of whoever imports it speak)."""
    with force_locale(DEFAULT_LOCALE.value):
        return {_folded(str(label)): outcome for outcome, label in CLOSING_OUTCOME_LABELS.items()}


def _folded(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold().strip())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@cache
def _territories() -> dict[str, str]:
    """Folded Dutch country name or ISO code -> territory code, from CLDR."""
    found = {}
    for code, name in Locale("nl").territories.items():
        if code.isalpha() and len(code) == 2:
            found[_folded(name)] = code
            found[code.casefold()] = code
    return found


def official_languages(nationality: str) -> list[str]:
    """The official languages of the country a nationality names (Dutch name or ISO code);
    'Syrië' gives ['ar']. The first of these that the portal knows becomes the contact
    language, a better guess than one default for everyone."""
    territory = _territories().get(_folded(nationality))
    if territory is None:
        return []
    return [code.replace("_", "-") for code in get_official_languages(territory, de_facto=True)]


def language_lookup(languages: list[tuple[str, str]]) -> dict[str, str]:
    """(code, Dutch name) of the active languages -> folded code and name to code."""
    lookup = {}
    for code, name in languages:
        lookup[_folded(code)] = code
        lookup[_folded(name)] = code
    return lookup
