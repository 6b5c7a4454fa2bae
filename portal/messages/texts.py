"""The texts of the slip, the letters and the reminder, per language, with placeholders.

An admin writes each message in each language (a `MessageText`); the portal fills in the
placeholders ({nummer}, {datum}, ...) with the referral's and the appointment's details,
dates and times in that language's own CLDR format. Dutch is always printed, from the
admin's Dutch text or the built-in one; another language only where its text exists, so
that a resident never reads a translation that says something else than the Dutch.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from string import Formatter

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..desk.rules import display_phone
from ..extensions import DbSession
from ..languages import dutch_name, language_label, text_direction
from ..models import Appointment, Language, MessageKind, MessageText, Municipality, Referral

DUTCH = "nl"
BODY_MAX = 3000

TITLES: dict[MessageKind, object] = {
    MessageKind.SLIP: _l("Strookje zonder afspraak"),
    MessageKind.SLIP_APPOINTMENT: _l("Strookje met afspraak"),
    MessageKind.LETTER_NEWCOMER: _l("Uitnodigingsbrief, nieuwkomer"),
    MessageKind.LETTER_LONG_TERM: _l("Uitnodigingsbrief, langer in de gemeente"),
    MessageKind.REMINDER: _l("Herinnering aan een afspraak"),
}

PLACEHOLDERS: dict[str, object] = {
    "nummer": _l("het nummer van de doorverwijzing"),
    "gemeente": _l("de naam van de gemeente"),
    "telefoon": _l("het telefoonnummer van de dienst"),
    "openingsuren": _l("de openingsuren van de dienst"),
    "datum": _l("de datum van de afspraak, met de weekdag"),
    "uur": _l("het uur van de afspraak"),
    "plaats": _l("de plaats van de afspraak"),
    "toeleider": _l("de voornaam van de toeleider"),
    "tolk": _l("de taal van de tolk (alleen als er een tolk is)"),
}
_EVERY = ("nummer", "gemeente", "telefoon", "openingsuren")
# What a message must say: an appointment text without its moment and place would leave the
# resident without what the Dutch gives. (The number is printed above every text already, so
# the texts of languages written before placeholders existed stay valid.)
_WHEN_AND_WHERE = ("datum", "uur", "plaats")
REQUIRED: dict[MessageKind, tuple[str, ...]] = {
    MessageKind.SLIP: (),
    MessageKind.SLIP_APPOINTMENT: _WHEN_AND_WHERE,
    MessageKind.LETTER_NEWCOMER: (),
    MessageKind.LETTER_LONG_TERM: (),
    MessageKind.REMINDER: _WHEN_AND_WHERE,
}
_APPOINTMENT = ("datum", "uur", "plaats", "toeleider", "tolk")
ALLOWED: dict[MessageKind, tuple[str, ...]] = {
    MessageKind.SLIP: _EVERY,
    MessageKind.SLIP_APPOINTMENT: _EVERY + _APPOINTMENT,
    MessageKind.LETTER_NEWCOMER: _EVERY,
    MessageKind.LETTER_LONG_TERM: _EVERY,
    MessageKind.REMINDER: _EVERY + _APPOINTMENT,
}

# What a resident reads in Dutch, whoever prints it and in whichever language their screens
# are: plain strings, not catalogue texts, so that no staff member's language translates them.
DEFAULTS: dict[MessageKind, str] = {
    MessageKind.SLIP: (
        "Binnen enkele weken neemt een toeleider contact met u op, zo mogelijk in uw taal. "
        "Samen bekijkt u in een gesprek wat u nodig hebt: Nederlands leren, werk, school en "
        "opvang voor de kinderen, wonen, vrije tijd. Het gesprek is gratis. "
        "Neem dit strookje mee.\n"
        "Vragen? Laat het ons weten en vermeld uw nummer {nummer}.\n"
        "Telefoon: {telefoon}\n"
        "Openingsuren: {openingsuren}"
    ),
    MessageKind.SLIP_APPOINTMENT: (
        "U hebt een afspraak op {datum} om {uur}.\n"
        "Plaats: {plaats}\n"
        "U spreekt met {toeleider}.\n"
        "Er is een tolk: {tolk}.\n"
        "In het gesprek bekijkt u samen wat u nodig hebt: Nederlands leren, werk, school en "
        "opvang voor de kinderen, wonen, vrije tijd. Het gesprek is gratis.\n"
        "Lukt het niet op dat moment? Laat het ons weten en vermeld uw nummer {nummer}.\n"
        "Telefoon: {telefoon}\n"
        "Openingsuren: {openingsuren}"
    ),
    MessageKind.LETTER_NEWCOMER: (
        "U schreef zich onlangs in bij de gemeente {gemeente}. We probeerden u te bereiken "
        "voor een gratis gesprek over wat u hier nodig hebt: Nederlands leren, werk, school "
        "en opvang voor de kinderen, wonen, vrije tijd. Dat lukte nog niet.\n"
        "Bel ons of kom langs aan het onthaal en vermeld uw nummer {nummer}.\n"
        "Telefoon: {telefoon}\n"
        "Openingsuren: {openingsuren}"
    ),
    MessageKind.LETTER_LONG_TERM: (
        "U woont al een tijd in {gemeente}. Wij bieden u een gratis gesprek aan over wat u "
        "nog nodig hebt: Nederlands oefenen, werk, school en opvang voor de kinderen, wonen, "
        "vrije tijd. We probeerden u te bereiken, maar dat lukte nog niet.\n"
        "Bel ons of kom langs aan het onthaal en vermeld uw nummer {nummer}.\n"
        "Telefoon: {telefoon}\n"
        "Openingsuren: {openingsuren}"
    ),
    MessageKind.REMINDER: (
        "Wij herinneren u aan uw afspraak op {datum} om {uur}.\n"
        "Plaats: {plaats}\n"
        "U spreekt met {toeleider}.\n"
        "Er is een tolk: {tolk}.\n"
        "Lukt het niet op dat moment? Laat het ons weten en vermeld uw nummer {nummer}.\n"
        "Telefoon: {telefoon}\n"
        "Openingsuren: {openingsuren}"
    ),
}


def placeholder_errors(kind: MessageKind, body: str) -> list[str]:
    """What is wrong with the placeholders of `body` for this message, in Dutch."""
    try:
        parts = list(Formatter().parse(body))
    except ValueError:
        return [
            _(
                "Een accolade staat los. Schrijf een invulplaats als {nummer}, "
                "en een accolade zelf als {{ of }}."
            )
        ]
    allowed = ALLOWED[kind]
    unknown: list[str] = []
    used: set[str] = set()
    for _literal, name, spec, conversion in parts:
        if name is None:
            continue
        used.add(name)
        if spec or conversion or name not in allowed:
            shown = (
                "{"
                + name
                + ("!" + conversion if conversion else "")
                + (":" + spec if spec else "")
                + "}"
            )
            if shown not in unknown:
                unknown.append(shown)
    errors = []
    if unknown:
        errors.append(
            _(
                "Onbekende invulplaats %(unknown)s. In dit bericht kunnen: %(allowed)s.",
                unknown=", ".join(unknown),
                allowed=", ".join("{" + name + "}" for name in allowed),
            )
        )
    missing = [name for name in REQUIRED[kind] if name not in used]
    if missing:
        errors.append(
            _(
                "De tekst moet %(missing)s bevatten, zoals de Nederlandse: anders mist de "
                "bewoner wat het Nederlands wel zegt.",
                missing=", ".join("{" + name + "}" for name in missing),
            )
        )
    return errors


def fill(body: str, values: Mapping[str, str]) -> str:
    """The text with its placeholders filled in; a line whose placeholder has no value
    (no interpreter, no phone number known) is left out instead of printed half."""
    kept = []
    for line in body.splitlines():
        parts = list(Formatter().parse(line))
        if any(name is not None and not values.get(name) for _l, name, _s, _c in parts):
            continue
        kept.append(
            "".join(literal + (values[name] if name else "") for literal, name, _s, _c in parts)
        )
    return "\n".join(kept).strip()


def isolated(value: str) -> str:
    """A value set apart from the text around it for the bidirectional algorithm (first
    strong isolate ... pop), so that '2026-000042' in an Arabic sentence is not printed as
    '000042-2026'. Empty stays empty: the line is then left out."""
    return f"\u2068{value}\u2069" if value else ""


@cache
def locale_of(code: str) -> Locale:
    """The CLDR locale of a contact language; Belgian Dutch where CLDR knows no such code."""
    try:
        return Locale.parse(code.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return Locale.parse("nl_BE")


@cache
def own_name(code: str) -> str:
    """The language's name in itself ('العربية'), for the contact-language part."""
    try:
        return Locale.parse(code.replace("-", "_")).display_name or code
    except (ValueError, UnknownLocaleError):
        return dutch_name(code) or code


def name_in(language_code: str, code: str) -> str:
    """The name of a language as the part in language `code` writes it: 'Arabisch' in
    Dutch, 'العربية' in Arabic, 'arabe' in French."""
    if code == DUTCH:
        return dutch_name(language_code) or language_code
    if language_code == code:
        return own_name(code)
    try:
        named = Locale.parse(language_code.replace("-", "_")).get_display_name(locale_of(code))
    except (ValueError, UnknownLocaleError):
        named = None
    return named or dutch_name(language_code) or language_code


@dataclass(frozen=True)
class Details:
    """What the placeholders are filled with, before formatting for a language."""

    reference: str
    municipality: Municipality
    starts_at: datetime | None = None
    place: str = ""
    toeleider_first_name: str = ""
    # Requested or confirmed: the municipality arranges it once asked (a cancelled one is not
    # printed); the language is the one asked, by default the contact language.
    interpreter: bool = False
    region: str = "BE"
    interpreter_language: str | None = None

    @classmethod
    def of(cls, referral: Referral, appointment: Appointment | None, region: str = "BE") -> Details:
        if appointment is None:
            return cls(referral.reference or "", referral.municipality, region=region)
        return cls(
            reference=referral.reference or "",
            municipality=referral.municipality,
            starts_at=appointment.starts_at,
            place=appointment.place,
            toeleider_first_name=appointment.toeleider.full_name.split()[0],
            interpreter=appointment.interpreter is not None,
            region=region,
            interpreter_language=(
                appointment.interpreter.language_code if appointment.interpreter else None
            ),
        )

    def values(self, code: str, contact_code: str) -> dict[str, str]:
        """The values in language `code`; the interpreter speaks the contact language."""
        locale = locale_of("nl_BE" if code == DUTCH else code)
        m = self.municipality
        values = {
            "nummer": self.reference,
            "gemeente": m.name,
            "telefoon": display_phone(m.phone, self.region),
            "openingsuren": m.opening_hours or "",
            "plaats": self.place,
            "toeleider": self.toeleider_first_name,
            "datum": "",
            "uur": "",
            "tolk": "",
        }
        if self.starts_at is not None:
            values["datum"] = format_date(self.starts_at.date(), "full", locale=locale)
            values["uur"] = format_time(self.starts_at.time(), "short", locale=locale)
        if self.interpreter:
            values["tolk"] = name_in(self.interpreter_language or contact_code, code)
        return values


@dataclass(frozen=True)
class Part:
    """One language's part of a printed message."""

    code: str
    name: str  # in Dutch, for the staff
    own_name: str  # in the language itself, for the resident
    text: str
    direction: str


@dataclass(frozen=True)
class Message:
    kind: MessageKind
    dutch: Part
    # The contact language's part; None when it is Dutch or has no text for this message.
    translated: Part | None


def stored_texts(
    session: DbSession, kinds: Iterable[MessageKind], codes: Iterable[str]
) -> dict[tuple[MessageKind, str], str]:
    rows = session.execute(
        select(MessageText.kind, MessageText.language_code, MessageText.body).where(
            MessageText.kind.in_(list(kinds)), MessageText.language_code.in_(set(codes))
        )
    )
    return {(kind, code): body for kind, code, body in rows}


def usable(kind: MessageKind, body: str | None) -> str | None:
    """A stored text that still passes the placeholder check (the rules may have changed)."""
    if not body or not body.strip() or placeholder_errors(kind, body):
        return None
    return body


def compose(
    kind: MessageKind,
    details: Details,
    language: Language,
    texts: Mapping[tuple[MessageKind, str], str],
) -> Message:
    dutch_body = usable(kind, texts.get((kind, DUTCH))) or DEFAULTS[kind]
    dutch_text = fill(dutch_body, details.values(DUTCH, language.code))
    dutch = Part(DUTCH, "Nederlands", "Nederlands", dutch_text, "ltr")
    translated = None
    if language.code != DUTCH:
        body = usable(kind, texts.get((kind, language.code)))
        if body is not None:
            direction = text_direction(language.code)
            values = details.values(language.code, language.code)
            if direction == "rtl":
                values = {name: isolated(value) for name, value in values.items()}
            translated = Part(
                language.code,
                language.name,
                own_name(language.code),
                fill(body, values),
                direction,
            )
    return Message(kind, dutch, translated)


def message_for(
    session: DbSession,
    kind: MessageKind,
    referral: Referral,
    appointment: Appointment | None = None,
    region: str = "BE",
) -> Message:
    language = referral.contact_language
    texts = stored_texts(session, [kind], [DUTCH, language.code])
    return compose(kind, Details.of(referral, appointment, region), language, texts)


def letter_kind(referral: Referral) -> MessageKind:
    return MessageKind.LETTER_NEWCOMER if referral.is_newcomer else MessageKind.LETTER_LONG_TERM


def letters_for(
    session: DbSession, referrals: list[Referral], region: str = "BE"
) -> dict[int, Message]:
    """The letter of each referral, the texts read in one query."""
    codes = {DUTCH} | {r.contact_language.code for r in referrals}
    kinds = {letter_kind(r) for r in referrals}
    texts = stored_texts(session, kinds, codes)
    return {
        r.id: compose(letter_kind(r), Details.of(r, None, region), r.contact_language, texts)
        for r in referrals
    }


@dataclass(frozen=True)
class Coverage:
    """Which messages one language has a text for, and how many residents it reaches."""

    language: Language
    referrals: int
    written: frozenset[MessageKind]


def coverage(session: DbSession, since: datetime) -> list[Coverage]:
    """Dutch first, then the contact languages of the referrals registered since `since`,
    most used first: the languages whose residents receive slips and letters."""
    used = dict(
        session.execute(
            select(Referral.contact_language_code, func.count())
            .where(Referral.created_at >= since)
            .group_by(Referral.contact_language_code)
        ).all()
    )
    codes = set(used) | {DUTCH}
    languages = session.scalars(select(Language).where(Language.code.in_(codes))).all()
    written: dict[str, set[MessageKind]] = {}
    for kind, code in session.execute(
        select(MessageText.kind, MessageText.language_code).where(
            MessageText.language_code.in_(codes)
        )
    ):
        written.setdefault(code, set()).add(kind)
    rows = [
        Coverage(language, used.get(language.code, 0), frozenset(written.get(language.code, ())))
        for language in languages
    ]
    return sorted(
        rows,
        key=lambda c: (
            c.language.code != DUTCH,
            -c.referrals,
            language_label(c.language).casefold(),
        ),
    )


SAMPLE_REFERENCE = "2026-000042"


def sample_details(municipality: Municipality, moment: datetime) -> Details:
    """Made-up details for a preview: no resident's data on an admin's screen."""
    return Details(
        reference=SAMPLE_REFERENCE,
        municipality=municipality,
        starts_at=moment,
        place=_("Gemeentehuis, onthaal"),
        toeleider_first_name="Sara",
        interpreter=True,
    )


_BEFORE_POSTCODE = re.compile(r",\s*(?=\d{4}\s)")


def postal_lines(address: str | None) -> list[str]:
    """The address as a letter's window shows it: the street on one line, the postcode and
    place on the next ('Dorpsstraat 14 bus 2, 9999 Lindeveld' is typed on one line)."""
    lines: list[str] = []
    for line in (address or "").splitlines():
        lines.extend(part.strip() for part in _BEFORE_POSTCODE.split(line) if part.strip())
    return lines
