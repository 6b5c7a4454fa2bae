"""Fixtures: an app on a clean database per test, clients that log in, a frozen clock."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from werkzeug.datastructures import MultiDict

from portal import clock, create_app
from portal.extensions import db, limiter

from .factories import PASSWORD, World, add_user, build_world

os.environ.setdefault("PORTAL_SECRET_KEY", "test-secret-key-not-for-production")

NOW = datetime(2026, 11, 26, 10, 15)
# Lines a test wants in the run's summary (the fuzz test's number of inputs tried).
FUZZ_REPORT = pytest.StashKey[list[str]]()


def pytest_report_header() -> str:
    return f"database backend: {backend()}"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for line in terminalreporter.config.stash.get(FUZZ_REPORT, []):
        terminalreporter.write_line(line)


def backend() -> str:
    return os.environ.get("PORTAL_TEST_BACKEND", "sqlite")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    if backend() == "postgresql":
        url = os.environ.get("PORTAL_TEST_DATABASE_URL")
        if not url:
            pytest.fail("PORTAL_TEST_BACKEND=postgresql needs PORTAL_TEST_DATABASE_URL")
        return url
    path: Path = tmp_path_factory.mktemp("db") / "test.sqlite3"
    return f"sqlite:///{path}"


@pytest.fixture
def empty_database(database_url, tmp_path):
    """A database URL with nothing in it: a fresh schema on PostgreSQL, a new file on SQLite."""
    if backend() != "postgresql":
        yield f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
        return
    schema = f"migration_check_{uuid.uuid4().hex[:8]}"
    admin_engine = create_engine(database_url)
    with admin_engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in database_url else "?"
    yield f"{database_url}{separator}options=-csearch_path%3D{schema}"
    with admin_engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin_engine.dispose()


def app_config(database_url: str) -> dict[str, object]:
    return {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "TESTING": True,
        "PASSWORD_HASH_PROFILE": "cheapest",
        # The suite loads demo data and fixed test accounts; production refuses them.
        "PORTAL_ENV": "development",
    }


@pytest.fixture(scope="session")
def _app(database_url: str) -> Iterator[Flask]:
    """One app for the run, so templates compile once; each test gets empty tables."""
    app = create_app(app_config(database_url))
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.drop_all()
        db.engine.dispose()


def _empty_tables() -> None:
    tables = list(reversed(db.metadata.sorted_tables))
    # DELETE, not TRUNCATE: a test leaves a few rows, and TRUNCATE's cost is per table (new
    # files, an fsync at commit), not per row. Sequences start again at 1, as TRUNCATE ...
    # RESTART IDENTITY would.
    for table in tables:
        db.session.execute(table.delete())
    if db.engine.dialect.name == "postgresql":
        db.session.execute(
            text(
                "SELECT setval(c.oid, 1, false) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relkind = 'S' AND n.nspname = current_schema()"
            )
        )
    db.session.commit()


@pytest.fixture
def frozen_now(monkeypatch: pytest.MonkeyPatch) -> datetime:
    monkeypatch.setattr(clock, "now", lambda: NOW)
    monkeypatch.setattr(clock, "today", lambda: NOW.date())
    return NOW


@pytest.fixture
def app(_app: Flask, frozen_now: datetime) -> Iterator[Flask]:
    with _app.app_context():
        yield _app
        db.session.rollback()
        _empty_tables()
        db.session.remove()
        limiter.reset()


@pytest.fixture
def world(app: Flask) -> World:
    return build_world(db.session)


CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|"X-CSRFToken": "([^"]+)"')


def csrf_token(client: FlaskClient, path: str = "/") -> str:
    """The CSRF token of the client's session, read from a page as a browser would."""
    match = CSRF_RE.search(client.get(path, follow_redirects=True).get_data(as_text=True))
    assert match, "no CSRF token on page"
    return match.group(1) or match.group(2)


class Browserless:
    """A test client that logs in and posts forms with the session's CSRF token.

    Each request runs in an app context of its own, as in production: the test's own
    context (and its `g`, where Flask-WTF caches the token) must not leak into requests.
    """

    def __init__(self, app: Flask):
        self.app = app
        self.client = _FreshContextClient(app, app.response_class, use_cookies=True)

    def login(self, email: str, password: str = PASSWORD):
        return self.client.post(
            "/login",
            data={"email": email, "password": password, "csrf_token": csrf_token(self.client)},
        )

    def post(self, path: str, data: dict | list, **kwargs):
        pairs = list(data.items()) if isinstance(data, dict) else list(data)
        if not any(k == "csrf_token" for k, _ in pairs):
            pairs.append(("csrf_token", csrf_token(self.client)))
        return self.client.post(path, data=MultiDict(pairs), **kwargs)

    def get(self, path: str, **kwargs):
        return self.client.get(path, **kwargs)


class _FreshContextClient(FlaskClient):
    def open(self, *args, **kwargs):  # type: ignore[override]
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def client(app: Flask) -> Browserless:
    return Browserless(app)


@pytest.fixture
def partner(world: World):
    """A person at the partner organisation of the world who refers residents."""
    from portal.models import Role

    user = add_user(
        db.session,
        "an@huisvanhetnederlands.be",
        [Role.PARTNER],
        [world.municipality],
        world.partner,
        name="An Partner",
    )
    db.session.commit()
    return user


@pytest.fixture
def as_desk(client: Browserless, world: World) -> Browserless:
    client.login(world.desk.email)
    return client
