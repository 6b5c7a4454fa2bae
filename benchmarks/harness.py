"""What the benchmarks share: the app on a throwaway database, the bulk loader, the timers.

The loader fills a database with `count` referrals as two municipalities would have them after
two years: about twenty contact languages with skewed weights, every state (about 2% still
"new", i.e. in the queue), names drawn from a realistic spread (about 40,000 family names and
4,000 given names with a long-tailed weight; `names="demo"` keeps the demo's short lists), and
about 8% of the files opened for a person whose earlier file was closed. Then, also in bulk,
everything that happened to them: the timeline events, contact attempts (no answer, letter
rounds, reached at the desk or by phone), appointments (held, planned, a few no-shows),
conversations with their needs and themes, partner referrals, follow-up tasks and
development-plan milestones, a few hundred signals, 2,000 group activities, six KPIs and three
programmes with their places; last, the header search's keys of every person. On PostgreSQL the
rows go in by COPY and the load ends with VACUUM ANALYZE, which autovacuum would do on a server
in due time; on SQLite by executemany, and nothing here runs ANALYZE (the portal runs PRAGMA
optimize itself when a connection goes back to the pool).

Run alone, it only loads, so that a large PostgreSQL database can be filled once and measured
by the benchmarks' `--reuse` afterwards:

    createdb -h 127.0.0.1 -U postgres portal_bench_search
    .venv/bin/python benchmarks/harness.py --referrals 1000000 \\
        --database-url postgresql+psycopg://root@127.0.0.1:5432/portal_bench_search

Every table of the portal in that database is dropped and created again: never point it at a
database whose data you want to keep.
"""

from __future__ import annotations

import argparse
import bisect
import heapq
import itertools
import os
import random
import re
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from types import SimpleNamespace
from typing import Any

from flask import Flask, request
from flask.testing import FlaskClient
from sqlalchemy import Connection, Engine, Table, event, func, insert, select, text

from portal import clock, create_app
from portal.accounts import create_user
from portal.demo import (
    FAMILY,
    GIVEN,
    LANGUAGE_WEIGHTS,
    NEED_CATEGORIES,
    OTHER_FAMILY,
    OTHER_GIVEN,
    PARTNERS,
    THEMES,
    KpiDefinition,
    add_kpis,
)
from portal.desk.rules import name_key, residence
from portal.extensions import db
from portal.languages import dutch_name
from portal.models import (
    Activity,
    Appointment,
    AppointmentStatus,
    Channel,
    ClosingOutcome,
    ContactAttempt,
    Conversation,
    FollowUpTask,
    HouseholdChild,
    Language,
    Milestone,
    MilestoneStatus,
    Municipality,
    Need,
    NeedCategory,
    PartnerReferral,
    PartnerReferralStatus,
    Person,
    Programme,
    ProgrammePlace,
    Referral,
    ReferralState,
    Role,
    SearchKey,
    Service,
    Signal,
    SignalStatus,
    Theme,
    TimelineEvent,
    User,
    conversation_themes,
)
from portal.referrals.lifecycle import priority_at
from portal.referrals.reach import refresh_all
from portal.reports import marks
from portal.search.keys import keys_for
from portal.settings import DEFAULTS, QueueWeights

CHUNK = 5_000
WARMUP = 5
PASSWORD = "benchmark-wachtwoord-123"  # noqa: S105 -- the throwaway benchmark database's
TOELEIDER_EMAIL = "toeleider.bench@lindeveld.be"
LEAD_EMAIL = "lead.bench@lindeveld.be"
# The toeleider's languages: the most frequent one, a middle one and a rare one.
TOELEIDER_LANGUAGES = ["ar", "fr", "am"]
# About twenty contact languages: the demo's weights plus Kurdish.
LANGUAGES = {**LANGUAGE_WEIGHTS, "ku": 2}
SERVICES = ["Onthaal", "Burgerzaken", "Vreemdelingendienst", "Integratiedienst", "Sociale dienst"]
MOBILE_PREFIXES = ["470", "471", "472", "473", "475", "476", "477", "478", "479", "484", "485"]
MOBILE_PREFIXES += ["486", "487", "488", "489", "491", "492", "493", "494", "495", "496", "497"]
OPEN_LATER_STATES = [
    ReferralState.CLAIMED,
    ReferralState.CONTACTED,
    ReferralState.SCHEDULED,
    ReferralState.HELD,
    ReferralState.FOLLOWING_UP,
]
# The share of new files whose person had a file before, closed by then.
RETURNING_SHARE = 0.08
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
BASELINE_TEMPLATE = """<!doctype html><html lang="nl"><head><title>Baseline</title></head><body>
<table><thead><tr><th>Wacht sinds</th><th>Naam</th><th>Taal</th><th>Signalen</th>
<th>Gemeente</th><th>Bron</th></tr></thead><tbody>
{% for r in rows %}<tr id="row-{{ r.id }}"><td>{{ r.day }}</td><td>{{ r.name }}</td>
<td>{{ r.language }}</td><td>{% for t in r.tags %}<span class="tag">{{ t }}</span>{% endfor %}</td>
<td>{{ r.municipality }}</td><td>{{ r.source }}</td></tr>{% endfor %}
</tbody></table></body></html>"""
BASELINE_ROWS = [
    {
        "id": i,
        "day": f"{i % 28 + 1:02d}/10/2026",
        "name": f"Rania Haddad {i}",
        "language": "Arabisch",
        "tags": ["NL moeilijk", "geen werk", "kinderen"][: i % 3 + 1],
        "municipality": "Lindeveld",
        "source": "Onthaal",
    }
    for i in range(50)
]
# The baseline's rows unless ?rows= says otherwise: the queue's page size.
BASELINE_DEFAULT_ROWS = 25
PAST_CONTACTED = {
    ReferralState.SCHEDULED.value,
    ReferralState.HELD.value,
    ReferralState.FOLLOWING_UP.value,
    ReferralState.CLOSED.value,
}
# Tables of the history, in an order that satisfies their foreign keys.
HISTORY_TABLES: list[Table] = [
    ContactAttempt.__table__,  # type: ignore[list-item]
    Appointment.__table__,  # type: ignore[list-item]
    Conversation.__table__,  # type: ignore[list-item]
    conversation_themes,
    Need.__table__,  # type: ignore[list-item]
    PartnerReferral.__table__,  # type: ignore[list-item]
    FollowUpTask.__table__,  # type: ignore[list-item]
    Milestone.__table__,  # type: ignore[list-item]
    Signal.__table__,  # type: ignore[list-item]
    Activity.__table__,  # type: ignore[list-item]
    ProgrammePlace.__table__,  # type: ignore[list-item]
    TimelineEvent.__table__,  # type: ignore[list-item]
]
ACTIVITIES = 2_000
SIGNALS = 400
# The KPIs a municipality of this size reports on (name, target, unit, rule, restriction).
KPIS: list[KpiDefinition] = [
    ("Gezinnen bereikt", 30_000, "households", "reached", None),
    ("Personen toegeleid naar werk", 8_000, "people", "led_to_partner", 2),
    ("Kinderen naar een partner", 9_000, "children", "arrived_at_partner", None),
    ("Gesprekken", 20_000, "households", "conversation_held", None),
    ("Kinderen en jongeren naar sport", 5_000, "children", "activity", "sport"),
    ("Oefenkansen Nederlands", 20_000, "practice", "activity", None),
]
# Programmes with places: (name, capacity, people signed up over the two years).
PROGRAMMES = [("NT2 avondles", 15, 60), ("Oefengroep Nederlands", 20, 45), ("Zwemles", 12, 30)]
KEY_CHUNK = 20_000
VOICEMAIL = "Voicemail ingesproken."
SYLLABLES = [
    "ab",
    "al",
    "am",
    "an",
    "ar",
    "ba",
    "be",
    "da",
    "de",
    "di",
    "el",
    "en",
    "fa",
    "ha",
    "ka",
    "ke",
    "ko",
    "la",
    "le",
    "li",
    "lo",
    "ma",
    "me",
    "mi",
    "mo",
    "na",
    "ne",
    "ni",
    "no",
    "ol",
    "om",
    "or",
    "pe",
    "ra",
    "re",
    "ri",
    "ro",
    "sa",
    "se",
    "si",
    "so",
    "ta",
    "te",
    "ti",
    "to",
    "ul",
    "us",
    "va",
    "ve",
    "vi",
    "ya",
    "yi",
    "za",
    "ze",
    "zo",
]
ENDINGS = ["", "", "", "ov", "enko", "oglu", "escu", "ić", "i", "a", "er", "mans", "aert", "ş"]


@dataclass
class Setup:
    """What the reference data load made, for the scenarios."""

    municipality_ids: list[int]
    toeleider_id: int


@dataclass
class Lookup:
    """Ids the history rows refer to."""

    themes: list[int]
    categories: list[int]
    partners: list[int]
    channels: list[int]
    programmes: list[tuple[int, int, int]]  # id, capacity, sign-ups
    lead_id: int

    def channel_of(self, owner_id: int) -> int:
        """The team a toeleider works in, fixed per toeleider as in the portal."""
        return self.channels[owner_id % len(self.channels)]


@dataclass
class World:
    """A loaded database: its users and what the load wrote."""

    toeleider_id: int
    lead_id: int
    counts: dict[str, int]
    seconds: float


@dataclass
class Result:
    name: str
    median_ms: float
    p95_ms: float
    note: str = ""


# --- the app ---------------------------------------------------------------------------------


@contextmanager
def database_url(url: str) -> Iterator[str]:
    """The URL given, or a temporary SQLite file's, deleted afterwards."""
    if url:
        yield url
        return
    with tempfile.TemporaryDirectory(prefix="portal-bench-") as directory:
        yield f"sqlite:///{directory}/bench.sqlite3"


def build_app(url: str) -> Flask:
    """The portal on that database, with a bare baseline route at /_bench/baseline?rows=N."""
    # A secret key from the environment, so that create_app writes nothing to instance/.
    os.environ.setdefault("PORTAL_SECRET_KEY", "queue-benchmark-secret-key")
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "PASSWORD_HASH_PROFILE": "cheapest",
            "PORTAL_LOGIN_LIMIT": "1000 per minute",
        }
    )
    template = app.jinja_env.from_string(BASELINE_TEMPLATE)

    def baseline() -> str:
        rows = request.args.get("rows", BASELINE_DEFAULT_ROWS, type=int)
        return template.render(rows=BASELINE_ROWS[:rows])

    app.add_url_rule("/_bench/baseline", "bench_baseline", baseline)
    return app


# --- names -----------------------------------------------------------------------------------


def _generated(rng: random.Random, count: int, known: list[str], syllables: int) -> list[str]:
    """`count` distinct names: the known ones first, then made of syllables and endings."""
    names = list(dict.fromkeys(known))
    seen = {n.casefold() for n in names}
    while len(names) < count:
        parts = [rng.choice(SYLLABLES) for _ in range(rng.randint(2, syllables))]
        name = ("".join(parts) + rng.choice(ENDINGS)).capitalize()
        if name.casefold() not in seen:
            seen.add(name.casefold())
            names.append(name)
    return names


@dataclass
class NamePool:
    names: list[str]
    cumulative: list[float]

    @classmethod
    def zipf(cls, names: list[str], offset: int) -> NamePool:
        weights = [1 / (rank + offset) for rank in range(len(names))]
        return cls(names, list(itertools.accumulate(weights)))

    def draw(self, rng: random.Random) -> str:
        at = bisect.bisect(self.cumulative, rng.random() * self.cumulative[-1])
        return self.names[min(at, len(self.names) - 1)]


NameFor = Callable[[random.Random, str], str]


def name_drawer(seed: int) -> tuple[NameFor, NamePool]:
    """Realistic names: the most common family name is carried by about 0.6% of the people."""
    rng = random.Random(seed)  # noqa: S311 -- seeded for repeatable data, not for secrets
    family_known = [n for names in FAMILY.values() for n in names] + OTHER_FAMILY
    given_known = [n for names in GIVEN.values() for n in names] + OTHER_GIVEN
    family = NamePool.zipf(_generated(rng, 40_000, family_known, 3), offset=20)
    given = NamePool.zipf(_generated(rng, 4_000, given_known, 2), offset=10)

    def name_for(rng: random.Random, _code: str) -> str:
        return f"{given.draw(rng)} {family.draw(rng)}"

    return name_for, family


def demo_name(rng: random.Random, code: str) -> str:
    """A given and a family name from the demo's short lists for the language."""
    return (
        f"{rng.choice(GIVEN.get(code, OTHER_GIVEN))} {rng.choice(FAMILY.get(code, OTHER_FAMILY))}"
    )


# --- bulk writing ----------------------------------------------------------------------------


def bulk_insert(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows of one shape: COPY on PostgreSQL, executemany elsewhere."""
    if not rows:
        return
    if connection.dialect.name != "postgresql":
        connection.execute(insert(table), rows)
        return
    # COPY skips the columns' Python-side defaults, which a Core insert would apply: a
    # constant is written as it is, a function (a calendar UID) is called for every row.
    missing = [c for c in table.c if c.name not in rows[0] and c.default is not None]
    constants = {c.name: c.default.arg for c in missing if c.default.is_scalar}  # type: ignore[union-attr]
    made = {c.name: c.default.arg for c in missing if c.default.is_callable}  # type: ignore[union-attr]
    columns = list(rows[0]) + list(constants) + list(made)
    names = ", ".join(f'"{c}"' for c in columns)
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    # The table and column names are the models' own, never input.
    with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            values = row | constants | {name: make(None) for name, make in made.items()}
            copy.write_row([values[c] for c in columns])


def catch_up_sequences(connection: Connection, tables: list[Table]) -> None:
    """Explicit ids leave PostgreSQL's sequences behind; later ORM inserts must not collide."""
    if connection.dialect.name != "postgresql":
        return
    for table in tables:
        if "id" in table.c:
            connection.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608
                    f"coalesce(max(id), 1)) FROM {table.name}"
                )
            )


def vacuum_analyze() -> None:
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))


# --- reference data --------------------------------------------------------------------------


def load_reference_data(now: datetime) -> Setup:
    """Municipalities, services, languages, desk workers and toeleiders, via the ORM."""
    session = db.session
    municipalities = [
        Municipality(name="Lindeveld", nis_code="99991"),
        Municipality(name="Beekmere", nis_code="99992"),
    ]
    session.add_all(municipalities)
    session.flush()
    for m in municipalities:
        session.add_all(Service(name=name, municipality_id=m.id) for name in SERVICES)
    session.add_all(Service(name=name, is_partner=True) for name in PARTNERS)
    for code in LANGUAGES:
        session.add(Language(code=code, name=dutch_name(code) or code))
    session.flush()
    ids = [m.id for m in municipalities]
    for i, m in enumerate(municipalities):
        create_user(
            session,
            email=f"loket{i}@bench.example",
            full_name=f"Loket {m.name}",
            password=PASSWORD,
            roles=[Role.DESK],
            municipality_ids=[m.id],
            language_codes=["nl"],
        )
    for code in ("ar", "uk", "ps", "ti", "ro", "tr"):
        create_user(
            session,
            email=f"toeleider.{code}@bench.example",
            full_name=f"Toeleider {code}",
            password=PASSWORD,
            roles=[Role.TOELEIDER],
            municipality_ids=ids,
            language_codes=["nl", code],
        )
    toeleider = create_user(
        session,
        email=TOELEIDER_EMAIL,
        full_name="Bench Toeleider",
        password=PASSWORD,
        roles=[Role.TOELEIDER],
        municipality_ids=[ids[0]],
        language_codes=TOELEIDER_LANGUAGES,
    )
    session.commit()
    return Setup(municipality_ids=ids, toeleider_id=toeleider.id)


# A toeleider holds about this many of the referrals of the loaded two years (some 750 a
# year, a few hundred open at a time): the team grows with the data, as a city's does.
REFERRALS_PER_TOELEIDER = 1_500


def load_team(count: int, municipality_ids: list[int]) -> None:
    """Toeleiders in proportion to `count` referrals, 7 in 10 in the first municipality (as
    the referrals are), so that no toeleider's Vandaag lists tens of thousands of files."""
    present = 7  # the six language toeleiders and the bench one
    codes = [code for code in LANGUAGES if code != "nl"]
    session = db.session
    for n in range(max(0, count // REFERRALS_PER_TOELEIDER - present)):
        municipality = municipality_ids[0 if n % 10 < 7 else 1]
        create_user(
            session,
            email=f"toeleider.team{n}@bench.example",
            full_name=f"Toeleider {n}",
            password=PASSWORD,
            roles=[Role.TOELEIDER],
            municipality_ids=[municipality],
            language_codes=["nl", codes[n % len(codes)]],
        )
    session.commit()


def load_lead_data(municipality_ids: list[int]) -> Lookup:
    """Themes, need categories, KPIs, programmes and the lead, via the ORM."""
    session = db.session
    session.add_all(Theme(name=name, position=i * 10) for i, name in enumerate(THEMES))
    session.add_all(NeedCategory(name=name) for name in NEED_CATEGORIES)
    channels = [Channel(name=n) for n in ("Toeleiders", "Jobcoach", "Brugfiguren", "OCMW")]
    session.add_all(channels)
    session.flush()
    themes = list(session.scalars(select(Theme).order_by(Theme.id)))
    add_kpis(session, KPIS, themes, start_month=1)
    partner_ids = list(
        session.scalars(select(Service.id).where(Service.is_partner).order_by(Service.id))
    )
    programmes = [
        Programme(partner_id=partner_ids[0], name=name, capacity=capacity)
        for name, capacity, _signups in PROGRAMMES
    ]
    session.add_all(programmes)
    lead = create_user(
        session,
        email=LEAD_EMAIL,
        full_name="Bench Teamverantwoordelijke",
        password=PASSWORD,
        roles=[Role.LEAD, Role.TOELEIDER],
        municipality_ids=municipality_ids,
        language_codes=["nl", "en", "fr"],
    )
    session.commit()
    return Lookup(
        themes=[t.id for t in themes],
        categories=list(session.scalars(select(NeedCategory.id).order_by(NeedCategory.id))),
        partners=partner_ids,
        channels=[c.id for c in channels],
        programmes=[
            (p.id, capacity, signups)
            for p, (_n, capacity, signups) in zip(programmes, PROGRAMMES, strict=True)
        ],
        lead_id=lead.id,
    )


# --- referrals -------------------------------------------------------------------------------


@cache
def _name_key(full_name: str) -> str:
    return name_key(full_name)


def _state_for(rng: random.Random, age_days: int) -> ReferralState:
    """Recent files wait in the queue; older ones have moved on, the oldest are closed."""
    if age_days <= 14:
        new_share = 0.7
    elif age_days <= 60:
        new_share = 0.05
    else:
        new_share = 0.004  # a tail nobody could take yet (no toeleider speaks the language)
    if rng.random() < new_share:
        return ReferralState.NEW
    if age_days > 120 and rng.random() < 0.9:
        return ReferralState.CLOSED
    furthest = min(len(OPEN_LATER_STATES), 1 + age_days // 14)
    if age_days > 60 and rng.random() < 0.5:
        return ReferralState.CLOSED
    return OPEN_LATER_STATES[rng.randrange(furthest)]


def referral_rows(
    rng: random.Random,
    count: int,
    now: datetime,
    lookup: dict[str, Any],
    name_for: NameFor = demo_name,
) -> Iterator[dict[str, Any]]:
    """`count` referral rows as dicts for a Core insert, ids ascending with created_at."""
    weights = QueueWeights(
        dutch_difficult_days=DEFAULTS["queue_weight_dutch_difficult_days"],
        no_work_days=DEFAULTS["queue_weight_no_work_days"],
        children_days=DEFAULTS["queue_weight_children_days"],
    )
    codes, code_weights = list(LANGUAGES), list(LANGUAGES.values())
    span = 2 * 365 * 24 * 60  # two years, in minutes
    offsets = sorted((rng.randrange(span) for _ in range(count)), reverse=True)
    outcomes = [o.value for o in ClosingOutcome]
    for n, minutes_ago in enumerate(offsets, start=1):
        created = (now - timedelta(minutes=minutes_ago)).replace(second=0)
        if created.hour < 8:  # desks are open by day
            created = created.replace(hour=8 + created.hour)
        created = min(created, now)
        age_days = (now - created).days
        state = _state_for(rng, age_days)
        code = rng.choices(codes, code_weights)[0]
        full_name = name_for(rng, code)
        municipality = 0 if rng.random() < 0.7 else 1
        newcomer = rng.random() < 0.65
        registered = created.date() - timedelta(
            days=rng.randint(3, 300) if newcomer else rng.randint(400, 4000)
        )
        source = (
            rng.choice(lookup["partners"])
            if rng.random() < 0.2
            else rng.choice(lookup["services"][municipality])
        )
        desk = lookup["desks"][municipality]
        indicators = SimpleNamespace(
            dutch_difficult=code != "nl" and rng.random() < 0.85,
            has_work=rng.random() < 0.3,
            has_children=rng.random() < 0.55,
        )
        is_new = state is ReferralState.NEW
        closed = state is ReferralState.CLOSED
        claimed_at = None if is_new else min(created + timedelta(days=rng.randint(0, 5)), now)
        yield {
            "id": n,
            "reference": f"{created.year}-{n:06d}",
            "municipality_id": lookup["municipalities"][municipality],
            "state": state.value,
            "outcome": rng.choice(outcomes) if closed else None,
            "dutch_difficult": indicators.dutch_difficult,
            "has_work": indicators.has_work,
            "has_children": indicators.has_children,
            "contact_language_code": code,
            "home_language_code": "ar" if code == "fr" and rng.random() < 0.3 else None,
            "full_name": full_name,
            "name_key": _name_key(full_name),
            "birth_year": rng.randint(now.year - 65, now.year - 18),
            "phone": f"+32{rng.choice(MOBILE_PREFIXES)}{rng.randrange(1_000_000):06d}"
            if rng.random() < 0.9
            else None,
            "email": f"persoon{n}@example.org" if rng.random() < 0.3 else None,
            "address": f"Dorpsstraat {rng.randint(1, 250)}, Lindeveld"
            if rng.random() < 0.5
            else None,
            "adults": rng.choice([1, 1, 1, 2, 2, 3]),
            "registered_on": registered,
            "is_newcomer": residence(registered, created.date()).is_newcomer,
            "source_service_id": source,
            "consent_given": True,
            "consent_recorded_by_id": desk,
            "consent_recorded_at": created,
            "note": None,
            "created_by_id": desk,
            "created_at": created,
            "priority_at": priority_at(created, indicators, weights),  # type: ignore[arg-type]
            "owner_id": None if is_new else rng.choice(lookup["toeleiders"][municipality]),
            "claimed_at": claimed_at,
            "unreached_attempts": 0 if is_new else rng.choice([0, 0, 0, 1, 2, 3]),
            "needs_letter": not is_new and not closed and rng.random() < 0.05,
            "conversation_accepted": None if is_new else rng.random() < 0.8,
            "closed_at": min(created + timedelta(days=rng.randint(10, 90)), now)
            if closed
            else None,
            "version": 1,
        }


PERSON_COLUMNS = ("full_name", "name_key", "birth_year", "phone", "email", "address")


class Returning:
    """Who comes back: persons whose file was closed before the new one was opened.

    Its own random stream, so that the referral rows are the same with or without returns.
    """

    def __init__(self, seed: int):
        self.rng = random.Random(seed + 2)  # noqa: S311 -- seeded for repeatable data
        self.closing: list[tuple[datetime, int]] = []  # (closed_at, person id), a heap
        self.closed: list[int] = []  # persons whose last file is closed by now

    def person_for(self, row: dict[str, Any]) -> int | None:
        """An earlier person for this new row, or None for a new person."""
        while self.closing and self.closing[0][0] <= row["created_at"]:
            self.closed.append(heapq.heappop(self.closing)[1])
        if not self.closed or self.rng.random() >= RETURNING_SHARE:
            return None
        at = self.rng.randrange(len(self.closed))
        self.closed[at], self.closed[-1] = self.closed[-1], self.closed[at]
        return self.closed.pop()

    def note(self, row: dict[str, Any], person_id: int) -> None:
        if row["closed_at"] is not None:
            heapq.heappush(self.closing, (row["closed_at"], person_id))


def split_person(row: dict[str, Any], person_id: int | None) -> dict[str, Any] | None:
    """Take the person's columns out of a generated row; a new person's row, if it is one."""
    person = {column: row.pop(column) for column in PERSON_COLUMNS}
    if person_id is not None:
        row["person_id"] = person_id
        return None
    person.update(id=row["id"], created_at=row["created_at"], version=1)
    row["person_id"] = row["id"]
    return person


def load_referrals(
    count: int, now: datetime, seed: int, name_for: NameFor = demo_name
) -> tuple[int, int, int]:
    """Bulk-insert referrals, their persons and children; return the three row counts."""
    session = db.session
    rng = random.Random(seed)  # noqa: S311 -- seeded for repeatable data, not for secrets
    services = session.execute(select(Service.id, Service.municipality_id, Service.is_partner))
    lookup: dict[str, Any] = {"services": {0: [], 1: []}, "partners": []}
    municipality_ids = list(session.scalars(select(Municipality.id).order_by(Municipality.id)))
    lookup["municipalities"] = municipality_ids
    for service_id, municipality_id, is_partner in services:
        if is_partner:
            lookup["partners"].append(service_id)
        else:
            lookup["services"][municipality_ids.index(municipality_id)].append(service_id)
    users = session.scalars(select(User).order_by(User.id)).all()
    lookup["desks"] = [
        next(u.id for u in users if Role.DESK in u.roles and u.municipalities[0].id == m)
        for m in municipality_ids
    ]
    # Each file goes to a toeleider of its own municipality (a loaded team, load_team).
    lookup["toeleiders"] = {
        index: [
            u.id
            for u in users
            if u.email.startswith("toeleider.") and m in {x.id for x in u.municipalities}
        ]
        for index, m in enumerate(municipality_ids)
    }
    session.commit()

    returning = Returning(seed)
    counts = {"referrals": 0, "persons": 0, "children": 0}
    batch: list[dict[str, Any]] = []
    kids: list[dict[str, Any]] = []

    def flush(connection: Connection) -> None:
        persons = [p for row in batch if (p := split_person(row, row.pop("returns")))]
        bulk_insert(connection, Person.__table__, persons)  # type: ignore[arg-type]
        bulk_insert(connection, Referral.__table__, batch)  # type: ignore[arg-type]
        bulk_insert(connection, HouseholdChild.__table__, kids)  # type: ignore[arg-type]
        counts["referrals"] += len(batch)
        counts["persons"] += len(persons)
        counts["children"] += len(kids)
        batch.clear()
        kids.clear()

    with db.engine.begin() as connection:
        for row in referral_rows(rng, count, now, lookup, name_for):
            row["returns"] = returning.person_for(row)
            returning.note(row, row["returns"] or row["id"])
            batch.append(row)
            if row["has_children"]:
                kids.extend(
                    {"referral_id": row["id"], "birth_year": rng.randint(now.year - 17, now.year)}
                    for _ in range(rng.randint(1, 4))
                )
            if len(batch) == CHUNK:
                flush(connection)
        flush(connection)
        catch_up_sequences(connection, [Person.__table__, Referral.__table__])  # type: ignore[list-item]
    return counts["referrals"], counts["persons"], counts["children"]


# --- history ---------------------------------------------------------------------------------


class Rows:
    """Rows per table with explicit ids, inserted in chunks and in foreign-key order."""

    def __init__(self, connection: Connection):
        self.connection = connection
        self.pending: dict[Table, list[dict[str, Any]]] = defaultdict(list)
        self.next_id: dict[Table, int] = defaultdict(lambda: 1)
        self.counts: dict[str, int] = defaultdict(int)

    def add(self, table: Table, **row: Any) -> int:
        if "id" in table.c:
            row["id"] = self.next_id[table]
            self.next_id[table] += 1
        self.pending[table].append(row)
        if len(self.pending[table]) >= CHUNK:
            self.flush()
        return row.get("id", 0)

    def event(self, r: Any, at: datetime, actor_id: int, kind: str, **fields: Any) -> None:
        """A timeline event; `to_state` goes with a `from_state`, as the portal writes them."""
        fields.setdefault("from_state", None)
        fields.setdefault("to_state", None)
        self.add(
            TimelineEvent.__table__,  # type: ignore[arg-type]
            referral_id=r.id,
            at=at,
            actor_id=actor_id,
            kind=kind,
            detail=fields.pop("detail", None),
            contact_attempt_id=fields.pop("contact_attempt_id", None),
            **fields,
        )

    def flush(self) -> None:
        for table in HISTORY_TABLES:
            if self.pending[table]:
                bulk_insert(self.connection, table, self.pending[table])
                self.counts[table.name] += len(self.pending[table])
                self.pending[table] = []


def _hours_later(rng: random.Random, at: datetime, low: int, high: int, cap: datetime) -> datetime:
    return min(at + timedelta(hours=rng.randint(low, high)), cap)


def _office_hours(day: date, rng: random.Random) -> datetime:
    """A whole hour between 9 and 15 on that day, or on the next weekday after a weekend."""
    while day.weekday() > 4:
        day += timedelta(days=1)
    return datetime.combine(day, datetime.min.time()) + timedelta(hours=rng.randint(9, 15))


def _contacts(
    rows: Rows, rng: random.Random, r: Any, reached: bool, cap: datetime, ctx: dict
) -> datetime | None:
    """The attempts on one file and their events; the moment the person was reached, if so."""
    if reached:
        route = rng.choices(["phone", "desk", "letter"], [75, 10, 15])[0]
        if route == "desk":
            steps = [("desk", "reached")]
        elif route == "letter":
            steps = [("phone", "no_answer")] * rng.randint(2, 3)
            steps += [("letter", "call_back"), ("phone", "reached")]
        else:
            channel = rng.choices(["phone", "sms", "email"], [85, 10, 5])[0]
            steps = [("phone", "no_answer")] * rng.randint(0, 2) + [(channel, "reached")]
    elif r.outcome == ClosingOutcome.UNREACHABLE.value:
        steps = [("phone", "no_answer")] * 3 + [("letter", "call_back"), ("phone", "no_answer")]
    else:
        steps = [("phone", rng.choice(["no_answer", "wrong_number"]))] * rng.randint(0, 2)
    at = r.claimed_at or r.created_at
    state = ReferralState.CLAIMED.value
    for channel, outcome in steps:
        at = _hours_later(rng, at, 4, 30, cap)
        if channel == "letter":
            rows.event(r, at, r.owner_id, "letter_needed", detail="3")
        attempt_id = rows.add(
            ContactAttempt.__table__,  # type: ignore[arg-type]
            referral_id=r.id,
            at=at,
            actor_id=r.owner_id,
            channel=channel,
            outcome=outcome,
            note="Voicemail ingesproken."
            if outcome == "no_answer" and rng.random() < 0.2
            else None,
            kpi_channel_id=ctx["lookup"].channel_of(r.owner_id),
        )
        moved = outcome == "reached" and state == ReferralState.CLAIMED.value
        rows.event(
            r,
            at,
            r.owner_id,
            "contact_attempt",
            detail=f"{channel}:{outcome}",
            contact_attempt_id=attempt_id,
            from_state=state if moved else None,
            to_state=ReferralState.CONTACTED.value if moved else None,
        )
        if moved:
            state = ReferralState.CONTACTED.value
    return at if reached else None


def _appointment(rows: Rows, r: Any, starts: datetime, status: str, channel_id: int) -> int:
    return rows.add(
        Appointment.__table__,  # type: ignore[arg-type]
        referral_id=r.id,
        toeleider_id=r.owner_id,
        kind="welcome" if r.is_newcomer else "integration",
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        place="Gemeentehuis, onthaal",
        status=status,
        created_by_id=r.owner_id,
        created_at=r.claimed_at or r.created_at,
        kpi_channel_id=channel_id,
    )


def _scheduled(rows: Rows, r: Any, at: datetime, starts: datetime, before: str) -> None:
    detail = f"{starts:%d/%m/%Y %H:%M}, 60 min, Gemeentehuis, onthaal"
    rows.event(
        r, at, r.owner_id, "scheduled", detail=detail, from_state=before, to_state="scheduled"
    )


def _partner_status(rng: random.Random, age_days: int) -> str:
    if age_days < 30:
        return rng.choice(
            [PartnerReferralStatus.PROPOSED.value, PartnerReferralStatus.CONTACTED_PARTNER.value]
        )
    statuses = [s.value for s in PartnerReferralStatus]
    return rng.choices(statuses, [10, 10, 55, 25])[0]


def _conversation(
    rows: Rows, rng: random.Random, r: Any, appointment_id: int, held: datetime, ctx: dict
) -> None:
    """The record of a held conversation: needs, themes, partner referrals, tasks, plan."""
    today, lookup = ctx["today"], ctx["lookup"]
    held_on = held.date()
    recorded = held + timedelta(hours=2)
    conversation_id = rows.add(
        Conversation.__table__,  # type: ignore[arg-type]
        referral_id=r.id,
        appointment_id=appointment_id,
        held_on=held_on,
        notes="Gesprek over werk, school en de cursus Nederlands." if rng.random() < 0.5 else None,
        recorded_by_id=r.owner_id,
        recorded_at=recorded,
    )
    for category in rng.sample(lookup.categories, rng.randint(1, 2)):
        rows.add(
            Need.__table__,  # type: ignore[arg-type]
            conversation_id=conversation_id,
            category_id=category,
            description=None,
        )
    for theme in rng.sample(lookup.themes, rng.randint(1, 3)):
        rows.add(conversation_themes, conversation_id=conversation_id, theme_id=theme)
    rows.event(
        r,
        recorded,
        r.owner_id,
        "conversation_recorded",
        from_state=ReferralState.HELD.value,
        to_state=ReferralState.FOLLOWING_UP.value,
    )
    for _ in range(rng.randint(0, 2)):
        referred_on = min(held_on + timedelta(days=rng.randint(0, 10)), today)
        at = datetime.combine(referred_on, datetime.min.time()) + timedelta(hours=11)
        rows.add(
            PartnerReferral.__table__,  # type: ignore[arg-type]
            referral_id=r.id,
            partner_id=rng.choice(lookup.partners),
            theme_id=rng.choice(lookup.themes),
            referred_on=referred_on,
            status=_partner_status(rng, (today - referred_on).days),
            feedback=None,
            created_by_id=r.owner_id,
            updated_at=at,
            kpi_channel_id=lookup.channel_of(r.owner_id),
        )
        rows.event(r, at, r.owner_id, "partner_referral", detail="Partner · Werk")
    closed = r.state == ReferralState.CLOSED.value
    for _ in range(rng.randint(0, 2) if closed else rng.randint(1, 2)):
        due_on = held_on + timedelta(days=rng.randint(7, 60))
        done = closed or (due_on < today and rng.random() < 0.8)
        description = "Nabellen over de inschrijving"
        done_at = _office_hours(min(due_on, today), rng) if done else None
        rows.add(
            FollowUpTask.__table__,  # type: ignore[arg-type]
            referral_id=r.id,
            owner_id=r.owner_id,
            description=description,
            due_on=due_on,
            done_at=done_at,
        )
        rows.event(r, recorded, r.owner_id, "task_added", detail=description)
        if done_at is not None:
            rows.event(r, done_at, r.owner_id, "task_done", detail=description)
    if not r.is_newcomer:
        for priority in range(1, rng.randint(1, 3) + 1):
            target_on = held_on + timedelta(days=rng.randint(30, 180))
            if closed:
                status = rng.choice([MilestoneStatus.ACHIEVED, MilestoneStatus.STOPPED]).value
            elif target_on < today and rng.random() < 0.6:
                status = MilestoneStatus.ACHIEVED.value
            else:
                status = MilestoneStatus.OPEN.value  # overdue when the target has passed
            description = "Inschrijven voor een cursus Nederlands"
            rows.add(
                Milestone.__table__,  # type: ignore[arg-type]
                referral_id=r.id,
                description=description,
                priority=priority,
                target_on=target_on,
                status=status,
            )
            rows.event(r, recorded, r.owner_id, "milestone_added", detail=description)


def _planned_start(rng: random.Random, reached_at: datetime, today: date) -> datetime:
    """When a scheduled conversation is planned: 3 to 20 days after the contact. A planned
    day that has passed was moved to the next four weeks in 40% of the files; the others
    still wait for their result to be recorded (which no page counts)."""
    day = (reached_at + timedelta(days=rng.randint(3, 20))).date()
    if day < today and rng.random() < 0.4:
        day = today + timedelta(days=rng.randint(0, 27))
    return _office_hours(day, rng)


def _history(rows: Rows, rng: random.Random, r: Any, ctx: dict) -> None:
    """The events, contact attempts, appointments and conversations of one file."""
    rows.event(r, r.created_at, r.created_by_id, "registered", from_state=None, to_state="new")
    if r.owner_id is None:
        return
    rows.event(r, r.claimed_at, r.owner_id, "claimed", from_state="new", to_state="claimed")
    now: datetime = ctx["now"]
    cap = min(r.closed_at or now, now - timedelta(minutes=5))
    reached = r.state not in (ReferralState.NEW.value, ReferralState.CLAIMED.value)
    if r.state == ReferralState.CLOSED.value:
        reached = r.outcome != ClosingOutcome.UNREACHABLE.value and rng.random() < 0.9
    reached_at = _contacts(rows, rng, r, reached, cap, ctx)
    if reached_at is not None and r.state in PAST_CONTACTED:
        _meeting(rows, rng, r, reached_at, cap, ctx)
    if r.closed_at is not None:
        rows.event(
            r,
            r.closed_at,
            r.owner_id,
            "closed",
            detail=r.outcome,
            from_state="following_up",
            to_state="closed",
        )


def _meeting(
    rows: Rows, rng: random.Random, r: Any, reached_at: datetime, cap: datetime, ctx: dict
) -> None:
    """The conversation after the contact: planned, or held (after a no-show) and recorded."""
    team = ctx["lookup"].channel_of(r.owner_id)
    booked = reached_at + timedelta(minutes=10)
    if r.state == ReferralState.SCHEDULED.value:
        starts = _planned_start(rng, reached_at, ctx["today"])
        _appointment(rows, r, starts, AppointmentStatus.PLANNED.value, team)
        _scheduled(rows, r, booked, starts, ReferralState.CONTACTED.value)
        return
    if r.state == ReferralState.CLOSED.value and rng.random() < 0.3:
        return  # closed after the first contact, without a conversation
    held = _office_hours((reached_at + timedelta(days=rng.randint(3, 20))).date(), rng)
    held = min(held, cap - timedelta(hours=2))
    if rng.random() < 0.08:  # a no-show first, the conversation a week later
        missed = held - timedelta(days=7)
        _appointment(rows, r, missed, AppointmentStatus.NO_SHOW.value, team)
        _scheduled(rows, r, booked, missed, ReferralState.CONTACTED.value)
        rows.event(r, missed + timedelta(hours=1), r.owner_id, "no_show", from_state="scheduled")
    appointment_id = _appointment(rows, r, held, AppointmentStatus.HELD.value, team)
    _scheduled(rows, r, booked, held, ReferralState.CONTACTED.value)
    rows.event(
        r,
        held + timedelta(hours=1),
        r.owner_id,
        "conversation_held",
        from_state=ReferralState.SCHEDULED.value,
        to_state=ReferralState.HELD.value,
    )
    _conversation(rows, rng, r, appointment_id, held, ctx)


def _signals(rows: Rows, rng: random.Random, files: list[Any], ctx: dict) -> None:
    now, lookup = ctx["now"], ctx["lookup"]
    span = 2 * 365 * 24 * 60
    claimed = [r for r in files if r.owner_id is not None]
    for _ in range(SIGNALS):
        r = rng.choice(claimed)
        created = max(now - timedelta(minutes=rng.randrange(span)), r.created_at)
        age = (now - created).days
        status = rng.choices(
            [s.value for s in SignalStatus], [80, 15, 5] if age < 60 else [10, 30, 60]
        )[0]
        rows.add(
            Signal.__table__,  # type: ignore[arg-type]
            referral_id=r.id if rng.random() < 0.8 else None,
            municipality_id=r.municipality_id,
            theme_id=rng.choice(lookup.themes),
            description="Geen avondcursus Nederlands in de buurt; wachtlijst van drie maanden.",
            status=status,
            answer="Besproken op het beleidsoverleg." if status == "answered" else None,
            created_by_id=r.owner_id,
            created_at=created,
        )


def _group_work(rows: Rows, rng: random.Random, files: list[Any], ctx: dict) -> None:
    """Group activities over two years, and people signed up for the programmes."""
    now, lookup = ctx["now"], ctx["lookup"]
    kinds = ["conversation_table", "practice_group", "sport", "culture", "other"]
    municipalities = sorted({r.municipality_id for r in files})
    for _ in range(ACTIVITIES):
        held_on = (now - timedelta(days=rng.randint(0, 730))).date()
        participants = rng.randint(5, 30)
        rows.add(
            Activity.__table__,  # type: ignore[arg-type]
            municipality_id=rng.choice(municipalities),
            held_on=held_on,
            channel_id=rng.choice(lookup.channels),
            partner_id=None,
            kind=rng.choice(kinds),
            title="Praattafel in de bibliotheek",
            participants=participants,
            young_participants=rng.randint(0, participants),
            created_by_id=lookup.lead_id,
            created_at=datetime.combine(held_on, datetime.min.time()) + timedelta(hours=18),
        )
    following = [r for r in files if r.state == ReferralState.FOLLOWING_UP.value]
    wanted = sum(n for _id, _c, n in lookup.programmes)
    chosen = rng.sample(following, min(wanted, len(following)))
    for programme_id, capacity, signups in lookup.programmes:
        people, chosen = chosen[:signups], chosen[signups:]
        people.sort(key=lambda r: r.claimed_at or r.created_at)
        for n, r in enumerate(people):
            since = min((r.claimed_at or r.created_at) + timedelta(days=14), now)
            enrolled = n < capacity
            rows.add(
                ProgrammePlace.__table__,  # type: ignore[arg-type]
                programme_id=programme_id,
                referral_id=r.id,
                status="enrolled" if enrolled else "waiting",
                waiting_since=since,
                enrolled_at=since if enrolled else None,
                left_at=None,
            )


def _files(last: int) -> Iterator[list[Any]]:
    """The referrals' columns the history needs, in chunks of ids."""
    columns = (
        Referral.id,
        Referral.state,
        Referral.outcome,
        Referral.owner_id,
        Referral.created_by_id,
        Referral.created_at,
        Referral.claimed_at,
        Referral.closed_at,
        Referral.is_newcomer,
        Referral.municipality_id,
    )
    for start in range(0, last, 100_000):
        stop = start + 100_000
        chunk = select(*columns).where(Referral.id > start, Referral.id <= stop)
        yield db.session.execute(chunk.order_by(Referral.id)).all()
        db.session.commit()


def load_history(now: datetime, seed: int, lookup: Lookup) -> dict[str, int]:
    """Bulk-insert everything that happened to the referrals; return the row counts."""
    rng = random.Random(seed + 1)  # noqa: S311 -- seeded for repeatable data, not for secrets
    ctx = {"now": now, "today": now.date(), "lookup": lookup}
    last = db.session.scalar(select(func.max(Referral.id))) or 0
    # Signals and group work pick from a sample of the files; holding a million is costly.
    sample: list[Any] = []
    with db.engine.begin() as connection:
        rows = Rows(connection)
        for files in _files(last):
            for r in files:
                _history(rows, rng, r, ctx)
            sample.extend(files[:: max(1, last // 50_000)])
        _signals(rows, rng, sample, ctx)
        _group_work(rows, rng, sample, ctx)
        rows.flush()
        catch_up_sequences(connection, HISTORY_TABLES)
        # Bulk inserts pass the ORM by, so the first reach is derived once here, as the
        # migration does for existing data.
        refresh_all(connection)
    return dict(rows.counts)


# --- search keys -----------------------------------------------------------------------------


def _person_chunks(connection: Connection) -> Iterator[list[Any]]:
    last = 0
    while True:
        rows = connection.execute(
            select(Person.id, Person.full_name, Person.phone, Person.email)
            .where(Person.id > last)
            .order_by(Person.id)
            .limit(KEY_CHUNK)
        ).all()
        if not rows:
            return
        last = rows[-1].id
        yield rows


def _keys(rows: list[Any]) -> Iterator[dict[str, Any]]:
    for row in rows:
        person = SimpleNamespace(
            full_name=row.full_name, phone=row.phone, email=row.email, anonymised_at=None
        )
        for kind, value in keys_for(person):  # type: ignore[arg-type]
            yield {"person_id": row.id, "kind": kind, "value": value}


def load_search_keys() -> int:
    """Write every person's keys as the portal does (portal.search.keys.keys_for)."""
    written = 0
    with db.engine.begin() as connection:
        for rows in _person_chunks(connection):
            keys = list(_keys(rows))
            written += len(keys)
            bulk_insert(connection, SearchKey.__table__, keys)  # type: ignore[arg-type]
    return written


# --- the whole load --------------------------------------------------------------------------


def load_world(count: int, seed: int, now: datetime, name_for: NameFor | None = None) -> World:
    """A fresh schema with `count` referrals, their history and search keys; prints a line."""
    db.drop_all()
    db.create_all()
    # PostgreSQL runs the report's marking triggers once per row, each an UPDATE of the same
    # few month rows in the load's one transaction: a million referrals then load for hours.
    # They are put back after the load; the months are counted by the first report, as after
    # the migration that added them to a database with data.
    unmarked = db.engine.dialect.name == "postgresql"
    if unmarked:
        with db.engine.begin() as connection:
            for statement in marks.drop_statements("postgresql"):
                connection.exec_driver_sql(statement)
    start = time.perf_counter()
    setup = load_reference_data(now)
    load_team(count, setup.municipality_ids)
    lookup = load_lead_data(setup.municipality_ids)
    referrals, persons, children = load_referrals(
        count, now, seed, name_for or name_drawer(seed)[0]
    )
    referral_seconds = time.perf_counter() - start
    counts = {"referral": referrals, "person": persons, "household_child": children}
    counts.update(load_history(now, seed, lookup))
    history_seconds = time.perf_counter() - start - referral_seconds
    counts["search_key"] = load_search_keys()
    if unmarked:
        with db.engine.begin() as connection:
            marks.install(connection)
    vacuum_analyze()
    seconds = time.perf_counter() - start
    print(
        f"Data load: {seconds:.0f} s ({referral_seconds:.0f} s for {referrals:,} referrals of "
        f"{persons:,} persons, {history_seconds:.0f} s for their history, the rest for search "
        f"keys{' and VACUUM ANALYZE' if db.engine.dialect.name == 'postgresql' else ''})"
    )
    print("Rows: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()), flush=True)
    return World(setup.toeleider_id, lookup.lead_id, counts, seconds)


def reused_world() -> World:
    """The data an earlier load left in this database."""
    toeleider = db.session.scalar(select(User.id).where(User.email == TOELEIDER_EMAIL))
    lead = db.session.scalar(select(User.id).where(User.email == LEAD_EMAIL))
    events = db.session.scalar(select(func.count(TimelineEvent.id)))
    if toeleider is None or lead is None or not events:
        raise SystemExit("--reuse: no data of an earlier load in this database (harness.py)")
    counts = {
        "referral": db.session.scalar(select(func.count(Referral.id))) or 0,
        "person": db.session.scalar(select(func.count(Person.id))) or 0,
        "timeline_event": events,
        "search_key": db.session.scalar(select(func.count(SearchKey.id))) or 0,
    }
    print("Reused data: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    return World(toeleider, lead, counts, 0.0)


def world(args: argparse.Namespace, now: datetime) -> World:
    """Loaded anew, or with --reuse what an earlier load left."""
    return reused_world() if args.reuse else load_world(args.referrals, args.seed, now)


def add_load_arguments(parser: argparse.ArgumentParser, referrals: int = 100_000) -> None:
    parser.add_argument("--referrals", type=int, default=referrals)
    parser.add_argument(
        "--database-url",
        default="",
        help="SQLAlchemy URL; default: a temporary SQLite file. Its tables are dropped!",
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="measure the data an earlier load left in --database-url instead of loading",
    )


# --- requests and timing ---------------------------------------------------------------------


def csrf_token(client: FlaskClient) -> str:
    match = CSRF_RE.search(client.get("/login").get_data(as_text=True))
    if not match:
        raise SystemExit("no CSRF token on /login")
    return match.group(1)


def logged_in_client(app: Flask, email: str = TOELEIDER_EMAIL) -> FlaskClient:
    client = app.test_client()
    response = client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": csrf_token(client)}
    )
    if response.status_code != 303:  # a redirect to the user's home page
        raise SystemExit(f"login as {email} failed: {response.status_code}")
    return client


def p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20, method="inclusive")[18]


def summarise(name: str, times: list[float], note: str = "") -> Result:
    return Result(name, statistics.median(times), p95(times), note)


def timed(request: Callable[[], Any]) -> tuple[float, Any]:
    """Milliseconds of one request, and its answer."""
    start = time.perf_counter()
    response = request()
    return (time.perf_counter() - start) * 1000, response


class StatementTimer:
    """The SQL statements run on an engine while attached, with their cursor time.

    The time runs from before to after cursor.execute: psycopg has fetched every row by
    then; SQLite may still step through rows when they are fetched, which is not counted.
    """

    def __init__(self, engine: Engine):
        self.engine = engine
        self.statements: list[tuple[str, Any, float]] = []

    def __enter__(self) -> StatementTimer:
        event.listen(self.engine, "before_cursor_execute", self._before)
        event.listen(self.engine, "after_cursor_execute", self._after)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._before)
        event.remove(self.engine, "after_cursor_execute", self._after)

    def _before(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        conn.info.setdefault("bench_started", []).append(time.perf_counter())

    def _after(self, conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        started = conn.info["bench_started"].pop()
        self.statements.append((statement, parameters, (time.perf_counter() - started) * 1000))


def main() -> None:
    parser = argparse.ArgumentParser(description="Load a benchmark database, measure nothing.")
    add_load_arguments(parser)
    args = parser.parse_args()
    with database_url(args.database_url) as url:
        app = build_app(url)
        with app.app_context():
            print(f"Backend: {db.engine.url.render_as_string(hide_password=True)}", flush=True)
            load_world(args.referrals, args.seed, clock.now())
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
