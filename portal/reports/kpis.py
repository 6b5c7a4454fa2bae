"""KPI progress: each KPI counted over its project year, in its unit, broken down by channel.

A person counts once per KPI and project year, on the first event of the KPI's rule in that
year (for 'reached': their first reach ever, when it falls in the year). The channel is what
the KPI chooses: the one stored on that event when it was recorded (the referring partner's
channel, else the worker's team; portal/referrals/channels.py), the worker's team stored on
it, or the partner the person was led to. Activities carry their channel. A KPI may be
limited to files from some sources, on a programme, under some channels, and group work to
some kinds; its target is set per project year.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, String, case, exists, func, literal, select, union_all
from sqlalchemy.orm import aliased, joinedload, selectinload

from ..extensions import DbSession
from ..labels import ACTIVITY_KIND_LABELS, UNIT_LABELS
from ..models import (
    Activity,
    Appointment,
    AppointmentStatus,
    Channel,
    ChannelBasis,
    ContactAttempt,
    HouseholdChild,
    Kpi,
    KpiRule,
    KpiUnit,
    PartnerReferral,
    PartnerReferralChild,
    PartnerReferralStatus,
    ProgrammePlace,
    Referral,
    Service,
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
    target: int
    # What the target asks by today, in proportion to the days of the project year gone by.
    expected: int

    @property
    def total(self) -> int:
        return sum(n for _name, n in self.by_channel)

    @property
    def percent(self) -> int:
        """Share of the target reached, in whole percent (may exceed 100)."""
        return round(100 * self.total / self.target) if self.target > 0 else 0

    def channel_is_dutch(self, name: str) -> bool:
        """Whether a row of by_channel names a stored channel or partner (Dutch on every
        page), rather than being the portal's own 'without a channel'."""
        return name != str(NO_CHANNEL)


def expected_by(target: int, period: Period, today: date) -> int:
    """The part of the target due by the end of today: all of it once the year is over."""
    days = (period.end - period.start).days
    gone = min(max((today - period.start).days + 1, 0), days)
    return round(target * gone / days)


# A channel in the breakdown: a channel's id, or for a destination partner without a
# channel the partner's name.
ChannelKey = tuple[int | None, str | None]


def _chosen_channel(kpi: Kpi, event: Any) -> Any:
    """The stored channel of an event (attempt, appointment) that the KPI counts under."""
    if ChannelBasis(kpi.channel_basis) is ChannelBasis.TEAM:
        return event.team_channel_id
    return event.kpi_channel_id


def _partner_referral_channel(kpi: Kpi) -> tuple[Any, Any]:
    """(channel id, fallback name) of a partner referral; the destination needs Service."""
    if ChannelBasis(kpi.channel_basis) is ChannelBasis.DESTINATION:
        return Service.channel_id, case((Service.channel_id.is_(None), Service.name))
    return _chosen_channel(kpi, PartnerReferral), literal(None, String)


def _channel_ids(kpi: Kpi) -> list[int]:
    return [c.id for c in kpi.channels]


def _matching_partner_referrals(kpi: Kpi, period: Period) -> Select[Any]:
    """The partner referrals of the KPI in the period: its theme, status and channels."""
    channel, _name = _partner_referral_channel(kpi)
    stmt = (
        select(PartnerReferral.id)
        .join(Service, Service.id == PartnerReferral.partner_id)
        .where(
            PartnerReferral.referred_on >= period.start,
            PartnerReferral.referred_on < period.end,
        )
    )
    if kpi.theme_id is not None:
        stmt = stmt.where(PartnerReferral.theme_id == kpi.theme_id)
    if KpiRule(kpi.rule) is KpiRule.ARRIVED_AT_PARTNER:
        stmt = stmt.where(PartnerReferral.status == PartnerReferralStatus.ARRIVED)
    if kpi.channels:
        stmt = stmt.where(channel.in_(_channel_ids(kpi)))
    return stmt


def _first_events(kpi: Kpi, period: Period) -> Select[Any]:
    """(referral_id, channel_id, channel name): per referral, the first event of the rule
    within the period, among those under the KPI's channels."""
    start, end = period.bounds
    rule = KpiRule(kpi.rule)
    no_name = literal(None, String)
    if rule is KpiRule.REACHED:
        # The first reached attempt ever (the reports' rule), when it falls in the period.
        channel = _chosen_channel(kpi, ContactAttempt)
        stmt = (
            select(Referral.id, channel, no_name)
            .join(ContactAttempt, ContactAttempt.id == Referral.reached_attempt_id)
            .where(first_reached_in(start, end))
        )
        if kpi.channels:
            stmt = stmt.where(channel.in_(_channel_ids(kpi)))
        return stmt
    if rule is KpiRule.CONVERSATION_HELD:

        def counted(appointment: Any) -> list[Any]:
            conditions = [
                appointment.status == AppointmentStatus.HELD,
                appointment.starts_at >= start,
                appointment.starts_at < end,
            ]
            if kpi.channels:
                conditions.append(_chosen_channel(kpi, appointment).in_(_channel_ids(kpi)))
            return conditions

        # The first (lowest id) of a file's counted conversations: none before it. Not the
        # lowest id per file joined back to the appointments, which read every appointment
        # of every year (185 -> 70 ms at 200,000 files on PostgreSQL).
        earlier = aliased(Appointment)
        return select(Appointment.referral_id, _chosen_channel(kpi, Appointment), no_name).where(
            *counted(Appointment),
            ~exists().where(
                earlier.referral_id == Appointment.referral_id,
                earlier.id < Appointment.id,
                *counted(earlier),
            ),
        )
    matching = _matching_partner_referrals(kpi, period).subquery()
    first = (
        select(func.min(PartnerReferral.id).label("id"))
        .where(PartnerReferral.id.in_(select(matching.c.id)))
        .group_by(PartnerReferral.referral_id)
        .subquery()
    )
    channel, name = _partner_referral_channel(kpi)
    return (
        select(PartnerReferral.referral_id, channel, name)
        .join(first, first.c.id == PartnerReferral.id)
        .join(Service, Service.id == PartnerReferral.partner_id)
    )


def _led_children(kpi: Kpi, period: Period) -> Select[Any]:
    """(referral_id, channel_id, channel name) once per child led in the period: the
    children a partner referral names, or all of the household's when it names none; each
    child on the first such partner referral."""
    matching = select(_matching_partner_referrals(kpi, period).subquery().c.id)
    named = select(
        PartnerReferralChild.household_child_id.label("child_id"),
        PartnerReferralChild.partner_referral_id.label("pr_id"),
    ).where(PartnerReferralChild.partner_referral_id.in_(matching))
    whole = (
        select(HouseholdChild.id.label("child_id"), PartnerReferral.id.label("pr_id"))
        .join(PartnerReferral, PartnerReferral.referral_id == HouseholdChild.referral_id)
        .where(
            PartnerReferral.id.in_(matching),
            ~exists().where(PartnerReferralChild.partner_referral_id == PartnerReferral.id),
        )
    )
    pairs = union_all(named, whole).subquery()
    first = select(func.min(pairs.c.pr_id).label("pr_id")).group_by(pairs.c.child_id).subquery()
    channel, name = _partner_referral_channel(kpi)
    return (
        select(PartnerReferral.referral_id, channel, name)
        .join(first, first.c.pr_id == PartnerReferral.id)
        .join(Service, Service.id == PartnerReferral.partner_id)
    )


def _file_filters(kpi: Kpi) -> list[Any]:
    """The KPI's conditions on the file: who referred it, which programme it is on."""
    conditions: list[Any] = []
    if kpi.sources:
        conditions.append(Referral.source_service_id.in_([s.id for s in kpi.sources]))
    if kpi.programme_id is not None:
        conditions.append(
            exists().where(
                ProgrammePlace.referral_id == Referral.id,
                ProgrammePlace.programme_id == kpi.programme_id,
            )
        )
    return conditions


def _people_counts(
    session: DbSession, kpi: Kpi, ids: list[int], period: Period
) -> dict[ChannelKey, int]:
    unit = KpiUnit(kpi.unit)
    per_child = unit is KpiUnit.CHILDREN and KpiRule(kpi.rule) in (
        KpiRule.LED_TO_PARTNER,
        KpiRule.ARRIVED_AT_PARTNER,
    )
    events = (_led_children(kpi, period) if per_child else _first_events(kpi, period)).subquery()
    referral_id, channel, name = events.c
    stmt = (
        select(channel, name)
        .select_from(events)
        .join(Referral, Referral.id == referral_id)
        .where(Referral.municipality_id.in_(ids), *_file_filters(kpi))
        .group_by(channel, name)
    )
    if unit is KpiUnit.HOUSEHOLDS or per_child:
        stmt = stmt.add_columns(func.count())
    elif unit is KpiUnit.PEOPLE:
        stmt = stmt.add_columns(func.sum(Referral.adults))
    else:
        # One row per child of the households counted; households without children add none.
        stmt = stmt.join(HouseholdChild, HouseholdChild.referral_id == Referral.id).add_columns(
            func.count()
        )
    counts: list[Any] = list(session.execute(stmt))
    return {(cid, cname): int(n or 0) for cid, cname, n in counts}


def _activity_counts(
    session: DbSession, kpi: Kpi, ids: list[int], period: Period
) -> dict[ChannelKey, int]:
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
    if kpi.activity_kinds:
        stmt = stmt.where(Activity.kind.in_(kpi.activity_kinds))
    if kpi.channels:
        stmt = stmt.where(Activity.channel_id.in_(_channel_ids(kpi)))
    return {(cid, None): int(n or 0) for cid, n in session.execute(stmt)}


def _names(items: Iterable[object]) -> str:
    return ", ".join(f"'{item}'" for item in items)


def _filter_text(kpi: Kpi) -> str:
    """The KPI's limits in plain Dutch; empty when it counts everything."""
    parts = []
    if kpi.sources:
        parts.append(
            str(_l("Alleen dossiers doorverwezen door %(names)s.", names=_names(kpi.sources)))
        )
    if kpi.programme is not None:
        parts.append(
            str(
                _l(
                    "Alleen dossiers met een plaats (of op de wachtlijst) in het programma "
                    "'%(name)s'.",
                    name=kpi.programme.name,
                )
            )
        )
    if kpi.channels:
        parts.append(
            str(_l("Alleen wat telt onder de kanalen %(names)s.", names=_names(kpi.channels)))
        )
    return " ".join(parts)


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
    limits = _filter_text(kpi)
    if rule is KpiRule.ACTIVITY:
        what = (
            _l("de kinderen en jongeren onder de deelnemers")
            if unit is KpiUnit.CHILDREN
            else _l("elke deelnemer telt als één oefenkans")
        )
        kind = (
            str(
                _l(
                    " van de soort %(kinds)s",
                    kinds=_names(ACTIVITY_KIND_LABELS[k] for k in kpi.activity_kinds),
                )
            )
            if kpi.activity_kinds
            else ""
        )
        text = _l(
            "Groepswerk%(kind)s, op de datum van de activiteit: %(what)s. Per kanaal: het "
            "kanaal dat bij de activiteit geregistreerd werd.",
            kind=kind,
            what=what,
        )
        return " ".join(t for t in (str(text), limits, span) if t)
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
    led = rule in (KpiRule.LED_TO_PARTNER, KpiRule.ARRIVED_AT_PARTNER)
    what = {
        KpiUnit.HOUSEHOLDS: _l("Elk dossier (een persoon of gezin) telt als één gezin."),
        KpiUnit.PEOPLE: _l("Geteld worden de volwassenen van het gezin, zoals bij de intake."),
        KpiUnit.CHILDREN: (
            _l(
                "Geteld worden de kinderen die de toeleiding noemt, of alle kinderen van het "
                "gezin als ze er geen noemt; elk kind één keer."
            )
            if led
            else _l("Geteld worden de kinderen van het gezin, zoals bij de intake.")
        ),
    }[unit]
    basis = ChannelBasis(kpi.channel_basis)
    if basis is ChannelBasis.DESTINATION and led:
        channel = _l(
            "Per kanaal: de partner waarnaar toegeleid werd (het kanaal van die partner als "
            "hij er een heeft, anders zijn naam)."
        )
    elif basis is ChannelBasis.TEAM:
        channel = _l(
            "Per kanaal: het team van wie het werk deed, zoals het was toen het contact, het "
            "gesprek of de toeleiding geregistreerd werd."
        )
    else:
        channel = _l(
            "Per kanaal: de partner die de persoon doorverwees als die partner een kanaal "
            "heeft, anders het team van wie het werk deed, zoals het was toen het contact, het "
            "gesprek of de toeleiding geregistreerd werd."
        )
    return " ".join(t for t in (str(event), str(what), str(channel), limits, span) if t)


def _channel_names(session: DbSession) -> dict[int, str]:
    return {cid: name for cid, name in session.execute(select(Channel.id, Channel.name))}


def kpi_progress(
    session: DbSession,
    kpi: Kpi,
    municipality_ids: Iterable[int],
    period: Period,
    channel_names: dict[int, str] | None = None,
    today: date | None = None,
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
    summed: dict[str, int] = {}
    for (cid, cname), n in counts.items():
        label = str(names[cid]) if cid else (cname or str(NO_CHANNEL))
        summed[label] = summed.get(label, 0) + n
    rows = sorted(
        ((label, n) for label, n in summed.items() if n), key=lambda row: (-row[1], row[0])
    )
    target = kpi.target_for(period.start.year)
    expected = expected_by(target, period, today or period.last_day)
    return KpiProgress(kpi, period, rows, rule_text(kpi, period), target, expected)


def visible_kpis(session: DbSession, municipality_ids: Iterable[int]) -> list[Kpi]:
    """Active KPIs of every municipality, or of one of these."""
    ids = list(municipality_ids) or [-1]
    return list(
        session.scalars(
            select(Kpi)
            .options(
                joinedload(Kpi.theme),
                selectinload(Kpi.targets),
                selectinload(Kpi.kind_rows),
                selectinload(Kpi.sources),
                selectinload(Kpi.channels),
                joinedload(Kpi.programme),
            )
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
        kpi_progress(
            session, kpi, ids, project_year(kpi.start_month, today, start_year), names, today
        )
        for kpi in visible_kpis(session, ids)
    ]


def progress_on(
    session: DbSession, municipality_ids: Iterable[int], day: date
) -> list[KpiProgress]:
    """Every visible KPI over its project year that holds the day, as it stood on that day
    (for the evaluation workbook: the project year holding the period's last day)."""
    return progress_report(session, municipality_ids, day, None)


def export_rows(progress: Iterable[KpiProgress], where: str) -> list[list[object]]:
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
        str(_l("Gemeente")),
    ]
    rows = [header]
    for p in progress:
        start, end = p.period.start.isoformat(), p.period.last_day.isoformat()
        unit = str(UNIT_LABELS[KpiUnit(p.kpi.unit)])
        for channel, n in p.by_channel:
            rows.append([p.kpi.name, start, end, unit, p.target, channel, n, "", where])
        total = str(_l("Totaal"))
        rows.append([p.kpi.name, start, end, unit, p.target, total, p.total, p.rule_text, where])
    return rows
