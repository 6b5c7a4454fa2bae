"""Server time of the toeleider's queue page (GET /queue/) with many referrals in the database.

What it measures: a fresh database is filled with 100,000 realistic referrals (two
municipalities, about twenty languages with skewed weights, two years of history, about 2%
still "new", i.e. in the queue) by the shared harness's bulk loader (benchmarks/harness.py;
the referrals alone, without their history). One toeleider of municipality 1 who
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
import re
import time
from collections.abc import Callable
from typing import Any

# Run as a script, this file's folder is the first entry of sys.path: the shared harness is
# imported, not copied.
from harness import (
    CHUNK,
    TOELEIDER_LANGUAGES,
    WARMUP,
    build_app,
    database_url,
    load_reference_data,
    load_referrals,
    logged_in_client,
    summarise,
)
from sqlalchemy import func, select

from portal import clock
from portal.extensions import db
from portal.models import Referral, ReferralState, User
from portal.queue.listing import PAGE_SIZE, QueueFilter, queue_statement


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


# --- requests --------------------------------------------------------------------------------


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
            referrals, _persons, children = load_referrals(args.referrals, now, args.seed)
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
            rows = db.session.execute(queue_statement(user, QueueFilter()).limit(PAGE_SIZE))
            top = [db.session.get(Referral, row.id) for row in rows]
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
            ("/today/ (the toeleider's Vandaag)", lambda: client.get("/today/"), bool),
            ("/agenda/week (own week grid)", lambda: client.get("/agenda/week"), bool),
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
