"""Command-line tasks: `flask --app portal create-user | seed-demo | demo-info | check | ...`."""

from __future__ import annotations

import time
from pathlib import Path

import click
from flask import Flask, current_app
from sqlalchemy import func, select, text

from . import clock
from .accounts import AccountError, create_user, system_user
from .auth.passwords import password_problem
from .demo import DEMO_PASSWORD, demo_logins, seed_demo
from .extensions import db
from .models import Municipality, Role, User


def register(app: Flask) -> None:
    @app.cli.command("create-user")
    @click.option("--email", required=True)
    @click.option("--name", "full_name", required=True)
    @click.option(
        "--role", "roles", multiple=True, required=True, type=click.Choice([r.value for r in Role])
    )
    @click.option(
        "--municipality",
        "municipalities",
        multiple=True,
        help="NIS code of a municipality the user works for (repeatable).",
    )
    @click.option("--language", "languages", multiple=True, help="Language code (repeatable).")
    @click.password_option()
    def create_user_command(
        email: str,
        full_name: str,
        roles: tuple[str, ...],
        municipalities: tuple[str, ...],
        languages: tuple[str, ...],
        password: str,
    ) -> None:
        """Create a user account."""
        problem = password_problem(password, email)
        if problem:
            raise click.UsageError(problem)
        ids = list(
            db.session.scalars(
                select(Municipality.id).where(Municipality.nis_code.in_(municipalities))
            )
        )
        if len(ids) != len(set(municipalities)):
            raise click.UsageError("Unknown municipality NIS code.")
        try:
            create_user(
                db.session,
                email=email,
                full_name=full_name,
                password=password,
                roles=roles,
                municipality_ids=ids,
                language_codes=languages,
            )
        except AccountError as exc:
            if exc.field == "email":
                raise click.UsageError(f"A user with e-mail {email} exists already.") from exc
            raise click.UsageError(exc.message) from exc
        db.session.commit()
        click.echo(f"Created {email}.")

    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="Only when the database has no users yet.")
    def seed_demo_command(if_empty: bool) -> None:
        """Load the demo municipalities, users and referrals (once)."""
        if _in_production():
            raise click.ClickException(
                "Demo data is refused in production: its passwords are public. "
                "Set PORTAL_ENV=development to try the portal (make run does)."
            )
        if if_empty and db.session.scalar(select(func.count()).select_from(User)):
            click.echo("Database not empty: demo data not loaded.")
            return
        if seed_demo(db.session, clock.now()):
            db.session.commit()
            # Statistics for the rows just loaded, so the first pages are planned on them.
            db.session.execute(text("ANALYZE"))
            db.session.commit()
            click.echo("Demo data loaded.")
        else:
            click.echo("Demo data was already loaded.")

    @app.cli.command("demo-info")
    @click.option("--url", default="http://127.0.0.1:5000")
    def demo_info_command(url: str) -> None:
        """Print the URL and, while demo data is loaded, the demo logins."""
        click.echo(f"\nOnthaalportaal: {url}")
        logins = [] if _in_production() else demo_logins(db.session)
        if logins:
            click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
            for email, roles in logins:
                click.echo(f"  {email:42} {roles}")
        click.echo("")

    @app.cli.command("check")
    def check_command() -> None:
        """Check that the portal can serve: database, migrations, SQLite writable and free."""
        from .health import startup_problems

        problems = startup_problems(current_app._get_current_object())  # type: ignore[attr-defined]
        if problems:
            for problem in problems:
                click.echo(f"Not ready: {problem}", err=True)
            raise SystemExit(1)
        click.echo("Ready to serve.")

    @app.cli.command("backup")
    @click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
    def backup_command(target: Path) -> None:
        """Copy the SQLite database to TARGET, also while the portal serves."""
        from .backup import BackupError, backup

        database = _sqlite_database()
        try:
            copied = backup(database, target)
        except BackupError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(
            f"Backed up {database} to {copied.path} "
            f"({copied.size} bytes, migration {copied.revision})."
        )

    @app.cli.command("restore")
    @click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--yes", is_flag=True, help="Really replace the database.")
    def restore_command(source: Path, yes: bool) -> None:
        """Replace the SQLite database with the backup SOURCE (the portal must be stopped)."""
        from .backup import BackupError, check_sound, restore

        database = _sqlite_database()
        try:
            revision = check_sound(source)
            if not yes:
                raise BackupError(
                    f"Restoring replaces everything in {database} with {source} (migration "
                    f"{revision}); the current database is kept beside it. Stop the portal, "
                    "then run again with --yes."
                )
            db.session.remove()
            db.engine.dispose()
            done = restore(source, database, _known_revision, clock.now())
        except BackupError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(
            f"Restored {database} from {source} (migration {done.revision}); the database "
            f"it replaced is kept as {done.path}. Migrate before serving (make serve does)."
        )

    @app.cli.command("purge")
    @click.option("--dry-run", is_flag=True, help="Only count what would be anonymised.")
    def purge_command(dry_run: bool) -> None:
        """Anonymise the files whose retention period is over (run daily)."""
        from .privacy.retention import purge

        due = purge(db.session, actor=system_user(db.session), at=clock.now(), dry_run=dry_run)
        verb = "Would anonymise" if dry_run else "Anonymised"
        click.echo(
            f"{verb} {len(due.all)} files: {len(due.closed)} closed past the retention period, "
            f"{len(due.never_reached)} never reached."
        )
        if dry_run:
            db.session.rollback()
        else:
            db.session.commit()

    @app.cli.command("school-enrolments")
    def school_enrolments_command() -> None:
        """Give every child who reached compulsory school age its enrolment item (run daily)."""
        from .referrals.school import add_enrolments_of_age

        made = add_enrolments_of_age(db.session, system_user(db.session), clock.now())
        db.session.commit()
        click.echo(f"Added {len(made)} school enrolment items for children now of school age.")

    @app.cli.command("send-mail")
    @click.option("--loop", is_flag=True, help="Keep going, a run every --interval seconds.")
    @click.option("--interval", default=60, show_default=True, type=click.IntRange(min=1))
    def send_mail_command(loop: bool, interval: int) -> None:
        """Send the e-mails in the outbox that are due, and make the daily digests."""
        from sqlalchemy.exc import DBAPIError

        from .notifications.worker import run_once

        app_object = current_app._get_current_object()  # type: ignore[attr-defined]
        while True:
            if not loop:
                click.echo(run_once(app_object, clock.now()))
                return
            try:
                click.echo(run_once(app_object, clock.now()))
            except DBAPIError as exc:
                # A worker outlives a database restart: the e-mails wait in the outbox.
                db.session.rollback()
                click.echo(f"Database unavailable ({type(exc.orig).__name__}); retrying.", err=True)
            db.session.remove()
            time.sleep(interval)


def _in_production() -> bool:
    return current_app.config["PORTAL_ENV"] == "production"


def _sqlite_database() -> Path:
    from .backup import POSTGRESQL_RECIPE
    from .health import sqlite_file

    url = db.engine.url
    if url.get_backend_name() != "sqlite":
        raise click.ClickException(POSTGRESQL_RECIPE)
    path = sqlite_file(url.render_as_string())
    if path is None:
        raise click.ClickException("An in-memory database has nothing to back up or restore.")
    return path


def _known_revision(revision: str) -> bool:
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    try:
        return (
            ScriptDirectory(current_app.extensions["migrate"].directory).get_revision(revision)
            is not None
        )
    except CommandError:
        return False
