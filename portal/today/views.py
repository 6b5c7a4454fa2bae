"""The toeleider's Vandaag: their landing page, with what is due today and what is new."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from flask_login import current_user

from .. import clock
from ..access import Permission, requires
from ..extensions import db
from ..notifications import records as notifications
from ..viewlog import record_views
from .overview import my_day, note_visit

bp = Blueprint("today", __name__, url_prefix="/today")


@bp.get("/")
@requires(Permission.WORK_QUEUE)
def index() -> Any:
    """My appointments, tasks, call-backs and letters today, and what is new since my visit."""
    now = clock.now()
    since = note_visit(db.session, current_user, "today", now)
    notifications.tasks_due(db.session, now, current_user)
    # The visit is saved before the lists load, so rendering does not reload every row.
    db.session.commit()
    day = my_day(db.session, current_user, now.date(), since)
    record_views(day.shown_referral_ids(), "my_day")
    return render_template("today/index.html", my=day, today=now.date())
