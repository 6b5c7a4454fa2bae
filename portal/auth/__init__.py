"""Logging in and out, and who the current user is."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from flask import current_app, g, redirect, request, session, url_for
from flask_login import LoginManager
from sqlalchemy import update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import joinedload

from .. import clock
from ..extensions import db
from ..inputs import ascii_int
from ..models import LoginSession, User
from ..settings import get_int
from . import logins

# The key of the Flask session that holds the login token (portal.auth.logins).
LOGIN_TOKEN_KEY = "login"  # noqa: S105 - the name of a session key, not a secret


def login_limits() -> logins.Limits:
    return logins.Limits(
        idle=timedelta(minutes=get_int(db.session, "session_idle_minutes")),
        lifetime=current_app.config["PORTAL_SESSION_LIFETIME"],
    )


def _is_poll() -> bool:
    # The polling element names itself in the header; htmx sends the header for requests of
    # its children too (buttons, pager links), but those name another trigger.
    polling = request.headers.get(logins.POLL_HEADER)
    return (
        request.method == "GET" and bool(polling) and polling == request.headers.get("HX-Trigger")
    )


def configure_login(manager: LoginManager) -> None:
    manager.login_view = "auth.login"
    manager.login_message = None
    manager.session_protection = "strong"

    @manager.user_loader
    def load_user(user_id: str) -> User | None:
        number = ascii_int(user_id)
        if number is None:
            return None
        at = clock.now()
        login = logins.live_login(
            db.session,
            token=session.get(LOGIN_TOKEN_KEY),
            user_id=number,
            at=at,
            limits=login_limits(),
        )
        if login is None or login.second_factor_pending:
            return None
        if logins.needs_touch(login, at) and not _is_poll():
            # A transaction of its own: the request's session may hold work not yet meant
            # to be committed, and a GET commits nothing. A database that takes no writes
            # now (read-only, locked) still lets the user read: the login is touched later.
            try:
                with db.engine.begin() as connection:
                    connection.execute(
                        update(LoginSession)
                        .where(LoginSession.id == login.id)
                        .values(last_seen_at=at)
                    )
            except OperationalError as exc:
                logging.getLogger("portal.auth").warning(
                    "Login not touched, the database takes no writes: %s", type(exc.orig).__name__
                )
        # Every page asks the access policy about municipalities and languages: load them now.
        user = db.session.get(
            User,
            number,
            options=[
                joinedload(User.municipalities),
                joinedload(User.languages),
                joinedload(User.role_rows),
            ],
        )
        if user is None or not user.active:
            return None
        # The page's language, read now: a save that fails later leaves the session unusable
        # until it is rolled back, and its error page must not need the user's row again.
        g.ui_locale = user.ui_locale
        return user

    @manager.unauthorized_handler
    def unauthorized() -> Any:
        from .views import expired_session_response

        if request.method == "POST":
            return expired_session_response()
        if _is_poll():
            # A polling list must not keep showing files on a desk nobody is at any more:
            # the whole page goes to the login, which brings the person back afterwards.
            page = _page_path(request.headers.get("HX-Current-URL", ""))
            response = current_app.response_class("", 200)
            response.headers["HX-Redirect"] = url_for("auth.login_page", next=page)
            return response
        if request.headers.get("HX-Request"):
            # Any other partial (a search as one types) must not replace the page.
            return "", 204
        return redirect(url_for("auth.login_page", next=request.full_path.rstrip("?")))


def _page_path(url: str) -> str | None:
    """The path and query of the page an htmx request came from, if it is on this site."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.netloc and parts.netloc != request.host:
        return None
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
