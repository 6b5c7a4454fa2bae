"""My agenda, my availability, and the private calendar feed."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import contains_eager, selectinload

from .. import clock
from ..access import (
    Permission,
    in_my_municipalities,
    led_municipality_ids,
    municipality_ids,
    owns_agenda_item,
    requires,
)
from ..accounts import toeleiders_of
from ..extensions import db
from ..formtools import CsrfForm, record_id
from ..models import Absence, Appointment, AvailabilitySlot, InterpreterRequest, Referral
from ..viewlog import record_views
from . import calendar_feed
from .forms import WEEKDAYS, AbsenceForm, SlotForm
from .week import week_grid

bp = Blueprint("agenda", __name__, url_prefix="/agenda")


def _day_arg() -> date:
    """The day asked for, or today when it is unreadable or absurdly far away."""
    today = clock.today()
    try:
        day = date.fromisoformat(request.args.get("day", ""))
    except ValueError:
        return today
    return day if abs((day - today).days) <= 3660 else today


@bp.get("/")
@requires(Permission.WORK_QUEUE)
def index() -> Any:
    """My appointments for a day or a week."""
    day = _day_arg()
    week = request.args.get("view") == "week"
    first = day - timedelta(days=day.weekday()) if week else day
    last = first + timedelta(days=7 if week else 1)
    appointments = db.session.scalars(
        select(Appointment)
        .join(Appointment.referral)
        .options(
            contains_eager(Appointment.referral).joinedload(Referral.person),
            selectinload(Appointment.interpreter_request).joinedload(InterpreterRequest.language),
        )
        .where(Appointment.toeleider_id == current_user.id, in_my_municipalities(current_user))
        .where(Appointment.starts_at >= datetime.combine(first, datetime.min.time()))
        .where(Appointment.starts_at < datetime.combine(last, datetime.min.time()))
        .order_by(Appointment.starts_at)
    ).all()
    record_views((a.referral_id for a in appointments), "agenda")
    step = timedelta(days=7 if week else 1)
    return render_template(
        "agenda/index.html",
        appointments=appointments,
        day=day,
        week=week,
        first=first,
        last=last - timedelta(days=1),
        previous=first - step,
        following=first + step,
        feed_form=CsrfForm(),
    )


@bp.get("/week")
@requires(Permission.WORK_QUEUE)
def week() -> Any:
    """The week as a grid: my own, or for a lead the team's or one team member's."""
    day = _day_arg()
    led = led_municipality_ids(current_user)
    team = toeleiders_of(db.session, led) if led else []
    chosen_id = record_id(request.args.get("toeleider", ""))
    chosen = next((u for u in team if u.id == chosen_id), None)
    whole_team = bool(team) and chosen_id is None
    if whole_team:
        shown, scope = team, led
    elif chosen is not None:
        shown, scope = [chosen], led
    elif chosen_id in (None, current_user.id):
        shown, scope = [current_user], sorted(municipality_ids(current_user))
    else:
        abort(404)
    grid = week_grid(db.session, shown, scope, day, with_availability=not whole_team)
    record_views((a.referral_id for a in grid.appointments), "agenda_week")
    return render_template(
        "agenda/week.html",
        grid=grid,
        team=team,
        person=None if whole_team else shown[0],
        chosen_id=None if whole_team else shown[0].id,
        whole_team=whole_team,
        previous=grid.monday - timedelta(days=7),
        following=grid.monday + timedelta(days=7),
        weekdays=WEEKDAYS,
    )


@bp.route("/availability", methods=["GET", "POST"])
@requires(Permission.WORK_QUEUE)
def availability() -> Any:
    """Weekly periods for conversations and desk duty, and absences."""
    slot_form = SlotForm(prefix="slot")
    absence_form = AbsenceForm(prefix="absence")
    status = 200
    if request.method == "POST":
        form = slot_form if "slot-weekday" in request.form else absence_form
        if form.validate():
            if form is slot_form:
                db.session.add(
                    AvailabilitySlot(
                        user_id=current_user.id,
                        weekday=slot_form.weekday.data,
                        starts=slot_form.starts.data,
                        ends=slot_form.ends.data,
                        kind=slot_form.kind.data,
                    )
                )
            else:
                db.session.add(
                    Absence(
                        user_id=current_user.id,
                        first_day=absence_form.first_day.data,
                        last_day=absence_form.last_day.data,
                        note=absence_form.note.data or None,
                    )
                )
            db.session.commit()
            flash(_("Bewaard."))
            return redirect(url_for("agenda.availability"), code=303)
        status = 422
    slots = db.session.scalars(
        select(AvailabilitySlot)
        .where(AvailabilitySlot.user_id == current_user.id)
        .order_by(AvailabilitySlot.weekday, AvailabilitySlot.starts)
    ).all()
    absences = db.session.scalars(
        select(Absence)
        .where(Absence.user_id == current_user.id, Absence.last_day >= clock.today())
        .order_by(Absence.first_day)
    ).all()
    return render_template(
        "agenda/availability.html",
        slots=slots,
        absences=absences,
        slot_form=slot_form,
        absence_form=absence_form,
        delete_form=CsrfForm(),
        weekdays=WEEKDAYS,
    ), status


@bp.post("/availability/<kind>/<int:item_id>/delete")
@requires(Permission.WORK_QUEUE)
def delete_availability(kind: str, item_id: int) -> Any:
    """Remove one of my own weekly periods or absences."""
    model = {"slot": AvailabilitySlot, "absence": Absence}.get(kind) or abort(404)
    item = db.session.get(model, item_id)
    if item is None or not owns_agenda_item(current_user, item):
        abort(404)
    if CsrfForm().validate():
        db.session.delete(item)
        db.session.commit()
    return redirect(url_for("agenda.availability"), code=303)


@bp.post("/feed")
@requires(Permission.WORK_QUEUE)
def new_feed() -> Any:
    """Make (or replace) my private calendar address; an old one stops working."""
    if CsrfForm().validate():
        current_user.calendar_token = calendar_feed.new_token()
        db.session.commit()
        flash(_("Nieuw agenda-adres gemaakt. Het vorige werkt niet meer."))
    return redirect(url_for("agenda.index"), code=303)


@bp.post("/feed/revoke")
@requires(Permission.WORK_QUEUE)
def revoke_feed() -> Any:
    """Switch my calendar feed off."""
    if CsrfForm().validate():
        current_user.calendar_token = None
        db.session.commit()
        flash(_("Agenda-adres ingetrokken."))
    return redirect(url_for("agenda.index"), code=303)


@bp.get("/feed/<token>.ics")
def feed(token: str) -> Any:
    """The iCalendar feed: the secret address is the only key, so an unknown one is a 404.

    So is the address of someone who no longer keeps an agenda (deactivated, or no longer a
    toeleider): a subscription must not go on copying files into their calendar.
    """
    user = calendar_feed.user_for_token(db.session, token)
    if user is None:
        abort(404)
    zone = current_app.config["BABEL_DEFAULT_TIMEZONE"]
    body, shown = calendar_feed.feed(db.session, user, zone, clock.now())
    record_views(shown, "calendar_feed", user=user)
    return Response(body, mimetype="text/calendar", headers={"Cache-Control": "no-store"})
