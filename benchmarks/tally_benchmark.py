"""The evaluation report from the months' tallies against counting every file, and what
keeping the tallies costs a save, in one run on one database.

What it measures: a database filled by the shared harness's loader (benchmarks/harness.py,
200,000 referrals by default), then in `--rounds` rounds that take turns, so that the load of
a shared machine falls on all of them alike:

- the final evaluation report of the running year (`/reports/evaluation?part=final`) as the
  lead asks for it, from the tallies (portal/reports/tallies.py), and the same page with every
  table counted from the files (the statements the report had before the tallies); also the
  tally report right after an intake (not timed), which has to count the running month again;
- the desk's intake POST of a new person, and a toeleider's contact attempt POST ('no
  answer' by phone on one of their open files), each with the marking triggers in place
  (portal/reports/marks.py) and with them dropped, as before the tallies.

The writes dirty the running month (and an intake its month of registration), so the tally
report counts that month again after each of them, as it would on a server where people
work while a lead reads the report. Each request is timed with time.perf_counter through the
Flask test client, after 5 warm-up requests; every answer must be the expected status.

    .venv/bin/python benchmarks/tally_benchmark.py
    .venv/bin/python benchmarks/tally_benchmark.py --referrals 20000 --repeat 10
"""

from __future__ import annotations

import argparse
import itertools
import re
import statistics
from collections.abc import Callable
from typing import Any

# Run as a script, this file's folder is the first entry of sys.path.
from harness import (
    LEAD_EMAIL,
    WARMUP,
    add_load_arguments,
    build_app,
    database_url,
    logged_in_client,
    p95,
    timed,
    world,
)
from server_times import desk_client, intake_form
from sqlalchemy import func, select

from portal import clock
from portal.extensions import db
from portal.models import Municipality, Person, Referral, ReferralState, Service
from portal.reports import evaluation, marks


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_load_arguments(parser, referrals=200_000)
    parser.add_argument("--repeat", type=int, default=40, help="timed requests per scenario")
    parser.add_argument("--rounds", type=int, default=4)
    return parser.parse_args()


def set_triggers(app: Any, installed: bool) -> None:
    with app.app_context(), db.engine.begin() as connection:
        dialect = connection.dialect.name
        made = marks.create_statements if installed else marks.drop_statements
        for statement in made(dialect):
            connection.exec_driver_sql(statement)


def main() -> None:
    args = parse_args()
    with database_url(args.database_url) as url:
        app = build_app(url)
        with app.app_context():
            loaded = world(args, clock.now())
            municipality = db.session.scalar(select(Municipality.id).order_by(Municipality.id))
            service = db.session.scalar(
                select(Service.id)
                .where(Service.municipality_id == municipality)
                .order_by(Service.id)
            )
            open_files = db.session.scalars(
                select(Referral.id)
                .where(
                    Referral.owner_id == loaded.toeleider_id,
                    Referral.state.in_([ReferralState.CONTACTED.value]),
                )
                .order_by(Referral.id)
                .limit(500)
            ).all()
            counter = itertools.count(1 + (db.session.scalar(select(func.max(Person.id))) or 0))
            db.session.remove()
        if not open_files:
            raise SystemExit("no open file of the toeleider to log an attempt on")
        year = clock.today().year
        report = f"/reports/evaluation?year={year}&part=final"
        lead = logged_in_client(app, LEAD_EMAIL)
        toeleider = logged_in_client(app)
        desk, token = desk_client(app)
        page = toeleider.get(f"/referrals/{open_files[0]}").get_data(as_text=True)
        toeleider_token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        if not toeleider_token:
            raise SystemExit("no CSRF token on the file page")
        # The files the toeleider may work on now (a file can be out of their sight).
        files = itertools.cycle(
            [rid for rid in open_files if toeleider.get(f"/referrals/{rid}").status_code == 200][
                :100
            ]
        )

        def version_of(rid: int) -> str:
            with app.app_context():
                version = db.session.scalar(select(Referral.version).where(Referral.id == rid))
                db.session.remove()
            return str(version)

        def attempt() -> Any:
            rid = next(files)
            form = {
                "csrf_token": toeleider_token.group(1),
                "attempt-channel": "phone",
                "attempt-outcome": "no_answer",
                "attempt-version": version_of(rid),
            }
            return timed(lambda: toeleider.post(f"/referrals/{rid}/attempts", data=form))

        def intake() -> Any:
            form = intake_form(token, municipality, service, next(counter))
            return timed(lambda: desk.post("/desk/", data=form))

        def report_from(tallies: bool) -> Callable[[], Any]:
            def run() -> Any:
                original = evaluation._TallyScope
                if not tallies:
                    evaluation._TallyScope = evaluation._Scope  # type: ignore[misc]
                try:
                    return timed(lambda: lead.get(report))
                finally:
                    evaluation._TallyScope = original  # type: ignore[misc]

            return run

        def report_after_intake() -> Any:
            _ms, response = intake()
            if response.status_code != 303:
                raise SystemExit(f"intake before the report: answered {response.status_code}")
            return report_from(True)()

        scenarios: list[tuple[str, bool, Callable[[], Any], int]] = [
            ("report, every table from the files", True, report_from(False), 200),
            ("report, from the tallies", True, report_from(True), 200),
            ("report, from the tallies, after an intake", True, report_after_intake, 200),
            ("intake POST, no triggers", False, intake, 303),
            ("intake POST, with triggers", True, intake, 303),
            ("contact attempt POST, no triggers", False, attempt, 303),
            ("contact attempt POST, with triggers", True, attempt, 303),
        ]
        times: dict[str, list[float]] = {name: [] for name, *_ in scenarios}
        for round_ in range(args.rounds + 1):
            for name, triggers, request, expected in scenarios:
                set_triggers(app, triggers)
                count = WARMUP if round_ == 0 else max(1, args.repeat // args.rounds)
                for _ in range(count):
                    ms, response = request()
                    if response.status_code != expected:
                        errors = re.findall(r'class="error[^"]*"[^>]*>([^<]+)', response.text)
                        raise SystemExit(f"{name}: answered {response.status_code} {errors}")
                    if round_:
                        times[name].append(ms)
            set_triggers(app, True)
        print(f"\n{loaded.counts['referral']:,} referrals; ms per request (Flask test client):")
        print(f"  {'scenario':<42} {'p50':>8} {'p95':>8} {'n':>4}")
        for name, measured in times.items():
            print(
                f"  {name:<42} {statistics.median(measured):>8.1f} {p95(measured):>8.1f} "
                f"{len(measured):>4}"
            )
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
