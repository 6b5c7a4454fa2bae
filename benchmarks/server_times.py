"""Server time p50/p95 of the portal's main requests, at several sizes, as one table.

What it measures: for each size, a database filled by the shared harness's loader
(benchmarks/harness.py: referrals with their histories, realistic names, search keys; the
same data as the other benchmarks), then through the Flask test client: the desk's intake
POST (a new person each time, so that it is saved and answered with a redirect), the
toeleider's queue, a search in the queue, the file page over files of varied histories,
Vandaag (the toeleider's landing page) and, as the lead, the lead's pages and every report.
Each request is timed with time.perf_counter after 5 warm-up requests; the scenarios take
turns in `--rounds` rounds, so that the load of a shared machine falls on all of them alike.
A bare route rendering a constant 50-row table is measured in the same run as the baseline.

The table shows one column per size and backend, p50/p95 in ms, and the target of a p95 where
the project set one; a p95 over its target is marked with '!'. With --results FILE the
columns of earlier runs are kept in that JSON file and printed with this run's, so that
SQLite and a reused PostgreSQL database end up in one table:

    .venv/bin/python benchmarks/server_times.py --sizes 10000,100000 --results times.json
    .venv/bin/python benchmarks/harness.py --referrals 1000000 \\
        --database-url postgresql+psycopg://root@127.0.0.1:5432/portal_bench_search
    .venv/bin/python benchmarks/server_times.py --reuse --results times.json \\
        --database-url postgresql+psycopg://root@127.0.0.1:5432/portal_bench_search

Without --database-url each size gets a temporary SQLite file, deleted afterwards. With a URL
and without --reuse, every table of the portal in that database is dropped and created again
for each size: never point it at a database whose data you want to keep.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import re
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Run as a script, this file's folder is the first entry of sys.path: the shared harness and
# the other benchmarks' choices are imported, not copied.
from file_page_benchmark import pick_files
from harness import (
    CSRF_RE,
    LEAD_EMAIL,
    WARMUP,
    build_app,
    database_url,
    load_world,
    logged_in_client,
    p95,
    reused_world,
    timed,
)
from reports_benchmark import report_pages
from sqlalchemy import func, select

from portal import clock
from portal.extensions import db
from portal.models import Municipality, Person, Referral, ReferralState, Service, User

# Targets for the p95, in ms: (scenario prefix, backend or None for both, size from which on).
TARGETS: list[tuple[str, str | None, int, float]] = [
    ("POST /desk/", None, 0, 50),
    ("/queue/", "sqlite", 100_000, 30),
    ("/queue/", "postgresql", 1_000_000, 50),
    ("/referrals/", "sqlite", 100_000, 30),
    ("/referrals/", "postgresql", 1_000_000, 50),
    ("/today/", None, 0, 50),
    ("/reports/evaluation ", None, 200_000, 200),
]
BASELINE = "baseline: bare route, 50-row table"


@dataclass
class Scenario:
    name: str
    request: Callable[[int], Any]  # the n-th request
    expected: int = 200
    cheap: bool = True  # requested --repeat times; else --report-repeat times
    times: list[float] = field(default_factory=list)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="referrals, comma-separated")
    parser.add_argument("--database-url", default="", help="default: temporary SQLite files")
    parser.add_argument("--reuse", action="store_true", help="measure the data in --database-url")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--repeat", type=int, default=100, help="timed requests per page")
    parser.add_argument("--report-repeat", type=int, default=20, help="per lead page or report")
    parser.add_argument("--rounds", type=int, default=4, help="turns the scenarios take")
    parser.add_argument("--results", default="", help="JSON file that keeps every run's columns")
    return parser.parse_args()


def desk_client(app: Any) -> tuple[Any, str]:
    """The desk worker of municipality 1, logged in, and a CSRF token of their session."""
    client = logged_in_client(app, "loket0@bench.example")
    match = CSRF_RE.search(client.get("/desk/").get_data(as_text=True))
    if not match:
        raise SystemExit("no CSRF token on /desk/")
    return client, match.group(1)


def letters(n: int) -> str:
    """A family name of its own for every n, made of letters only, as the form wants."""
    name = ""
    while True:
        n, digit = divmod(n, 26)
        name += "abcdefghijklmnopqrstuvwxyz"[digit]
        if not n:
            return "Zq" + name


def intake_form(token: str, municipality_id: int, service_id: int, n: int) -> dict[str, str]:
    """A complete intake of a new person: a name and number nobody in the data has."""
    return {
        "csrf_token": token,
        "consent": "y",
        "dutch_difficult": "ja",
        "has_work": "nee",
        "has_children": "ja",
        "contact_language": "Arabisch",
        "full_name": f"Bench {letters(n)}",
        "phone": f"0468 {n // 10_000 % 100:02d} {n // 100 % 100:02d} {n % 100:02d}",
        "registered_on": clock.today().replace(day=1).isoformat(),
        "home_language": "",
        "birth_year": "1990",
        "email": "",
        "address": "Kerkstraat 1, 9999 Lindeveld",
        "adults": "2",
        "children_birth_years": "2016, 2019",
        "municipality": str(municipality_id),
        "source_service": str(service_id),
        "note": "",
    }


def scenarios(app: Any, toeleider_id: int, seed: int) -> list[Scenario]:
    """Every request of the table, with the data it needs taken from the database."""
    with app.app_context():
        user = db.session.get(User, toeleider_id)
        assert user is not None  # noqa: S101 -- the load made this user; narrows the type
        files = [f for g in pick_files(user, 8, seed) for f in g.files]
        random.Random(seed).shuffle(files)  # noqa: S311 -- a repeatable order
        municipality = db.session.scalar(select(Municipality.id).order_by(Municipality.id))
        service = db.session.scalar(
            select(Service.id).where(Service.municipality_id == municipality).order_by(Service.id)
        )
        waiting = db.session.scalars(
            select(Referral)
            .where(
                Referral.state == ReferralState.NEW.value, Referral.municipality_id == municipality
            )
            .order_by(Referral.id.desc())
            .limit(20)
        ).all()
        prefixes = [r.person.full_name.split()[-1][:3] for r in waiting] or ["Ha"]
        year = clock.today().year
        db.session.remove()
    toeleider = logged_in_client(app)
    lead = logged_in_client(app, LEAD_EMAIL)
    desk, token = desk_client(app)
    anonymous = app.test_client()
    # New persons each run: a reused database keeps the intakes of the runs before.
    with app.app_context():
        counter = itertools.count(1 + (db.session.scalar(select(func.max(Person.id))) or 0))

    def post_intake(_n: int) -> Any:
        return desk.post("/desk/", data=intake_form(token, municipality, service, next(counter)))

    found: list[Scenario] = [
        Scenario(BASELINE, lambda _n: anonymous.get("/_bench/baseline?rows=50")),
        Scenario("POST /desk/ (intake, new person)", post_intake, expected=303),
        Scenario("/queue/ (my languages)", lambda _n: toeleider.get("/queue/")),
        Scenario(
            "/queue/?q=<3 letters of a name>",
            lambda n: toeleider.get("/queue/", query_string={"q": prefixes[n % len(prefixes)]}),
        ),
        Scenario(
            "/referrals/<id> (file page, mixed)",
            lambda n: toeleider.get(f"/referrals/{files[n % len(files)]}"),
        ),
        Scenario("/today/ (Vandaag, toeleider)", lambda _n: toeleider.get("/today/")),
    ]
    for name, path in report_pages(year):
        found.append(Scenario(name, lambda _n, p=path: lead.get(p), cheap=False))
    return found


def measure(found: list[Scenario], args: argparse.Namespace) -> None:
    for s in found:
        for n in range(WARMUP):
            response = s.request(n)
            if response.status_code != s.expected:
                errors = re.findall(r'class="error[^"]*"[^>]*>([^<]+)', response.get_data(True))
                raise SystemExit(f"{s.name}: answered {response.status_code}: {errors}")
    for round_ in range(args.rounds):
        for s in found:
            per_round = max(1, (args.repeat if s.cheap else args.report_repeat) // args.rounds)
            for n in range(per_round):
                at = round_ * per_round + n
                ms, response = timed(lambda s=s, at=at: s.request(at))
                if response.status_code != s.expected:
                    raise SystemExit(f"{s.name}: answered {response.status_code}")
                s.times.append(ms)


def target_for(name: str, backend: str, size: int) -> float | None:
    for prefix, on, from_size, ms in TARGETS:
        if name.startswith(prefix) and on in (None, backend) and size >= from_size:
            return ms
    return None


def run(url: str, size: int | None, args: argparse.Namespace) -> dict[str, Any]:
    """One column: every scenario's times at one size on one backend."""
    app = build_app(url)
    with app.app_context():
        backend = db.engine.dialect.name
        print(f"\nBackend: {backend}, {'reused data' if size is None else f'{size:,} referrals'}")
        loaded = reused_world() if size is None else load_world(size, args.seed, clock.now())
        db.session.remove()
    found = scenarios(app, loaded.toeleider_id, args.seed)
    measure(found, args)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    referrals = loaded.counts["referral"]
    return {
        "column": f"{backend} {referrals:,}",
        "backend": backend,
        "referrals": referrals,
        "times": {
            s.name: [round(statistics.median(s.times), 2), round(p95(s.times), 2), len(s.times)]
            for s in found
        },
    }


def print_table(columns: list[dict[str, Any]]) -> None:
    names = list(dict.fromkeys(name for c in columns for name in c["times"]))
    width = max(len(n) for n in names) + 2
    print("\nServer time p50 / p95 in ms (Flask test client, in process); '!' = p95 over target")
    print(f"  {'request':<{width}}" + "".join(f"{c['column']:>22}" for c in columns))
    for name in names:
        cells = []
        for c in columns:
            if name not in c["times"]:
                cells.append(f"{'-':>22}")
                continue
            p50, p95_, _count = c["times"][name]
            target = target_for(name, c["backend"], c["referrals"])
            mark = "" if target is None else ("!" if p95_ > target else " ")
            goal = "" if target is None else f" ≤{target:.0f}"
            cells.append(f"{f'{p50:.1f} / {p95_:.1f}{mark}{goal}':>22}")
        print(f"  {name:<{width}}" + "".join(cells))
    counts = ", ".join(
        f"{c['column']}: {min(v[2] for v in c['times'].values())}-"
        f"{max(v[2] for v in c['times'].values())}"
        for c in columns
    )
    print(f"  (requests per cell: {counts}; '≤N' is the p95 target where one is set)")


def main() -> None:
    args = parse_args()
    path = Path(args.results) if args.results else None
    columns: list[dict[str, Any]] = json.loads(path.read_text()) if path and path.exists() else []
    sizes: list[int | None] = (
        [None] if args.reuse else [int(s) for s in args.sizes.split(",") if s.strip()]
    )
    for size in sizes:
        with database_url(args.database_url) as url:
            column = run(url, size, args)
        columns = [c for c in columns if c["column"] != column["column"]] + [column]
        if path:
            path.write_text(json.dumps(columns, indent=1))
    columns.sort(key=lambda c: (c["referrals"], c["backend"]))
    print_table(columns)


if __name__ == "__main__":
    main()
