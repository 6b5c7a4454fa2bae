"""The lead's pages: Today, the numbers behind it, workload, reassigning."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError
from wtforms import SelectField, TextAreaField
from wtforms.validators import Length

from .. import clock
from ..access import Permission, led_municipality_ids, may_change_signal, requires
from ..accounts import toeleiders_of
from ..audit import changes_between, log_admin_action
from ..downloads import csv_download
from ..extensions import db
from ..formtools import given, options, record_id
from ..models import OPEN_STATES, Referral, Signal, SignalStatus, User
from ..pagination import paginate
from ..referrals import agii, lifecycle, school
from ..referrals.forms import ReassignForm
from ..settings import get_int
from ..templating import is_htmx
from ..viewlog import record_views
from .forms import PeriodForm
from .signals import register_statement, update_signal
from .today import LIST_KINDS, appointments_today, list_statement, today_counts, workload

bp = Blueprint("lead", __name__, url_prefix="/lead")

LIST_TITLES = {
    "new_today": _l("Vandaag geregistreerd"),
    "unclaimed": _l("Te lang niet opgenomen"),
    "letters": _l("Uitnodigingsbrieven te versturen"),
    "overdue_tasks": _l("Opvolgtaken over tijd"),
    "overdue_milestones": _l("Mijlpalen over tijd"),
}


class ReassignManyForm(ReassignForm):
    """The file page's reassign form, without the version: the lead picks files here."""

    version = None  # type: ignore[assignment]


def _lead_ids() -> list[int]:
    return led_municipality_ids(current_user)


@bp.get("/")
@requires(Permission.LEAD_TEAM)
def today() -> Any:
    """The day at a glance; htmx refreshes the panel every minute."""
    day = clock.today()
    ids = _lead_ids()
    unclaimed_days = get_int(db.session, "unclaimed_working_days")
    context: dict[str, Any] = {
        "counts": today_counts(db.session, ids, day, unclaimed_days),
        "appointments": appointments_today(db.session, ids, day),
        "unclaimed_days": unclaimed_days,
        "day": day,
    }
    record_views((a.referral_id for a in context["appointments"]), "today")
    if is_htmx() and request.headers.get("HX-Target") == "today-panel":
        return render_template("lead/_today_panel.html", **context)
    return render_template("lead/today.html", **context)


@bp.get("/list/<kind>")
@requires(Permission.LEAD_TEAM)
def referral_list(kind: str) -> Any:
    """The referrals behind one number of the Today page."""
    if kind not in LIST_KINDS:
        abort(404)
    page_number = request.args.get("page", "1")
    stmt = list_statement(
        kind, _lead_ids(), clock.today(), get_int(db.session, "unclaimed_working_days")
    ).options(
        joinedload(Referral.person),
        joinedload(Referral.contact_language),
        joinedload(Referral.owner),
    )
    page = paginate(db.session, stmt, record_id(page_number) or 1, 50)
    record_views(page.items, "lead_list")
    return render_template("lead/list.html", page=page, kind=kind, title=LIST_TITLES[kind])


@bp.get("/workload")
@requires(Permission.LEAD_TEAM)
def team() -> Any:
    """Open files, appointments and overdue items per toeleider."""
    return render_template(
        "lead/workload.html", rows=workload(db.session, _lead_ids(), clock.today())
    )


def _toeleiders() -> list[User]:
    return toeleiders_of(db.session, _lead_ids())


FILES_CHANGED = _l(
    "Intussen werd er aan een van deze dossiers gewerkt. Er is niets toegewezen: kijk de "
    "lijst na en wijs opnieuw toe."
)


def _open_files(person: User) -> list[Referral]:
    """The toeleider's open files in the lead's municipalities, the longest claimed first."""
    return list(
        db.session.scalars(
            select(Referral)
            .options(joinedload(Referral.person), joinedload(Referral.contact_language))
            .where(Referral.owner_id == person.id, Referral.state.in_(OPEN_STATES))
            .where(Referral.municipality_id.in_(_lead_ids()))
            .order_by(Referral.claimed_at)
        )
    )


@bp.route("/toeleiders/<int:user_id>", methods=["GET", "POST"])
@requires(Permission.LEAD_TEAM)
def toeleider_files(user_id: int) -> Any:
    """One toeleider's open files; reassign one or many with a reason."""
    toeleiders = _toeleiders()
    person = next((u for u in toeleiders if u.id == user_id), None) or abort(404)
    form = ReassignManyForm() if request.method == "POST" else ReassignManyForm(formdata=None)
    form.owner.choices = options((u.id, u.full_name) for u in toeleiders if u.id != person.id)
    files = _open_files(person)
    if request.method == "GET":
        record_views(files, "toeleider_files")
    chosen = {rid for rid in map(record_id, request.form.getlist("referral")) if rid is not None}
    message = None
    status = 422 if request.method == "POST" else 200
    if request.method == "POST" and form.validate():
        selected = [r for r in files if r.id in chosen]
        new_owner = db.session.get(User, form.owner.data) or abort(404)
        if not selected:
            message = _("Kies minstens één dossier.")
        else:
            try:
                for referral in selected:
                    lifecycle.reassign(
                        db.session, referral, current_user, new_owner, form.reason.data, clock.now()
                    )
                db.session.commit()
            except lifecycle.TransitionRefused as refused:
                db.session.rollback()
                message = refused.message
            except StaleDataError:
                # The owner (or a colleague) saved one of these files since they were read.
                db.session.rollback()
                message = str(FILES_CHANGED)
                status = 409
                files = _open_files(person)
            else:
                flash(
                    _(
                        "%(n)d dossier(s) toegewezen aan %(name)s.",
                        n=len(selected),
                        name=new_owner.full_name,
                    )
                )
                return redirect(url_for("lead.toeleider_files", user_id=person.id), code=303)
    return render_template(
        "lead/toeleider.html", person=person, files=files, form=form, chosen=chosen, message=message
    ), status


SIGNAL_STATUS_LABELS = {
    "new": _l("nieuw"),
    "brought_to_board": _l("voorgelegd aan het beleid"),
    "answered": _l("beantwoord"),
}


class SignalForm(FlaskForm):
    status = SelectField(_l("Status"), choices=options(SIGNAL_STATUS_LABELS.items()))
    answer = TextAreaField(
        _l("Antwoord"), validators=[Length(max=2000, message=_l("Hoogstens %(max)d tekens."))]
    )


SIGNALS_PER_PAGE = 50


@bp.get("/signals")
@requires(Permission.LEAD_TEAM)
def signals() -> Any:
    """Every signal with theme, date and source, and what became of it, a page at a time."""
    status = request.args.get("status", "")
    page = paginate(
        db.session,
        register_statement(_lead_ids(), status),
        record_id(request.args.get("page")) or 1,
        SIGNALS_PER_PAGE,
    )
    return render_template(
        "lead/signals.html",
        page=page,
        status=status,
        # Pages and the forms on them keep the filter.
        filter_args={"status": status} if status in SIGNAL_STATUS_LABELS else {},
        # Translated once here: every row's status choice shows them all.
        labels={value: str(label) for value, label in SIGNAL_STATUS_LABELS.items()},
        form=SignalForm(formdata=None),
    )


@bp.post("/signals/<int:signal_id>")
@requires(Permission.LEAD_TEAM)
def update_signal_status(signal_id: int) -> Any:
    """Note that a signal went to the board, or the answer that came back."""
    signal = db.session.get(Signal, signal_id)
    if signal is None or not may_change_signal(current_user, signal):
        abort(404)
    form = SignalForm()
    if form.validate():
        try:
            before = {"status": signal.status, "answer": signal.answer}
            update_signal(
                db.session,
                signal,
                current_user,
                SignalStatus(form.status.data),
                form.answer.data,
                clock.now(),
            )
            log_admin_action(
                db.session,
                actor=current_user,
                action="signal.status",
                target_kind="signal",
                target_id=signal.id,
                target_label=signal.theme.name,
                changes=changes_between(before, {"status": signal.status, "answer": signal.answer}),
                at=clock.now(),
                address=request.remote_addr,
            )
            db.session.commit()
            flash(_("Signaal bijgewerkt."))
        except lifecycle.TransitionRefused as refused:
            db.session.rollback()
            flash(refused.message)
    else:
        flash(" ".join(e for errors in form.errors.values() for e in errors))
    # Back to the filter and page the lead was working in.
    shown: dict[str, Any] = {k: v for k, v in request.args.items() if k in ("status", "page")}
    return redirect(url_for("lead.signals", **shown), code=303)


@bp.get("/children-without-school")
@requires(Permission.LEAD_TEAM)
def children_without_school() -> Any:
    """Children of compulsory school age in newcomer files whose school is not known yet."""
    page = school.children_without_school(
        db.session, _lead_ids(), clock.today(), record_id(request.args.get("page", "1")) or 1, 50
    )
    record_views((row.referral.id for row in page.items), "children_without_school")
    return render_template("lead/children_without_school.html", page=page, rows=page.items)


def _period_form() -> PeriodForm:
    """The period asked for; by default this month up to today."""
    today = clock.today()
    return PeriodForm(
        request.args or None, data={"first_day": today.replace(day=1), "last_day": today}
    )


@bp.get("/agii")
@requires(Permission.LEAD_TEAM)
def agii_referrals() -> Any:
    """The files referred to Agii in a period, and their download for the exchange."""
    form = _period_form()
    if not form.validate():
        return render_template("lead/agii.html", form=form, items=None), 422
    first, last = given(form.first_day.data), given(form.last_day.data)
    items = list(db.session.scalars(agii.export_statement(_lead_ids(), first, last)))
    record_views([i.referral_id for i in items], "agii_list")
    return render_template("lead/agii.html", form=form, items=items)


@bp.get("/agii.csv")
@requires(Permission.LEAD_TEAM)
def agii_csv() -> Any:
    """The same files as CSV, in the layout agreed with Agii (README)."""
    form = _period_form()
    if not form.validate():
        return render_template("lead/agii.html", form=form, items=None), 422
    first, last = given(form.first_day.data), given(form.last_day.data)
    items = list(db.session.scalars(agii.export_statement(_lead_ids(), first, last)))
    record_views([i.referral_id for i in items], "agii_export")
    return csv_download(agii.export_rows(items), f"agii-verwijzingen-{first}-{last}.csv")
