"""Error pages in Dutch; a failed CSRF check gives the form back instead of an error."""

from __future__ import annotations

from typing import Any

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm.exc import StaleDataError

from . import recovery
from .auth.views import expired_session_response, too_many_attempts_response
from .extensions import db


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
        return _page(413, _("Wat u verstuurde is te groot. Maak de tekst korter."))

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
        return _page(500, _("Er liep iets mis. Probeer het opnieuw; blijft het misgaan, meld het."))


def _page(status: int, message: str) -> Any:
    return render_template("error.html", status=status, message=message), status
