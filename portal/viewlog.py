"""The access log written from the views: who looks at which residents, now, from where."""

from __future__ import annotations

from collections.abc import Iterable

from flask import Response, after_this_request, g, request
from flask_login import current_user
from sqlalchemy.exc import DBAPIError

from . import clock
from .audit import log_access, log_list_view
from .extensions import db
from .models import Referral, User


def record_view(referral: Referral, action: str) -> None:
    """Log that the current user opened one resident's file (every time)."""
    log_access(db.session, current_user, referral, action, clock.now(), request.remote_addr)
    _commit_after_rendering()


def record_views(
    referrals: Iterable[Referral | int], action: str, user: User | None = None
) -> None:
    """Log that a list, search or export showed these files (see audit.log_list_view)."""
    ids = [r if isinstance(r, int) else r.id for r in referrals]
    viewer = user if user is not None else current_user
    log_list_view(db.session, viewer, ids, action, clock.now(), request.remote_addr)
    _commit_after_rendering()


def _commit_after_rendering() -> None:
    # Committing now would expire every row the page is about to show, and rendering would
    # then load each one again; the entries are committed once the page is rendered.
    @after_this_request
    def commit(response: Response) -> Response:
        from .errors import database_unavailable, unavailable_page

        try:
            db.session.commit()
        except DBAPIError as exc:
            if not database_unavailable(exc):
                raise
            # A page whose viewing could not be logged is not shown.
            db.session.rollback()
            return unavailable_page()
        return response


def can_record_views() -> bool:
    """False once this request found the database taking no writes (portal.errors)."""
    return not g.get("database_unavailable", False)
