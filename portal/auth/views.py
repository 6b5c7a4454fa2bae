"""Login and logout."""

from __future__ import annotations

import unicodedata
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from .. import recovery
from ..access import home_endpoint, requires_login
from ..extensions import db, limiter
from ..models import User
from .forms import LoginForm, LogoutForm
from .passwords import hash_password, needs_rehash, verify_password

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str | None:
    """Only paths on this site, never another host (no open redirect).

    Browsers drop tabs and line breaks inside a URL and read a backslash as a slash, so
    '/<tab>/example.org/' is '//example.org/' to them: the check reads the address as they do.
    """
    cleaned = "".join(
        ch for ch in target or "" if not (ch.isspace() or unicodedata.category(ch)[0] == "C")
    )
    if not cleaned.startswith("/") or cleaned.startswith("//") or "\\" in cleaned:
        return None
    parts = urlsplit(cleaned)
    return None if parts.scheme or parts.netloc else cleaned


def _home() -> str:
    return url_for(home_endpoint(current_user))


@bp.get("/")
def home() -> Any:
    """Send people to their main page, or to the login."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login_page"))
    return redirect(_home())


@bp.get("/no-role")
@requires_login
def no_role() -> Any:
    """For an account without roles: say so instead of failing."""
    return render_template(
        "error.html",
        message=_("Uw account heeft nog geen rol. Vraag de beheerder om er een toe te kennen."),
        status=403,
    ), 403


def _render_login(form: LoginForm, message: str | None = None, status: int = 200) -> Any:
    return render_template("auth/login.html", form=form, message=message), status


@bp.get("/login")
def login_page() -> Any:
    """Show the login form."""
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")) or _home())
    form = LoginForm(next=_safe_next(request.args.get("next")) or "")
    return _render_login(form)


@bp.post("/login")
@limiter.limit(lambda: current_app.config["PORTAL_LOGIN_LIMIT"], methods=["POST"])
def login() -> Any:
    """Check the credentials; give back a form that was interrupted by an expired session."""
    form = LoginForm()
    if not form.validate():
        return _render_login(form, status=422)
    email = (form.email.data or "").strip().casefold()
    user = db.session.scalar(select(User).where(func.lower(User.email) == email))
    if (
        user is None
        or not user.active
        or not verify_password(user.password_hash, form.password.data)
    ):
        if user is None:
            verify_password(None, form.password.data or "")
        form.password.errors = [_("E-mailadres of wachtwoord klopt niet.")]
        return _render_login(form, status=422)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(form.password.data)
        db.session.commit()
    session.clear()
    session.permanent = True
    login_user(user)
    if form.resume.data:
        unpacked = recovery.unpack(form.resume.data, user.id)
        if unpacked is not None:
            endpoint, values = unpacked
            return recovery.refill(
                endpoint,
                values,
                _("U bent opnieuw aangemeld. Uw gegevens staan er nog: controleer ze en bewaar."),
            )
    return redirect(_safe_next(form.next.data) or _home(), code=303)


@recovery.resumable("auth.login")
def _refill_login(values: MultiDict[str, str], message: str) -> Any:
    form = LoginForm(
        formdata=None,
        email=values.get("email", ""),
        next=values.get("next", ""),
        resume=values.get("resume", ""),
    )
    return _render_login(form, message=message, status=400)


def too_many_attempts_response() -> Any:
    """Answer a login attempt over the limit, keeping the typed e-mail."""
    form = LoginForm(
        formdata=None,
        email=request.form.get("email", ""),
        next=request.form.get("next", ""),
        resume=request.form.get("resume", ""),
    )
    message = _("Te veel aanmeldpogingen. Wacht een minuut en probeer opnieuw.")
    return _render_login(form, message=message, status=429)


def expired_session_response() -> Any:
    """Answer a POST whose session is gone: log in again, keeping what was typed."""
    if request.headers.get("HX-Request"):
        # An inline check must not replace the page the person is typing in.
        return "", 204
    endpoint = request.endpoint
    form = LoginForm(formdata=None, next=request.path)
    if endpoint and recovery.is_resumable(endpoint) and endpoint != "auth.login":
        form.resume.data = recovery.pack(endpoint, request.form, None)
        message = _("Uw sessie is verlopen. Meld u opnieuw aan; wat u invulde, blijft bewaard.")
    else:
        message = _("Uw sessie is verlopen. Meld u opnieuw aan.")
    return _render_login(form, message=message, status=401)


@bp.post("/logout")
def logout() -> Any:
    """Log out (a POST with a CSRF token, so no page can log someone out)."""
    form = LogoutForm()
    if form.validate():
        logout_user()
        session.clear()
    return redirect(url_for("auth.login_page"), code=303)
