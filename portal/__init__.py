"""Onthaalportaal: the application factory."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event

from .inputs import PlainTextConverter, PortalRequest, RecordIdConverter


def _shipped(name: str) -> str:
    """Where `templates` or `static` is: inside the installed package, or beside it in a checkout.

    The checkout keeps them at the top level; a built wheel carries them in the package
    (setup.py copies them there).
    """
    package = Path(__file__).resolve().parent
    inside = package / name
    return str(inside if inside.is_dir() else package.parent / name)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the portal; nothing touches the database here."""
    from .config import engine_options, instance_folder, load_config

    app = Flask(
        __name__,
        instance_path=str(instance_folder()),
        template_folder=_shipped("templates"),
        static_folder=_shipped("static"),
    )
    app.config.from_mapping(load_config(Path(app.instance_path)))
    if config:
        app.config.from_mapping(config)
    if app.config["PORTAL_ENV"] == "production" and app.debug:
        # The debugger runs code typed into the browser and shows every variable.
        raise RuntimeError("FLASK_DEBUG is on: the debugger is refused in production.")
    app.config.setdefault(
        "SQLALCHEMY_ENGINE_OPTIONS",
        engine_options(
            app.config["SQLALCHEMY_DATABASE_URI"], app.config["PORTAL_PG_LOCK_TIMEOUT_MS"]
        ),
    )
    app.request_class = PortalRequest
    if app.config["PORTAL_PROXY_COUNT"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        count = app.config["PORTAL_PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)  # type: ignore[method-assign]

    # Ids in URLs beyond a 32-bit integer are no record of ours: a 404, not a database error.
    app.url_map.converters["int"] = RecordIdConverter
    app.url_map.converters["default"] = PlainTextConverter
    register_logging(app)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def _sqlite_pragmas(busy_ms: int) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        if isinstance(dbapi_connection, sqlite3.Connection):
            cursor = dbapi_connection.cursor()
            # WAL lets the desk save while others read; the timeout makes writers queue, not
            # fail. A read-only database cannot switch to WAL: it then stays in its mode,
            # and the readiness check and the save say why.
            with contextlib.suppress(sqlite3.OperationalError):
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
            cursor.close()

    return on_connect


def _sqlite_optimize(dbapi_connection: Any, _record: Any) -> None:
    # Without statistics SQLite's planner guesses, and at 200,000 referrals it guesses wrong
    # (Today's counts read through the municipality index: a second, not milliseconds).
    # PRAGMA optimize analyses only the tables this connection's queries used that have no
    # statistics yet or grew 25-fold since; otherwise it returns in microseconds. Running it
    # as a connection goes back to the pool, after every request, is what SQLite advises.
    # No analysis_limit: a sample reads the first rows of each index only, all of one
    # municipality, and the planner then takes the municipality for selective. A full
    # analysis of 200,000 referrals takes about 0.2 s, once per 25-fold growth.
    # When another process holds the write lock for longer than the busy timeout, a later
    # check-in analyses instead.
    if isinstance(dbapi_connection, sqlite3.Connection):
        with contextlib.suppress(sqlite3.OperationalError):
            dbapi_connection.execute("PRAGMA optimize")


def register_logging(app: Flask) -> None:
    from .applog import configure

    configure(app)


def register_extensions(app: Flask) -> None:
    from . import auth
    from .extensions import babel, csrf, db, limiter, login_manager, migrate
    from .i18n import select_locale
    from .referrals import reach  # noqa: F401  (keeps the first reach up to date in every flush)

    db.init_app(app)
    migrate.init_app(
        app, db, directory=str(Path(__file__).parent / "migrations"), render_as_batch=True
    )
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    _init_limiter(app, limiter)
    auth.configure_login(login_manager)
    with app.app_context():
        event.listen(db.engine, "connect", _sqlite_pragmas(app.config["PORTAL_SQLITE_BUSY_MS"]))
        event.listen(db.engine, "checkin", _sqlite_optimize)


def _init_limiter(app: Flask, limiter: Any) -> None:
    from limits.errors import ConfigurationError

    try:
        limiter.init_app(app)
    except ConfigurationError as exc:
        storage = str(app.config["RATELIMIT_STORAGE_URI"]).split(":", 1)[0]
        raise RuntimeError(
            f"PORTAL_RATELIMIT_STORAGE_URI names a {storage} store that cannot be used: {exc} "
            "(for redis, install the portal's extra: pip install 'onthaalportaal[redis]')"
        ) from exc


def register_blueprints(app: Flask) -> None:
    from .admin.views import bp as admin_bp
    from .agenda.views import bp as agenda_bp
    from .auth.views import bp as auth_bp
    from .desk.views import bp as desk_bp
    from .groupwork.views import bp as groupwork_bp
    from .health import bp as health_bp
    from .lead.views import bp as lead_bp
    from .messages.views import bp as messages_bp
    from .notifications.views import bp as notifications_bp
    from .partners.views import bp as partners_bp
    from .persons.views import bp as persons_bp
    from .privacy.views import bp as privacy_bp
    from .queue.views import bp as queue_bp
    from .referrals.record_views import bp as records_bp
    from .referrals.views import bp as referrals_bp
    from .register.views import bp as register_bp
    from .reports.views import bp as reports_bp
    from .search.views import bp as search_bp
    from .today.views import bp as today_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(desk_bp)
    app.register_blueprint(referrals_bp)
    app.register_blueprint(queue_bp)
    app.register_blueprint(agenda_bp)
    app.register_blueprint(lead_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(groupwork_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(privacy_bp)
    app.register_blueprint(search_bp)
    app.register_blueprint(persons_bp)
    app.register_blueprint(records_bp)
    app.register_blueprint(today_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(messages_bp)
    app.register_blueprint(register_bp)
    app.register_blueprint(partners_bp)


def register_errorhandlers(app: Flask) -> None:
    from .errors import register

    register(app)


def register_template_helpers(app: Flask) -> None:
    from . import security_headers, templating

    templating.register(app)
    security_headers.register(app)


def register_commands(app: Flask) -> None:
    from .commands import register

    register(app)
