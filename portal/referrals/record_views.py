"""Routes for correcting what was recorded and for work recorded afterwards.

A walk-in conversation (held on the spot, without appointment), striking an entry logged by
mistake, and reading or correcting a conversation record: each on a page of its own that
leads back to the file.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from .. import clock
from ..access import Permission, can_view_referral, owns_or_leads, requires
from ..extensions import db
from ..models import (
    Conversation,
    MonitoringAnswer,
    MonitoringParameter,
    Need,
    NeedCategory,
    Referral,
    Signal,
    Theme,
    TimelineEvent,
)
from ..viewlog import record_view
from . import corrections, lifecycle, moments
from .forms import conversation_form
from .lifecycle import TransitionRefused
from .record_forms import StrikeForm, WalkInFields, correction_form

bp = Blueprint("records", __name__, url_prefix="/referrals")

CONFLICT = _l(
    "Iemand anders wijzigde dit intussen. Er is niets bewaard; uw invoer staat nog in het "
    "formulier. Kijk het na en bewaar opnieuw."
)


def _visible_referral(referral_id: int) -> Referral:
    referral = db.session.get(Referral, referral_id, options=[joinedload(Referral.person)])
    # 404 rather than 403, so that a file's existence is not disclosed to those who may not see it.
    if referral is None or not can_view_referral(current_user, referral, clock.today()):
        abort(404)
    return referral


NOT_YOURS = _l("Alleen de toeleider van deze persoon of een teamverantwoordelijke kan dit.")


def _refused(referral: Referral, title: str, message: object) -> Any:
    """This user may do this kind of thing, but not on this file now: say why."""
    html = render_template(
        "records/refused.html", referral=referral, title=title, message=str(message)
    )
    return html, 409


def _file(referral: Referral) -> Any:
    return redirect(url_for("referrals.detail", referral_id=referral.id), code=303)


def _themes() -> list[tuple[int, str]]:
    return [
        (t.id, t.name)
        for t in db.session.scalars(
            select(Theme).where(Theme.active.is_(True)).order_by(Theme.position, Theme.name)
        )
    ]


def _walk_in_form(referral: Referral, **kwargs: Any) -> Any:
    parameters = list(
        db.session.scalars(
            select(MonitoringParameter)
            .where(
                MonitoringParameter.active.is_(True),
                or_(
                    MonitoringParameter.municipality_id.is_(None),
                    MonitoringParameter.municipality_id == referral.municipality_id,
                ),
            )
            .order_by(MonitoringParameter.position, MonitoringParameter.id)
        )
    )
    categories = [
        (c.id, c.name)
        for c in db.session.scalars(
            select(NeedCategory).where(NeedCategory.active.is_(True)).order_by(NeedCategory.name)
        )
    ]
    form = conversation_form(
        _themes(), parameters, categories, base=WalkInFields, prefix="walk_in", **kwargs
    )
    form.parameters = parameters
    return form


def _conversation_data(form: Any) -> dict[str, Any]:
    """The themes, answers, needs and signals typed into a conversation form."""
    data = form.data
    themes = [db.session.get(Theme, tid) for tid in form.themes_covered.data or []]
    for n in range(1, 3):
        if data.get(f"signal_{n}_theme") and not (data.get(f"signal_{n}_text") or "").strip():
            raise TransitionRefused(_("Beschrijf elk signaal."))
    return {
        "themes": [t for t in themes if t is not None],
        "answers": {
            p.id: str(data[f"parameter_{p.id}"])
            for p in form.parameters
            if data.get(f"parameter_{p.id}") not in (None, "")
        },
        "needs": [
            (data[f"need_{n}_category"], data[f"need_{n}_text"])
            for n in range(1, 4)
            if data.get(f"need_{n}_category")
        ],
        "signals": [
            (data[f"signal_{n}_theme"], data[f"signal_{n}_text"] or "")
            for n in range(1, 3)
            if data.get(f"signal_{n}_theme")
        ],
        "notes": form.notes.data,
    }


@bp.route("/<int:referral_id>/walk-in", methods=["GET", "POST"])
@requires(Permission.WORK_QUEUE)
def walk_in(referral_id: int) -> Any:
    """Record a conversation held on the spot, without an appointment, with its moment."""
    referral = _visible_referral(referral_id)
    try:
        lifecycle.check(lifecycle.Action.WALK_IN, referral, current_user)
    except TransitionRefused as refused:
        return _refused(referral, _("Gesprek zonder afspraak"), refused.message)
    now = clock.now()
    days = moments.max_days_back(db.session)
    if request.method == "GET":
        record_view(referral, "walk_in")
        form = _walk_in_form(
            referral,
            formdata=None,
            held_on=now.date(),
            held_time=now.time(),
            place=_("Permanentie"),
        )
        form.version.data = str(referral.version)
        return render_template("records/walk_in.html", referral=referral, form=form, days=days)

    def again(status: int, message: str | None = None) -> Any:
        page = render_template(
            "records/walk_in.html", referral=referral, form=form, days=days, refused=message
        )
        return page, status

    form = _walk_in_form(referral)
    if not form.validate():
        return again(422)
    if form.version.data != str(referral.version):
        return again(409, str(CONFLICT))
    try:
        moments.record_walk_in(
            db.session,
            referral,
            current_user,
            happened_at=datetime.combine(form.held_on.data, form.held_time.data),
            minutes=form.minutes.data,
            place=form.place.data,
            at=now,
            **_conversation_data(form),
        )
        db.session.commit()
    except TransitionRefused as refused:
        db.session.rollback()
        db.session.refresh(referral)
        return again(409, refused.message)
    except StaleDataError:
        db.session.rollback()
        db.session.refresh(referral)
        return again(409, str(CONFLICT))
    flash(_("Het gesprek zonder afspraak is bewaard."))
    return _file(referral)


def _event_of(referral: Referral, event_id: int) -> TimelineEvent:
    event = db.session.get(TimelineEvent, event_id)
    if event is None or event.referral_id != referral.id:
        abort(404)
    return event


@bp.route("/<int:referral_id>/timeline/<int:event_id>/strike", methods=["GET", "POST"])
@requires(Permission.WORK_QUEUE)
def strike(referral_id: int, event_id: int) -> Any:
    """Strike an entry logged by mistake, with a reason; it stays, struck through."""
    referral = _visible_referral(referral_id)
    event = _event_of(referral, event_id)
    if not owns_or_leads(current_user, referral):
        return _refused(referral, _("Doorhalen"), NOT_YOURS)
    form = StrikeForm() if request.method == "POST" else StrikeForm(formdata=None)

    def page(status: int = 200, message: str | None = None) -> Any:
        html = render_template(
            "records/strike.html", referral=referral, event=event, form=form, refused=message
        )
        return html, status

    if request.method == "GET":
        record_view(referral, "strike")
        return page()
    if not form.validate():
        return page(422)
    try:
        corrections.strike_event(
            db.session, referral, event, current_user, reason=form.reason.data, at=clock.now()
        )
        db.session.commit()
    except TransitionRefused as refused:
        db.session.rollback()
        return page(409, refused.message)
    flash(_("Doorgehaald. De rapporten tellen dit niet meer."))
    return _file(referral)


def _conversation_of(referral: Referral, conversation_id: int) -> Conversation:
    conversation = db.session.get(
        Conversation,
        conversation_id,
        options=[
            selectinload(Conversation.themes),
            selectinload(Conversation.answers).joinedload(MonitoringAnswer.parameter),
            selectinload(Conversation.needs).joinedload(Need.category),
            selectinload(Conversation.revisions),
            joinedload(Conversation.recorded_by),
        ],
    )
    if conversation is None or conversation.referral_id != referral.id:
        abort(404)
    return conversation


@bp.get("/<int:referral_id>/conversations/<int:conversation_id>")
@requires(Permission.VIEW_REFERRALS)
def conversation(referral_id: int, conversation_id: int) -> Any:
    """The full record of one conversation, with its earlier versions."""
    referral = _visible_referral(referral_id)
    record = _conversation_of(referral, conversation_id)
    signals = db.session.scalars(
        select(Signal)
        .options(joinedload(Signal.theme))
        .where(Signal.referral_id == referral.id, Signal.created_at == record.recorded_at)
    ).all()
    record_view(referral, "conversation")
    return render_template(
        "records/conversation.html",
        referral=referral,
        record=record,
        signals=signals,
        may_correct=owns_or_leads(current_user, referral),
    )


@bp.route("/<int:referral_id>/conversations/<int:conversation_id>/correct", methods=["GET", "POST"])
@requires(Permission.WORK_QUEUE)
def correct_conversation(referral_id: int, conversation_id: int) -> Any:
    """Correct a conversation record; the earlier version is kept and shown as changed."""
    referral = _visible_referral(referral_id)
    record = _conversation_of(referral, conversation_id)
    if not owns_or_leads(current_user, referral):
        return _refused(referral, _("Verslag verbeteren"), NOT_YOURS)

    def page(status: int = 200, message: str | None = None) -> Any:
        html = render_template(
            "records/correct_conversation.html",
            referral=referral,
            record=record,
            form=form,
            refused=message,
        )
        return html, status

    if request.method == "GET":
        record_view(referral, "conversation_edit")
        form = correction_form(
            _themes(),
            formdata=None,
            held_on=record.held_on,
            themes_covered=[t.id for t in record.themes],
            notes=record.notes,
        )
        form.version.data = str(record.version)
        return page()
    form = correction_form(_themes())
    if not form.validate():
        return page(422)
    if form.version.data != str(record.version):
        return page(409, str(CONFLICT))
    themes = [db.session.get(Theme, tid) for tid in form.themes_covered.data or []]
    try:
        changed = corrections.correct_conversation(
            db.session,
            referral,
            record,
            current_user,
            held_on=form.held_on.data,
            themes=[t for t in themes if t is not None],
            notes=form.notes.data,
            at=clock.now(),
        )
        db.session.commit()
    except TransitionRefused as refused:
        db.session.rollback()
        return page(409, refused.message)
    except StaleDataError:
        db.session.rollback()
        return page(409, str(CONFLICT))
    flash(
        _("Verslag verbeterd; de vorige versie blijft bewaard.")
        if changed
        else _("Niets gewijzigd.")
    )
    return redirect(
        url_for("records.conversation", referral_id=referral.id, conversation_id=record.id),
        code=303,
    )
