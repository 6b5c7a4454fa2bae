"""KPI progress: each KPI counted over its project year, in its unit, broken down by channel.

A person counts once per KPI and project year, on the first event of the KPI's rule in that
year (for 'reached': their first reach ever, when it falls in the year). The channel is the
one stored on that event when it was recorded (portal/referrals/channels.py); activities
carry their channel.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload

from ..extensions import DbSession
from ..labels import ACTIVITY_KIND_LABELS, UNIT_LABELS
from ..models import (
    Activity,
    ActivityKind,
    Appointment,
    AppointmentStatus,
    Channel,
    ContactAttempt,
    HouseholdChild,
    Kpi,
    KpiRule,
    KpiUnit,
    PartnerReferral,
    PartnerReferralStatus,
    Referral,
)
from .counting import first_reached_in
from .evaluation import Period

# Which units a rule can count in: people-based rules count households and their members,
# group work counts participants.
UNITS_FOR_RULE = {
    KpiRule.REACHED: (KpiUnit.PEOPLE, KpiUnit.HOUSEHOLDS, KpiUnit.CHILDREN),
    KpiRule.CONVERSATION_HELD: (KpiUnit.PEOPLE, KpiUnit.HOUSEHOLDS, KpiUnit.CHILDREN),
    KpiRule.LED_TO_PARTNER: (KpiUnit.PEOPLE, KpiUnit.HOUSEHOLDS, KpiUnit.CHILDREN),
    KpiRule.ARRIVED_AT_PARTNER: (KpiUnit.PEOPLE, KpiUnit.HOUSEHOLDS, KpiUnit.CHILDREN),
    KpiRule.ACTIVITY: (KpiUnit.PRACTICE, KpiUnit.CHILDREN),
}

NO_CHANNEL = _l("zonder kanaal")


def project_year(start_month: int, today: date, start_year: int | None = None) -> Period:
    """The project year that starts in start_month of start_year, or the one holding today."""
    if start_year is None:
        start_year = today.year if today.month >= start_month else today.year - 1
    return Period(date(start_year, start_month, 1), date(start_year + 1, start_month, 1))


@dataclass
class KpiProgress:
    kpi: Kpi
    period: Period
    by_channel: list[tuple[str, int]]
    rule_text: str

    @property
    def total(self) -> int:
        return sum(n for _name, n in self.by_channel)

    @property
    def percent(self) -> int:
        """Share of the target reached, in whole percent (may exceed 100)."""
        return round(100 * self.total / self.kpi.target) if self.kpi.target > 0 else 0


def _first_events(rule: KpiRule, kpi: Kpi, period: Period) -> Select[int, int | None]:
    """(referral_id, channel_id): per referral, the first event of the rule within the period."""
    start, end = period.bounds
    if rule is KpiRule.REACHED:
        # The first reached attempt ever (the reports' rule), when it falls in the period.
        return (
            select(Referral.id, ContactAttempt.kpi_channel_id)
            .join(ContactAttempt, ContactAttempt.id == Referral.reached_attempt_id)
            .where(first_reached_in(start, end))
        )
    if rule is KpiRule.CONVERSATION_HELD:
        first = (
            select(func.min(Appointment.id).label("id"))
            .where(
                Appointment.status == AppointmentStatus.HELD,
                Appointment.starts_at >= start,
                Appointment.starts_at < end,
            )
            .group_by(Appointment.referral_id)
            .subquery()
        )
        return select(Appointment.referral_id, Appointment.kpi_channel_id).join(
            first, first.c.id == Appointment.id
        )
    conditions = [
        PartnerReferral.referred_on >= period.start,
        PartnerReferral.referred_on < period.end,
    ]
    if kpi.theme_id is not None:
        conditions.append(PartnerReferral.theme_id == kpi.theme_id)
    if rule is KpiRule.ARRIVED_AT_PARTNER:
        conditions.append(PartnerReferral.status == PartnerReferralStatus.ARRIVED)
    first = (
        select(func.min(PartnerReferral.id).label("id"))
        .where(*conditions)
        .group_by(PartnerReferral.referral_id)
        .subquery()
    )
    return select(PartnerReferral.referral_id, PartnerReferral.kpi_channel_id).join(
        first, first.c.id == PartnerReferral.id
    )


def _people_counts(
    session: DbSession, kpi: Kpi, ids: list[int], period: Period
) -> dict[int | None, int]:
    events = _first_events(KpiRule(kpi.rule), kpi, period).subquery()
    referral_id, channel = events.c
    unit = KpiUnit(kpi.unit)
    stmt = (
        select(channel)
        .select_from(events)
        .join(Referral, Referral.id == referral_id)
        .where(Referral.municipality_id.in_(ids))
        .group_by(channel)
    )
    if unit is KpiUnit.HOUSEHOLDS:
        stmt = stmt.add_columns(func.count())
    elif unit is KpiUnit.PEOPLE:
        stmt = stmt.add_columns(func.sum(Referral.adults))
    else:
        # One row per child of the households counted; households without children add none.
        stmt = stmt.join(HouseholdChild, HouseholdChild.referral_id == Referral.id).add_columns(
            func.count()
        )
    counts: list[Any] = list(session.execute(stmt))
    return {cid: int(n or 0) for cid, n in counts}


def _activity_counts(
    session: DbSession, kpi: Kpi, ids: list[int], period: Period
) -> dict[int | None, int]:
    column = (
        Activity.young_participants
        if KpiUnit(kpi.unit) is KpiUnit.CHILDREN
        else Activity.participants
    )
    stmt = (
        select(Activity.channel_id, func.sum(column))
        .where(
            Activity.municipality_id.in_(ids),
            Activity.held_on >= period.start,
            Activity.held_on < period.end,
        )
        .group_by(Activity.channel_id)
    )
    if kpi.activity_kind:
        stmt = stmt.where(Activity.kind == kpi.activity_kind)
    return {cid: int(n or 0) for cid, n in session.execute(stmt)}


def rule_text(kpi: Kpi, period: Period) -> str:
    """The KPI's counting rule in plain Dutch: what counts, on which date, in which period."""
    rule, unit = KpiRule(kpi.rule), KpiUnit(kpi.unit)
    span = str(
        _l(
            "Projectjaar van %(start)s tot en met %(end)s.",
            start=format_date(period.start, "d MMMM y"),
            end=format_date(period.last_day, "d MMMM y"),
        )
    )
    if rule is KpiRule.ACTIVITY:
        what = (
            _l("de kinderen en jongeren onder de deelnemers")
            if unit is KpiUnit.CHILDREN
            else _l("elke deelnemer telt als één oefenkans")
        )
        kind = (
            str(
                _l(
                    " van de soort '%(kind)s'",
                    kind=ACTIVITY_KIND_LABELS[ActivityKind(kpi.activity_kind)],
                )
            )
            if kpi.activity_kind
            else ""
        )
        text = _l(
            "Groepswerk%(kind)s, op de datum van de activiteit: %(what)s. Per kanaal: het "
            "kanaal dat bij de activiteit geregistreerd werd.",
            kind=kind,
            what=what,
        )
        return f"{text} {span}"
    theme = (
        str(_l(" in het thema '%(theme)s'", theme=kpi.theme.name))
        if kpi.theme is not None and rule in (KpiRule.LED_TO_PARTNER, KpiRule.ARRIVED_AT_PARTNER)
        else ""
    )
    event = {
        KpiRule.REACHED: _l(
            "Elk dossier telt één keer: in het projectjaar waarin het eerste contact met "
            "resultaat 'bereikt' valt (dezelfde regel als 'bereikt' in de rapporten)."
        ),
        KpiRule.CONVERSATION_HELD: _l(
            "Elk dossier met een gehouden gesprek in het projectjaar telt één keer, hoeveel "
            "gesprekken er ook waren."
        ),
        KpiRule.LED_TO_PARTNER: _l(
            "Elk dossier met een toeleiding naar een partner%(theme)s, met een datum in het "
            "projectjaar, telt één keer, hoeveel toeleidingen er ook waren.",
            theme=theme,
        ),
        KpiRule.ARRIVED_AT_PARTNER: _l(
            "Elk dossier met een toeleiding naar een partner%(theme)s, met een datum in het "
            "projectjaar, waar de persoon volgens de laatste opvolging aankwam, telt één keer.",
            theme=theme,
        ),
    }[rule]
    what = {
        KpiUnit.HOUSEHOLDS: _l("Elk dossier (een persoon of gezin) telt als één gezin."),
        KpiUnit.PEOPLE: _l("Geteld worden de volwassenen van het gezin, zoals bij de intake."),
        KpiUnit.CHILDREN: _l("Geteld worden de kinderen van het gezin, zoals bij de intake."),
    }[unit]
    channel = _l(
        "Per kanaal: de partner die de persoon doorverwees als die partner een kanaal heeft, "
        "anders het team van wie het werk deed, zoals het was toen het contact, het gesprek "
        "of de toeleiding geregistreerd werd."
    )
    text = f"{event} {what} {channel}"
    return f"{text} {span}"


def _channel_names(session: DbSession) -> dict[int, str]:
    return {cid: name for cid, name in session.execute(select(Channel.id, Channel.name))}


def kpi_progress(
    session: DbSession,
    kpi: Kpi,
    municipality_ids: Iterable[int],
    period: Period,
    channel_names: dict[int, str] | None = None,
) -> KpiProgress:
    """One KPI over one project year, per channel; the total is the sum of the channels."""
    ids = list(municipality_ids)
    if kpi.municipality_id is not None:
        ids = [i for i in ids if i == kpi.municipality_id]
    ids = ids or [-1]
    counts = (
        _activity_counts(session, kpi, ids, period)
        if KpiRule(kpi.rule) is KpiRule.ACTIVITY
        else _people_counts(session, kpi, ids, period)
    )
    names = channel_names if channel_names is not None else _channel_names(session)
    rows = sorted(
        ((str(names[cid]) if cid else str(NO_CHANNEL), n) for cid, n in counts.items() if n),
        key=lambda row: (-row[1], row[0]),
    )
    return KpiProgress(kpi, period, rows, rule_text(kpi, period))


def visible_kpis(session: DbSession, municipality_ids: Iterable[int]) -> list[Kpi]:
    """Active KPIs of every municipality, or of one of these."""
    ids = list(municipality_ids) or [-1]
    return list(
        session.scalars(
            select(Kpi)
            .options(joinedload(Kpi.theme))
            .where(Kpi.active.is_(True))
            .where((Kpi.municipality_id.is_(None)) | (Kpi.municipality_id.in_(ids)))
            .order_by(Kpi.position, Kpi.name)
        )
    )


def progress_report(
    session: DbSession, municipality_ids: Iterable[int], today: date, start_year: int | None
) -> list[KpiProgress]:
    """Every visible KPI over its project year starting in start_year, or its current one."""
    ids = list(municipality_ids)
    names = _channel_names(session)
    return [
        kpi_progress(session, kpi, ids, project_year(kpi.start_month, today, start_year), names)
        for kpi in visible_kpis(session, ids)
    ]


def export_rows(progress: Iterable[KpiProgress]) -> list[list[object]]:
    """One row per KPI and channel and one total row per KPI, with the rule beside it."""
    header: list[object] = [
        str(_l("KPI")),
        str(_l("Van")),
        str(_l("Tot en met")),
        str(_l("Eenheid")),
        str(_l("Doel")),
        str(_l("Kanaal")),
        str(_l("Aantal")),
        str(_l("Telregel")),
    ]
    rows = [header]
    for p in progress:
        start, end = p.period.start.isoformat(), p.period.last_day.isoformat()
        unit = str(UNIT_LABELS[KpiUnit(p.kpi.unit)])
        for channel, n in p.by_channel:
            rows.append([p.kpi.name, start, end, unit, p.kpi.target, channel, n, ""])
        rows.append(
            [p.kpi.name, start, end, unit, p.kpi.target, str(_l("Totaal")), p.total, p.rule_text]
        )
    return rows
