"""Several gunicorn processes on one database, over HTTP: races across hosts, and crashes.

What test_races.py checks with threads in one process is checked here as production runs:
two gunicorn instances of two workers each on one PostgreSQL database (two hosts behind a
proxy), four workers on one SQLite file, many browsers at once sending to either instance;
then workers and whole servers killed in the middle of saves, and PostgreSQL connections
dropped under load. The module makes its own databases, whatever the suite's backend.
"""

from __future__ import annotations

import getpass
import http.client
import itertools
import os
import random
import re
import secrets
import shutil
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import upgrade
from selectolax.parser import HTMLParser
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from portal import clock, create_app
from portal.desk.intake import IntakeData, register_referral
from portal.extensions import db
from portal.models import (
    Appointment,
    AppointmentStatus,
    AvailabilityKind,
    AvailabilitySlot,
    ContactAttempt,
    Language,
    Municipality,
    Person,
    PlaceStatus,
    Programme,
    ProgrammePlace,
    Referral,
    ReferralState,
    Role,
    Service,
    TimelineEvent,
    User,
)
from portal.referrals import lifecycle

from .conftest import FUZZ_REPORT, app_config
from .factories import PASSWORD, add_language, add_user
from .servers import Answer, Portal, Visitor, portal_environment

pytestmark = pytest.mark.servers

THREADS = 32
# What must never reach a user: a trace, or the database's own words.
LEAKS = (
    "Traceback",
    "database is locked",
    "OperationalError",
    "IntegrityError",
    "sqlalchemy",
    "psycopg",
    "Internal Server Error",
)
CLAIMED_BY_YOU = "Opgenomen door u."
CLAIMED_BY = re.compile(r"^(.+) heeft deze persoon al opgenomen\.$")
UNAVAILABLE = "databank is even niet beschikbaar"
NUMBERS = itertools.count(1)


# --- databases ------------------------------------------------------------------------------


def postgresql_server() -> str:
    """The server of the suite's PostgreSQL runs (PORTAL_TEST_DATABASE_URL), else the local one."""
    configured = os.environ.get("PORTAL_TEST_DATABASE_URL", "")
    if configured.startswith("postgresql"):
        url = make_url(configured)
    else:
        url = make_url(f"postgresql+psycopg://{getpass.getuser()}@127.0.0.1:5432/postgres")
    return url.set(database="postgres").render_as_string(hide_password=False)


@contextmanager
def new_postgresql_database() -> Iterator[str]:
    """A database of its own on the PostgreSQL server, dropped afterwards."""
    name = f"portal_multihost_{uuid.uuid4().hex[:8]}"
    server = create_engine(postgresql_server(), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with server.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(postgresql_server()).set(database=name).render_as_string(False)
    finally:
        with server.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


def migrated(url: str) -> Flask:
    """An app of the test's own on a database migrated as `flask db upgrade` does."""
    app = create_app(app_config(url))
    with app.app_context():
        upgrade()
    return app


@contextmanager
def session_of(app: Flask) -> Iterator[Session]:
    with app.app_context():
        try:
            yield db.session
        finally:
            db.session.remove()


def dispose(app: Flask) -> None:
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def pg_database() -> Iterator[tuple[str, Flask]]:
    with new_postgresql_database() as url:
        app = migrated(url)
        yield url, app
        dispose(app)


@pytest.fixture(scope="module")
def sqlite_migrated(tmp_path_factory) -> Path:
    """A SQLite file migrated once (SQLite's migrations rebuild tables: seconds), for copies."""
    path = tmp_path_factory.mktemp("sqlite") / "migrated.sqlite3"
    dispose(migrated(f"sqlite:///{path}"))
    return path


@pytest.fixture
def sqlite_database(sqlite_migrated, tmp_path) -> Iterator[tuple[str, Flask]]:
    """A migrated SQLite file of the test's own, in a folder of its own."""
    path = tmp_path / "portal.sqlite3"
    shutil.copyfile(sqlite_migrated, path)
    url = f"sqlite:///{path}"
    app = create_app(app_config(url))
    yield url, app
    dispose(app)


def server_environment(folder: Path, database_url: str) -> dict[str, str]:
    """What a production host is given: the database, the shared secret key, quiet logs."""
    return portal_environment(
        folder / "instance",
        PORTAL_DATABASE_URL=database_url,
        PORTAL_ENV="production",
        # Errors and tracebacks only: the request lines of thousands of requests cost time.
        PORTAL_LOG_LEVEL="WARNING",
    )


@contextmanager
def portals(folder: Path, database_url: str, *, count: int, workers: int) -> Iterator[list[Portal]]:
    """`count` gunicorn instances on one database, stopped however the test ends."""
    started = [
        Portal(
            workers=workers,
            env=server_environment(folder, database_url),
            folder=folder,
            name=f"host{n}",
        )
        for n in range(1, count + 1)
    ]
    try:
        for portal in started:
            portal.launch()
        for portal in started:
            portal.wait()
        yield started
    finally:
        stop_all(started)
    for portal in started:
        assert_no_request_failed(portal)


def stop_all(started: list[Portal]) -> None:
    with ThreadPoolExecutor(len(started)) as pool:
        list(pool.map(Portal.stop, started))


def assert_no_request_failed(portal: Portal) -> None:
    """No request ended in an exception: gunicorn's and Flask's words for one, in every log."""
    for log in portal.logs():
        written = log.read_text()
        assert "Error handling request" not in written, written
        assert "Exception on " not in written, written


@dataclass(frozen=True)
class Served:
    """A database served by gunicorn: the hosts' URLs, and the test's own app on it."""

    hosts: list[str]
    app: Flask
    label: str


@pytest.fixture(scope="module")
def postgresql_served(pg_database, tmp_path_factory) -> Iterator[Served]:
    """Two hosts of two workers each on one PostgreSQL database."""
    url, app = pg_database
    with portals(tmp_path_factory.mktemp("hosts"), url, count=2, workers=2) as pair:
        yield Served([p.base for p in pair], app, "PostgreSQL, 2 hosts x 2 workers")


@pytest.fixture(scope="module")
def sqlite_served(sqlite_migrated, tmp_path_factory) -> Iterator[Served]:
    """One host of four workers on one SQLite file."""
    folder = tmp_path_factory.mktemp("sqlite-host")
    path = folder / "portal.sqlite3"
    shutil.copyfile(sqlite_migrated, path)
    url = f"sqlite:///{path}"
    app = create_app(app_config(url))
    with portals(folder, url, count=1, workers=4) as (host,):
        yield Served([host.base], app, "SQLite, 1 host x 4 workers")
    dispose(app)


@pytest.fixture(params=["postgresql", "sqlite"])
def served(request) -> Served:
    # The module's servers, fetched by name: parametrized module fixtures would be set up
    # again whenever the random order switches between them.
    return request.getfixturevalue(f"{request.param}_served")


# --- people and files -----------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    id: int
    email: str
    name: str
    home: str  # the page a login of theirs lands on, which carries a CSRF token


@dataclass(frozen=True)
class Team:
    """One municipality's desk workers and toeleiders, as plain values that outlive a session."""

    municipality_id: int
    desk_service_id: int
    toeleiders: list[Member]
    desks: list[Member]


def build_team(session: Session, *, toeleiders: int, desks: int = 1) -> Team:
    n = next(NUMBERS)
    arabic = session.get(Language, "ar") or add_language(session, "ar")
    municipality = Municipality(name=f"Gemeente {n}", nis_code=f"{70000 + n}")
    service = Service(name="Onthaal", municipality=municipality)
    session.add_all([municipality, service])

    def staff(role: Role, kind: str, count: int) -> list[User]:
        return [
            add_user(
                session,
                f"{kind}{k}.{n}@multihost.test",
                [role],
                [municipality],
                service,
                [arabic],
                name=f"{kind.title()} {k} van {n}",
            )
            for k in range(1, count + 1)
        ]

    people = staff(Role.TOELEIDER, "toeleider", toeleiders), staff(Role.DESK, "loket", desks)
    session.commit()
    homes = "/queue/", "/desk/"
    members = [
        [Member(u.id, u.email, u.full_name, home) for u in group]
        for group, home in zip(people, homes, strict=True)
    ]
    return Team(municipality.id, service.id, *members)


_phones = itertools.count(1)


def unique_phone() -> str:
    return f"+32471{next(_phones):06d}"


def letters(number: int) -> str:
    """A number written in letters only (names hold no digits): 0 → 'Aaaa', 27 → 'Aabb'."""
    word = ""
    for _ in range(4):
        number, rest = divmod(number, 26)
        word = chr(ord("a") + rest) + word
    return word.capitalize()


def new_referrals(session: Session, team: Team, count: int, by: Member | None = None) -> list[int]:
    """Files registered at the desk today (the desk sees only today's), one person each."""
    desk = session.get(User, (by or team.desks[0]).id)
    at = clock.now()
    referrals = [
        register_referral(
            session,
            IntakeData(
                municipality_id=team.municipality_id,
                dutch_difficult=True,
                has_work=False,
                has_children=False,
                contact_language_code="ar",
                home_language_code=None,
                full_name=f"Bewoner {letters(next(NUMBERS))}",
                birth_year=1990,
                phone=unique_phone(),
                email=None,
                address=None,
                adults=1,
                registered_on=at.date() - timedelta(days=30),
                source_service_id=team.desk_service_id,
                consent_given=True,
            ),
            desk,
            at,
        )
        for _ in range(count)
    ]
    session.commit()
    return [r.id for r in referrals]


def claimed_by(session: Session, owner: Member, referral_ids: list[int]) -> None:
    user = session.get(User, owner.id)
    for referral_id in referral_ids:
        lifecycle.claim(session, referral_id, user, clock.now())
    session.commit()


def versions(session: Session, referral_ids: list[int]) -> dict[int, int]:
    rows = session.execute(
        select(Referral.id, Referral.version).where(Referral.id.in_(referral_ids))
    )
    return dict(rows.all())


def logged_in(hosts: list[str], *people: Member) -> dict[int, Visitor]:
    """Browsers logged in at once, each on one host, reading its next page from another."""

    def log_in(person: Member) -> Visitor:
        visitor = Visitor()
        first = secrets.choice(hosts)
        other = next((h for h in hosts if h != first), first)
        visitor.login(first, person.email, PASSWORD, f"{other}{person.home}")
        return visitor

    with ThreadPoolExecutor(len(people)) as pool:
        return dict(zip((p.id for p in people), pool.map(log_in, people), strict=True))


# --- many requests at once --------------------------------------------------------------------


def storm(calls: list[Callable[[], Answer]]) -> tuple[list[Answer], float]:
    """Send every request from a pool of threads at once; the answers in order, and the time."""
    started = time.monotonic()
    with ThreadPoolExecutor(THREADS) as pool:
        answers = list(pool.map(lambda call: call(), calls))
    return answers, time.monotonic() - started


@dataclass
class Tally:
    successes: int = 0
    refusals: int = 0
    errors: list[str] = field(default_factory=list)

    def line(self, what: str, seconds: float) -> str:
        total = self.successes + self.refusals + len(self.errors)
        return (
            f"{what}: {total} requests, {self.successes} successes, {self.refusals} clean "
            f"refusals, {len(self.errors)} errors, {seconds:.1f} s"
        )


def tally(
    answers: list[Answer], success: Callable[[Answer], bool], refusal: Callable[[Answer], bool]
) -> Tally:
    """Each answer is the success, a clean refusal in Dutch, or an error (a 5xx, a trace)."""
    result = Tally()
    for answer in answers:
        leaked = [word for word in LEAKS if word in answer.body]
        if leaked:
            result.errors.append(f"{answer.status} {leaked}: {answer.body[:300]}")
        elif answer.status < 500 and success(answer):
            result.successes += 1
        elif refusal(answer):  # a 5xx only where the test calls it a clean refusal
            result.refusals += 1
        else:
            result.errors.append(f"{answer.status}: {answer.body[:300]}")
    return result


def claim_refusal(answer: Answer) -> re.Match[str] | None:
    """The refusal of a claim, shown in place of the button: who has the file."""
    alert = HTMLParser(answer.body).css_first("p.error[role=alert]")
    return CLAIMED_BY.match(alert.text(strip=True)) if alert else None


def report(request: pytest.FixtureRequest, line: str) -> None:
    request.config.stash.setdefault(FUZZ_REPORT, []).append(line)


def refused_with(*phrases: str) -> Callable[[Answer], bool]:
    """A refusal: 409 or 422, the page saying one of these Dutch sentences."""
    return lambda a: a.status in (409, 422) and any(p in a.body for p in phrases)


# --- claims ---------------------------------------------------------------------------------


def claim_storm(hosts: list[str], app: Flask, *, referrals: int, toeleiders: int):
    """Every toeleider claims every file, all at once, each request to a random host."""
    with session_of(app) as session:
        team = build_team(session, toeleiders=toeleiders)
        ids = new_referrals(session, team, referrals)
        names = {t.id: t.name for t in team.toeleiders}
        browsers = logged_in(hosts, *team.toeleiders)
    pairs = [(rid, tid) for rid in ids for tid in browsers]
    random.shuffle(pairs)
    calls = [
        (
            lambda rid=rid, tid=tid: browsers[tid].request(
                f"{secrets.choice(hosts)}/queue/{rid}/claim", {}, htmx=True
            )
        )
        for rid, tid in pairs
    ]
    answers, seconds = storm(calls)
    result = tally(
        answers,
        lambda a: a.status == 200 and CLAIMED_BY_YOU in a.body,
        lambda a: a.status == 200 and claim_refusal(a) is not None,
    )
    with session_of(app) as session:
        rows = session.execute(
            select(Referral.id, Referral.state, Referral.owner_id).where(Referral.id.in_(ids))
        ).all()
        claimed_events = Counter(
            session.scalars(
                select(TimelineEvent.referral_id).where(
                    TimelineEvent.referral_id.in_(ids), TimelineEvent.kind == "claimed"
                )
            )
        )
    owners = {rid: owner for rid, _state, owner in rows}
    assert {state for _rid, state, _owner in rows} == {ReferralState.CLAIMED.value}
    assert set(owners.values()) <= set(names)
    assert claimed_events == dict.fromkeys(ids, 1)
    # Who was told they won owns the file; who was refused was told the owner's name.
    for (rid, tid), answer in zip(pairs, answers, strict=True):
        if CLAIMED_BY_YOU in answer.body:
            assert owners[rid] == tid
        elif match := claim_refusal(answer):
            assert match.group(1) == names[owners[rid]]
    return result, seconds


def test_claims_from_many_browsers_at_once_give_every_file_one_owner(served, request):
    result, seconds = claim_storm(served.hosts, served.app, referrals=50, toeleiders=4)
    report(request, result.line(f"{served.label}, claims", seconds))
    # On SQLite no "database is locked" either: writers queue for the lock, none fails.
    assert result.errors == []
    assert (result.successes, result.refusals) == (50, 150)


# --- bookings and places --------------------------------------------------------------------


def test_bookings_of_one_hour_from_many_desks_at_once_give_one_appointment(served, request):
    app, hosts = served.app, served.hosts
    with session_of(app) as session:
        team = build_team(session, toeleiders=1, desks=3)
        toeleider = team.toeleiders[0]
        session.add_all(
            AvailabilitySlot(
                user_id=toeleider.id,
                weekday=day,
                starts=datetime.min.time().replace(hour=9),
                ends=datetime.min.time().replace(hour=17),
                kind=AvailabilityKind.CONVERSATIONS.value,
            )
            for day in range(7)
        )
        session.commit()
        # Tomorrow at ten: offered by the booking page for the next two weeks.
        hour = datetime.combine(clock.today() + timedelta(days=1), datetime.min.time()).replace(
            hour=10
        )
        at_desk = {desk.id: new_referrals(session, team, 5, by=desk) for desk in team.desks}
        own = new_referrals(session, team, 5)
        claimed_by(session, toeleider, own)
        seen = versions(session, own)
        browsers = logged_in(hosts, toeleider, *team.desks)
        owner = browsers[toeleider.id]
        slot = f"{toeleider.id}|{hour.isoformat()}"

    def desk_booking(desk_id: int, rid: int) -> Callable[[], Answer]:
        return lambda: browsers[desk_id].request(
            f"{secrets.choice(hosts)}/desk/referrals/{rid}/book",
            {"slot": slot, "place": "Onthaal"},
        )

    def own_planning(rid: int) -> Callable[[], Answer]:
        return lambda: owner.request(
            f"{secrets.choice(hosts)}/referrals/{rid}/schedule",
            {
                "schedule-day": hour.date().isoformat(),
                "schedule-start": "10:00",
                "schedule-minutes": "60",
                "schedule-place": "Gemeentehuis",
                "schedule-version": str(seen[rid]),
            },
        )

    # Every file twice, as a double click would.
    calls = [desk_booking(d, rid) for d, rids in at_desk.items() for rid in rids] * 2
    calls += [own_planning(rid) for rid in own] * 2
    random.shuffle(calls)
    answers, seconds = storm(calls)
    result = tally(
        answers,
        lambda a: a.status == 303,
        refused_with(
            "Dit moment is intussen niet meer vrij",
            "Dubbele boeking",
            "intussen al een gesprek ingepland",
            "Iemand anders wijzigde deze doorverwijzing intussen",
        ),
    )
    report(request, result.line(f"{served.label}, bookings of one hour", seconds))
    assert result.errors == []
    assert (result.successes, result.refusals) == (1, len(calls) - 1)
    with session_of(app) as session:
        planned = session.scalars(
            select(Appointment).where(
                Appointment.toeleider_id == toeleider.id,
                Appointment.status == AppointmentStatus.PLANNED.value,
            )
        ).all()
        assert [(a.starts_at, a.ends_at) for a in planned] == [(hour, hour + timedelta(hours=1))]
        everyone = [*own, *(rid for rids in at_desk.values() for rid in rids)]
        states = Counter(session.scalars(select(Referral.state).where(Referral.id.in_(everyone))))
    assert states[ReferralState.SCHEDULED.value] == 1


def test_sign_ups_from_many_browsers_at_once_fill_exactly_the_places_and_the_rest_wait(
    served, request
):
    app, hosts = served.app, served.hosts
    capacity, files_each = 5, 6
    with session_of(app) as session:
        team = build_team(session, toeleiders=3)
        partner = Service(name=f"Sportclub {next(NUMBERS)}", is_partner=True)
        programme = Programme(
            partner=partner,
            name="Zwemles",
            capacity=capacity,
            municipality_id=team.municipality_id,
        )
        session.add_all([partner, programme])
        files = {t.id: new_referrals(session, team, files_each) for t in team.toeleiders}
        for toeleider in team.toeleiders:
            claimed_by(session, toeleider, files[toeleider.id])
        everyone = [rid for rids in files.values() for rid in rids]
        seen = versions(session, everyone)
        programme_id = programme.id
        owners = logged_in(hosts, *team.toeleiders)

    def sign_up(owner_id: int, rid: int) -> Callable[[], Answer]:
        return lambda: owners[owner_id].request(
            f"{secrets.choice(hosts)}/referrals/{rid}/programmes",
            {"programme-programme": str(programme_id), "programme-version": str(seen[rid])},
        )

    calls = [sign_up(tid, rid) for tid, rids in files.items() for rid in rids]
    # Two files of each toeleider are sent twice: a double click.
    doubles = [sign_up(tid, rid) for tid, rids in files.items() for rid in rids[:2]]
    calls += doubles
    random.shuffle(calls)
    answers, seconds = storm(calls)
    result = tally(
        answers,
        lambda a: a.status == 303,
        refused_with(
            "Deze persoon staat al op dit programma of de wachtlijst.",
            "Iemand anders wijzigde deze doorverwijzing intussen",
        ),
    )
    report(request, result.line(f"{served.label}, programme sign-ups", seconds))
    assert result.errors == []
    assert (result.successes, result.refusals) == (len(everyone), len(doubles))
    with session_of(app) as session:
        places = session.execute(
            select(ProgrammePlace.referral_id, ProgrammePlace.status).where(
                ProgrammePlace.programme_id == programme_id
            )
        ).all()
    assert sorted(rid for rid, _status in places) == sorted(everyone)
    assert Counter(status for _rid, status in places) == {
        PlaceStatus.ENROLLED.value: capacity,
        PlaceStatus.WAITING.value: len(everyone) - capacity,
    }


# --- dropped connections --------------------------------------------------------------------


def terminate_when_waiting(server, database: str, spared: int, *, waiting: int) -> int:
    """Once `waiting` backends of the database wait for a lock, end all but `spared`."""
    with server.connect() as connection:
        deadline = time.monotonic() + 30
        waiters = text(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = :database AND wait_event_type = 'Lock'"
        )
        while connection.scalar(waiters, {"database": database}) < waiting:
            assert time.monotonic() < deadline, "the requests never reached the lock"
            time.sleep(0.05)
        return connection.scalar(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = :database AND pid <> pg_backend_pid() AND pid <> :spared"
            ),
            {"database": database, "spared": spared},
        )


def test_dropped_postgresql_connections_give_a_dutch_page_and_then_requests_succeed(
    postgresql_served, pg_database, request
):
    url, app = pg_database
    pg_hosts = postgresql_served.hosts
    with session_of(app) as session:
        team = build_team(session, toeleiders=1)
        ids = new_referrals(session, team, 8)
        browser = logged_in(pg_hosts, team.toeleiders[0])[team.toeleiders[0].id]
    database = make_url(url).database
    server = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    locker = create_engine(url, poolclass=NullPool).connect()
    try:
        locker_pid = locker.scalar(text("SELECT pg_backend_pid()"))
        # Requests that are inside the database when their connections are dropped: they wait
        # for a lock that the test holds, then PostgreSQL ends their backends.
        locker.execute(text("LOCK TABLE referral IN ACCESS EXCLUSIVE MODE"))
        with ThreadPoolExecutor(len(ids)) as pool:
            pending = [
                pool.submit(browser.request, f"{pg_hosts[n % 2]}/queue/{rid}/claim", {}, htmx=True)
                for n, rid in enumerate(ids)
            ]
            try:
                ended = terminate_when_waiting(server, database, locker_pid, waiting=4)
            finally:
                locker.rollback()
            during = [future.result() for future in pending]
    finally:
        locker.close()
        server.dispose()
    outage = tally(
        during,
        lambda a: a.status == 200 and CLAIMED_BY_YOU in a.body,
        lambda a: a.status == 503 and UNAVAILABLE in a.body,
    )
    # Afterwards every worker of both hosts serves again: each pool replaced its connections.
    after = [browser.request(f"{host}/queue/") for host in pg_hosts for _ in range(8)]
    again = [browser.request(f"{pg_hosts[0]}/queue/{rid}/claim", {}, htmx=True) for rid in ids]
    report(
        request,
        f"PostgreSQL, {ended} backends terminated under load: {outage.refusals} Dutch 503 "
        f"pages, {outage.successes} served, {len(outage.errors)} errors; afterwards "
        f"{sum(a.status == 200 for a in after)}/{len(after)} pages served",
    )
    assert outage.errors == []
    assert outage.refusals >= 4
    assert [a.status for a in after] == [200] * len(after)
    # What the outage refused was not saved, and can be saved now.
    assert sum(CLAIMED_BY_YOU in a.body for a in again) == outage.refusals
    with session_of(app) as session:
        owners = set(session.scalars(select(Referral.owner_id).where(Referral.id.in_(ids))))
    assert owners == {team.toeleiders[0].id}


# --- crashes --------------------------------------------------------------------------------

SLIP = re.compile(r"/desk/referrals/(\d+)/slip$")
VERSION_FIELD = re.compile(r'<input[^>]*\bname="attempt-version"[^>]*\bvalue="(\d+)"')


@dataclass
class Writers:
    """Desk intakes, contact attempts and claims sent without pause; what was acknowledged."""

    base: str = ""
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    intakes: dict[int, str] = field(default_factory=dict)  # referral id → name, acknowledged
    attempts: dict[str, int] = field(default_factory=dict)  # note → referral id
    claims: dict[int, int] = field(default_factory=dict)  # referral id → toeleider id
    cut: int = 0  # requests whose connection the kills cut
    refused: int = 0
    errors: list[str] = field(default_factory=list)

    def loop(self, step: Callable[[int], None]) -> None:
        for n in itertools.count():
            if self.stop.is_set():
                return
            try:
                step(n)
            except (OSError, http.client.HTTPException):
                with self.lock:
                    self.cut += 1
                time.sleep(0.02)

    def acknowledged(self) -> tuple[int, int, int]:
        with self.lock:
            return len(self.intakes), len(self.attempts), len(self.claims)

    def wait_until(self, condition: Callable[[], bool], seconds: float = 45) -> None:
        deadline = time.monotonic() + seconds
        while not condition():
            assert not self.errors, self.errors
            assert time.monotonic() < deadline, f"acknowledged so far: {self.acknowledged()}"
            time.sleep(0.05)

    def check(self, answer: Answer) -> bool:
        """Whether the answer is clean (no 5xx, no trace); a refusal is counted."""
        leaked = [word for word in LEAKS if word in answer.body]
        if answer.status >= 500 or leaked:
            with self.lock:
                self.errors.append(f"{answer.status} {leaked}: {answer.body[:300]}")
            return False
        return True


def intake_form(team: Team, name: str) -> dict[str, str]:
    return {
        "consent": "y",
        "legal_basis": "consent",
        "dutch_difficult": "ja",
        "has_work": "nee",
        "has_children": "nee",
        "contact_language": "ar",
        "full_name": name,
        "phone": unique_phone(),
        "registered_on": (clock.today() - timedelta(days=30)).isoformat(),
        "adults": "1",
        "municipality": str(team.municipality_id),
        "source_service": str(team.desk_service_id),
    }


def run_writers(writers: Writers, team: Team, desk: Visitor, owner: Visitor, claimers, files):
    """Threads of intakes, attempts (each on a file of its own) and claims; returns them."""
    queue_ids, attempt_ids = files
    free = list(queue_ids)
    random.shuffle(free)
    tag = uuid.uuid4().hex[:4]

    def intake(n: int) -> None:
        name = f"Crash {letters(next(NUMBERS))}"
        answer = desk.request(f"{writers.base}/desk/", intake_form(team, name))
        found = SLIP.search(answer.headers.get("Location", ""))
        if answer.status == 303 and found:
            with writers.lock:
                writers.intakes[int(found.group(1))] = name
        elif writers.check(answer):
            writers.errors.append(f"intake not saved: {answer.status} {answer.body[:300]}")

    def attempts_on(rid: int) -> Callable[[int], None]:
        def attempt(n: int) -> None:
            page = owner.request(f"{writers.base}/referrals/{rid}")
            version = VERSION_FIELD.search(page.body)
            if not writers.check(page) or not version:
                return
            note = f"poging {tag} {rid} {n}"
            answer = owner.request(
                f"{writers.base}/referrals/{rid}/attempts",
                {
                    "attempt-channel": "phone",
                    "attempt-outcome": "call_back",
                    "attempt-note": note,
                    "attempt-version": version.group(1),
                },
            )
            if answer.status == 303:
                with writers.lock:
                    writers.attempts[note] = rid
            elif writers.check(answer):
                with writers.lock:
                    writers.refused += 1

        return attempt

    def claim(n: int) -> None:
        with writers.lock:
            if not free:
                writers.stop.wait(0.05)
                return
            rid = free.pop()
        tid, browser = secrets.choice(claimers)
        answer = browser.request(f"{writers.base}/queue/{rid}/claim", {}, htmx=True)
        if answer.status == 200 and CLAIMED_BY_YOU in answer.body:
            with writers.lock:
                writers.claims[rid] = tid
        elif writers.check(answer):
            with writers.lock:
                writers.refused += 1

    steps = [intake, intake, claim, claim, *(attempts_on(rid) for rid in attempt_ids)]
    threads = [threading.Thread(target=writers.loop, args=(step,)) for step in steps]
    for thread in threads:
        thread.start()
    return threads


def half_written(session: Session, municipality_id: int) -> dict[str, int]:
    """Rows that one save writes together, found without each other.

    The references hold in the whole database; the rules of the portal's saves are checked on
    the test's own municipality (elsewhere in a shared database other saves ran, e.g. a desk
    booking notes the reach without an attempt of its own).
    """
    checks = {
        "event without its referral": "SELECT count(*) FROM timeline_event e "
        "LEFT JOIN referral r ON r.id = e.referral_id WHERE r.id IS NULL",
        "referral without its person": "SELECT count(*) FROM referral r "
        "LEFT JOIN person p ON p.id = r.person_id WHERE p.id IS NULL",
        "person without a referral": "SELECT count(*) FROM person p WHERE NOT EXISTS "
        "(SELECT 1 FROM referral r WHERE r.person_id = p.id)",
        "attempt without its referral": "SELECT count(*) FROM contact_attempt a "
        "LEFT JOIN referral r ON r.id = a.referral_id WHERE r.id IS NULL",
        "referral without reference": "SELECT count(*) FROM referral WHERE reference IS NULL",
        "referral without its registration": "SELECT count(*) FROM referral r "
        "WHERE r.municipality_id = :m "
        "AND NOT EXISTS (SELECT 1 FROM timeline_event e "
        "WHERE e.referral_id = r.id AND e.kind = 'registered')",
        "claimed referral without its event": "SELECT count(*) FROM referral r "
        "WHERE r.municipality_id = :m "
        "AND r.owner_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM timeline_event e "
        "WHERE e.referral_id = r.id AND e.kind = 'claimed')",
        "picked up without an owner": "SELECT count(*) FROM referral r "
        "WHERE r.municipality_id = :m "
        "AND r.state <> 'new' AND r.owner_id IS NULL",
        "attempt without its event": "SELECT count(*) FROM contact_attempt a "
        "JOIN referral r ON r.id = a.referral_id WHERE r.municipality_id = :m AND NOT EXISTS "
        "(SELECT 1 FROM timeline_event e WHERE e.contact_attempt_id = a.id)",
    }
    return {
        name: session.scalar(text(query), {"m": municipality_id}) for name, query in checks.items()
    }


@pytest.mark.parametrize("database", ["sqlite", "pg"])
def test_saves_acknowledged_before_a_worker_and_then_the_server_were_killed_are_all_kept(
    database, tmp_path, request
):
    url, app = request.getfixturevalue(f"{database}_database")
    portal = Portal(
        workers=2, env=server_environment(tmp_path, url), folder=tmp_path, name="crashing"
    )
    try:
        with session_of(app) as session:
            team = build_team(session, toeleiders=2)
            queue_ids = new_referrals(session, team, 40)
            attempt_ids = new_referrals(session, team, 3)
            claimed_by(session, team.toeleiders[0], attempt_ids)
            writers = Writers(base=portal.start())
            hosts = [portal.base]
            browsers = logged_in(hosts, *team.desks, *team.toeleiders)
            desk, owner = browsers[team.desks[0].id], browsers[team.toeleiders[0].id]
            claimers = [(t.id, browsers[t.id]) for t in team.toeleiders]
        threads = run_writers(writers, team, desk, owner, claimers, (queue_ids, attempt_ids))
        try:
            writers.wait_until(lambda: min(writers.acknowledged()) >= 2)
            killed = portal.kill_worker()
            before = writers.acknowledged()
            # Saves go on through the other worker, and the master forks a new one.
            writers.wait_until(lambda: sum(writers.acknowledged()) >= sum(before) + 6)
            writers.wait_until(
                lambda: killed not in (pids := portal.worker_pids()) and len(pids) == 2
            )
            portal.kill()
        finally:
            writers.stop.set()
            for thread in threads:
                thread.join(60)
        acknowledged = writers.acknowledged()
        portal.workers = 1  # enough to serve the check below, and quicker to boot
        base = portal.start()
        # The restarted server serves the same browsers: their logins live in the database.
        answer = desk.request(f"{base}/desk/", intake_form(team, "Na Herstart"))
        assert answer.status == 303 and SLIP.search(answer.headers["Location"])
        with session_of(app) as session:
            stored = dict(
                session.execute(
                    select(Referral.id, Person.full_name)
                    .join(Referral.person)
                    .where(Referral.id.in_(writers.intakes))
                ).all()
            )
            notes = dict(
                session.execute(
                    select(ContactAttempt.note, ContactAttempt.referral_id).where(
                        ContactAttempt.note.in_(writers.attempts)
                    )
                ).all()
            )
            owners = dict(
                session.execute(
                    select(Referral.id, Referral.owner_id).where(Referral.id.in_(writers.claims))
                ).all()
            )
            broken = half_written(session, team.municipality_id)
            if database == "sqlite":
                integrity = session.execute(text("PRAGMA integrity_check")).scalars().all()
                foreign = session.execute(text("PRAGMA foreign_key_check")).all()
            else:
                integrity, foreign = ["ok"], []
    finally:
        portal.stop()
    assert_no_request_failed(portal)
    report(
        request,
        f"{database}, worker and then server SIGKILLed under writes: acknowledged "
        f"{acknowledged[0]} intakes, {acknowledged[1]} attempts, {acknowledged[2]} claims "
        f"({sum(before)} before the worker was killed), all kept; {writers.refused} refused, "
        f"{writers.cut} cut by the kills, {len(writers.errors)} errors",
    )
    assert writers.errors == []
    assert min(acknowledged) > 0, acknowledged
    assert stored == writers.intakes
    assert notes == writers.attempts
    assert owners == writers.claims
    assert broken == dict.fromkeys(broken, 0)
    assert integrity == ["ok"]
    assert foreign == []
