"""Server time of the referral file page (GET /referrals/<id>) with many referrals in the database.

What it measures: a database filled by the shared harness's loader (benchmarks/harness.py:
referrals over two years with their histories: timeline events, contact attempts,
appointments, conversations, partner referrals, tasks, milestones, and earlier files of the
same person). The toeleider of municipality 1 logs in through the Flask test client and opens
files they own, grouped by what their history holds: just claimed, contacted (attempts only),
a conversation planned, followed up (a conversation, partner referrals, tasks, milestones),
closed, and files whose person has earlier files. Per group `--files` different files are
taken at random and opened in turn, `--repeat` times in all after 5 warm-up requests; the
groups and the baseline take turns in `--rounds` rounds, so that the load of a shared machine
falls on all of them alike. The wall time of each request (routing, the access check, the
page's queries, the view log insert and its commit, rendering, the test client's overhead) is
taken with time.perf_counter. The baseline, measured in the same run, is a bare route
rendering a constant 50-row table with Jinja and no query; the ratio is median over baseline
median. Once per file, the SQL statements of one request are counted.

Run it from the project root:

    .venv/bin/python benchmarks/file_page_benchmark.py                  # SQLite, 100,000
    createdb -h 127.0.0.1 -U postgres portal_bench_search
    .venv/bin/python benchmarks/harness.py --referrals 1000000 \\
        --database-url postgresql+psycopg://root@127.0.0.1:5432/portal_bench_search
    .venv/bin/python benchmarks/file_page_benchmark.py --reuse \\
        --database-url postgresql+psycopg://root@127.0.0.1:5432/portal_bench_search

Without --database-url it uses a temporary SQLite file that is deleted at the end. With a
URL and without --reuse, every table of the portal in that database is dropped and created
again: never point it at a database whose data you want to keep.
"""

from __future__ import annotations

import argparse
import random
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# Run as a script, this file's folder is the first entry of sys.path: the shared harness is
# imported, not copied.
from harness import (
    WARMUP,
    StatementTimer,
    add_load_arguments,
    build_app,
    database_url,
    logged_in_client,
    p95,
    timed,
    world,
)
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import aliased

from portal import clock
from portal.extensions import db
from portal.models import (
    Appointment,
    ContactAttempt,
    PartnerReferral,
    Referral,
    ReferralState,
    TimelineEvent,
    User,
)

# The groups of files, by what their history holds: a name and which files belong to it.
EARLIER = aliased(Referral)
GROUPS: list[tuple[str, Callable[[], ColumnElement[bool]]]] = [
    ("claimed, no contact yet", lambda: Referral.state == ReferralState.CLAIMED.value),
    ("contacted (attempts)", lambda: Referral.state == ReferralState.CONTACTED.value),
    ("conversation planned", lambda: Referral.state == ReferralState.SCHEDULED.value),
    ("followed up (conversation, items)", lambda: Referral.state.in_(["held", "following_up"])),
    ("closed", lambda: Referral.state == ReferralState.CLOSED.value),
    (
        "person has earlier files",
        lambda: (
            select(EARLIER.id)
            .where(EARLIER.person_id == Referral.person_id, EARLIER.id != Referral.id)
            .exists()
        ),
    ),
]


@dataclass
class Group:
    name: str
    files: list[int]
    times: list[float] = field(default_factory=list)
    statements: list[int] = field(default_factory=list)
    history: dict[str, float] = field(default_factory=dict)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_load_arguments(parser)
    parser.add_argument("--repeat", type=int, default=200, help="timed requests per group")
    parser.add_argument("--files", type=int, default=20, help="different files per group")
    parser.add_argument("--rounds", type=int, default=4, help="turns the groups take")
    return parser.parse_args()


def pick_files(user: User, count: int, seed: int) -> list[Group]:
    """Per group, `count` files this toeleider owns in their own municipality, at random."""
    rng = random.Random(seed)  # noqa: S311 -- seeded for a repeatable choice
    municipalities = [m.id for m in user.municipalities]
    groups = []
    for name, belongs in GROUPS:
        ids = list(
            db.session.scalars(
                select(Referral.id)
                .where(
                    Referral.owner_id == user.id,
                    Referral.municipality_id.in_(municipalities),
                    belongs(),
                )
                .order_by(Referral.id)
            )
        )
        if ids:
            groups.append(Group(name, sorted(rng.sample(ids, min(count, len(ids))))))
    return groups


def describe(group: Group) -> None:
    """What the group's files hold, on average: the page's rows."""

    def mean_count(column: Any, key: Any) -> float:
        rows = db.session.execute(
            select(key, func.count(column)).where(key.in_(group.files)).group_by(key)
        ).all()
        return sum(n for _id, n in rows) / len(group.files)

    same_person = aliased(Referral)
    others = db.session.execute(
        select(Referral.id, func.count(same_person.id) - 1)
        .join(same_person, same_person.person_id == Referral.person_id)
        .where(Referral.id.in_(group.files))
        .group_by(Referral.id)
    ).all()
    group.history = {
        "events": mean_count(TimelineEvent.id, TimelineEvent.referral_id),
        "attempts": mean_count(ContactAttempt.id, ContactAttempt.referral_id),
        "appointments": mean_count(Appointment.id, Appointment.referral_id),
        "partner": mean_count(PartnerReferral.id, PartnerReferral.referral_id),
        "other files": sum(n for _id, n in others) / len(group.files),
    }
    db.session.rollback()


def count_statements(client: Any, group: Group) -> None:
    for referral_id in group.files:
        with StatementTimer(db.engine) as timer:
            response = client.get(f"/referrals/{referral_id}")
        if response.status_code != 200:
            raise SystemExit(f"/referrals/{referral_id}: answered {response.status_code}")
        group.statements.append(len(timer.statements))


def measure(
    client: Any, anonymous: Any, groups: list[Group], args: argparse.Namespace
) -> list[float]:
    """Every group's times and the baseline's, taking turns; the baseline's times."""
    for group in groups:
        for referral_id in group.files[:WARMUP]:
            client.get(f"/referrals/{referral_id}")
    for _ in range(WARMUP):
        anonymous.get("/_bench/baseline?rows=50")
    baseline: list[float] = []
    per_round = max(1, args.repeat // args.rounds)
    for round_ in range(args.rounds):
        for _ in range(per_round):
            baseline.append(timed(lambda: anonymous.get("/_bench/baseline?rows=50"))[0])
        for group in groups:
            for n in range(per_round):
                referral_id = group.files[(round_ * per_round + n) % len(group.files)]
                ms, response = timed(lambda rid=referral_id: client.get(f"/referrals/{rid}"))
                if response.status_code != 200:
                    raise SystemExit(f"/referrals/{referral_id}: answered {response.status_code}")
                group.times.append(ms)
    return baseline


def main() -> None:
    args = parse_args()
    with database_url(args.database_url) as url:
        app = build_app(url)
        with app.app_context():
            backend = db.engine.dialect.name
            print(f"Backend: {backend} ({db.engine.url.render_as_string(hide_password=True)})")
            loaded = world(args, clock.now())
            user = db.session.get(User, loaded.toeleider_id)
            assert user is not None  # noqa: S101 -- the load made this user; narrows the type
            groups = pick_files(user, args.files, args.seed)
            for group in groups:
                describe(group)
            referrals = loaded.counts["referral"]
            db.session.remove()

            client = logged_in_client(app)
            anonymous = app.test_client()
            for group in groups:
                count_statements(client, group)
            baseline = measure(client, anonymous, groups, args)
            everything = [ms for g in groups for ms in g.times]
            base = statistics.median(baseline)

            print(
                f"\nFile page as its owner, {referrals:,} referrals on {backend}; per group "
                f"{len(groups[0].times)} requests over {args.files} files, {args.rounds} rounds "
                f"taking turns, after {WARMUP} warm-up requests:"
            )
            width = max(len(g.name) for g in groups) + 2
            print(
                f"  {'files':<{width}} {'p50 ms':>7} {'p95 ms':>7} {'x base':>7} {'SQL':>7}  "
                "mean: events attempts appts partner other-files"
            )
            print(
                f"  {'baseline: bare route, 50-row table':<{width}} {base:>7.2f} "
                f"{p95(baseline):>7.2f} {1:>6.1f}x {0:>7}"
            )
            for g in groups:
                h = g.history
                sql = f"{min(g.statements)}-{max(g.statements)}"
                print(
                    f"  {g.name:<{width}} {statistics.median(g.times):>7.2f} {p95(g.times):>7.2f} "
                    f"{statistics.median(g.times) / base:>6.1f}x {sql:>7}  "
                    f"{h['events']:>6.1f} {h['attempts']:>8.1f} {h['appointments']:>5.1f} "
                    f"{h['partner']:>7.1f} {h['other files']:>11.2f}"
                )
            statements = [n for g in groups for n in g.statements]
            print(
                f"  {'all files':<{width}} {statistics.median(everything):>7.2f} "
                f"{p95(everything):>7.2f} {statistics.median(everything) / base:>6.1f}x "
                f"{min(statements)}-{max(statements):<3}"
            )
            print("  (SQL: statements of one request, fewest-most over the group's files)")
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
