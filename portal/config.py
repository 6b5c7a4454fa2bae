"""Configuration read from environment variables, with safe defaults."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

from sqlalchemy.engine import make_url


def _secret_key(instance_path: Path) -> str:
    """Return PORTAL_SECRET_KEY or a key generated once into the instance folder."""
    from_env = os.environ.get("PORTAL_SECRET_KEY")
    if from_env:
        return from_env
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        # Written with 0600 so other local users cannot forge sessions.
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return key_file.read_text().strip()


ENVIRONMENTS = ("production", "development")


def instance_folder() -> Path:
    """The folder of the database and the generated secret key: PORTAL_INSTANCE_PATH."""
    return Path(os.environ.get("PORTAL_INSTANCE_PATH", "instance")).resolve()


def environment() -> str:
    """PORTAL_ENV: production unless development is asked for (make run asks)."""
    chosen = os.environ.get("PORTAL_ENV", "production").strip().lower()
    if chosen not in ENVIRONMENTS:
        raise RuntimeError(f"PORTAL_ENV must be one of {', '.join(ENVIRONMENTS)}, not {chosen!r}")
    return chosen


def load_config(instance_path: Path) -> dict[str, object]:
    """Build the Flask config from the environment."""
    database_url = os.environ.get(
        "PORTAL_DATABASE_URL", f"sqlite:///{instance_path / 'portal.sqlite3'}"
    )
    return {
        # Production refuses demo data (its passwords are public) and the debugger.
        "PORTAL_ENV": environment(),
        "SECRET_KEY": _secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("PORTAL_SECURE_COOKIES", "0") == "1",
        "REMEMBER_COOKIE_SECURE": os.environ.get("PORTAL_SECURE_COOKIES", "0") == "1",
        # A login ends on the server after this long, however active (portal.auth.logins);
        # the cookie lives a day longer so that an ended login still says whose form it was.
        "PORTAL_SESSION_LIFETIME": timedelta(
            hours=int(os.environ.get("PORTAL_SESSION_HOURS", "12"))
        ),
        "PERMANENT_SESSION_LIFETIME": timedelta(
            hours=int(os.environ.get("PORTAL_SESSION_HOURS", "12")) + 24
        ),
        # The CSRF token lives as long as the login session; an expired one is handled
        # by giving the form back filled in (see portal.forms).
        "WTF_CSRF_TIME_LIMIT": int(os.environ.get("PORTAL_CSRF_SECONDS", "28800")),
        # Flask defines MAX_CONTENT_LENGTH (as None: no limit), so it is set here, not
        # defaulted. A megabyte holds any form of the portal many times over; the login,
        # which anyone may post to, gets far less: room for e-mail, password and the
        # encrypted form of an expired session (text areas of a few thousand characters).
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        "PORTAL_LOGIN_MAX_CONTENT_LENGTH": int(
            os.environ.get("PORTAL_LOGIN_MAX_CONTENT_LENGTH", str(64 * 1024))
        ),
        # The population register's export (portal/register): a 10 MB file and the form
        # around it. Only that route gets more than MAX_CONTENT_LENGTH.
        "PORTAL_UPLOAD_MAX_CONTENT_LENGTH": 10 * 1024 * 1024 + 64 * 1024,
        "BABEL_DEFAULT_LOCALE": "nl_BE",
        "BABEL_DEFAULT_TIMEZONE": os.environ.get("PORTAL_TIMEZONE", "Europe/Brussels"),
        "PORTAL_DEFAULT_REGION": os.environ.get("PORTAL_DEFAULT_REGION", "BE"),
        # Several app processes must share one store (e.g. redis://host:6379) for the limits
        # to hold across them; memory:// suits the single-process default.
        "RATELIMIT_STORAGE_URI": os.environ.get("PORTAL_RATELIMIT_STORAGE_URI", "memory://"),
        # A moving window: with fixed windows, ten guesses at the end of one minute and ten
        # at the start of the next would all be let through.
        "RATELIMIT_STRATEGY": "moving-window",
        # A shared store that goes down weakens the limits to each process's memory (until
        # it is back) instead of answering every login with an error.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        # Login attempts per account (from any address) and per address (for any account).
        "PORTAL_LOGIN_LIMIT": os.environ.get("PORTAL_LOGIN_LIMIT", "10 per minute"),
        "PORTAL_LOGIN_ADDRESS_LIMIT": os.environ.get("PORTAL_LOGIN_ADDRESS_LIMIT", "30 per minute"),
        # How long a join of two persons may still be undone.
        "PORTAL_JOIN_UNDO_HOURS": int(os.environ.get("PORTAL_JOIN_UNDO_HOURS", "24")),
        # How often one desk worker may ask whether a resident was here before.
        "PORTAL_DUPLICATE_CHECK_LIMIT": os.environ.get(
            "PORTAL_DUPLICATE_CHECK_LIMIT", "60 per minute"
        ),
        # Number of proxies in front of the app whose X-Forwarded-For can be trusted.
        "PORTAL_PROXY_COUNT": int(os.environ.get("PORTAL_PROXY_COUNT", "0")),
        "PORTAL_LOG_LEVEL": os.environ.get("PORTAL_LOG_LEVEL", "INFO"),
        # How long a save waits for another writer on SQLite before it gives up; the
        # readiness check waits as long before it calls the database locked.
        "PORTAL_SQLITE_BUSY_MS": int(os.environ.get("PORTAL_SQLITE_BUSY_MS", "10000")),
        # The same on PostgreSQL (its lock_timeout): without it a save waits for a lock
        # forever, and the user with it.
        "PORTAL_PG_LOCK_TIMEOUT_MS": int(os.environ.get("PORTAL_PG_LOCK_TIMEOUT_MS", "10000")),
        # Where the portal is reached, for the links in e-mails (no request to read it from).
        "PORTAL_BASE_URL": os.environ.get("PORTAL_BASE_URL", "http://127.0.0.1:5000"),
        # The mail server `flask send-mail` delivers the outbox to; no host: nothing is sent
        # and the e-mails wait in the outbox.
        "PORTAL_SMTP_HOST": os.environ.get("PORTAL_SMTP_HOST", ""),
        "PORTAL_SMTP_PORT": int(os.environ.get("PORTAL_SMTP_PORT", "25")),
        "PORTAL_SMTP_USER": os.environ.get("PORTAL_SMTP_USER", ""),
        "PORTAL_SMTP_PASSWORD": os.environ.get("PORTAL_SMTP_PASSWORD", ""),
        "PORTAL_SMTP_STARTTLS": os.environ.get("PORTAL_SMTP_STARTTLS", "0") == "1",
        "PORTAL_SMTP_TIMEOUT": int(os.environ.get("PORTAL_SMTP_TIMEOUT", "10")),
        "PORTAL_MAIL_FROM": os.environ.get("PORTAL_MAIL_FROM", "onthaalportaal@localhost"),
        # The daily digest goes out at the first run of `flask send-mail` from this hour.
        "PORTAL_DIGEST_HOUR": int(os.environ.get("PORTAL_DIGEST_HOUR", "7")),
    }


def engine_options(database_url: str, lock_timeout_ms: int = 10_000) -> dict[str, object]:
    """SQLAlchemy engine options for the database the portal runs on."""
    # hide_parameters: a database error's message names the statement, never the values in
    # it (names, phone numbers), so that logging the error writes no personal data.
    options: dict[str, object] = {"pool_pre_ping": True, "hide_parameters": True}
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        # The report queries are costed high enough for PostgreSQL to JIT-compile them, which
        # adds most of a second to each and never pays back on queries this short. A save
        # that waits longer than lock_timeout for a lock is refused, and the user told so
        # (errors.py). Options given in the URL itself (e.g. a search_path) are kept, and
        # win: connect_args replaces them, and the last of two settings counts.
        in_url = url.query.get("options", "")
        ours = f"-c jit=off -c lock_timeout={int(lock_timeout_ms)}"
        options["connect_args"] = {"options": f"{ours} {in_url}".strip()}
    return options
