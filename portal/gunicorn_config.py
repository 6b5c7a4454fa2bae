"""Gunicorn's settings for the portal: `gunicorn -c python:portal.gunicorn_config`.

The checkout's `gunicorn.conf.py` reads this module, so `gunicorn` in the checkout and an
installed portal start the same way. Everything an operator chooses comes from the
environment: PORTAL_BIND, PORTAL_WORKERS (or gunicorn's own WEB_CONCURRENCY).
"""

from __future__ import annotations

import contextlib
import os
from typing import Any

# Production unless asked otherwise: no demo data, no debugger.
os.environ.setdefault("PORTAL_ENV", "production")

wsgi_app = "portal:create_app()"
bind = [address.strip() for address in os.environ.get("PORTAL_BIND", "127.0.0.1:8000").split(",")]
workers = int(os.environ.get("PORTAL_WORKERS") or os.environ.get("WEB_CONCURRENCY") or "2")
# Sync workers: on a few cores they gave the best tail latency for these pages. A request
# waiting on SQLite's write lock (10 s at most) stays well within the timeout.
worker_class = "sync"
timeout = int(os.environ.get("PORTAL_WORKER_TIMEOUT", "60"))
# The portal writes its own request line (portal.applog: request id, no query string);
# gunicorn's access log would repeat it with the query string.
accesslog = None
errorlog = "-"
# Gunicorn's runtime control socket is one fixed path per user: two portals on one host
# would take each other's. Nothing here needs it.
control_socket_disable = True
loglevel = os.environ.get("PORTAL_LOG_LEVEL", "info").lower()


# Held as long as the master runs (the workers inherit it): a restore refuses meanwhile.
_serving = contextlib.ExitStack()


def on_starting(server: Any) -> None:
    """Refuse to start a portal that could not serve, and say why."""
    from portal import create_app
    from portal.backup import BackupError, serving
    from portal.health import sqlite_file, startup_problems

    app = create_app()
    problems = startup_problems(app)
    database = str(app.config["SQLALCHEMY_DATABASE_URI"])
    if not problems and database.startswith("sqlite"):
        path = sqlite_file(database)
        try:
            if path is not None:
                _serving.enter_context(serving(path))
        except BackupError as exc:
            problems.append(str(exc))
    for problem in problems:
        server.log.error("Not ready: %s", problem)
    if problems:
        raise SystemExit(1)
    storage = str(app.config["RATELIMIT_STORAGE_URI"])
    if server.cfg.workers > 1 and storage.startswith("memory://"):
        server.log.warning(
            "%d workers keep their login limits in memory, each its own: an attacker gets "
            "%d times the attempts. Set PORTAL_RATELIMIT_STORAGE_URI to a shared store "
            "(redis://...) or run one worker.",
            server.cfg.workers,
            server.cfg.workers,
        )
