"""Server time of the lead's pages and reports with many referrals and their history.

What it measures: a fresh database is filled by the queue benchmark's loader
(benchmarks/queue_benchmark.py: 200,000 referrals over two years in two municipalities, bulk
Core inserts) and then, also by bulk Core inserts, with the rows the lead's pages and the
reports count: contact attempts (no answer, letter rounds, reached at the desk or by phone),
appointments (held, planned, a few no-shows), conversations with their needs and themes,
partner referrals with mixed statuses, a few hundred signals, follow-up tasks and
development-plan milestones, some of both overdue, 2,000 group activities, six KPIs (one per
counting rule) and three programmes with their places and waiting lists. Every contact,
appointment and partner referral carries the KPI channel of its toeleider's team, as the
portal stores it. On PostgreSQL the load ends with VACUUM
ANALYZE, which autovacuum would do on a server in due time. On SQLite nothing here runs
ANALYZE: the planner's statistics come from the portal itself, which runs PRAGMA optimize
whenever a connection goes back to the pool (portal/__init__.py), so they are gathered after
the first requests on the loaded data, as they would be on a server.

A lead (also a toeleider) of both municipalities logs in through the Flask test client, and
each page below is requested N times after 5 warm-up requests; every answer must be 200. The
wall time of each request (routing, the queries, template rendering or building the workbook,
the test client's own overhead) is taken with time.perf_counter and compared with the queue
benchmark's baseline, measured in the same run: a bare route rendering a constant 25-row table
with Jinja and no query at all. The ratio therefore says how many "empty Flask requests" a
page costs.

Once, it checks that the evaluation page and its workbook give the same 'bereikt' total.
For every page whose median is above --slow-ms, one more request is made with a
before/after_cursor_execute listener on the engine, and the slowest SQL statements of that
request are printed (with --plans, also the database's plan of the slowest one).

Run it from the project root:

    .venv/bin/python benchmarks/reports_benchmark.py
    .venv/bin/python benchmarks/reports_benchmark.py --referrals 20000 --repeat 10
    createdb -h 127.0.0.1 -U postgres portal_bench2
    .venv/bin/python benchmarks/reports_benchmark.py \\
        --database-url postgresql+psycopg://root@127.0.0.1:5432/portal_bench2

Without --database-url it uses a temporary SQLite file that is deleted at the end. With a
URL, every table of the portal in that database is dropped and created again: never point it
at a database whose data you want to keep.
"""

from __future__ import annotations

import argparse
import io
import random
import re
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import openpyxl
from flask import Flask
from flask.testing import FlaskClient

# Run as a script, this file's folder is the first entry of sys.path: the queue benchmark's
# helpers are imported, not copied.
from queue_benchmark import (
    CHUNK,
    PASSWORD,
    WARMUP,
    Result,
    build_app,
    csrf_token,
    database_url,
    load_reference_data,
    load_referrals,
    summarise,
)
from sqlalchemy import Engine, Table, event, func, insert, select, text

from portal import clock
from portal.accounts import create_user
from portal.demo import NEED_CATEGORIES, THEMES, KpiDefinition, add_kpis
from portal.extensions import db
from portal.models import (
    Activity,
    Appointment,
    AppointmentStatus,
    Channel,
    ClosingOutcome,
    ContactAttempt,
    Conversation,
    FollowUpTask,
    Milestone,
    MilestoneStatus,
    Need,
    NeedCategory,
    PartnerReferral,
    PartnerReferralStatus,
    Programme,
    ProgrammePlace,
    Referral,
    ReferralState,
    Role,
    Service,
    Signal,
    SignalStatus,
    Theme,
    conversation_themes,
)

LEAD_EMAIL = "lead.bench@lindeveld.be"
SIGNALS = 400
PAST_CONTACTED = {
    ReferralState.SCHEDULED.value,
    ReferralState.HELD.value,
    ReferralState.FOLLOWING_UP.value,
    ReferralState.CLOSED.value,
}
# Tables filled here, in an order that satisfies their foreign keys.
TABLES: list[Table] = [
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
]
ACTIVITIES = 2_000
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
ROW_RE = re.compile(r"<tr>(.*?)</tr>", re.S)
CELL_RE = re.compile(r"<t[hd][^>]*>(.*?)</t[hd]>", re.S)


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


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--referrals", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=20, help="timed requests per page")
    parser.add_argument(
        "--database-url",
        default="",
        help="SQLAlchemy URL; default: a temporary SQLite file. Its tables are dropped!",
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--slow-ms", type=float, default=150.0, help="profile the SQL of pages slower than this"
    )
    parser.add_argument("--plans", action="store_true", help="print the slowest query's plan")
    return parser.parse_args()


# --- data ------------------------------------------------------------------------------------


def load_lead_data(municipality_ids: list[int]) -> Lookup:
    """Themes, need categories and the lead, via the ORM; the ids the history refers to."""
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


class Rows:
    """Rows per table with explicit ids, inserted in chunks and in foreign-key order."""

    def __init__(self, connection: Any):
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

    def flush(self) -> None:
        for table in TABLES:
            if self.pending[table]:
                self.connection.execute(insert(table), self.pending[table])
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
    """The attempts on one file; the moment the person was reached, if they were."""
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
    for channel, outcome in steps:
        at = _hours_later(rng, at, 4, 30, cap)
        rows.add(
            ContactAttempt.__table__,  # type: ignore[arg-type]
            referral_id=r.id,
            at=at,
            actor_id=r.owner_id,
            channel=channel,
            outcome=outcome,
            note=None,
            kpi_channel_id=ctx["lookup"].channel_of(r.owner_id),
        )
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
        interpreter_needed=False,
        status=status,
        created_by_id=r.owner_id,
        created_at=r.claimed_at or r.created_at,
        kpi_channel_id=channel_id,
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
    conversation_id = rows.add(
        Conversation.__table__,  # type: ignore[arg-type]
        referral_id=r.id,
        appointment_id=appointment_id,
        held_on=held_on,
        notes=None,
        recorded_by_id=r.owner_id,
        recorded_at=held + timedelta(hours=2),
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
    for _ in range(rng.randint(0, 2)):
        referred_on = min(held_on + timedelta(days=rng.randint(0, 10)), today)
        rows.add(
            PartnerReferral.__table__,  # type: ignore[arg-type]
            referral_id=r.id,
            partner_id=rng.choice(lookup.partners),
            theme_id=rng.choice(lookup.themes),
            referred_on=referred_on,
            status=_partner_status(rng, (today - referred_on).days),
            feedback=None,
            created_by_id=r.owner_id,
            updated_at=datetime.combine(referred_on, datetime.min.time()) + timedelta(hours=11),
            kpi_channel_id=lookup.channel_of(r.owner_id),
        )
    closed = r.state == ReferralState.CLOSED.value
    for _ in range(rng.randint(0, 2) if closed else rng.randint(1, 2)):
        due_on = held_on + timedelta(days=rng.randint(7, 60))
        done = closed or (due_on < today and rng.random() < 0.8)
        rows.add(
            FollowUpTask.__table__,  # type: ignore[arg-type]
            referral_id=r.id,
            owner_id=r.owner_id,
            description="Nabellen over de inschrijving",
            due_on=due_on,
            done_at=_office_hours(min(due_on, today), rng) if done else None,
        )
    if not r.is_newcomer:
        for priority in range(1, rng.randint(1, 3) + 1):
            target_on = held_on + timedelta(days=rng.randint(30, 180))
            if closed:
                status = rng.choice([MilestoneStatus.ACHIEVED, MilestoneStatus.STOPPED]).value
            elif target_on < today and rng.random() < 0.6:
                status = MilestoneStatus.ACHIEVED.value
            else:
                status = MilestoneStatus.OPEN.value  # overdue when the target has passed
            rows.add(
                Milestone.__table__,  # type: ignore[arg-type]
                referral_id=r.id,
                description="Inschrijven voor een cursus Nederlands",
                priority=priority,
                target_on=target_on,
                status=status,
            )


def _planned_start(rng: random.Random, reached_at: datetime, today: date) -> datetime:
    """When a scheduled conversation is planned: 3 to 20 days after the contact. A planned
    day that has passed was moved to the next four weeks in 40% of the files; the others
    still wait for their result to be recorded (which no page counts)."""
    day = (reached_at + timedelta(days=rng.randint(3, 20))).date()
    if day < today and rng.random() < 0.4:
        day = today + timedelta(days=rng.randint(0, 27))
    return _office_hours(day, rng)


def _history(rows: Rows, rng: random.Random, r: Any, ctx: dict) -> None:
    """Contact attempts, appointments and conversations of one claimed file."""
    now: datetime = ctx["now"]
    cap = min(r.closed_at or now, now - timedelta(minutes=5))
    reached = r.state not in (ReferralState.NEW.value, ReferralState.CLAIMED.value)
    if r.state == ReferralState.CLOSED.value:
        reached = r.outcome != ClosingOutcome.UNREACHABLE.value and rng.random() < 0.9
    reached_at = _contacts(rows, rng, r, reached, cap, ctx)
    if reached_at is None or r.state not in PAST_CONTACTED:
        return
    team = ctx["lookup"].channel_of(r.owner_id)
    if r.state == ReferralState.SCHEDULED.value:
        starts = _planned_start(rng, reached_at, ctx["today"])
        _appointment(rows, r, starts, AppointmentStatus.PLANNED.value, team)
        return
    if r.state == ReferralState.CLOSED.value and rng.random() < 0.3:
        return  # closed after the first contact, without a conversation
    held = _office_hours((reached_at + timedelta(days=rng.randint(3, 20))).date(), rng)
    held = min(held, cap - timedelta(hours=2))
    if rng.random() < 0.08:  # a no-show first, the conversation a week later
        _appointment(rows, r, held - timedelta(days=7), AppointmentStatus.NO_SHOW.value, team)
    appointment_id = _appointment(rows, r, held, AppointmentStatus.HELD.value, team)
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
    chosen = rng.sample(following, sum(n for _id, _c, n in lookup.programmes))
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


def load_history(now: datetime, seed: int, lookup: Lookup) -> dict[str, int]:
    """Bulk-insert everything that happened to the referrals; return the row counts."""
    rng = random.Random(seed + 1)  # noqa: S311 -- seeded for repeatable data, not for secrets
    columns = (
        Referral.id,
        Referral.state,
        Referral.outcome,
        Referral.owner_id,
        Referral.created_at,
        Referral.claimed_at,
        Referral.closed_at,
        Referral.is_newcomer,
        Referral.municipality_id,
    )
    files = db.session.execute(select(*columns).order_by(Referral.id)).all()
    db.session.commit()
    ctx = {"now": now, "today": now.date(), "lookup": lookup}
    with db.engine.begin() as connection:
        rows = Rows(connection)
        for r in files:
            if r.owner_id is not None:
                _history(rows, rng, r, ctx)
        _signals(rows, rng, files, ctx)
        _group_work(rows, rng, files, ctx)
        rows.flush()
        if connection.dialect.name == "postgresql":
            # Explicit ids leave the sequences behind; later ORM inserts must not collide.
            # The table names are the models' own, never input.
            for table in TABLES:
                if "id" in table.c:
                    connection.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608
                            f"coalesce(max(id), 1)) FROM {table.name}"
                        )
                    )
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    return dict(rows.counts)


# --- requests --------------------------------------------------------------------------------


def lead_client(app: Flask) -> FlaskClient:
    client = app.test_client()
    response = client.post(
        "/login",
        data={"email": LEAD_EMAIL, "password": PASSWORD, "csrf_token": csrf_token(client)},
    )
    if response.status_code != 303:  # a redirect to the lead's Today page
        raise SystemExit(f"login failed: {response.status_code}")
    return client


def measure(name: str, request: Callable[[], Any], repeat: int) -> list[float]:
    """Milliseconds per request, after warm-up requests; every answer must be 200."""
    times = []
    for i in range(WARMUP + repeat):
        start = time.perf_counter()
        response = request()
        elapsed = (time.perf_counter() - start) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{name}: answered {response.status_code}")
        if i >= WARMUP:
            times.append(elapsed)
    return times


def page_reached_total(html: str) -> int:
    """The 'Bereikt' column of the total row of the page's first table."""
    section = html.split('id="t-bereikt"', 1)[1].split("</section>", 1)[0]
    header = section.split("<thead>", 1)[1].split("</thead>", 1)[0]
    columns = [re.sub(r"<[^>]+>", "", c).strip() for c in CELL_RE.findall(header)]
    footer = section.split("<tfoot>", 1)[1].split("</tfoot>", 1)[0]
    totals = CELL_RE.findall(ROW_RE.findall(footer)[0])
    return int(totals[columns.index("Bereikt")])


def workbook_reached_total(body: bytes) -> int:
    sheet = openpyxl.load_workbook(io.BytesIO(body), read_only=True)["bereikt"]
    rows = list(sheet.iter_rows(values_only=True))
    column = list(rows[3]).index("Bereikt")
    return int(next(r for r in rows[4:] if r[0] == "Totaal")[column])


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


def print_profile(name: str, request: Callable[[], Any], engine: Engine, plans: bool) -> None:
    """One more request, with every statement timed; the slowest three, summed per text."""
    with StatementTimer(engine) as timer:
        start = time.perf_counter()
        request()
        elapsed = (time.perf_counter() - start) * 1000
    per_text: dict[str, list[float]] = defaultdict(list)
    parameters: dict[str, Any] = {}
    for statement, params, ms in timer.statements:
        per_text[statement].append(ms)
        parameters.setdefault(statement, params)
    total = sum(ms for _s, _p, ms in timer.statements)
    print(
        f"\n{name}: {elapsed:.0f} ms, of which {total:.0f} ms in {len(timer.statements)} "
        "SQL statements; the slowest:"
    )
    ranked = sorted(per_text.items(), key=lambda item: -sum(item[1]))
    for statement, times in ranked[:3]:
        shown = " ".join(statement.split())
        shown = shown if len(shown) <= 220 else f"{shown[:150]} ... {shown[-66:]}"
        print(f"  {sum(times):8.1f} ms  x{len(times)}  {shown}")
    if plans and ranked:
        print_plan(engine, ranked[0][0], parameters[ranked[0][0]])


def print_plan(engine: Engine, statement: str, parameters: Any) -> None:
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            print("  EXPLAIN QUERY PLAN:")
            for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters):
                print(f"    {row[0]:>3} {row[1]:>3}  {row[3]}")
        elif connection.dialect.name == "postgresql":
            print("  EXPLAIN (ANALYZE, COSTS OFF):")
            sql = f"EXPLAIN (ANALYZE, COSTS OFF) {statement}"
            for (line,) in connection.exec_driver_sql(sql, parameters):
                print(f"    {line}")


# --- main ------------------------------------------------------------------------------------


def describe_data(year: int) -> str:
    """What the reports will find, in one line."""
    session = db.session
    start, end = datetime(year, 1, 1), datetime(year + 1, 1, 1)
    reached = session.scalar(
        select(func.count(func.distinct(ContactAttempt.referral_id))).where(
            ContactAttempt.outcome == "reached"
        )
    )
    held = session.scalar(
        select(func.count()).where(
            Appointment.status == AppointmentStatus.HELD.value,
            Appointment.starts_at >= start,
            Appointment.starts_at < end,
        )
    )
    past_contacted = session.scalar(
        select(func.count()).where(Referral.state.in_(sorted(PAST_CONTACTED)))
    )
    with_held = session.scalar(
        select(func.count(func.distinct(Appointment.referral_id))).where(
            Appointment.status == AppointmentStatus.HELD.value
        )
    )
    day = datetime.combine(clock.today(), datetime.min.time())
    today = session.scalar(
        select(func.count()).where(
            Appointment.status == AppointmentStatus.PLANNED.value,
            Appointment.starts_at >= day,
            Appointment.starts_at < day + timedelta(days=1),
        )
    )
    signals = session.scalar(select(func.count()).select_from(Signal))
    return (
        f"{reached:,} referrals reached at some time; a held appointment for {with_held:,} of "
        f"the {past_contacted:,} past 'contacted' ({with_held / max(past_contacted, 1):.0%}); "
        f"{held:,} conversations held in {year}; {today:,} planned today; {signals:,} signals"
    )


def main() -> None:
    args = parse_args()
    with database_url(args.database_url) as url:
        app = build_app(url)
        now = clock.now()
        year = now.year
        with app.app_context():
            engine = db.engine
            backend = engine.dialect.name
            print(f"Backend: {backend} ({engine.url.render_as_string(hide_password=True)})")
            db.drop_all()
            db.create_all()
            start = time.perf_counter()
            setup = load_reference_data(now)
            lookup = load_lead_data(setup.municipality_ids)
            referrals, children = load_referrals(args.referrals, now, args.seed)
            referral_seconds = time.perf_counter() - start
            counts = load_history(now, args.seed, lookup)
            load_seconds = time.perf_counter() - start
            analyze = ", each followed by VACUUM ANALYZE" if backend == "postgresql" else ""
            print(
                f"Data load: {load_seconds:.1f} s in all ({referral_seconds:.1f} s for "
                f"{referrals:,} referrals and {children:,} children, then "
                f"{load_seconds - referral_seconds:.1f} s for {sum(counts.values()):,} history "
                f"rows; chunks of {CHUNK:,}{analyze})"
            )
            print("History rows: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
            print(f"Report year {year}: {describe_data(year)}")
            db.session.remove()

        client = lead_client(app)
        anonymous = app.test_client()
        query = f"year={year}&part=final"
        pages: list[tuple[str, FlaskClient, str]] = [
            ("baseline: bare route, 25-row table", anonymous, "/_bench/baseline"),
            ("/lead/ (Today)", client, "/lead/"),
            ("/lead/workload", client, "/lead/workload"),
            ("/lead/list/unclaimed", client, "/lead/list/unclaimed"),
            ("/lead/signals", client, "/lead/signals"),
            (f"/reports/monthly?year={year}", client, f"/reports/monthly?year={year}"),
            (
                "/reports/evaluation (interim)",
                client,
                f"/reports/evaluation?year={year}&part=interim",
            ),
            ("/reports/evaluation (final)", client, f"/reports/evaluation?{query}"),
            ("/reports/evaluation.xlsx (final)", client, f"/reports/evaluation.xlsx?{query}"),
            (
                "/reports/evaluation/talen.csv (final)",
                client,
                f"/reports/evaluation/talen.csv?{query}",
            ),
            (
                "/reports/evaluation/nederlands.csv (final)",
                client,
                f"/reports/evaluation/nederlands.csv?{query}",
            ),
            (f"/reports/kpis?year={year}", client, f"/reports/kpis?year={year}"),
            (f"/reports/kpis.csv?year={year}", client, f"/reports/kpis.csv?year={year}"),
            ("/groupwork/activities", client, "/groupwork/activities"),
            ("/groupwork/waiting-lists", client, "/groupwork/waiting-lists"),
        ]

        def get(who: FlaskClient, path: str) -> Callable[[], Any]:
            return lambda: who.get(path)

        results: list[Result] = [
            summarise(name, measure(name, get(who, path), args.repeat)) for name, who, path in pages
        ]
        base = results[0].median_ms
        print(
            f"\nServer time per request, {args.repeat} requests after {WARMUP} warm-up "
            f"(Flask test client, in process); ratio = median / baseline median:"
        )
        print(f"  {'page':<40} {'median ms':>10} {'p95 ms':>10} {'x baseline':>11}")
        for r in results:
            ratio = r.median_ms / base
            print(f"  {r.name:<40} {r.median_ms:>10.2f} {r.p95_ms:>10.2f} {ratio:>10.1f}x")

        page_total = page_reached_total(
            client.get(f"/reports/evaluation?{query}").get_data(as_text=True)
        )
        book_total = workbook_reached_total(client.get(f"/reports/evaluation.xlsx?{query}").data)
        agree = "yes" if page_total == book_total else "no"
        print(
            f"\nfigures reconcile: {agree} (bereikt {year}: page {page_total:,}, "
            f"workbook {book_total:,})"
        )

        slow = [
            (r.name, get(who, path))
            for r, (_name, who, path) in zip(results, pages, strict=True)
            if r.median_ms > args.slow_ms
        ]
        if slow:
            print(f"\nSQL of the pages above {args.slow_ms:.0f} ms (one more request each):")
        for name, request in slow:
            print_profile(name, request, engine, args.plans)

        with app.app_context():
            db.session.remove()
            db.engine.dispose()  # the temporary SQLite file goes with its directory


if __name__ == "__main__":
    main()
