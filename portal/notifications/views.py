"""The user's notifications: the list, the header's counter, opening one."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import DBAPIError

from .. import clock
from ..access import Permission, can_view_referral, receives_notifications, requires
from ..extensions import db
from ..formtools import CsrfForm, record_id
from . import records

bp = Blueprint("notifications", __name__, url_prefix="/notifications")

PER_PAGE = 50


def header_count(user: Any) -> int | None:
    """The header's number of unread notifications, or None where the header shows none."""
    if not receives_notifications(user) or g.get("database_unavailable", False):
        return None
    try:
        return records.unread_count(db.session, user.id)
    except DBAPIError:
        # An error page still renders when the database cannot answer.
        return None


@bp.get("/")
@requires(Permission.VIEW_REFERRALS)
def index() -> Any:
    """What is new for me, unread first; each links to its file."""
    records.tasks_due(db.session, clock.now(), current_user)
    db.session.commit()
    page = records.listing(
        db.session, current_user, record_id(request.args.get("page")) or 1, PER_PAGE
    )
    return render_template("notifications/index.html", page=page, form=CsrfForm(formdata=None))


@bp.get("/count")
@requires(Permission.VIEW_REFERRALS)
def count() -> Any:
    """The header's counter, for its refresh every minute: nothing (204) while the number it
    shows is still right, so that a screen reader hears only a change."""
    count = records.unread_count(db.session, current_user.id)
    if request.args.get("shown") == str(count):
        return "", 204
    return render_template("notifications/_counter.html", count=count)


@bp.get("/<int:notification_id>")
@requires(Permission.VIEW_REFERRALS)
def open_one(notification_id: int) -> Any:
    """Mark the notification read and go to its file."""
    notification = records.own_notification(db.session, current_user, notification_id)
    if notification is None:
        abort(404)
    records.mark_read(notification, clock.now())
    db.session.commit()
    if not can_view_referral(current_user, notification.referral, clock.today()):
        flash(_("Dit dossier kunt u niet meer openen."))
        return redirect(url_for("notifications.index"), code=303)
    return redirect(url_for("referrals.detail", referral_id=notification.referral_id), code=303)


@bp.post("/read")
@requires(Permission.VIEW_REFERRALS)
def read_all() -> Any:
    """Mark every notification read."""
    if not CsrfForm().validate_on_submit():
        abort(400)
    records.mark_all_read(db.session, current_user, clock.now())
    db.session.commit()
    flash(_("Alle meldingen zijn gelezen."))
    return redirect(url_for("notifications.index"), code=303)
