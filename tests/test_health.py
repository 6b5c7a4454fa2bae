"""Health and readiness: what a load balancer and the server's start are told, and why."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from flask_migrate import upgrade

from portal import create_app
from portal.extensions import db

from .conftest import app_config
from .servers import write_lock_held

BUSY_MS = 300
MIGRATIONS = Path(__file__).resolve().parent.parent / "portal" / "migrations"


def portal_on(database_url: str, **config: object):
    return create_app(app_config(database_url) | {"PORTAL_SQLITE_BUSY_MS": BUSY_MS} | config)


@pytest.fixture
def migrated(empty_database):
    """A portal on a database migrated to the head, as `make serve` leaves it."""
    app = portal_on(empty_database)
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


def readyz(app) -> tuple[int, str]:
    response = app.test_client().get("/readyz")
    return response.status_code, response.get_data(as_text=True)


def sqlite_path(app) -> Path:
    with app.app_context():
        return Path(db.engine.url.database or "")


def test_a_migrated_database_is_ready(migrated):
    assert readyz(migrated) == (200, "ready\n")
    result = migrated.test_cli_runner().invoke(args=["check"])
    assert result.exit_code == 0 and "Ready to serve." in result.output


def test_a_database_behind_the_code_is_not_ready_and_says_to_migrate(empty_database):
    head = ScriptDirectory(str(MIGRATIONS)).get_revision("head")
    app = portal_on(empty_database)
    with app.app_context():
        upgrade(revision=head.down_revision)
    status, reason = readyz(app)
    assert status == 503
    assert (
        f"migrations not at head (database at {head.down_revision}, code at {head.revision})"
        in reason
    )
    result = app.test_cli_runner().invoke(args=["check"])
    assert result.exit_code == 1 and "migrations not at head" in result.output
    with app.app_context():
        db.engine.dispose()


def test_healthz_answers_without_asking_the_database(tmp_path):
    app = portal_on(f"sqlite:///{tmp_path / 'missing' / 'portal.sqlite3'}")
    assert app.test_client().get("/healthz").get_data(as_text=True) == "ok\n"
    status, reason = readyz(app)
    assert status == 503 and "database unreachable (unable to open database file)" in reason


def test_an_unreachable_postgresql_is_not_ready():
    # Port 9 (discard) has no PostgreSQL on this host: the connection is refused at once.
    app = portal_on("postgresql+psycopg://portal@127.0.0.1:9/portal")
    status, reason = readyz(app)
    assert status == 503 and reason.startswith("not ready: database unreachable (")
    assert app.test_client().get("/healthz").status_code == 200


@pytest.fixture
def migrated_sqlite(tmp_path):
    """A migrated SQLite portal, whichever backend the suite runs on: its file is the point."""
    app = portal_on(f"sqlite:///{tmp_path / 'portal.sqlite3'}")
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


def test_a_read_only_database_file_is_not_ready(migrated_sqlite):
    path = sqlite_path(migrated_sqlite)
    path.chmod(0o444)
    try:
        status, reason = readyz(migrated_sqlite)
        check = migrated_sqlite.test_cli_runner().invoke(args=["check"])
    finally:
        path.chmod(0o644)
    assert (status, reason) == (503, "not ready: database file is read-only\n")
    assert check.exit_code == 1 and "database file is read-only" in check.output


def test_a_database_opened_read_only_is_not_ready(migrated_sqlite):
    path = sqlite_path(migrated_sqlite)
    read_only = portal_on(f"sqlite:///file:{path}?mode=ro&uri=true")
    status, reason = readyz(read_only)
    with read_only.app_context():
        db.engine.dispose()
    assert status == 503
    assert "database cannot be written (attempt to write a readonly database)" in reason


def test_a_write_lock_held_by_another_process_is_not_ready(migrated_sqlite):
    with write_lock_held(sqlite_path(migrated_sqlite)):
        status, reason = readyz(migrated_sqlite)
        check = migrated_sqlite.test_cli_runner().invoke(args=["check"])
    assert status == 503
    assert f"database locked by another writer for longer than {BUSY_MS} ms" in reason
    assert check.exit_code == 1 and "database locked" in check.output
    assert readyz(migrated_sqlite)[0] == 200
