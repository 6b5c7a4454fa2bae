"""Whether the portal can serve: `/healthz` (the process answers) and `/readyz` (its database).

The same checks run before the server starts (`flask --app portal check`, and gunicorn's
start through portal.gunicorn_config), so a portal that could not save is not started.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, current_app
from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError

from .extensions import db

bp = Blueprint("health", __name__)

# Reasons are for operators and load balancers, so they are short and in English, like the
# commands' output, and name no path or value.
PLAIN_TEXT = {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}


@bp.get("/healthz")
def healthz() -> Any:
    """The process is up; asks nothing of the database."""
    return "ok\n", 200, PLAIN_TEXT


@bp.get("/readyz")
def readyz() -> Any:
    """The database is reachable, migrated to the head and (SQLite) writable."""
    problems = readiness_problems()
    if problems:
        return "not ready: " + "; ".join(problems) + "\n", 503, PLAIN_TEXT
    return "ready\n", 200, PLAIN_TEXT


def readiness_problems() -> list[str]:
    """What keeps the portal from serving now; empty when it can."""
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            problems = _migration_problems(connection)
    except DBAPIError as exc:
        return [f"database unreachable ({first_line(exc.orig)})"]
    url = db.engine.url
    if url.get_backend_name() == "sqlite":
        problems += _sqlite_problems(sqlite_file(url.render_as_string()))
    return problems


def startup_problems(app: Flask) -> list[str]:
    """The readiness problems and, in production, what production refuses (demo accounts)."""
    from .demo import demo_logins

    with app.app_context():
        problems = readiness_problems()
        if not problems and app.config["PORTAL_ENV"] == "production":
            if demo_logins(db.session):
                problems.append(
                    "demo accounts exist (their password is public): production refuses "
                    "this database; give it its own (PORTAL_DATABASE_URL or PORTAL_INSTANCE_PATH)"
                )
            db.session.remove()
        db.engine.dispose()
    return problems


def first_line(error: BaseException | None) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def _migration_problems(connection: Connection) -> list[str]:
    from alembic.migration import MigrationContext

    current = set(MigrationContext.configure(connection).get_current_heads())
    expected = _code_heads()
    if current == expected:
        return []
    found = ", ".join(sorted(current)) or "none"
    return [f"migrations not at head (database at {found}, code at {', '.join(sorted(expected))})"]


def _code_heads() -> set[str]:
    # Reading the migration scripts takes tens of milliseconds; they do not change while the
    # process runs.
    heads = current_app.extensions.get("portal_migration_heads")
    if heads is None:
        from alembic.script import ScriptDirectory

        directory = current_app.extensions["migrate"].directory
        heads = set(ScriptDirectory(directory).get_heads())
        current_app.extensions["portal_migration_heads"] = heads
    return set(heads)


def sqlite_file(database_url: str) -> Path | None:
    """The file of a SQLite URL (`sqlite:///x`, or a `file:` URI); None for an in-memory one."""
    name = make_url(database_url).database or ""
    if name.startswith("file:"):
        name = name.removeprefix("file:").split("?", 1)[0]
    if name in ("", ":memory:") or "mode=memory" in database_url:
        return None
    return Path(name)


def writable(path: Path) -> bool:
    """Whether the process may write `path`, and someone may at all.

    The second half matters for root, whom `os.access` always lets write: a file without any
    write bit was made read-only on purpose, and the portal treats it so.
    """
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return os.access(path, os.W_OK) and bool(mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def _sqlite_problems(path: Path | None) -> list[str]:
    if path is None:
        return []
    problems = []
    if not writable(path):
        problems.append("database file is read-only")
    if not writable(path.parent):
        problems.append("database folder is read-only (SQLite writes its journal there)")
    if problems:
        return problems
    problem = _write_lock_problem()
    return [problem] if problem else []


def _write_lock_problem() -> str | None:
    """Take the write lock as a save would, change nothing, and let go."""
    busy_ms = current_app.config["PORTAL_SQLITE_BUSY_MS"]
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        try:
            # Waits up to the busy timeout, as a save would; writing the header's own value
            # back fails on a database opened read-only, which BEGIN IMMEDIATE alone does not.
            cursor.execute("BEGIN IMMEDIATE")
            version = cursor.execute("PRAGMA user_version").fetchone()[0]
            cursor.execute(f"PRAGMA user_version = {int(version)}")
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                return f"database locked by another writer for longer than {busy_ms} ms"
            return f"database cannot be written ({first_line(exc)})"
        finally:
            if raw.dbapi_connection is not None and raw.dbapi_connection.in_transaction:
                cursor.execute("ROLLBACK")
            cursor.close()
    finally:
        raw.close()
    return None
