"""Group work pages: recording activities and the programmes' waiting lists."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from .. import clock
from ..access import Permission, may_remove_activity, may_see_activity, may_work_on, requires
from ..extensions import db
from ..formtools import CsrfForm, dutch_options, first_error, given, options, record_id, year_arg
from ..models import Activity, ActivityKind, Channel, Service
from ..referrals.programmes import waiting_lists
from ..viewlog import record_views
from . import activities
from .forms import ActivityForm

bp = Blueprint("groupwork", __name__, url_prefix="/groupwork")


def _my_municipality_ids() -> list[int]:
    return sorted(m.id for m in current_user.municipalities)


def _prepare(form: ActivityForm) -> ActivityForm:
    mine = [(m.id, m.name) for m in current_user.municipalities]
    # Someone working for several municipalities chooses; a preselected one would be wrong
    # half of the time without anyone noticing.
    form.municipality.choices = options(
        mine if len(mine) == 1 else [(0, _("Kies een gemeente"))] + mine
    )
    channels = db.session.scalars(
        select(Channel).where(Channel.active.is_(True)).order_by(Channel.name)
    )
    form.channel.choices = options([(0, _("Kies een kanaal"))]) + dutch_options(
        (c.id, c.name) for c in channels
    )
    partners = db.session.scalars(
        select(Service)
        .where(Service.is_partner.is_(True), Service.active.is_(True))
        .order_by(Service.name)
    )
    form.partner.choices = options([(0, _("Geen"))]) + dutch_options(
        (p.id, p.name) for p in partners
    )
    return form


def _year() -> int:
    return year_arg(request.args.get("year")) or clock.today().year


def _render(form: ActivityForm, status: int = 200, message: str | None = None) -> Any:
    year = _year()
    return (
        render_template(
            "groupwork/activities.html",
            form=form,
            year=year,
            listing=activities.of_year(
                db.session,
                _my_municipality_ids(),
                year,
                record_id(request.args.get("page")) or 1,
            ),
            may_remove=lambda a: may_remove_activity(current_user, a),
            message=message,
            focus=first_error(form),
        ),
        status,
    )


@bp.get("/activities")
@requires(Permission.WORK_QUEUE)
def index() -> Any:
    """This year's group activities and the form to add one."""
    form = _prepare(ActivityForm(formdata=None, held_on=clock.today()))
    form.channel.data = current_user.channel_id or 0
    form.partner.data = 0
    return _render(form)


@bp.post("/activities")
@requires(Permission.WORK_QUEUE)
def add() -> Any:
    """Record one activity: date, kind, channel, participants and how many were young."""
    form = _prepare(ActivityForm())
    if not form.validate():
        return _render(form, 422)
    new = activities.NewActivity(
        municipality_id=form.municipality.data,
        held_on=given(form.held_on.data),
        kind=ActivityKind(form.kind.data),
        title=form.title.data or "",
        channel_id=form.channel.data,
        partner_id=form.partner.data or None,
        participants=given(form.participants.data),
        young_participants=given(form.young_participants.data),
    )
    try:
        activities.record(db.session, current_user, new, clock.now())
    except activities.ActivityRefused as refused:
        db.session.rollback()
        return _render(form, 409, refused.message)
    db.session.commit()
    flash(_("Activiteit bewaard."))
    return redirect(url_for("groupwork.index", year=new.held_on.year), code=303)


@bp.post("/activities/<int:activity_id>/delete")
@requires(Permission.WORK_QUEUE)
def remove(activity_id: int) -> Any:
    """Take out an activity that was recorded by mistake."""
    activity = db.session.get(Activity, activity_id)
    if activity is None or not may_see_activity(current_user, activity):
        abort(404)
    if not CsrfForm().validate_on_submit():
        abort(400)
    try:
        activities.remove(db.session, current_user, activity)
    except activities.ActivityRefused:
        abort(403)
    year = activity.held_on.year
    db.session.commit()
    flash(_("Activiteit verwijderd."))
    return redirect(url_for("groupwork.index", year=year), code=303)


@bp.get("/waiting-lists")
@requires(Permission.WORK_QUEUE)
def waiting() -> Any:
    """Per programme: places, places taken, and who waits since when."""
    lists = waiting_lists(db.session, _my_municipality_ids())
    record_views((p.referral_id for wl in lists for _pos, p in wl.waiting), "waiting_list")
    return render_template(
        "groupwork/waiting_lists.html",
        lists=lists,
        today=clock.today(),
        may_work=lambda referral: may_work_on(current_user, referral),
    )
