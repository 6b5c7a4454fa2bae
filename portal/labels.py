"""Dutch labels for the values stored in English."""

from __future__ import annotations

import json
from typing import Any

from flask_babel import lazy_gettext as _l

from .languages import language_label, named_in_text
from .models import (
    ActivityKind,
    AgiiStatus,
    ChannelBasis,
    ClosingOutcome,
    ContactChannel,
    ContactOutcome,
    InterpreterMode,
    InterpreterRequest,
    InterpreterStatus,
    KpiRule,
    KpiUnit,
    MailPreference,
    NotificationKind,
    ParameterKind,
    ReferralState,
    Role,
    SchoolItemKind,
    SchoolItemStatus,
)

STATE_LABELS = {
    ReferralState.NEW: _l("nieuw"),
    ReferralState.CLAIMED: _l("opgenomen"),
    ReferralState.CONTACTED: _l("gecontacteerd"),
    ReferralState.SCHEDULED: _l("gesprek gepland"),
    ReferralState.HELD: _l("gesprek gehouden"),
    ReferralState.FOLLOWING_UP: _l("opvolging"),
    ReferralState.CLOSED: _l("afgesloten"),
}

NOTIFICATION_KIND_LABELS = {
    NotificationKind.NEW_REFERRAL: _l("Nieuwe doorverwijzing in uw talen"),
    NotificationKind.APPOINTMENT_BOOKED: _l("Afspraak voor u ingepland"),
    NotificationKind.REASSIGNED: _l("Dossier aan u toegewezen"),
    NotificationKind.SIGNAL_ANSWERED: _l("Antwoord op uw signaal"),
    NotificationKind.PLACE_FREED: _l("Plaats vrij in een programma"),
    NotificationKind.TASK_DUE: _l("Opvolgtaak voor vandaag"),
}

MAIL_PREFERENCE_LABELS = {
    MailPreference.NONE: _l("Geen e-mails"),
    MailPreference.IMMEDIATE: _l(
        "Meteen bij een afspraak of toewijzing, de rest in één e-mail per dag"
    ),
    MailPreference.DIGEST: _l("Alles in één e-mail per dag"),
}

ROLE_LABELS = {
    Role.DESK: _l("loketmedewerker"),
    Role.TOELEIDER: _l("toeleider"),
    Role.LEAD: _l("teamverantwoordelijke"),
    Role.ADMIN: _l("beheerder"),
    Role.PARTNER: _l("partner"),
}


def service_label(service: Any) -> str:
    """A service by name and, for one municipality's own desk, that municipality."""
    if service.municipality is not None:
        return f"{service.name} ({service.municipality.name})"
    return str(service.name)


def state_label(state: str) -> str:
    return str(STATE_LABELS[ReferralState(state)])


def role_label(role: str) -> str:
    return str(ROLE_LABELS[Role(role)])


CHANNEL_LABELS = {
    ContactChannel.PHONE: _l("telefoon"),
    ContactChannel.SMS: _l("sms"),
    ContactChannel.EMAIL: _l("e-mail"),
    ContactChannel.LETTER: _l("brief"),
    ContactChannel.DESK: _l("aan het loket"),
}

CONTACT_OUTCOME_LABELS = {
    ContactOutcome.REACHED: _l("bereikt"),
    ContactOutcome.NO_ANSWER: _l("geen antwoord"),
    ContactOutcome.WRONG_NUMBER: _l("verkeerd nummer"),
    ContactOutcome.DECLINED: _l("weigert"),
    ContactOutcome.CALL_BACK: _l("later terugbellen"),
}

CLOSING_OUTCOME_LABELS = {
    ClosingOutcome.COMPLETED: _l("afgerond"),
    ClosingOutcome.DECLINED: _l("geweigerd"),
    ClosingOutcome.UNREACHABLE: _l("onbereikbaar"),
    ClosingOutcome.MOVED_AWAY: _l("verhuisd"),
    ClosingOutcome.PLAN_STOPPED: _l("traject vroegtijdig gestopt"),
}

# The toeleider's answer to the referring partner: did the person arrive (portal.partners).
ARRIVED_LABELS = {
    "yes": _l("de persoon is aangekomen"),
    "no": _l("de persoon is niet aangekomen"),
    "unknown": _l("nog niet bekend of de persoon aankwam"),
}


def arrived_label(arrived: bool | None) -> str:
    code = "unknown" if arrived is None else "yes" if arrived else "no"
    return str(ARRIVED_LABELS[code])


EVENT_LABELS = {
    "registered": _l("Geregistreerd aan het loket"),
    "registered_by_partner": _l("Doorverwezen door een partner"),
    "registered_from_register": _l("Ingeschreven in het bevolkingsregister"),
    "registered_from_history": _l("Eerdere registratie, van vóór het portaal"),
    "claimed": _l("Opgenomen"),
    "unclaimed": _l("Teruggegeven aan de wachtrij"),
    "reassigned": _l("Toegewezen"),
    "contact_attempt": _l("Contactpoging"),
    "letter_needed": _l("Uitnodigingsbrief nodig"),
    "letter_sent": _l("Uitnodigingsbrief verstuurd"),
    "offer_accepted": _l("Gesprek aanvaard"),
    "offer_declined": _l("Gesprek geweigerd"),
    "closed": _l("Afgesloten"),
    "scheduled": _l("Gesprek gepland"),
    "conversation_held": _l("Gesprek gehouden"),
    "no_show": _l("Niet komen opdagen"),
    "appointment_cancelled": _l("Afspraak geannuleerd"),
    "rescheduled": _l("Afspraak verplaatst"),
    "appointment_moved": _l("Afspraak overgedragen"),
    "interpreter_requested": _l("Tolk aangevraagd"),
    "interpreter_confirmed": _l("Tolk bevestigd"),
    "interpreter_cancelled": _l("Tolk geannuleerd"),
    "interpreter_changed": _l("Tolkaanvraag gewijzigd"),
    "interpreter_moved": _l("Tolkaanvraag verplaatst met de afspraak"),
    "anonymised": _l("Geanonimiseerd"),
    "consent_withdrawn": _l("Akkoord om gecontacteerd te worden ingetrokken"),
    "conversation_recorded": _l("Verslag van het gesprek"),
    "partner_referral": _l("Toeleiding naar een partner"),
    "partner_referral_status": _l("Toeleiding opgevolgd"),
    "partner_feedback": _l("Terugkoppeling aan de doorverwijzer"),
    "task_added": _l("Opvolgtaak"),
    "task_done": _l("Opvolgtaak afgewerkt"),
    "task_dropped": _l("Opvolgtaak geschrapt"),
    "reopened": _l("Heropend"),
    "milestone_added": _l("Mijlpaal"),
    "milestone_status": _l("Mijlpaal bijgewerkt"),
    "programme_enrolled": _l("Plaats in een programma"),
    "programme_waiting": _l("Op de wachtlijst van een programma"),
    "programme_left": _l("Programma of wachtlijst verlaten"),
    "person_corrected": _l("Gegevens van de persoon verbeterd"),
    "person_joined": _l("Samengevoegd met een andere persoon"),
    "person_unjoined": _l("Samenvoeging ongedaan gemaakt"),
    "walk_in_held": _l("Gesprek zonder afspraak gehouden"),
    "conversation_corrected": _l("Verslag van het gesprek verbeterd"),
    "struck": _l("Doorgehaald"),
    "school_item_updated": _l("Leerplicht bijgewerkt"),
    "school_items_removed": _l("Leerplicht: opvolging vervallen met het kind"),
    "school_item_of_age": _l("Leerplicht: kind werd leerplichtig"),
    "school_items_settled": _l("Leerplicht: niet van toepassing, het gezin verhuisde"),
    "school_items_restored": _l("Leerplicht: opnieuw op te volgen met het heropende dossier"),
    "agii_referral": _l("Verwijzing naar Agii"),
    "agii_referral_updated": _l("Verwijzing naar Agii bijgewerkt"),
}

SCHOOL_ITEM_LABELS = {
    SchoolItemKind.ENROLMENT: _l("schoolinschrijving"),
    SchoolItemKind.INFORMATION: _l("informatie Huis van het Kind en kleuterschool"),
}

SCHOOL_STATUS_LABELS = {
    SchoolItemStatus.OPEN: _l("nog op te volgen"),
    SchoolItemStatus.ENROLLED: _l("ingeschreven in een school"),
    SchoolItemStatus.REFERRED_EDUCATION_DESK: _l("doorverwezen naar het onderwijsloket"),
    SchoolItemStatus.REFERRED_AGII: _l("doorverwezen naar Agii"),
    SchoolItemStatus.INFORMED: _l("informatie gegeven"),
    SchoolItemStatus.NOT_APPLICABLE: _l("niet van toepassing"),
}


def school_item_label(kind: str) -> str:
    return str(SCHOOL_ITEM_LABELS[SchoolItemKind(kind)])


def school_status_label(status: str) -> str:
    return str(SCHOOL_STATUS_LABELS[SchoolItemStatus(status)])


AGII_STATUS_LABELS = {
    AgiiStatus.TO_REFER: _l("te verwijzen"),
    AgiiStatus.REFERRED: _l("doorverwezen"),
    AgiiStatus.REGISTERED: _l("aangemeld bij Agii"),
    AgiiStatus.STARTED: _l("traject gestart"),
    AgiiStatus.COMPLETED: _l("traject afgerond"),
    AgiiStatus.NOT_APPLICABLE: _l("niet van toepassing"),
}

# The parts of a civic-integration trajectory, by the AgiiReferral column that holds each.
AGII_PART_LABELS = {
    "civic_orientation": _l("maatschappelijke oriëntatie"),
    "dutch_course": _l("Nederlands als tweede taal (NT2)"),
    "participation_network": _l("participatie en netwerk"),
    "work_pathway": _l("traject naar werk (VDAB)"),
}

OBLIGED_LABELS = {
    "yes": _l("ja, inburgeringsplichtig"),
    "no": _l("nee, niet inburgeringsplichtig"),
    "unknown": _l("nog niet bekend"),
}


def agii_status_label(status: str) -> str:
    return str(AGII_STATUS_LABELS[AgiiStatus(status)])


def obliged_label(obliged: bool | None) -> str:
    return str(OBLIGED_LABELS["unknown" if obliged is None else "yes" if obliged else "no"])


PERSON_FIELD_LABELS = {
    "full_name": _l("Naam"),
    "birth_year": _l("Geboortejaar"),
    "phone": _l("Telefoon"),
    "email": _l("E-mail"),
    "address": _l("Adres"),
    "contact_language_code": _l("Contacttaal"),
    "home_language_code": _l("Thuistaal"),
    "adults": _l("Volwassenen"),
    "children_birth_years": _l("Geboortejaren van de kinderen"),
    "registered_on": _l("Ingeschreven sinds"),
}

PLACE_STATUS_LABELS = {
    "waiting": _l("op de wachtlijst"),
    "enrolled": _l("heeft een plaats"),
    "left": _l("gestopt"),
}

APPOINTMENT_KIND_LABELS = {
    "welcome": _l("onthaalgesprek"),
    "integration": _l("integratiegesprek"),
}

APPOINTMENT_STATUS_LABELS = {
    "planned": _l("gepland"),
    "held": _l("gehouden"),
    "no_show": _l("niet opgedaagd"),
    "cancelled": _l("geannuleerd"),
    "rescheduled": _l("verplaatst"),
}

INTERPRETER_MODE_LABELS = {
    InterpreterMode.ON_SITE: _l("ter plaatse"),
    InterpreterMode.PHONE: _l("telefonisch"),
    InterpreterMode.VIDEO: _l("via video"),
}

INTERPRETER_STATUS_LABELS = {
    InterpreterStatus.REQUESTED: _l("aangevraagd"),
    InterpreterStatus.CONFIRMED: _l("bevestigd"),
    InterpreterStatus.CANCELLED: _l("geannuleerd"),
}


def interpreter_summary(request: InterpreterRequest, with_status: bool = True) -> str:
    """'Arabisch, telefonisch, bevestigd': the language, how, and where the request stands."""
    parts = [language_label(request.language), str(INTERPRETER_MODE_LABELS[request.mode])]
    if with_status:
        parts.append(str(INTERPRETER_STATUS_LABELS[request.status]))
    return ", ".join(parts)


def interpreter_tag(request: InterpreterRequest) -> str:
    """'tolk Arabisch (telefonisch, bevestigd)': the interpreter in a list of appointments."""
    return str(
        _l(
            "tolk %(language)s (%(mode)s, %(status)s)",
            language=language_label(request.language),
            mode=INTERPRETER_MODE_LABELS[request.mode],
            status=INTERPRETER_STATUS_LABELS[request.status],
        )
    )


def event_label(kind: str) -> str:
    return str(EVENT_LABELS.get(kind, kind))


def event_detail(kind: str, detail: str | None) -> str:
    """The stored detail of an event in Dutch words where it holds codes."""
    if not detail:
        return ""
    if kind == "contact_attempt" and ":" in detail:
        channel, outcome = detail.split(":", 1)
        channel_label = CHANNEL_LABELS[ContactChannel(channel)]
        return f"{channel_label}: {CONTACT_OUTCOME_LABELS[ContactOutcome(outcome)]}"
    if kind == "closed":
        code, _sep, note = detail.partition(": ")
        if code in ClosingOutcome._value2member_map_:
            label = str(CLOSING_OUTCOME_LABELS[ClosingOutcome(code)])
            return f"{label}: {note}" if note else label
    if kind == "letter_needed":
        return str(_l("na %(n)s onbereikte pogingen", n=detail))
    if kind == "partner_referral_status":
        # "<partner>: <status>" and, when given, " · <feedback>".
        head, sep, feedback = detail.partition(" · ")
        return _with_label(head, PARTNER_STATUS_LABELS) + sep + feedback
    if kind == "milestone_status":
        return _with_label(detail, MILESTONE_STATUS_LABELS)
    if kind == "partner_feedback":
        # "<arrived code>: <message>"
        code, _sep, message = detail.partition(": ")
        if code in ARRIVED_LABELS:
            label = str(ARRIVED_LABELS[code])
            return f"{label}: {message}" if message else label
    if kind == "person_corrected":
        return _correction_detail(detail)
    if kind in ("person_joined", "person_unjoined"):
        return str(_l("Dossiers van de andere persoon: %(refs)s", refs=detail))
    return detail


def _with_label(text: str, labels: dict[str, Any]) -> str:
    """'<what>: <code>' with the code in Dutch words."""
    what, sep, code = text.rpartition(": ")
    return f"{what}{sep}{labels[code]}" if sep and code in labels else text


def _correction_detail(detail: str) -> str:
    """'Field: old → new' per line, from the changes stored as JSON."""
    try:
        changes = json.loads(detail)
    except ValueError:
        return detail
    lines = []
    for name, old, new in changes:
        label = PERSON_FIELD_LABELS.get(name, name)
        if name.endswith("language_code"):
            # Stored by their Dutch names: read in the reader's language.
            old, new = (named_in_text(v) if isinstance(v, str) else v for v in (old, new))
        lines.append(f"{label}: {_plain(old)} → {_plain(new)}")
    return "\n".join(lines)


def _plain(value: object) -> str:
    return "—" if value is None or value == "" else str(value)


PARTNER_STATUS_LABELS = {
    "proposed": _l("voorgesteld"),
    "contacted_partner": _l("partner gecontacteerd"),
    "arrived": _l("aangekomen"),
    "not_arrived": _l("niet aangekomen"),
}

MILESTONE_STATUS_LABELS = {
    "open": _l("lopend"),
    "achieved": _l("bereikt"),
    "stopped": _l("gestopt"),
}

# What each move on a file is called where the page offers it (the keys: lifecycle.Action).
ACTION_LABELS = {
    "claim": _l("Opnemen"),
    "unclaim": _l("Teruggeven aan de wachtrij"),
    "reassign": _l("Toewijzen aan een andere toeleider"),
    "contact_attempt": _l("Contactpoging"),
    "answer_offer": _l("Antwoord op het aanbod"),
    "letter_sent": _l("Uitnodigingsbrief verstuurd"),
    "schedule": _l("Gesprek plannen"),
    "desk_booking": _l("Afspraak aan het loket"),
    "appointment_outcome": _l("Hoe ging de afspraak?"),
    "change_appointment": _l("Afspraak annuleren of verplaatsen"),
    "record_conversation": _l("Verslag van het gesprek"),
    "refer_to_partner": _l("Nieuwe toeleiding"),
    "partner_feedback": _l("Terugkoppeling van een partner"),
    "task": _l("Nieuwe opvolgtaak"),
    "milestone": _l("Nieuwe mijlpaal"),
    "programme": _l("Aanmelden voor een programma"),
    "close": _l("Afsluiten"),
    "reopen": _l("Heropenen"),
    "school": _l("Leerplicht opvolgen"),
    "agii": _l("Verwijzing naar Agii"),
}

SETTLE_LABELS = {
    ("partner", "await"): _l("wacht op de terugkoppeling van de partner"),
    ("partner", "not_arrived"): _l("niet aangekomen"),
    ("task", "done"): _l("afgewerkt"),
    ("task", "drop"): _l("schrappen"),
    ("milestone", "done"): _l("bereikt"),
    ("milestone", "drop"): _l("gestopt"),
}

PARAMETER_KIND_LABELS = {
    ParameterKind.YES_NO: _l("ja/nee"),
    ParameterKind.NUMBER: _l("getal"),
    ParameterKind.CHOICE: _l("keuze"),
    ParameterKind.TEXT: _l("tekst"),
}

UNIT_LABELS = {
    KpiUnit.PEOPLE: _l("personen (volwassenen)"),
    KpiUnit.HOUSEHOLDS: _l("gezinnen"),
    KpiUnit.CHILDREN: _l("kinderen en jongeren"),
    KpiUnit.PRACTICE: _l("oefenkansen"),
}

RULE_LABELS = {
    KpiRule.REACHED: _l("bereikt"),
    KpiRule.CONVERSATION_HELD: _l("gesprek gehouden"),
    KpiRule.LED_TO_PARTNER: _l("toegeleid naar een partner"),
    KpiRule.ARRIVED_AT_PARTNER: _l("aangekomen bij een partner"),
    KpiRule.ACTIVITY: _l("deelgenomen aan groepswerk"),
}

CHANNEL_BASIS_LABELS = {
    ChannelBasis.REFERRER: _l("de doorverwijzende partner, anders het team van de medewerker"),
    ChannelBasis.TEAM: _l("het team van de medewerker"),
    ChannelBasis.DESTINATION: _l("de partner waarnaar toegeleid werd"),
}

ACTIVITY_KIND_LABELS = {
    ActivityKind.CONVERSATION_TABLE: _l("conversatietafel"),
    ActivityKind.PRACTICE_GROUP: _l("oefengroep Nederlands"),
    ActivityKind.SPORT: _l("sport"),
    ActivityKind.CULTURE: _l("cultuur"),
    ActivityKind.OTHER: _l("andere activiteit"),
}


ACCESS_ACTION_LABELS = {
    "view": _l("dossier geopend"),
    "slip": _l("strookje getoond"),
    "reminder": _l("herinnering aan een afspraak afgedrukt"),
    "booking": _l("afspraak maken aan het loket"),
    "duplicate_warning": _l("getoond als mogelijke dubbele registratie"),
    "registered_today": _l("in 'vandaag geregistreerd' aan het loket"),
    "queue": _l("in de wachtrij"),
    "queue_search": _l("in een zoekresultaat van de wachtrij"),
    "my_files": _l("in Mijn dossiers"),
    "letters": _l("in de lijst van brieven"),
    "letter": _l("uitnodigingsbrief afgedrukt"),
    "agenda": _l("in de agenda"),
    "calendar_feed": _l("in het agenda-abonnement"),
    "today": _l("in Vandaag"),
    "my_day": _l("in Vandaag van de toeleider"),
    "agenda_week": _l("in het weekrooster"),
    "lead_list": _l("in een lijst van de teamverantwoordelijke"),
    "toeleider_files": _l("in de dossiers van een toeleider"),
    "waiting_list": _l("op een wachtlijst"),
    "export": _l("alle gegevens van de persoon uitgevoerd"),
    "person_edit": _l("gegevens van de persoon geopend om te verbeteren"),
    "person_history": _l("getoond als ander dossier van dezelfde persoon"),
    "person_join_preview": _l("getoond in een voorstel om personen samen te voegen"),
    "walk_in": _l("geopend om een gesprek zonder afspraak te registreren"),
    "strike": _l("geopend om iets door te halen"),
    "conversation": _l("verslag van een gesprek gelezen"),
    "conversation_edit": _l("verslag van een gesprek geopend om te verbeteren"),
    "children_without_school": _l("in de lijst van kinderen zonder gekende school"),
    "agii_list": _l("in de lijst van verwijzingen naar Agii"),
    "agii_export": _l("uitgevoerd in de verwijzingen naar Agii (CSV)"),
}

ADMIN_ACTION_LABELS = {
    "user.create": _l("gebruiker aangemaakt"),
    "user.update": _l("gebruiker gewijzigd"),
    "user.activate": _l("gebruiker geactiveerd"),
    "user.deactivate": _l("gebruiker gedeactiveerd"),
    "user.password": _l("wachtwoord ingesteld"),
    "user.sessions_revoked": _l("afgemeld op alle toestellen"),
    "user.totp_reset": _l("tweede stap uitgeschakeld"),
    "account.password": _l("eigen wachtwoord gewijzigd"),
    "account.sessions_revoked": _l("zelf afgemeld op alle toestellen"),
    "account.totp_enable": _l("tweede stap ingeschakeld"),
    "account.totp_disable": _l("tweede stap zelf uitgeschakeld"),
    "account.mail_preference": _l("eigen meldingen per e-mail gewijzigd"),
    "account.interface_language": _l("eigen taal van het portaal gewijzigd"),
    "catalogue.create": _l("toegevoegd aan een lijst"),
    "catalogue.update": _l("gewijzigd in een lijst"),
    "settings.update": _l("instellingen gewijzigd"),
    "signal.status": _l("signaal opgevolgd"),
    "person.erase": _l("persoon gewist op eigen vraag"),
}


def access_action_label(action: str) -> str:
    return str(ACCESS_ACTION_LABELS.get(action, action))


def admin_action_label(action: str) -> str:
    return str(ADMIN_ACTION_LABELS.get(action, action))


CHANGED_FIELD_LABELS = {
    "email": _l("e-mailadres"),
    "full_name": _l("naam"),
    "name": _l("naam"),
    "roles": _l("rollen"),
    "municipalities": _l("gemeenten"),
    "languages": _l("talen"),
    "service": _l("dienst"),
    "channel": _l("team"),
    "active": _l("actief"),
    "status": _l("status"),
    "answer": _l("antwoord"),
    "privacy_notice": _l("privacyverklaring"),
}


def changed_field_label(name: str, setting_labels: dict[str, object] | None = None) -> str:
    """The Dutch name of a changed field in the admin log; settings keep their own labels."""
    label = CHANGED_FIELD_LABELS.get(name) or (setting_labels or {}).get(name) or name
    return str(label)


# The GDPR grounds a municipality may process a resident's data on, as recorded at intake.
LEGAL_BASIS_LABELS = {
    "consent": _l("Toestemming van de persoon (AVG art. 6.1.a)"),
    "public_task": _l("Taak van algemeen belang van de gemeente (AVG art. 6.1.e)"),
}
