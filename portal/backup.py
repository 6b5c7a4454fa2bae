"""Backing up a SQLite database while the portal serves, and restoring one while it does not.

A backup goes through SQLite's online backup API in one step: it reads one snapshot of the
database (WAL lets the desks keep saving meanwhile) and is checked before it gets its name.
A restore replaces the database only while no server holds it (gunicorn takes a shared lock
beside the database file as it starts, see `serving`), keeps the database it replaces, and
refuses a file that is no sound portal database or comes from a newer portal.

PostgreSQL has its own tools for this (pg_dump, pg_restore): see the README.
"""

from __future__ import annotations

import contextlib
import fcntl
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

POSTGRESQL_RECIPE = (
    "On PostgreSQL, back up with pg_dump and restore with pg_restore, e.g. "
    "`pg_dump -Fc -f portal.dump DBNAME` and, with the portal stopped, "
    "`pg_restore --clean --if-exists -d DBNAME portal.dump` (see the README, Backups)."
)


class BackupError(Exception):
    """A backup or restore that was refused, with the reason for the operator."""


@dataclass(frozen=True)
class Copied:
    path: Path
    size: int
    revision: str | None


def backup(database: Path, target: Path) -> Copied:
    """Copy the live database to `target` (a new file), consistent as of one moment."""
    if target.exists():
        raise BackupError(f"{target} exists already: choose a new name, nothing is overwritten.")
    if not database.is_file():
        raise BackupError(f"There is no database at {database}.")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    _copy(database, partial)
    with contextlib.closing(sqlite3.connect(partial, isolation_level=None)) as copy:
        # One self-contained file: no -wal beside it to forget when the backup is moved.
        copy.execute("PRAGMA journal_mode=DELETE")
    revision = check_sound(partial)
    partial.replace(target)
    return Copied(target, target.stat().st_size, revision)


def restore(
    source: Path, database: Path, known_revision: Callable[[str], bool], at: datetime
) -> Copied:
    """Replace the database with the backup `source`, keeping the replaced one beside it.

    `known_revision(revision)` says whether this portal's migrations know the revision.
    """
    revision = check_sound(source)
    if revision is None or not known_revision(revision):
        raise BackupError(
            f"{source} is at migration {revision or 'none'}, which this portal does not know: "
            "it comes from another (newer) version. Restore it with that version."
        )
    with serving(database, exclusive=True):
        kept = None
        if database.is_file():
            kept = database.with_name(f"{database.name}.before-restore-{at:%Y%m%dT%H%M%S}")
            backup(database, kept)
        _copy(source, database)
        check_sound(database)
    return Copied(kept or database, source.stat().st_size, revision)


def check_sound(path: Path) -> str | None:
    """The migration revision of a sound SQLite database at `path`; refuses anything else."""
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            verdict = db.execute("PRAGMA integrity_check").fetchall()
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
            revision = (
                db.execute("SELECT version_num FROM alembic_version").fetchone()
                if "alembic_version" in tables
                else None
            )
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is no SQLite database ({exc}).") from exc
    if verdict != [("ok",)]:
        raise BackupError(f"{path} is damaged: {verdict[0][0]}")
    if revision is None:
        raise BackupError(f"{path} is no portal database (it has no migration revision).")
    return str(revision[0])


def _copy(source: Path, target: Path) -> None:
    with (
        contextlib.closing(sqlite3.connect(source, timeout=30)) as read,
        contextlib.closing(sqlite3.connect(target, timeout=30)) as write,
    ):
        # pages=-1: the whole database in one step, from one read snapshot. In steps,
        # SQLite would start over after every write by another process.
        read.backup(write, pages=-1)


def serving_lock_path(database: Path) -> Path:
    return database.with_name(database.name + "-serving")


@contextlib.contextmanager
def serving(database: Path, *, exclusive: bool = False) -> Iterator[IO[str]]:
    """Hold the lock that servers share and a restore takes alone; refuse if it is taken."""
    handle = serving_lock_path(database).open("a")
    try:
        try:
            fcntl.flock(handle, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            if exclusive:
                raise BackupError(
                    "The portal is being served from this database: stop it first "
                    "(systemctl stop onthaalportaal, or end make serve)."
                ) from exc
            raise BackupError("A restore of this database is under way.") from exc
        yield handle
    finally:
        handle.close()
