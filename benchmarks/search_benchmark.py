"""Time of the header search (GET /search/?q=...) with many referrals in the database.

What it measures: a fresh database is filled by the shared harness's loader
(benchmarks/harness.py: two municipalities, two years of history, every state, a realistic
spread of names, about 40,000 family names and 4,000 given names drawn with a long-tailed
weight, so that the most common family name is carried by about 0.6% of the residents, and
the search keys of every person). A toeleider of municipality 1 logs in through
the Flask test client; for each kind of query below, 20 different samples taken from the
data are searched in turn, `--repeat` times in all after 5 warm-up requests. Two times are
taken with time.perf_counter: the whole request (routing, the search and its COUNT-free
query, the access log insert and commit, rendering up to 50 results), and the search alone
(portal.search.finding.find in process, no HTTP, no logging). A baseline is measured in the
same run: a bare route that renders a constant 25-row table and runs no query.

Run it from the project root:

    .venv/bin/python benchmarks/search_benchmark.py                    # SQLite, 100,000
    createdb -h 127.0.0.1 -U postgres portal_bench_search
    .venv/bin/python benchmarks/harness.py --referrals 1000000 \\
        --database-url postgresql+psycopg://root@127.0.0.1:5432/portal_bench_search
    .venv/bin/python benchmarks/search_benchmark.py --reuse \\
        --database-url postgresql+psycopg://root@127.0.0.1:5432/portal_bench_search

Without --database-url it uses a temporary SQLite file that is deleted at the end. With a
URL and without --reuse, every table of the portal in that database is dropped and created
again: never point it at a database whose data you want to keep.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from dataclasses import dataclass
from typing import Any

import phonenumbers

# Run as a script, this file's folder is the first entry of sys.path: the shared harness is
# imported, not copied.
from harness import (
    WARMUP,
    add_load_arguments,
    build_app,
    database_url,
    logged_in_client,
    name_drawer,
    p95,
    world,
)
from sqlalchemy import func, select

from portal import clock
from portal.extensions import db
from portal.models import Referral, SearchKey, User
from portal.search.finding import find, rarest_first, read_terms, search_statement

SAMPLES = 20


def national(e164: str) -> str:
    number = phonenumbers.parse(e164, None)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def query_kinds(user: User, most_common_family: str, seed: int) -> dict[str, list[str]]:
    """Per kind of query, SAMPLES texts taken from the files this toeleider may see."""
    rng = random.Random(seed)
    top = db.session.scalar(select(func.max(Referral.id)))
    people: list[Referral] = []
    while len(people) < SAMPLES * 3:
        picked = db.session.get(Referral, rng.randint(1, top or 1))
        if picked is not None and picked.municipality_id in {m.id for m in user.municipalities}:
            people.append(picked)
    with_phone = [r for r in people if r.person.phone][:SAMPLES]
    with_email = [r for r in people if r.person.email][:SAMPLES] or people[:1]
    named = people[:SAMPLES]
    parts = [r.person.full_name.split() for r in named]
    return {
        "full name ('Given Family')": [r.person.full_name for r in named],
        "family name": [p[-1] for p in parts],
        "family name prefix, 3 letters": [p[-1][:3].lower() for p in parts],
        "two prefixes, reversed ('fami giv')": [f"{p[-1][:4]} {p[0][:3]}" for p in parts],
        "most common family name": [most_common_family],
        "name with accents folded": [
            p[-1].replace("a", "á", 1).upper() if "a" in p[-1] else p[-1].upper() for p in parts
        ],
        "phone, national notation (opens file)": [national(r.person.phone) for r in with_phone],
        "e-mail": [r.person.email for r in with_email],
        "reference (opens file)": [r.reference for r in named],
        "no match": ["Qqqxyz Wwwvvv"],
    }


@dataclass
class Timing:
    kind: str
    request: list[float]
    query: list[float]
    shown: float


def time_kind(
    client: Any, user: User, kind: str, texts: list[str], repeat: int, live: bool
) -> Timing:
    headers = {"HX-Request": "true", "HX-Target": "header-search-results"} if live else {}
    for text_ in texts[:WARMUP]:
        response = client.get("/search/", query_string={"q": text_}, headers=headers)
        if response.status_code not in (200, 303):
            raise SystemExit(f"{kind}: unexpected answer {response.status_code}")
    request_ms, query_ms, shown = [], [], []
    for n in range(repeat):
        text_ = texts[n % len(texts)]
        start = time.perf_counter()
        client.get("/search/", query_string={"q": text_}, headers=headers)
        request_ms.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        found = find(db.session, user, text_)
        query_ms.append((time.perf_counter() - start) * 1000)
        shown.append(len(found.referrals))
        db.session.rollback()
    return Timing(
        kind + (" [htmx live]" if live else ""), request_ms, query_ms, statistics.mean(shown)
    )


def print_plan(user: User, text_: str) -> None:
    stmt = search_statement(user, rarest_first(db.session, read_terms(text_))).limit(102)
    sql = str(stmt.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True}))
    print(f"\nPlan of the search for {text_!r}:")
    with db.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"):
                print(f"  {row[0]:>3} {row[1]:>3}  {row[3]}")
        else:
            for (line,) in connection.exec_driver_sql(f"EXPLAIN (ANALYZE, COSTS OFF) {sql}"):
                print(f"  {line}")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_load_arguments(parser)
    parser.add_argument("--repeat", type=int, default=100, help="timed searches per kind")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    _name_for, family = name_drawer(args.seed)
    with database_url(args.database_url) as url:
        app = build_app(url)
        now = clock.now()
        with app.app_context():
            backend = db.engine.dialect.name
            print(f"Backend: {backend} ({db.engine.url.render_as_string(hide_password=True)})")
            user = db.session.get(User, world(args, now).toeleider_id)
            assert user is not None  # noqa: S101 -- the load made this user; narrows the type
            most_common = family.names[0]
            carriers = db.session.scalar(
                select(func.count()).where(
                    SearchKey.kind == "name",
                    SearchKey.value == read_terms(most_common).name_parts[0],
                )
            )
            print(f"Most common family name {most_common!r}: {carriers:,} persons")
            kinds = query_kinds(user, most_common, args.seed)

            client = logged_in_client(app)
            anonymous = app.test_client()
            baseline, query_baseline = [], []
            for _ in range(WARMUP):
                anonymous.get("/_bench/baseline")
            for _ in range(args.repeat):
                begin = time.perf_counter()
                anonymous.get("/_bench/baseline")
                baseline.append((time.perf_counter() - begin) * 1000)
                begin = time.perf_counter()
                db.session.execute(select(func.count()).select_from(User)).scalar()
                query_baseline.append((time.perf_counter() - begin) * 1000)
                db.session.rollback()
            timings = [
                time_kind(client, user, kind, texts, args.repeat, live=False)
                for kind, texts in kinds.items()
            ]
            timings.append(
                time_kind(
                    client,
                    user,
                    "full name",
                    kinds["full name ('Given Family')"],
                    args.repeat,
                    live=True,
                )
            )
            width = max(len(t.kind) for t in timings) + 2
            print(
                f"\nSearch as a toeleider of municipality 1, {args.repeat} searches per kind "
                f"({SAMPLES} different texts in turn) after {WARMUP} warm-up requests:"
            )
            print(
                f"  {'kind':<{width}} {'query p50':>9} {'query p95':>9} "
                f"{'request p50':>11} {'request p95':>11} {'shown':>6}"
            )
            print(
                f"  {'baseline: bare route; a one-row query':<{width}} "
                f"{statistics.median(query_baseline):>9.2f} {p95(query_baseline):>9.2f} "
                f"{statistics.median(baseline):>11.2f} {p95(baseline):>11.2f}"
            )
            for t in timings:
                print(
                    f"  {t.kind:<{width}} {statistics.median(t.query):>9.2f} {p95(t.query):>9.2f} "
                    f"{statistics.median(t.request):>11.2f} {p95(t.request):>11.2f} "
                    f"{t.shown:>6.1f}"
                )
            print("  (ms; 'shown' is the mean number of files listed, at most 50)")
            print_plan(user, kinds["full name ('Given Family')"][0])
            print_plan(user, most_common)
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
