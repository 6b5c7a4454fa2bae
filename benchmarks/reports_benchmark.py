"""Server time of the lead's pages and reports with many referrals and their history.

What it measures: a fresh database is filled by the shared harness's loader
(benchmarks/harness.py: 200,000 referrals over two years in two municipalities, bulk
inserts) with their history, the rows the lead's pages and the reports count: timeline
events, contact attempts (no answer, letter rounds, reached at the desk or by phone),
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
the test client's own overhead) is taken with time.perf_counter and compared with the
harness's baseline, measured in the same run: a bare route rendering a constant 25-row table
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
import re
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import openpyxl
from flask import Flask
from flask.testing import FlaskClient

# Run as a script, this file's folder is the first entry of sys.path: the shared harness is
# imported, not copied.
from harness import (
    LEAD_EMAIL,
    PAST_CONTACTED,
    WARMUP,
    Result,
    StatementTimer,
    add_load_arguments,
    build_app,
    database_url,
    logged_in_client,
    summarise,
    world,
)
from sqlalchemy import Engine, func, select

from portal import clock
from portal.extensions import db
from portal.models import Appointment, AppointmentStatus, ContactAttempt, Referral, Signal

ROW_RE = re.compile(r"<tr>(.*?)</tr>", re.S)
CELL_RE = re.compile(r"<t[hd][^>]*>(.*?)</t[hd]>", re.S)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_load_arguments(parser, referrals=200_000)
    parser.add_argument("--repeat", type=int, default=20, help="timed requests per page")
    parser.add_argument(
        "--slow-ms", type=float, default=150.0, help="profile the SQL of pages slower than this"
    )
    parser.add_argument("--plans", action="store_true", help="print the slowest query's plan")
    return parser.parse_args()


# --- requests --------------------------------------------------------------------------------


def lead_client(app: Flask) -> FlaskClient:
    return logged_in_client(app, LEAD_EMAIL)


def report_pages(year: int) -> list[tuple[str, str]]:
    """The lead's pages and every report, as (name, path)."""
    query = f"year={year}&part=final"
    return [
        ("/lead/ (Today)", "/lead/"),
        ("/lead/workload", "/lead/workload"),
        ("/lead/list/unclaimed", "/lead/list/unclaimed"),
        ("/lead/signals", "/lead/signals"),
        (f"/reports/monthly?year={year}", f"/reports/monthly?year={year}"),
        ("/reports/evaluation (interim)", f"/reports/evaluation?year={year}&part=interim"),
        ("/reports/evaluation (final)", f"/reports/evaluation?{query}"),
        ("/reports/evaluation.xlsx (final)", f"/reports/evaluation.xlsx?{query}"),
        ("/reports/evaluation/talen.csv (final)", f"/reports/evaluation/talen.csv?{query}"),
        (
            "/reports/evaluation/nederlands.csv (final)",
            f"/reports/evaluation/nederlands.csv?{query}",
        ),
        (f"/reports/kpis?year={year}", f"/reports/kpis?year={year}"),
        (f"/reports/kpis.csv?year={year}", f"/reports/kpis.csv?year={year}"),
        ("/groupwork/activities", "/groupwork/activities"),
        ("/groupwork/waiting-lists", "/groupwork/waiting-lists"),
    ]


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
            world(args, now)
            print(f"Report year {year}: {describe_data(year)}")
            db.session.remove()

        client = lead_client(app)
        anonymous = app.test_client()
        query = f"year={year}&part=final"
        pages: list[tuple[str, FlaskClient, str]] = [
            ("baseline: bare route, 25-row table", anonymous, "/_bench/baseline")
        ] + [(name, client, path) for name, path in report_pages(year)]

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
