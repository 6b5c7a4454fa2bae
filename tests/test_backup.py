"""`flask backup` while desks save, `flask restore` while nothing serves."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from pathlib import Path

import pytest
from flask_migrate import upgrade

from portal import create_app
from portal.backup import serving
from portal.extensions import db

from .conftest import app_config
from .servers import fetch, gunicorn, portal_environment
from .test_serving import CHECKOUT, GUNICORN


@pytest.fixture
def portal(tmp_path):
    """A portal on a migrated SQLite file, whichever backend the suite runs on."""
    app = create_app(app_config(f"sqlite:///{tmp_path / 'portal.sqlite3'}"))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return app


def database_of(app) -> Path:
    return Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))


def connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None, timeout=10)


def add_municipality(connection: sqlite3.Connection, n: int) -> None:
    """One saved change in two tables: a backup holds both rows or neither."""
    connection.execute("BEGIN IMMEDIATE")
    connection.execute(
        "INSERT INTO municipality (id, name, nis_code, active) VALUES (?, ?, ?, 1)",
        (n, f"Gemeente {n} " + "x" * 200, f"{n:05d}"),
    )
    connection.execute(
        "INSERT INTO language (code, name, active) VALUES (?, ?, 1)", (f"t{n}", f"Taal {n}")
    )
    connection.execute("COMMIT")


def rows(path: Path, table: str) -> list[tuple]:
    with contextlib.closing(connect(path)) as connection:
        return connection.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()  # noqa: S608


def test_a_backup_under_write_load_is_one_consistent_moment(portal, tmp_path):
    database = database_of(portal)
    with contextlib.closing(connect(database)) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
        for n in range(1, 3001):
            add_municipality(connection, n)
    written = [3000]
    stop = threading.Event()

    def keep_saving() -> None:
        with contextlib.closing(connect(database)) as connection:
            while not stop.is_set():
                written[0] += 1
                add_municipality(connection, written[0])

    writer = threading.Thread(target=keep_saving)
    writer.start()
    try:
        while written[0] < 3050:  # the writer is going
            stop.wait(0.001)
        before = written[0]
        result = portal.test_cli_runner().invoke(args=["backup", str(tmp_path / "copy.sqlite3")])
        after = written[0]
        while written[0] < after + 50:  # and keeps going after the backup
            stop.wait(0.001)
    finally:
        stop.set()
        writer.join()
    assert result.exit_code == 0, result.output
    assert after > before  # desks saved while the backup ran
    copy = tmp_path / "copy.sqlite3"
    assert "Backed up" in result.output and not (tmp_path / "copy.sqlite3-wal").exists()
    with contextlib.closing(connect(copy)) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    municipalities, languages = rows(copy, "municipality"), rows(copy, "language")
    backed_up = len(municipalities)
    # Every saved change up to one moment while the command ran, and none half.
    assert before - 1 <= backed_up <= after
    assert [m[0] for m in municipalities] == list(range(1, backed_up + 1))
    assert len(languages) == backed_up
    # The source went on; up to that moment the copy holds the same rows.
    assert len(rows(database, "municipality")) > backed_up
    assert municipalities == rows(database, "municipality")[:backed_up]

    # Restored, the database is the backup again, and what replaced it is kept.
    restored = portal.test_cli_runner().invoke(args=["restore", "--yes", str(copy)])
    assert restored.exit_code == 0, restored.output
    assert rows(database, "municipality") == municipalities
    assert rows(database, "language") == languages
    (kept,) = database.parent.glob("portal.sqlite3.before-restore-*")
    assert len(rows(kept, "municipality")) == written[0]
    with contextlib.closing(connect(database)) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


def test_a_backup_never_overwrites_a_file(portal, tmp_path):
    existing = tmp_path / "existing.sqlite3"
    existing.write_text("earlier backup")
    result = portal.test_cli_runner().invoke(args=["backup", str(existing)])
    assert result.exit_code == 1 and "exists already" in result.output
    assert existing.read_text() == "earlier backup"


def backed_up(portal, tmp_path) -> Path:
    copy = tmp_path / "copy.sqlite3"
    assert portal.test_cli_runner().invoke(args=["backup", str(copy)]).exit_code == 0
    with contextlib.closing(connect(database_of(portal))) as connection:
        add_municipality(connection, 1)
    return copy


def test_a_restore_asks_for_yes_first(portal, tmp_path):
    copy = backed_up(portal, tmp_path)
    result = portal.test_cli_runner().invoke(args=["restore", str(copy)])
    assert result.exit_code == 1
    assert "Stop the portal, then run again with --yes." in result.output
    assert len(rows(database_of(portal), "municipality")) == 1


def test_a_restore_refuses_what_is_no_portal_database(portal, tmp_path):
    other = tmp_path / "other.sqlite3"
    with contextlib.closing(connect(other)) as connection:
        connection.execute("CREATE TABLE t (x)")
    text_file = tmp_path / "notes.txt"
    text_file.write_text("not a database at all, " * 100)
    newer = backed_up(portal, tmp_path)
    with contextlib.closing(connect(newer)) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999'")
    runner = portal.test_cli_runner()
    for source, reason in [
        (other, "is no portal database"),
        (text_file, "is no SQLite database"),
        (newer, "at migration 9999, which this portal does not know"),
    ]:
        result = runner.invoke(args=["restore", "--yes", str(source)])
        assert result.exit_code == 1 and reason in result.output, result.output
    assert len(rows(database_of(portal), "municipality")) == 1


def test_a_restore_refuses_while_gunicorn_serves_the_database(portal, tmp_path):
    copy = backed_up(portal, tmp_path)
    database = database_of(portal)
    env = portal_environment(tmp_path / "instance", PORTAL_DATABASE_URL=f"sqlite:///{database}")
    with gunicorn(GUNICORN, cwd=CHECKOUT, env=env, log=tmp_path / "gunicorn.log") as base:
        assert fetch(f"{base}/readyz").status == 200
        refused = portal.test_cli_runner().invoke(args=["restore", "--yes", str(copy)])
    assert refused.exit_code == 1
    assert "The portal is being served from this database: stop it first" in refused.output
    assert len(rows(database, "municipality")) == 1
    done = portal.test_cli_runner().invoke(args=["restore", "--yes", str(copy)])
    assert done.exit_code == 0, done.output
    assert rows(database, "municipality") == []


def test_a_server_does_not_start_during_a_restore(portal, tmp_path):
    database = database_of(portal)
    env = portal_environment(tmp_path / "instance", PORTAL_DATABASE_URL=f"sqlite:///{database}")
    with (
        serving(database, exclusive=True),
        pytest.raises(AssertionError, match="exited"),
        gunicorn(GUNICORN, cwd=CHECKOUT, env=env, log=tmp_path / "gunicorn.log"),
    ):
        pass
    assert (
        "Not ready: A restore of this database is under way."
        in (tmp_path / "gunicorn.log").read_text()
    )


def test_on_postgresql_the_commands_give_the_pg_dump_recipe(tmp_path):
    app = create_app(app_config("postgresql+psycopg://portal@127.0.0.1:9/portal"))
    runner = app.test_cli_runner()
    for args in (["backup", str(tmp_path / "x")], ["restore", "--yes", __file__]):
        result = runner.invoke(args=args)
        assert result.exit_code == 1
        assert "pg_dump -Fc" in result.output and "pg_restore" in result.output
