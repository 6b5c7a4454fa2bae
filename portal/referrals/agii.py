"""The referral to Agii for civic integration, and the file handed to Agii for it.

One per file: whether the person is obliged to follow civic integration, the parts of the
trajectory they are referred for, and where it stands. There is no live connection with Agii:
a lead exports the referrals of a period as CSV in the layout described in the README
('Verwijzingen naar Agii: het CSV-bestand'). Callers commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select
from sqlalchemy.orm import contains_eager, joinedload

from ..extensions import DbSession
from ..labels import AGII_PART_LABELS, agii_status_label, obliged_label
from ..models import AgiiReferral, AgiiStatus, Person, Referral, User
from .lifecycle import Action, TransitionRefused, check, count_as_change, record_event

PARTS = tuple(AGII_PART_LABELS)
# Statuses of a file that was handed to Agii: it has the day it was, and it is exported.
HANDED_OVER = (AgiiStatus.REFERRED, AgiiStatus.REGISTERED, AgiiStatus.STARTED, AgiiStatus.COMPLETED)
REFERENCE_MAX, NOTE_MAX = 40, 500


@dataclass(frozen=True)
class AgiiDetails:
    """What the form on the file records."""

    obliged: bool | None
    parts: frozenset[str]
    status: AgiiStatus
    referred_on: date | None = None
    agii_reference: str | None = None
    note: str | None = None


def save(
    session: DbSession, referral: Referral, actor: User, at: datetime, details: AgiiDetails
) -> AgiiReferral | None:
    """Record or update the referral to Agii; None when nothing changed."""
    check(Action.AGII, referral, actor)
    status = AgiiStatus(details.status)
    unknown = set(details.parts) - set(PARTS)
    if unknown:
        raise TransitionRefused(_l("Kies een van de mogelijkheden."))
    referred_on = details.referred_on
    if status in HANDED_OVER:
        referred_on = referred_on or at.date()
        if referred_on > at.date():
            raise TransitionRefused(_l("De dag van de verwijzing kan niet in de toekomst liggen."))
    else:
        referred_on = None
    item = session.scalar(select(AgiiReferral).where(AgiiReferral.referral_id == referral.id))
    values = {
        "obliged": details.obliged,
        **{part: part in details.parts for part in PARTS},
        "status": status,
        "referred_on": referred_on,
        "agii_reference": (details.agii_reference or "").strip()[:REFERENCE_MAX] or None,
        "note": (details.note or "").strip()[:NOTE_MAX] or None,
    }
    first = item is None
    if item is None:
        item = AgiiReferral(referral_id=referral.id, created_by_id=actor.id, created_at=at)
        session.add(item)
    elif all(getattr(item, k) == v for k, v in values.items()):
        return None
    for key, value in values.items():
        setattr(item, key, value)
    item.updated_by_id = actor.id
    item.updated_at = at
    count_as_change(referral)
    record_event(
        session,
        referral,
        actor,
        at,
        "agii_referral" if first else "agii_referral_updated",
        summary(item),
    )
    return item


def chosen_parts(item: AgiiReferral) -> list[str]:
    return [part for part in PARTS if getattr(item, part)]


def summary(item: AgiiReferral) -> str:
    """What the timeline shows: status, obligation, trajectory, day and Agii's number."""
    parts = [agii_status_label(item.status), obliged_label(item.obliged)]
    chosen = chosen_parts(item)
    if chosen:
        parts.append(", ".join(str(AGII_PART_LABELS[p]) for p in chosen))
    if item.referred_on:
        parts.append(str(_l("doorverwezen op %(day)s", day=f"{item.referred_on:%d/%m/%Y}")))
    if item.agii_reference:
        parts.append(str(_l("Agii-nummer %(ref)s", ref=item.agii_reference)))
    return " · ".join(parts)


def of_referral(session: DbSession, referral_id: int) -> AgiiReferral | None:
    return session.scalar(select(AgiiReferral).where(AgiiReferral.referral_id == referral_id))


# The exchange file. The column names and the codes are the layout agreed with Agii: they do
# not follow the user's language, and a change here is a change of that agreement (README).
COLUMNS = (
    "dossiernummer",
    "gemeente_nis",
    "gemeente",
    "naam",
    "geboortejaar",
    "telefoon",
    "e_mail",
    "adres",
    "contacttaal",
    "thuistaal",
    "ingeschreven_sinds",
    "inburgeringsplicht",
    "maatschappelijke_orientatie",
    "nederlands_nt2",
    "participatie_netwerk",
    "traject_werk",
    "status",
    "doorverwezen_op",
    "agii_dossiernummer",
    "toeleider",
    "opmerking",
)
STATUS_CODES = {
    AgiiStatus.TO_REFER: "te_verwijzen",
    AgiiStatus.REFERRED: "doorverwezen",
    AgiiStatus.REGISTERED: "aangemeld",
    AgiiStatus.STARTED: "gestart",
    AgiiStatus.COMPLETED: "afgerond",
    AgiiStatus.NOT_APPLICABLE: "niet_van_toepassing",
}
YES, NO, UNKNOWN = "ja", "nee", "onbekend"


def export_statement(
    municipality_ids: Sequence[int], first_day: date, last_day: date
) -> Select[AgiiReferral]:
    """Files handed to Agii in the period (by the day of the referral), oldest first.

    Files anonymised, or whose person withdrew their agreement to be contacted, are left
    out: their data is not handed on any more.
    """
    return (
        select(AgiiReferral)
        .join(AgiiReferral.referral)
        .join(Referral.person)
        .options(
            contains_eager(AgiiReferral.referral).contains_eager(Referral.person),
            contains_eager(AgiiReferral.referral).joinedload(Referral.municipality),
            contains_eager(AgiiReferral.referral).joinedload(Referral.owner),
            joinedload(AgiiReferral.updated_by),
        )
        .where(AgiiReferral.status.in_(HANDED_OVER))
        .where(AgiiReferral.referred_on.between(first_day, last_day))
        .where(Referral.municipality_id.in_(list(municipality_ids) or [-1]))
        .where(Referral.anonymised_at.is_(None), Referral.consent_withdrawn_at.is_(None))
        .where(Person.anonymised_at.is_(None))
        .order_by(AgiiReferral.referred_on, AgiiReferral.id)
    )


def _yes_no(value: bool | None) -> str:
    return UNKNOWN if value is None else YES if value else NO


def export_rows(items: Iterable[AgiiReferral]) -> list[list[object]]:
    """The header and one line per file, in the order of COLUMNS."""
    rows: list[list[object]] = [list(COLUMNS)]
    for item in items:
        referral = item.referral
        person = referral.person
        rows.append(
            [
                referral.reference or "",
                referral.municipality.nis_code,
                referral.municipality.name,
                person.full_name,
                person.birth_year if person.birth_year is not None else "",
                person.phone or "",
                person.email or "",
                person.address or "",
                referral.contact_language_code,
                referral.home_language_code or "",
                referral.registered_on.isoformat(),
                _yes_no(item.obliged),
                *(_yes_no(getattr(item, part)) for part in PARTS),
                STATUS_CODES[item.status],
                item.referred_on.isoformat() if item.referred_on else "",
                item.agii_reference or "",
                referral.owner.full_name if referral.owner else "",
                item.note or "",
            ]
        )
    return rows
