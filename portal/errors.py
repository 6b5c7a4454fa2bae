"""Error pages in Dutch; a failed CSRF check gives the form back instead of an error.

When the database cannot be reached, is read-only or stays locked, the answer is a Dutch
page that needs no database (error_standalone.html), and a form being saved comes back
filled in with a message instead.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from flask import Flask, Response, current_app, g, make_response, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from . import recovery
from .applog import REQUEST_ID_KEY
from .auth.views import expired_session_response, too_many_attempts_response
from .extensions import db

log = logging.getLogger("portal.errors")

# PostgreSQL's classes of errors that pass: connection lost (08), too few resources (53),
# the server shutting down or starting (57P), a read-only transaction (25006, a standby).
_PASSING_SQLSTATES = ("08", "53", "57P", "25006")


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_failed(_error: CSRFError) -> Any:
        if not current_user.is_authenticated:
            return expired_session_response()
        if request.headers.get("HX-Request"):
            return "", 204
        if recovery.is_resumable(request.endpoint):
            return recovery.refill(
                request.endpoint or "",
                request.form,
                _("Het formulier was verlopen. Uw gegevens staan er nog: controleer ze en bewaar."),
            )
        return _page(
            400, _("Het formulier was verlopen. Ga terug, herlaad de pagina en probeer opnieuw.")
        )

    @app.errorhandler(403)
    def forbidden(_error: Exception) -> Any:
        return _page(403, _("U hebt geen toegang tot deze pagina."))

    @app.errorhandler(404)
    def not_found(_error: Exception) -> Any:
        return _page(404, _("Deze pagina bestaat niet (meer)."))

    @app.errorhandler(405)
    def not_allowed(_error: Exception) -> Any:
        return _page(405, _("Deze actie kan zo niet."))

    @app.errorhandler(429)
    def too_many(_error: Exception) -> Any:
        if request.endpoint == "auth.login":
            return too_many_attempts_response()
        return _page(429, _("Te veel verzoeken. Wacht even en probeer opnieuw."))

    @app.errorhandler(413)
    def too_large(_error: Exception) -> Any:
        if request.endpoint == "register.upload" and current_user.is_authenticated:
            from .register.views import file_too_large

            return file_too_large()
        return _page(413, _("Wat u verstuurde is te groot. Maak de tekst korter."))

    @app.errorhandler(DBAPIError)
    def database_error(error: DBAPIError) -> Any:
        if database_unavailable(error):
            return unavailable_response(error)
        current_app.log_exception(sys.exc_info())
        _forget_failed_work()
        return server_error_page()

    @app.errorhandler(StaleDataError)
    def changed_meanwhile(_error: StaleDataError) -> Any:
        # A save whose rows another request changed between its reads and its writes, on a
        # route that does not answer this itself: nothing was saved; say so, not "error".
        db.session.rollback()
        return _page(
            409,
            _(
                "Iemand anders wijzigde dit intussen. Er is niets bewaard: herlaad de pagina en "
                "probeer opnieuw."
            ),
        )

    @app.errorhandler(500)
    def server_error(_error: Exception) -> Any:
        # The cause may be the database itself: this page must not need it.
        return server_error_page()


# A title that says which error it is, in the tab and the history, not just "error".
STATUS_TITLES = {
    400: _l("Formulier verlopen"),
    403: _l("Geen toegang"),
    404: _l("Niet gevonden"),
    405: _l("Actie niet mogelijk"),
    409: _l("Intussen gewijzigd"),
    413: _l("Te groot"),
    429: _l("Te veel verzoeken"),
    500: _l("Er liep iets mis"),
    503: _l("Tijdelijk niet beschikbaar"),
}


def _page(status: int, message: str) -> Any:
    title = str(STATUS_TITLES.get(status, _l("Foutmelding")))
    return render_template("error.html", status=status, message=message, title=title), status


def database_unavailable(error: DBAPIError) -> bool:
    """Whether the error is the database not being there or not taking writes now."""
    if isinstance(error, OperationalError | InterfaceError):
        return True
    sqlstate = getattr(error.orig, "sqlstate", None) or ""
    return sqlstate.startswith(_PASSING_SQLSTATES)


def unavailable_response(error: DBAPIError) -> Response:
    """Nothing was saved: give the form back filled in when it can be, else say so."""
    log.warning(
        "Database unavailable: %s request_id=%s",
        type(error.orig or error).__name__,
        request.environ.get(REQUEST_ID_KEY, "-"),
    )
    _forget_failed_work()
    # Pages rendered from here on show no lists whose viewing could not be logged.
    g.database_unavailable = True
    endpoint = request.endpoint
    if request.method == "POST" and recovery.is_resumable(endpoint):
        try:
            response = make_response(
                recovery.refill(
                    endpoint or "",
                    request.form,
                    _(
                        "Niet bewaard: de databank is even niet beschikbaar. Wat u invulde, "
                        "staat er nog; probeer over een minuut opnieuw te bewaren."
                    ),
                )
            )
        except DBAPIError:
            # The form itself needs the database (its choices): it cannot come back.
            _forget_failed_work()
        else:
            response.status_code = 503
            return response
    return unavailable_page()


def unavailable_page() -> Response:
    response = standalone_page(
        503,
        _("De databank is even niet beschikbaar. Probeer het over een minuut opnieuw."),
    )
    response.headers["Retry-After"] = "60"
    return response


def server_error_page() -> Response:
    return standalone_page(
        500, _("Er liep iets mis. Probeer het opnieuw; blijft het misgaan, meld het.")
    )


def standalone_page(status: int, message: str) -> Response:
    """A Dutch error page rendered without the database, the user or any context processor."""
    template = current_app.jinja_env.get_template("error_standalone.html")
    html = template.render(
        message=message,
        title=str(STATUS_TITLES.get(status, _l("Foutmelding"))),
        request_id=request.environ.get(REQUEST_ID_KEY),
    )
    return current_app.response_class(html, status=status, mimetype="text/html")


def _forget_failed_work() -> None:
    try:
        db.session.rollback()
    except DBAPIError:
        db.session().invalidate()
