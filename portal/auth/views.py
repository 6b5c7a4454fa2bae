"""Login and logout, the second factor, and the user's own account."""

from __future__ import annotations

import unicodedata
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user, login_user, logout_user
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from .. import clock, recovery, throttle
from ..access import (
    Permission,
    home_endpoint,
    may_use_second_factor,
    receives_notifications,
    requires,
    requires_login,
)
from ..audit import log_admin_action
from ..extensions import db, limiter
from ..models import LoginSession, MailPreference, UiLocale, User
from . import LOGIN_TOKEN_KEY, login_limits, logins, second_factor
from .forms import (
    DisableSecondFactorForm,
    EnrolSecondFactorForm,
    InterfaceLanguageForm,
    LoginForm,
    LogoutForm,
    MailPreferenceForm,
    PasswordChangeForm,
    SecondFactorForm,
)
from .passwords import hash_password, needs_rehash, verify_password
from .sealing import seal, unseal

bp = Blueprint("auth", __name__)

# Where someone whose password an admin chose may go before choosing their own.
_WHILE_PASSWORD_MUST_CHANGE = frozenset(
    {"auth.account_password", "auth.logout", "auth.login_page", "auth.login", "static"}
)


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


@bp.before_app_request
def _password_must_change() -> Any:
    if request.endpoint in _WHILE_PASSWORD_MUST_CHANGE or not current_user.is_authenticated:
        return None
    if current_user.must_change_password:
        if request.headers.get("HX-Request"):
            return "", 204
        return redirect(url_for("auth.account_password"), code=303)
    return None


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


def _account_attempt_key() -> str:
    return "login-account|" + (request.form.get("email") or "").strip().casefold()


def _address_attempt_key() -> str:
    return f"login-address|{request.remote_addr}"


def _second_factor_attempt_key() -> str:
    return f"login-code|{session.get(LOGIN_TOKEN_KEY, '')}"


def _login_limit() -> str:
    return str(current_app.config["PORTAL_LOGIN_LIMIT"])


def _address_limit() -> str:
    return str(current_app.config["PORTAL_LOGIN_ADDRESS_LIMIT"])


def _start(user: User, *, pending: bool) -> None:
    session.clear()
    session.permanent = True
    session[LOGIN_TOKEN_KEY] = logins.start_login(
        db.session, user_id=user.id, at=clock.now(), address=request.remote_addr, pending=pending
    )
    db.session.commit()


def _finish_login(user: User, next_path: str | None, resume: str | None) -> Any:
    login_user(user)
    if user.must_change_password:
        flash(_("Kies eerst een eigen wachtwoord. Dat van de beheerder geldt maar één keer."))
        return redirect(url_for("auth.account_password"), code=303)
    if resume:
        unpacked = recovery.unpack(resume, user.id)
        if unpacked is not None:
            endpoint, values = unpacked
            return recovery.refill(
                endpoint,
                values,
                _("U bent opnieuw aangemeld. Uw gegevens staan er nog: controleer ze en bewaar."),
            )
    return redirect(_safe_next(next_path) or _home(), code=303)


@bp.post("/login")
@limiter.limit(_login_limit, key_func=_account_attempt_key, methods=["POST"])
@limiter.limit(_address_limit, key_func=_address_attempt_key, methods=["POST"])
def login() -> Any:
    """Check the credentials; give back a form that was interrupted by an expired session."""
    form = LoginForm()
    if not form.validate():
        return _render_login(form, status=422)
    email = (form.email.data or "").strip().casefold()
    user = db.session.scalar(select(User).where(func.lower(User.email) == email))
    # One Argon2 verification whether the account exists, is active or not: the answer
    # takes as long either way and says nothing about the account.
    matches = verify_password(user.password_hash if user else None, form.password.data or "")
    if user is None or not user.active or not matches:
        form.password.errors = [_("E-mailadres of wachtwoord klopt niet.")]
        return _render_login(form, status=422)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(form.password.data or "")
        db.session.commit()
    if user.totp_secret:
        _start(user, pending=True)
        return _ask_second_factor(form.next.data or "", form.resume.data or "")
    _start(user, pending=False)
    return _finish_login(user, form.next.data, form.resume.data)


def _code_seen_before(key: str) -> bool:
    # The rate-limit store is shared by every process, and forgets a code once it expired.
    return throttle.seen_before(key, 120)


def _ask_second_factor(next_path: str, resume: str) -> Any:
    """The second step's form, carrying where to go and the interrupted form along."""
    form = SecondFactorForm(formdata=None, next=next_path, resume=resume)
    return render_template("auth/second_factor.html", form=form)


def _pending_login() -> LoginSession | None:
    """The login of this browser that waits for its second factor, if it still holds."""
    token = session.get(LOGIN_TOKEN_KEY)
    row = db.session.get(LoginSession, logins.token_id(token)) if token else None
    if row is None or not row.second_factor_pending:
        return None
    return logins.live_login(
        db.session, token=token, user_id=row.user_id, at=clock.now(), limits=login_limits()
    )


@bp.post("/login/code")
@limiter.limit(_login_limit, key_func=_second_factor_attempt_key, methods=["POST"])
def login_code() -> Any:
    """The second step for an account with a second factor: a code from the app."""
    form = SecondFactorForm()
    login = _pending_login()
    if login is None:
        return redirect(url_for("auth.login_page"), code=303)
    user = db.session.get(User, login.user_id)
    if user is None or not user.active:
        return redirect(url_for("auth.login_page"), code=303)
    if not form.validate() or not second_factor.check(
        db.session, user, form.code.data or "", clock.now(), seen_before=_code_seen_before
    ):
        if form.code.data and not form.code.errors:
            form.code.errors = [_("Deze code klopt niet. Probeer de volgende code uit de app.")]
        return render_template("auth/second_factor.html", form=form), 422
    login.second_factor_pending = False
    login.last_seen_at = clock.now()
    db.session.commit()
    return _finish_login(user, form.next.data, form.resume.data)


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
    # The cookie still names who was logged in, after the server ended the login: the
    # form goes back only to that user.
    typed_by = str(session.get("_user_id") or "")
    if (
        endpoint
        and recovery.is_resumable(endpoint)
        and endpoint != "auth.login"
        and typed_by.isdigit()
    ):
        form.resume.data = recovery.pack(endpoint, request.form, int(typed_by))
        message = _("Uw sessie is verlopen. Meld u opnieuw aan; wat u invulde, blijft bewaard.")
    else:
        message = _("Uw sessie is verlopen. Meld u opnieuw aan.")
    return _render_login(form, message=message, status=401)


@bp.post("/logout")
def logout() -> Any:
    """Log out (a POST with a CSRF token, so no page can log someone out)."""
    form = LogoutForm()
    if form.validate():
        logins.end_login(db.session, token=session.get(LOGIN_TOKEN_KEY), at=clock.now())
        db.session.commit()
        logout_user()
        session.clear()
    return redirect(url_for("auth.login_page"), code=303)


# The user's own account ------------------------------------------------------------------


def _log_own(action: str) -> None:
    log_admin_action(
        db.session,
        actor=current_user,
        action=action,
        target_kind="user",
        target_id=current_user.id,
        target_label=current_user.full_name,
        at=clock.now(),
        address=request.remote_addr,
    )


def _render_account(
    password_form: PasswordChangeForm | None = None,
    enrol_form: EnrolSecondFactorForm | None = None,
    mail_form: MailPreferenceForm | None = None,
    locale_form: InterfaceLanguageForm | None = None,
    status: int = 200,
    **extra: Any,
) -> Any:
    user = current_user
    offered = may_use_second_factor(user)
    enrolment = None
    if offered and not user.totp_secret:
        secret = _enrolment_secret()
        uri = second_factor.provisioning_uri(secret, user.email)
        enrolment = {"secret": secret, "qr": second_factor.qr_svg(uri)}
    return render_template(
        "auth/account.html",
        password_form=password_form or PasswordChangeForm(formdata=None),
        enrol_form=enrol_form or EnrolSecondFactorForm(formdata=None),
        disable_form=DisableSecondFactorForm(formdata=None),
        mail_form=mail_form
        or MailPreferenceForm(formdata=None, preference=user.mail_preference.value),
        mail_offered=receives_notifications(user),
        locale_form=locale_form
        or InterfaceLanguageForm(formdata=None, locale=user.ui_locale.value),
        plain_form=LogoutForm(formdata=None),
        offered=offered,
        enrolment=enrolment,
        recovery_left=second_factor.unused_recovery_codes(db.session, user)
        if user.totp_secret
        else 0,
        open_logins=logins.open_logins(
            db.session, user_id=user.id, at=clock.now(), limits=login_limits()
        ),
        **extra,
    ), status


_ENROL_KEY = "totp_enrolment"


def _enrolment_secret() -> str:
    # The secret waits, encrypted, in the session until the first code confirms it.
    sealed = session.get(_ENROL_KEY)
    raw = unseal("totp-enrolment", sealed) if sealed else None
    if raw is None:
        secret = second_factor.new_secret()
        session[_ENROL_KEY] = seal("totp-enrolment", secret.encode())
        return secret
    return raw.decode()


@bp.get("/account")
@requires_login
def account() -> Any:
    """The user's own account: password, second factor, logins on other devices."""
    return _render_account()


@bp.route("/account/password", methods=["GET", "POST"])
@requires_login
@limiter.limit(_login_limit, key_func=lambda: f"password|{current_user.id}", methods=["POST"])
def account_password() -> Any:
    """Change one's own password; other devices are logged out."""
    form = PasswordChangeForm(formdata=None) if request.method == "GET" else PasswordChangeForm()
    form.rules_email = current_user.email
    forced = current_user.must_change_password
    if request.method == "POST" and form.validate():
        if not verify_password(current_user.password_hash, form.current_password.data or ""):
            form.current_password.errors = [_("Dit is niet uw huidige wachtwoord.")]
        elif form.new_password.data == form.current_password.data:
            form.new_password.errors = [_("Kies een ander wachtwoord dan het huidige.")]
        else:
            current_user.password_hash = hash_password(form.new_password.data or "")
            current_user.must_change_password = False
            logins.end_all_logins(
                db.session,
                user_id=current_user.id,
                at=clock.now(),
                keep_token=session.get(LOGIN_TOKEN_KEY),
            )
            _log_own("account.password")
            db.session.commit()
            flash(_("Uw wachtwoord is gewijzigd. Andere toestellen zijn afgemeld."))
            return redirect(url_for("auth.account") if not forced else _home(), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("auth/password.html", form=form, forced=forced), status


@bp.post("/account/mail")
@requires(Permission.VIEW_REFERRALS)
def mail_preference() -> Any:
    """Choose which notifications also come by e-mail, and when."""
    form = MailPreferenceForm()
    if not form.validate():
        return _render_account(mail_form=form, status=422)
    chosen = MailPreference(form.preference.data)
    if chosen != current_user.mail_preference:
        current_user.mail_preference = chosen
        _log_own("account.mail_preference")
        db.session.commit()
    flash(_("Uw keuze voor meldingen per e-mail is bewaard."))
    return redirect(url_for("auth.account"), code=303)


@bp.post("/account/language")
@requires_login
def interface_language() -> Any:
    """Choose the language of the portal's screens."""
    form = InterfaceLanguageForm()
    if not form.validate():
        return _render_account(locale_form=form, status=422)
    chosen = UiLocale(form.locale.data)
    if chosen != current_user.ui_locale:
        current_user.ui_locale = chosen
        _log_own("account.interface_language")
        db.session.commit()
        # The confirmation already in the language just chosen.
        g.ui_locale = chosen
        refresh()
    flash(_("De taal van het portaal is bewaard."))
    return redirect(url_for("auth.account"), code=303)


@bp.post("/account/logout-everywhere")
@requires_login
def logout_everywhere() -> Any:
    """End every login of this user, this one included."""
    if LogoutForm().validate():
        logins.end_all_logins(db.session, user_id=current_user.id, at=clock.now())
        _log_own("account.sessions_revoked")
        db.session.commit()
        logout_user()
        session.clear()
        flash(_("U bent afgemeld op alle toestellen."))
        return redirect(url_for("auth.login_page"), code=303)
    return redirect(url_for("auth.account"), code=303)


@bp.post("/account/second-factor")
@requires_login
@limiter.limit(_login_limit, key_func=lambda: f"enrol|{current_user.id}", methods=["POST"])
def second_factor_enable() -> Any:
    """Turn on the second factor once a code from the app proves the app has the secret."""
    form = EnrolSecondFactorForm()
    if not may_use_second_factor(current_user) or current_user.totp_secret:
        return redirect(url_for("auth.account"), code=303)
    secret = _enrolment_secret()
    if not form.validate() or not second_factor.code_matches(secret, form.code.data or ""):
        if not form.code.errors:
            form.code.errors = [_("Deze code klopt niet. Controleer de tijd op uw telefoon.")]
        return _render_account(enrol_form=form, status=422)
    codes = second_factor.enable(db.session, current_user, secret)
    session.pop(_ENROL_KEY, None)
    logins.end_all_logins(
        db.session,
        user_id=current_user.id,
        at=clock.now(),
        keep_token=session.get(LOGIN_TOKEN_KEY),
    )
    _log_own("account.totp_enable")
    db.session.commit()
    return render_template("auth/recovery_codes.html", codes=codes)


@bp.post("/account/second-factor/off")
@requires_login
@limiter.limit(_login_limit, key_func=lambda: f"disable|{current_user.id}", methods=["POST"])
def second_factor_disable() -> Any:
    """Turn the second factor off, with the password as proof."""
    form = DisableSecondFactorForm()
    if not current_user.totp_secret:
        return redirect(url_for("auth.account"), code=303)
    if not form.validate() or not verify_password(
        current_user.password_hash, form.password.data or ""
    ):
        flash(_("Het wachtwoord klopt niet; de tweede stap blijft aan."))
        return redirect(url_for("auth.account"), code=303)
    second_factor.disable(db.session, current_user)
    _log_own("account.totp_disable")
    db.session.commit()
    flash(_("De tweede stap is uitgeschakeld."))
    return redirect(url_for("auth.account"), code=303)
