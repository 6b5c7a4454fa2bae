"""Server time of the toeleider's queue page (GET /queue/) with many referrals in the database.

What it measures: a fresh database is filled with 100,000 realistic referrals (two
municipalities, about twenty languages with skewed weights, two years of history, about 2%
still "new", i.e. in the queue) by bulk Core inserts. One toeleider of municipality 1 who
speaks three languages logs in through the Flask test client, and each scenario below is
requested N times after 5 warm-up requests; the wall time of each request (routing, the
queries, template rendering, the test client's own overhead) is taken with
time.perf_counter. The figures are compared with a baseline measured in the same run: a bare
route, registered by this script, that renders a constant 25-row table with Jinja and runs no
query at all. The ratio therefore says how many "empty Flask requests" a queue page costs.
GET /login (the real layout, no referral queries) is shown as a second reference line.

At the end it prints the database's plan for the queue statement: EXPLAIN QUERY PLAN on
SQLite (is ix_referral_queue used?), EXPLAIN ANALYZE on PostgreSQL.

Run it from the project root:

    .venv/bin/python benchmarks/queue_benchmark.py
    .venv/bin/python benchmarks/queue_benchmark.py --referrals 20000 --repeat 20
    createdb -h 127.0.0.1 -U postgres portal_bench
    .venv/bin/python benchmarks/queue_benchmark.py \\
        --database-url postgresql+psycopg://root@127.0.0.1:5432/portal_bench

Without --database-url it uses a temporary SQLite file that is deleted at the end. With a
URL, every table of the portal in that database is dropped and created again: never point it
at a database whose data you want to keep.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from types import SimpleNamespace
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, func, insert, select, text

from portal import clock, create_app
from portal.accounts import create_user
from portal.demo import FAMILY, GIVEN, LANGUAGE_WEIGHTS, OTHER_FAMILY, OTHER_GIVEN, PARTNERS
from portal.desk.rules import name_key, residence
from portal.extensions import db
from portal.languages import dutch_name
from portal.models import (
    ClosingOutcome,
    HouseholdChild,
    Language,
    Municipality,
    Person,
    Referral,
    ReferralState,
    Role,
    Service,
    User,
)
from portal.queue.listing import PAGE_SIZE, QueueFilter, queue_statement
from portal.referrals.lifecycle import priority_at
from portal.settings import DEFAULTS, QueueWeights

CHUNK = 5_000
WARMUP = 5
PASSWORD = "benchmark-wachtwoord-123"  # noqa: S105 -- the throwaway benchmark database's
TOELEIDER_EMAIL = "toeleider.bench@lindeveld.be"
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
        "day": f"{i + 1:02d}/10/2026",
        "name": f"Rania Haddad {i}",
        "language": "Arabisch",
        "tags": ["NL moeilijk", "geen werk", "kinderen"][: i % 3 + 1],
        "municipality": "Lindeveld",
        "source": "Onthaal",
    }
    for i in range(PAGE_SIZE)
]


@dataclass
class Setup:
    """What the data load made, for the scenarios."""

    municipality_ids: list[int]
    toeleider_id: int


@dataclass
class Result:
    name: str
    median_ms: float
    p95_ms: float
    note: str = ""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--referrals", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=50, help="timed requests per scenario")
    parser.add_argument(
        "--database-url",
        default="",
        help="SQLAlchemy URL; default: a temporary SQLite file. Its tables are dropped!",
    )
    parser.add_argument("--seed", type=int, default=2026)
    return parser.parse_args()


@contextmanager
def database_url(url: str) -> Iterator[str]:
    if url:
        yield url
        return
    with tempfile.TemporaryDirectory(prefix="queue-bench-") as directory:
        yield f"sqlite:///{directory}/bench.sqlite3"


def build_app(url: str) -> Flask:
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
        return template.render(rows=BASELINE_ROWS)

    app.add_url_rule("/_bench/baseline", "bench_baseline", baseline)
    return app


# --- data ------------------------------------------------------------------------------------


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


def demo_name(rng: random.Random, code: str) -> str:
    """A given and a family name from the demo's short lists for the language."""
    return (
        f"{rng.choice(GIVEN.get(code, OTHER_GIVEN))} {rng.choice(FAMILY.get(code, OTHER_FAMILY))}"
    )


def referral_rows(
    rng: random.Random,
    count: int,
    now: datetime,
    lookup: dict[str, Any],
    name_for: Callable[[random.Random, str], str] = demo_name,
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
            "owner_id": None if is_new else rng.choice(lookup["toeleiders"]),
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


def split_person(row: dict[str, Any]) -> dict[str, Any]:
    """Take the person's columns out of a generated row; the referral keeps a link to them."""
    person = {column: row.pop(column) for column in PERSON_COLUMNS}
    person.update(id=row["id"], created_at=row["created_at"], version=1)
    row["person_id"] = row["id"]
    return person


def _flush(
    connection: Connection,
    batch: list[dict[str, Any]],
    kids: list[dict[str, Any]],
    referrals: int,
    children: int,
) -> tuple[int, int]:
    """Insert a chunk of persons and referrals, then the children (whose keys need them)."""
    if batch:
        persons = [split_person(row) for row in batch]
        connection.execute(insert(Person.__table__), persons)
        connection.execute(insert(Referral.__table__), batch)
    if kids:
        connection.execute(insert(HouseholdChild.__table__), kids)
    return referrals + len(batch), children + len(kids)


def load_referrals(
    count: int,
    now: datetime,
    seed: int,
    name_for: Callable[[random.Random, str], str] = demo_name,
) -> tuple[int, int]:
    """Bulk-insert referrals (and their children) in chunks; return both row counts."""
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
    lookup["toeleiders"] = [u.id for u in users if u.email.startswith("toeleider.")]
    session.commit()

    referrals = children = 0
    batch: list[dict[str, Any]] = []
    kids: list[dict[str, Any]] = []
    with db.engine.begin() as connection:
        for row in referral_rows(rng, count, now, lookup, name_for):
            batch.append(row)
            if row["has_children"]:
                kids.extend(
                    {"referral_id": row["id"], "birth_year": rng.randint(now.year - 17, now.year)}
                    for _ in range(rng.randint(1, 4))
                )
            if len(batch) == CHUNK:
                referrals, children = _flush(connection, batch, kids, referrals, children)
                batch, kids = [], []
        referrals, children = _flush(connection, batch, kids, referrals, children)
        if connection.dialect.name == "postgresql":
            # Explicit ids leave the sequence behind; later ORM inserts must not collide.
            # The table names are the two literals above, never input.
            for table in ("person", "referral"):
                connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) "  # noqa: S608
                        f"FROM {table}"
                    )
                )
    if db.engine.dialect.name == "postgresql":
        # Autovacuum would do this soon after a load like this; a production database has
        # statistics. SQLite is left as the app leaves it: the portal never runs ANALYZE.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    return referrals, children


# --- requests --------------------------------------------------------------------------------


def csrf_token(client: FlaskClient) -> str:
    match = CSRF_RE.search(client.get("/login").get_data(as_text=True))
    if not match:
        raise SystemExit("no CSRF token on /login")
    return match.group(1)


def logged_in_client(app: Flask) -> FlaskClient:
    client = app.test_client()
    response = client.post(
        "/login",
        data={"email": TOELEIDER_EMAIL, "password": PASSWORD, "csrf_token": csrf_token(client)},
    )
    if response.status_code != 303:  # a redirect to the user's home page
        raise SystemExit(f"login failed: {response.status_code}")
    return client


def measure(request: Callable[[], Any], repeat: int, check: Callable[[str], bool]) -> list[float]:
    """Milliseconds per request, after warm-up requests whose answer is checked once."""
    for i in range(WARMUP):
        response = request()
        if i == 0 and (response.status_code != 200 or not check(response.get_data(as_text=True))):
            raise SystemExit(f"unexpected answer: {response.status_code}")
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        request()
        times.append((time.perf_counter() - start) * 1000)
    return times


def summarise(name: str, times: list[float], note: str = "") -> Result:
    p95 = statistics.quantiles(times, n=20, method="inclusive")[18]
    return Result(name, statistics.median(times), p95, note)


def has_rows(body: str) -> bool:
    return 'id="queue-row-' in body


# --- plan ------------------------------------------------------------------------------------


def print_plan(toeleider_id: int) -> None:
    user = db.session.get(User, toeleider_id)
    assert user is not None  # noqa: S101 -- the benchmark made this user; narrows the type
    stmt = queue_statement(user, QueueFilter())
    sql = str(
        stmt.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True})
    ).strip()
    columns = re.split(r"\sFROM\s", sql, maxsplit=1)[0].count(",") + 1
    shown = re.sub(r"^SELECT .*?\sFROM\s", f"SELECT <{columns} columns>\nFROM ", sql, flags=re.S)
    print("\nMain queue statement (queue_statement(user, QueueFilter())), columns elided:")
    print("  " + "\n  ".join(line.strip() for line in shown.splitlines()))
    with db.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            print("\nEXPLAIN QUERY PLAN:")
            for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"):
                print(f"  {row[0]:>3} {row[1]:>3}  {row[3]}")
        elif connection.dialect.name == "postgresql":
            print("\nEXPLAIN (ANALYZE, COSTS OFF):")
            for (line,) in connection.exec_driver_sql(f"EXPLAIN (ANALYZE, COSTS OFF) {sql}"):
                print(f"  {line}")
        else:
            print(f"(no plan printed for {connection.dialect.name})")


# --- main ------------------------------------------------------------------------------------


def main() -> None:
    args = parse_args()
    with database_url(args.database_url) as url:
        app = build_app(url)
        now = clock.now()
        with app.app_context():
            backend = db.engine.dialect.name
            print(f"Backend: {backend} ({db.engine.url.render_as_string(hide_password=True)})")
            db.drop_all()
            db.create_all()
            start = time.perf_counter()
            setup = load_reference_data(now)
            referrals, children = load_referrals(args.referrals, now, args.seed)
            load_seconds = time.perf_counter() - start
            print(
                f"Data load: {referrals:,} referrals and {children:,} children in "
                f"{load_seconds:.1f} s ({referrals / load_seconds:,.0f} referrals/s, "
                f"chunks of {CHUNK:,}{', then VACUUM ANALYZE' if backend == 'postgresql' else ''})"
            )
            counts = dict(
                db.session.execute(
                    select(Referral.state, func.count()).group_by(Referral.state)
                ).all()
            )
            total = sum(counts.values())
            queue_total = counts.get(ReferralState.NEW.value, 0)
            user = db.session.get(User, setup.toeleider_id)
            assert user is not None  # noqa: S101 -- the benchmark made this user
            mine_all = db.session.scalar(
                select(func.count()).select_from(
                    queue_statement(user, QueueFilter(all_languages=True)).order_by(None).subquery()
                )
            )
            mine = db.session.scalar(
                select(func.count()).select_from(
                    queue_statement(user, QueueFilter()).order_by(None).subquery()
                )
            )
            top = db.session.scalars(queue_statement(user, QueueFilter()).limit(PAGE_SIZE)).all()
            with_phone = [r for r in top if r.person.phone]
            if not with_phone:
                raise SystemExit("the toeleider's queue is empty: use more --referrals")
            surname_prefix = top[0].person.full_name.split()[-1][:3]
            phone = with_phone[-1].person.phone
            db.session.remove()
        print(
            f"Referrals: {total:,} in total, {queue_total:,} in the queue (state 'new', "
            f"{queue_total / total:.1%}); by state: "
            + ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items()))
        )
        print(
            f"Toeleider (municipality 1, languages {', '.join(TOELEIDER_LANGUAGES)}): "
            f"{mine:,} waiting in their languages, {mine_all:,} in all languages"
        )

        client = logged_in_client(app)
        anonymous = app.test_client()
        pages_all = max(1, -(-mine_all // PAGE_SIZE))
        deep = min(20, pages_all)

        def get(query: dict[str, str], headers: dict[str, str] | None = None) -> Callable[[], Any]:
            return lambda: client.get("/queue/", query_string=query, headers=headers or {})

        scenarios: list[tuple[str, Callable[[], Any], Callable[[str], bool]]] = [
            ("baseline: bare route, 25-row table", lambda: anonymous.get("/_bench/baseline"), bool),
            ("GET /login (layout, no referrals)", lambda: anonymous.get("/login"), bool),
            ("/queue/ (my languages, p.1)", get({}), has_rows),
            ("/queue/?all=1", get({"all": "1"}), has_rows),
            (f"/queue/?all=1&page={deep}", get({"all": "1", "page": str(deep)}), has_rows),
            (f"/queue/?q={surname_prefix}", get({"q": surname_prefix}), has_rows),
            (f"/queue/?q={phone}", get({"q": phone}), has_rows),
            (
                "/queue/ htmx refresh (queue-list)",
                get({}, {"HX-Request": "true", "HX-Target": "queue-list"}),
                lambda body: has_rows(body) and "<html" not in body,
            ),
        ]
        results = [
            summarise(name, measure(request, args.repeat, check))
            for name, request, check in scenarios
        ]

        base = results[0].median_ms
        print(
            f"\nServer time per request, {args.repeat} requests after {WARMUP} warm-up "
            f"(Flask test client, in process); ratio = median / baseline median:"
        )
        print(f"  {'scenario':<40} {'median ms':>10} {'p95 ms':>10} {'x baseline':>11}")
        for r in results:
            ratio = r.median_ms / base
            print(f"  {r.name:<40} {r.median_ms:>10.2f} {r.p95_ms:>10.2f} {ratio:>10.1f}x")
        if deep < 20:
            print(f"  (only {pages_all} pages in all languages: the deep page is the last one)")

        with app.app_context():
            print_plan(setup.toeleider_id)
            db.session.remove()
            db.engine.dispose()  # the temporary SQLite file goes with its directory


if __name__ == "__main__":
    main()
