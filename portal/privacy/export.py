"""Everything the portal holds about one person, for their right of access."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import DbSession
from ..labels import (
    AGII_PART_LABELS,
    APPOINTMENT_STATUS_LABELS,
    CHANNEL_LABELS,
    CONTACT_OUTCOME_LABELS,
    LEGAL_BASIS_LABELS,
    MILESTONE_STATUS_LABELS,
    PARTNER_STATUS_LABELS,
    agii_status_label,
    event_detail,
    event_label,
    obliged_label,
    school_item_label,
    school_status_label,
    state_label,
)
from ..models import (
    AgiiReferral,
    Appointment,
    ContactAttempt,
    Conversation,
    FollowUpTask,
    Milestone,
    PartnerReferral,
    Person,
    Referral,
    SchoolItem,
    TimelineEvent,
)
from ..persons.join import joined_records
from ..referrals.agii import chosen_parts


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _details(person: Person) -> dict[str, Any]:
    return {
        "naam": person.full_name,
        "geboortejaar": person.birth_year,
        "telefoon": person.phone,
        "e-mail": person.email,
        "adres": person.address,
    }


def person_export(session: DbSession, person: Person) -> dict[str, Any]:
    """The person and each of their files with all that was recorded, as plain values."""
    files = session.scalars(
        select(Referral)
        .where(Referral.person_id == person.id)
        .options(
            selectinload(Referral.children),
            selectinload(Referral.municipality),
            selectinload(Referral.contact_language),
            selectinload(Referral.home_language),
            selectinload(Referral.source_service),
        )
        .order_by(Referral.created_at, Referral.id)
    ).all()
    ids = [r.id for r in files] or [-1]

    def rows(model: Any, *order: Any) -> dict[int, list[Any]]:
        grouped: dict[int, list[Any]] = {}
        row: Any
        for row in session.scalars(
            select(model).where(model.referral_id.in_(ids)).order_by(*order, model.id)
        ):
            grouped.setdefault(row.referral_id, []).append(row)
        return grouped

    attempts = rows(ContactAttempt, ContactAttempt.at)
    appointments = rows(Appointment, Appointment.starts_at)
    conversations = rows(Conversation, Conversation.held_on)
    partner_referrals = rows(PartnerReferral, PartnerReferral.referred_on)
    tasks = rows(FollowUpTask, FollowUpTask.due_on)
    milestones = rows(Milestone, Milestone.priority)
    school_items = rows(SchoolItem, SchoolItem.due_on)
    agii_referrals = rows(AgiiReferral)
    events = rows(TimelineEvent, TimelineEvent.at)
    return {
        "persoon": _details(person),
        # Records found to be this same person and joined into it keep their own details.
        "samengevoegde gegevens": [_details(p) for p in joined_records(session, person)],
        "dossiers": [
            {
                "nummer": r.reference,
                "gemeente": r.municipality.name,
                "status": state_label(r.state),
                "geregistreerd": _plain(r.created_at),
                "ingeschreven in de gemeente op": _plain(r.registered_on),
                "contacttaal": r.contact_language.name,
                "thuistaal": r.home_language.name if r.home_language else None,
                "Nederlands moeilijk": r.dutch_difficult,
                "werk": r.has_work,
                "kinderen": r.has_children,
                "volwassenen in het gezin": r.adults,
                "geboortejaren van de kinderen": [c.birth_year for c in r.children],
                "doorverwezen door": r.source_service.name,
                "akkoord om gecontacteerd te worden": r.consent_given,
                "rechtsgrond": str(LEGAL_BASIS_LABELS.get(r.legal_basis, r.legal_basis)),
                "akkoord ingetrokken op": _plain(r.consent_withdrawn_at),
                "notitie": r.note,
                "contactpogingen": [
                    {
                        "moment": _plain(a.at),
                        "kanaal": str(CHANNEL_LABELS[a.channel]),
                        "resultaat": str(CONTACT_OUTCOME_LABELS[a.outcome]),
                        "notitie": a.note,
                    }
                    for a in attempts.get(r.id, [])
                ],
                "afspraken": [
                    {
                        "begin": _plain(a.starts_at),
                        "plaats": a.place,
                        "status": str(APPOINTMENT_STATUS_LABELS[a.status]),
                    }
                    for a in appointments.get(r.id, [])
                ],
                "gesprekken": [
                    {"datum": _plain(c.held_on), "verslag": c.notes}
                    for c in conversations.get(r.id, [])
                ],
                "toeleidingen": [
                    {
                        "datum": _plain(p.referred_on),
                        "status": str(PARTNER_STATUS_LABELS[p.status]),
                        "terugkoppeling": p.feedback,
                    }
                    for p in partner_referrals.get(r.id, [])
                ],
                "opvolgtaken": [
                    {"tegen": _plain(t.due_on), "taak": t.description, "klaar": _plain(t.done_at)}
                    for t in tasks.get(r.id, [])
                ],
                "mijlpalen": [
                    {
                        "doel": _plain(m.target_on),
                        "mijlpaal": m.description,
                        "status": str(MILESTONE_STATUS_LABELS[m.status]),
                    }
                    for m in milestones.get(r.id, [])
                ],
                "leerplicht": [
                    {
                        "wat": school_item_label(i.kind),
                        "tegen": _plain(i.due_on),
                        "status": school_status_label(i.status),
                        "school": i.school_name,
                        "notitie": i.note,
                    }
                    for i in school_items.get(r.id, [])
                ],
                "verwijzing naar Agii": [
                    {
                        "status": agii_status_label(a.status),
                        "inburgeringsplichtig": obliged_label(a.obliged),
                        "traject": ", ".join(str(AGII_PART_LABELS[p]) for p in chosen_parts(a)),
                        "doorverwezen op": _plain(a.referred_on),
                        "dossiernummer bij Agii": a.agii_reference,
                        "notitie": a.note,
                    }
                    for a in agii_referrals.get(r.id, [])
                ],
                "tijdlijn": [
                    {
                        "moment": _plain(e.at),
                        "wat": event_label(e.kind),
                        "details": event_detail(e.kind, e.detail),
                    }
                    for e in events.get(r.id, [])
                ],
            }
            for r in files
        ],
    }
