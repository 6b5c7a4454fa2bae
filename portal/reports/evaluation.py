"""The evaluation report of a period: one table per question the council asks.

Every table is one GROUP BY in SQL, with its counting rule in plain Dutch and a total that
is the sum of its rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import astuple, dataclass, field, fields
from datetime import date, datetime
from functools import cached_property
from typing import Any, Literal, cast

from flask_babel import format_percent
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, exists, func, select

from ..calendar_names import MONTH_ABBREVIATIONS
from ..extensions import DbSession
from ..labels import CLOSING_OUTCOME_LABELS, PARTNER_STATUS_LABELS
from ..languages import language_name
from ..models import (
    Appointment,
    AppointmentStatus,
    ClosingOutcome,
    Conversation,
    Language,
    Need,
    NeedCategory,
    PartnerReferral,
    Referral,
    Service,
    Signal,
    Theme,
)
from .counting import (
    REACHED_HOW,
    REACHED_HOW_LABELS,
    RULE_CONVERSATIONS,
    RULE_REACHED,
    held_statement,
    reached_how,
    reached_statement,
)
from .tallies import Figures, month_index, period_figures, profile_counts

MONTHS = MONTH_ABBREVIATIONS


class CatalogueLabels:
    """A table whose rows may be named from a catalogue (partners, themes: Dutch on every
    page); `dutch_labels` and `own_labels` are its fields."""

    dutch_labels: bool
    own_labels: frozenset[str]

    def label_is_dutch(self, label: object) -> bool:
        """Whether a row's label is a stored Dutch name, for its language on the page."""
        return self.dutch_labels and str(label) not in self.own_labels


@dataclass
class Table(CatalogueLabels):
    key: str
    title: str
    columns: list[str]
    rows: list[list[object]]
    rule: str
    # The total of a column that is not summed (a share), by column index.
    total_cells: dict[int, object] = field(default_factory=dict)
    # The title where the municipalities stand side by side, when the title holds a count.
    short_title: str = ""
    # The rows' labels are names from a catalogue (partners, themes), Dutch on every page;
    # except these, the portal's own words in that column.
    dutch_labels: bool = False
    own_labels: frozenset[str] = frozenset()
    # The title is a stored name too (a KPI's).
    dutch_title: bool = False

    @property
    def totals(self) -> list[object]:
        """'Totaal' and the sum of every numeric column; shares take their given total."""
        sums: list[object] = [str(_l("Totaal"))]
        for index in range(1, len(self.columns)):
            if index in self.total_cells:
                sums.append(self.total_cells[index])
            else:
                sums.append(sum(int(cast(int, row[index])) for row in self.rows))
        return sums


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # exclusive

    @property
    def last_day(self) -> date:
        return date.fromordinal(self.end.toordinal() - 1)

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        return datetime.combine(self.start, datetime.min.time()), datetime.combine(
            self.end, datetime.min.time()
        )


def default_part(year: int, today: date) -> str:
    """The report a lead wants when they ask for none: the final one of a year that has
    ended; of the running year the interim (1 January - 30 June), since its final report
    comes only after 31 December."""
    return "final" if year < today.year else "interim"


def work_year_period(year: int, part: str) -> Period:
    """The interim report covers 1 January to 30 June, the final one the whole year."""
    return Period(date(year, 1, 1), date(year, 7, 1) if part == "interim" else date(year + 1, 1, 1))


def _months(period: Period) -> list[tuple[int, int]]:
    months, year, month = [], period.start.year, period.start.month
    while date(year, month, 1) < period.end:
        months.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


@dataclass(frozen=True)
class _Profile:
    newcomers: int
    long_term: int
    dutch: int
    no_work: int
    children: int
    # Not asked: a referral from the population register answers no indicator question.
    dutch_unknown: int
    work_unknown: int
    children_unknown: int
    count: int


class _Scope:
    """What the tables of one report count over; counts that two tables share, counted once."""

    def __init__(self, session: DbSession, ids: list[int], period: Period):
        self.session, self.ids, self.period = session, ids, period
        start, end = period.bounds
        self.registered = (
            Referral.created_at >= start,
            Referral.created_at < end,
            Referral.municipality_id.in_(ids),
        )

    @cached_property
    def reached(self) -> list[tuple[int, int, str, str, int]]:
        """(year, month, how, answer, n) of the people first reached in the period: the month
        table and the answers to the offer count the same people, in one pass."""
        start, end = self.period.bounds
        stmt = reached_statement(self.ids, start, end, by_year=True, by_answer=True)
        rows: list[Any] = list(self.session.execute(stmt))
        return [(int(year), int(month), how, answer, n) for year, month, how, answer, n in rows]

    @cached_property
    def registrations(self) -> list[tuple[str, str, _Profile]]:
        """(source, language, profile) of the referrals registered in the period: the
        sources, the languages and the profile tables count the same referrals, in one pass."""
        rows: list[Any] = list(
            self.session.execute(
                select(
                    Service.name,
                    Language.code,
                    Language.name,
                    *profile_counts(),
                )
                .join(Service, Service.id == Referral.source_service_id)
                .join(Language, Language.code == Referral.contact_language_code)
                .where(*self.registered)
                .group_by(Service.name, Language.code, Language.name)
            )
        )
        # Languages named as the reader names them, as the table's headings are.
        return [
            (source, language_name(code, name), _Profile(*(int(v or 0) for v in counts)))
            for source, code, name, *counts in rows
        ]

    @cached_property
    def held_by_month(self) -> dict[tuple[int, int], int]:
        """(year, month) -> conversations held: RULE_CONVERSATIONS."""
        start, end = self.period.bounds
        return {
            (int(y), int(m)): n
            for y, m, n in self.session.execute(held_statement(self.ids, start, end))
        }

    @cached_property
    def outcomes(self) -> dict[ClosingOutcome, int]:
        """The files closed in the period, by outcome."""
        start, end = self.period.bounds
        rows: list[Any] = list(
            self.session.execute(
                select(Referral.outcome, func.count())
                .where(
                    Referral.closed_at >= start,
                    Referral.closed_at < end,
                    Referral.municipality_id.in_(self.ids),
                )
                .group_by(Referral.outcome)
            )
        )
        return dict(rows)

    @cached_property
    def partner_rows(self) -> list[tuple[str, int, int]]:
        """(partner, partner referrals, arrived) dated in the period, by partner name."""
        period = self.period
        arrived = func.sum(case((PartnerReferral.status == "arrived", 1), else_=0))
        rows: list[Any] = list(
            self.session.execute(
                select(Service.name, func.count(), arrived)
                .join(PartnerReferral, PartnerReferral.partner_id == Service.id)
                .join(Referral, Referral.id == PartnerReferral.referral_id)
                .where(
                    PartnerReferral.referred_on >= period.start,
                    PartnerReferral.referred_on < period.end,
                )
                .where(Referral.municipality_id.in_(self.ids))
                .group_by(Service.name)
                .order_by(Service.name)
            )
        )
        return [(name, n, int(cast(int | None, a) or 0)) for name, n, a in rows]

    @cached_property
    def need_rows(self) -> list[tuple[str, int]]:
        """(category, n) of the needs noted in conversations held in the period, most first."""
        period = self.period
        stmt = (
            select(NeedCategory.name, func.count())
            .join(Need, Need.category_id == NeedCategory.id)
            .join(Conversation, Conversation.id == Need.conversation_id)
            .join(Referral, Referral.id == Conversation.referral_id)
            .where(Conversation.held_on >= period.start, Conversation.held_on < period.end)
            .where(Referral.municipality_id.in_(self.ids))
            .group_by(NeedCategory.name)
            .order_by(func.count().desc(), NeedCategory.name)
        )
        return [(name, n) for name, n in self.session.execute(stmt)]

    @cached_property
    def signal_rows(self) -> list[tuple[str, int]]:
        """(theme, n) of the signals noted in the period, most first."""
        start, end = self.period.bounds
        stmt = (
            select(Theme.name, func.count())
            .join(Signal, Signal.theme_id == Theme.id)
            .where(
                Signal.created_at >= start,
                Signal.created_at < end,
                Signal.municipality_id.in_(self.ids),
            )
            .group_by(Theme.name)
            .order_by(func.count().desc(), Theme.name)
        )
        return [(name, n) for name, n in self.session.execute(stmt)]

    @cached_property
    def dutch_counts(self) -> tuple[int, int]:
        """(people, led to Dutch) of the people with a held conversation in the period."""
        start, end = self.period.bounds
        held = (
            select(Appointment.referral_id)
            .join(Referral, Referral.id == Appointment.referral_id)
            .where(
                Appointment.status == AppointmentStatus.HELD,
                Appointment.starts_at >= start,
                Appointment.starts_at < end,
                Referral.municipality_id.in_(self.ids),
            )
            .distinct()
            .subquery()
        )
        led = exists().where(
            PartnerReferral.referral_id == held.c.referral_id,
            PartnerReferral.referred_on < self.period.end,
            PartnerReferral.theme_id == Theme.id,
            Theme.is_dutch_learning.is_(True),
        )
        people, to_dutch = self.session.execute(
            select(func.count(), func.coalesce(func.sum(case((led, 1), else_=0)), 0)).select_from(
                held
            )
        ).one()
        return int(cast(int, people)), int(cast(int, to_dutch))

    @cached_property
    def profile(self) -> _Profile:
        """The referrals registered in the period: newcomers, long-term, each indicator."""
        totals = [0] * len(fields(_Profile))
        for _source, _language, profile in self.registrations:
            for index, value in enumerate(astuple(profile)):
                totals[index] += value
        return _Profile(*totals)

    def registered_by(self, which: Literal["source", "language"]) -> list[list[object]]:
        """[name, n] of the registrations by source or by language, most first."""
        counts: dict[str, int] = {}
        for source, language, profile in self.registrations:
            name = language if which == "language" else source
            counts[name] = counts.get(name, 0) + profile.count
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        return [[name, n] for name, n in ranked]


class _TallyScope(_Scope):
    """The same counts, added up from the months' tallies (portal/reports/tallies.py): what
    the statements of _Scope give, without counting the whole period's files again."""

    @cached_property
    def figures(self) -> Figures:
        return period_figures(self.session, self.ids, self.period.start, self.period.end)

    def _names(self, column: Any, key: Any, ids: Iterable[Any]) -> list[tuple[Any, str]]:
        """(id, name) of these ids, in the database's order of the names."""
        wanted = sorted(set(ids), key=str)
        if not wanted:
            return []
        stmt = select(key, column).where(key.in_(wanted)).order_by(column, key)
        rows: list[Any] = list(self.session.execute(stmt))
        return [(k, str(name)) for k, name in rows]

    @cached_property
    def reached(self) -> list[tuple[int, int, str, str, int]]:
        services = {
            sid: bool(partner)
            for sid, partner in self.session.execute(
                select(Service.id, Service.is_partner).where(
                    Service.id.in_({key[3] for key in self.figures.reached} or {-1})
                )
            )
        }
        counts: dict[tuple[int, int, str, str], int] = {}
        for (year, month, via, service, answer), n in self.figures.reached.items():
            key = (year, month, reached_how(via, services.get(service, False)), answer)
            counts[key] = counts.get(key, 0) + n
        return [(*key, n) for key, n in counts.items()]

    @cached_property
    def registrations(self) -> list[tuple[str, str, _Profile]]:
        registered = self.figures.registered
        services = dict(self._names(Service.name, Service.id, (k[0] for k in registered)))
        languages = {
            code: language_name(code, name)
            for code, name in self._names(Language.name, Language.code, (k[1] for k in registered))
        }
        merged: dict[tuple[str, str], list[int]] = {}
        for (service, language), counts in registered.items():
            mine = merged.setdefault((services[service], languages[language]), [0] * len(counts))
            for index, value in enumerate(counts):
                mine[index] += value
        return [(source, lang, _Profile(*counts)) for (source, lang), counts in merged.items()]

    @cached_property
    def dutch_counts(self) -> tuple[int, int]:
        """Counted once per person from the months' tallies: a person counts in the first
        month of the period with a held conversation, the one whose previous month with one
        lies before the period (see tallies.Figures.dutch)."""
        start, end = self.period.start, self.period.end
        if start.day != 1 or end.day != 1:
            return super().dutch_counts
        first, after = month_index(start), month_index(end)
        people = to_dutch = 0
        for (previous, dutch_from), n in self.figures.dutch.items():
            if previous < first:
                people += n
                if 0 <= dutch_from < after:
                    to_dutch += n
        return people, to_dutch

    @cached_property
    def held_by_month(self) -> dict[tuple[int, int], int]:
        return dict(self.figures.held)

    @cached_property
    def outcomes(self) -> dict[ClosingOutcome, int]:
        return {ClosingOutcome(value): n for value, n in self.figures.closed.items()}

    @cached_property
    def partner_rows(self) -> list[tuple[str, int, int]]:
        partners = self.figures.partners
        rows: dict[str, list[int]] = {}
        for pid, name in self._names(Service.name, Service.id, partners):
            row = rows.setdefault(name, [0, 0])
            row[0] += partners[cast(int, pid)][0]
            row[1] += partners[cast(int, pid)][1]
        return [(name, n, arrived) for name, (n, arrived) in rows.items()]

    def _ranked(self, counts: dict[int, int], column: Any, key: Any) -> list[tuple[str, int]]:
        """(name, n) most first, then in the database's order of the names, as ORDER BY
        count DESC, name."""
        merged: dict[str, int] = {}
        for kid, name in self._names(column, key, counts):
            merged[name] = merged.get(name, 0) + counts[cast(int, kid)]
        order = {name: rank for rank, name in enumerate(merged)}
        ranked = sorted(merged.items(), key=lambda item: (-item[1], order[item[0]]))
        return ranked

    @cached_property
    def need_rows(self) -> list[tuple[str, int]]:
        return self._ranked(self.figures.needs, NeedCategory.name, NeedCategory.id)

    @cached_property
    def signal_rows(self) -> list[tuple[str, int]]:
        return self._ranked(self.figures.signals, Theme.name, Theme.id)


def _reached_by_month(scope: _Scope) -> Table:
    period = scope.period
    reached: dict[tuple[int, int], dict[str, int]] = {
        m: dict.fromkeys(REACHED_HOW, 0) for m in _months(period)
    }
    for year, month, how, _answer, n in scope.reached:
        reached[(year, month)][how] += n
    conversations = scope.held_by_month
    rows: list[list[object]] = [
        [
            f"{MONTHS[m - 1]} {y}",
            *[reached[(y, m)][h] for h in REACHED_HOW],
            sum(reached[(y, m)].values()),
            conversations.get((y, m), 0),
        ]
        for y, m in _months(period)
    ]
    return Table(
        "bereikt",
        str(_l("Bereikt en gesprekken per maand")),
        [
            str(_l("Maand")),
            *[str(REACHED_HOW_LABELS[h]) for h in REACHED_HOW],
            str(_l("Bereikt")),
            str(_l("Gesprekken")),
        ],
        rows,
        f"{RULE_REACHED} {RULE_CONVERSATIONS}",
    )


def _grouped(
    key: str, title: object, label: object, rows: list[tuple[str, int]], rule: object
) -> Table:
    """A count per catalogue name (a need's kind, a theme)."""
    return Table(
        key,
        str(title),
        [str(label), str(_l("Aantal"))],
        [[str(name), n] for name, n in rows],
        str(rule),
        dutch_labels=True,
    )


def _offer_answers(scope: _Scope) -> Table:
    """The people first reached in the period, by their answer to the offer of a conversation."""
    answers: dict[str, int] = {}
    for _year, _month, _how, answer, n in scope.reached:
        answers[answer] = answers.get(answer, 0) + n
    return Table(
        "aanbod",
        str(_l("Antwoord op het aanbod van een gesprek")),
        [str(_l("Antwoord")), str(_l("Aantal"))],
        [
            [str(_l("aanvaard")), answers.get("accepted", 0)],
            [str(_l("geweigerd")), answers.get("declined", 0)],
            [str(_l("nog geen antwoord")), answers.get("open", 0)],
        ],
        str(
            _l(
                "Wie in de periode voor het eerst bereikt werd (dezelfde personen als bij "
                "'bereikt'), bij het antwoord dat nu in het dossier staat. Wie onbereikbaar "
                "bleef, staat bij de resultaten van de afgesloten dossiers en in de lijst voor "
                "de volgende briefronde."
            )
        ),
    )


def _sources(scope: _Scope) -> Table:
    return Table(
        "bronnen",
        str(_l("Doorverwijzingen per bron")),
        [str(_l("Dienst of partner")), str(_l("Aantal"))],
        scope.registered_by("source"),
        str(
            _l(
                "Elke doorverwijzing die in de periode geregistreerd werd, bij de dienst of "
                "partner die doorverwees."
            )
        ),
        dutch_labels=True,
    )


def _outcomes(scope: _Scope) -> Table:
    outcome_rows = scope.outcomes
    return Table(
        "resultaten",
        str(_l("Afgesloten dossiers per resultaat")),
        [str(_l("Resultaat")), str(_l("Aantal"))],
        [[str(CLOSING_OUTCOME_LABELS[o]), outcome_rows.get(o, 0)] for o in ClosingOutcome],
        str(
            _l(
                "Elk dossier dat in de periode afgesloten werd, bij het resultaat waarmee "
                "het afgesloten werd."
            )
        ),
    )


def _partner_referrals(scope: _Scope) -> Table:
    partner_rows = scope.partner_rows
    return Table(
        "toeleidingen",
        str(_l("Toeleidingen per partner")),
        [
            str(_l("Partner")),
            str(_l("Toeleidingen")),
            str(PARTNER_STATUS_LABELS["arrived"]).capitalize(),
        ],
        [[name, n, a] for name, n, a in partner_rows],
        str(
            _l(
                "Elke toeleiding met een datum in de periode; aangekomen volgens de "
                "laatste opvolging."
            )
        ),
        dutch_labels=True,
    )


def _needs(scope: _Scope) -> Table:
    return _grouped(
        "noden",
        _l("Meest gestelde vragen en noden"),
        _l("Soort"),
        scope.need_rows,
        _l("Elke vraag of nood genoteerd in een gesprek dat in de periode gehouden werd."),
    )


def _languages(scope: _Scope) -> Table:
    return Table(
        "talen",
        str(_l("Contacttalen")),
        [str(_l("Taal")), str(_l("Aantal"))],
        scope.registered_by("language"),
        str(_l("Elke doorverwijzing die in de periode geregistreerd werd, bij haar contacttaal.")),
    )


def _profile(scope: _Scope) -> Table:
    counts = scope.profile
    return Table(
        "profiel",
        str(_l("Nieuwkomers en oudkomers")),
        [str(_l("Groep")), str(_l("Aantal"))],
        [[str(_l("nieuwkomers")), counts.newcomers], [str(_l("oudkomers")), counts.long_term]],
        str(
            _l(
                "Elke doorverwijzing die in de periode geregistreerd werd; nieuwkomer als "
                "de persoon "
                "bij de registratie minder dan een jaar in de gemeente woonde."
            )
        ),
    )


def _indicators(scope: _Scope) -> Table:
    counts = scope.profile
    return Table(
        "indicatoren",
        str(_l("Indicatoren (van %(n)d doorverwijzingen)", n=counts.count)),
        [str(_l("Indicator")), str(_l("Ja")), str(_l("Onbekend"))],
        [
            [str(_l("Nederlands moeilijk of tolk")), counts.dutch, counts.dutch_unknown],
            [str(_l("Geen werk")), counts.no_work, counts.work_unknown],
            [str(_l("Kinderen in het gezin")), counts.children, counts.children_unknown],
        ],
        str(
            _l(
                "Per indicator het aantal doorverwijzingen uit de periode met 'ja' "
                "(voor werk: 'nee'). Eén persoon kan bij meer indicatoren tellen, dus de "
                "getallen tellen niet op tot een totaal. Onbekend: de vraag werd niet "
                "gesteld (doorverwijzingen uit het bevolkingsregister)."
            )
        ),
        total_cells={1: "–", 2: "–"},
        short_title=str(_l("Indicatoren")),
    )


def _signals_by_theme(scope: _Scope) -> Table:
    return _grouped(
        "signalen",
        _l("Signalen per thema"),
        _l("Thema"),
        scope.signal_rows,
        _l("Elk signaal dat in de periode genoteerd werd."),
    )


@dataclass(frozen=True)
class Share:
    """A part of a whole: '45,0 %' on the page (in the reader's locale), a number with a
    percent format in the workbook, so that a spreadsheet can calculate with it."""

    part: int
    whole: int

    @property
    def fraction(self) -> float | None:
        return self.part / self.whole if self.whole else None

    def __str__(self) -> str:
        fraction = self.fraction
        return "–" if fraction is None else format_percent(fraction, "#,##0.0 %")


def _share(part: int, whole: int) -> Share:
    return Share(part, whole)


def _dutch_share(scope: _Scope) -> Table:
    """Of the people with a conversation in the period, who was led to Dutch classes or practice."""
    people, to_dutch = scope.dutch_counts
    return Table(
        "nederlands",
        str(_l("Toegeleid naar Nederlands leren of oefenen")),
        [str(_l("Groep")), str(_l("Personen")), str(_l("Aandeel"))],
        [
            [
                str(_l("toegeleid naar Nederlands leren of oefenen")),
                to_dutch,
                _share(to_dutch, people),
            ],
            [
                str(_l("niet toegeleid naar Nederlands")),
                people - to_dutch,
                _share(people - to_dutch, people),
            ],
        ],
        str(
            _l(
                "Elke persoon met een gehouden gesprek in de periode telt één keer. Toegeleid: "
                "met een toeleiding naar een partner in een thema dat als 'Nederlands leren of "
                "oefenen' telt (een beheerder duidt die thema's aan), met een datum vóór het "
                "einde van de periode."
            )
        ),
        total_cells={2: _share(people, people)},
    )


# Every table of the report by its key, in the order of the page and the workbook.
TABLE_BUILDERS: dict[str, Callable[[_Scope], Table]] = {
    "bereikt": _reached_by_month,
    "aanbod": _offer_answers,
    "bronnen": _sources,
    "resultaten": _outcomes,
    "toeleidingen": _partner_referrals,
    "nederlands": _dutch_share,
    "noden": _needs,
    "talen": _languages,
    "profiel": _profile,
    "indicatoren": _indicators,
    "signalen": _signals_by_theme,
}


def _scope(
    session: DbSession, municipality_ids: Iterable[int], period: Period, from_files: bool
) -> _Scope:
    kind = _Scope if from_files else _TallyScope
    return kind(session, list(municipality_ids) or [-1], period)


def evaluation_tables(
    session: DbSession, municipality_ids: Iterable[int], period: Period, from_files: bool = False
) -> list[Table]:
    """Every table of the evaluation report of the period; from_files counts every table
    from the files themselves instead of the months' tallies (the same figures)."""
    scope = _scope(session, municipality_ids, period, from_files)
    return [build(scope) for build in TABLE_BUILDERS.values()]


def evaluation_table(
    session: DbSession, municipality_ids: Iterable[int], period: Period, key: str
) -> Table | None:
    """One table of the report, counted on its own; None for a key the report lacks."""
    build = TABLE_BUILDERS.get(key)
    if build is None:
        return None
    return build(_scope(session, municipality_ids, period, from_files=False))
