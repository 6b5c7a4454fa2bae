"""The referral file: what the desk recorded, its timeline, and the work done on it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from .. import clock
from ..access import Permission, can_view_referral, is_lead_for, may_work_on, requires
from ..agenda.forms import AppointmentActionForm, CancelForm, ScheduleForm
from ..audit import log_access
from ..extensions import db
from ..formtools import options
from ..models import (
    Appointment,
    ClosingOutcome,
    ContactChannel,
    ContactOutcome,
    Referral,
    Role,
    User,
    user_municipalities,
)
from . import lifecycle
from .forms import (
    CloseForm,
    ContactAttemptForm,
    OfferForm,
    ReassignForm,
    UnclaimForm,
    VersionedForm,
)

bp = Blueprint("referrals", __name__, url_prefix="/referrals")


def _visible_referral(referral_id: int) -> Referral:
    referral = db.session.get(Referral, referral_id)
    # 404 rather than 403, so that a file's existence is not disclosed to those who may not see it.
    if referral is None or not can_view_referral(current_user, referral, clock.today()):
        abort(404)
    return referral


def _toeleider_choices(referral: Referral) -> list[tuple[int, str]]:
    people = db.session.scalars(
        select(User)
        .join(user_municipalities)
        .where(user_municipalities.c.municipality_id == referral.municipality_id)
        .where(User.active.is_(True), User.roles_text.contains(Role.TOELEIDER.value))
        .order_by(User.full_name)
    )
    return [(u.id, u.full_name) for u in people if u.has_role(Role.TOELEIDER)]


def _appointments(referral: Referral) -> list[Appointment]:
    return list(
        db.session.scalars(
            select(Appointment)
            .options(joinedload(Appointment.toeleider))
            .where(Appointment.referral_id == referral.id)
            .order_by(Appointment.starts_at)
        )
    )


def _forms(referral: Referral, **posted: VersionedForm) -> dict[str, VersionedForm]:
    """Every action form of the page, fresh at the current version unless one was posted."""
    forms: dict[str, VersionedForm] = {
        "attempt": ContactAttemptForm(formdata=None, prefix="attempt"),
        "offer": OfferForm(formdata=None, prefix="offer"),
        "unclaim": UnclaimForm(formdata=None, prefix="unclaim"),
        "close": CloseForm(formdata=None, prefix="close"),
        "reassign": ReassignForm(formdata=None, prefix="reassign"),
        "schedule": ScheduleForm(formdata=None, prefix="schedule"),
        "reschedule": ScheduleForm(formdata=None, prefix="reschedule"),
        "appointment": AppointmentActionForm(formdata=None, prefix="appointment"),
        "cancel": CancelForm(formdata=None, prefix="cancel"),
    }
    forms["reassign"].owner.choices = options(_toeleider_choices(referral))  # type: ignore[attr-defined]
    for form in forms.values():
        form.version.data = str(referral.version)
    forms.update(posted)
    return forms


def _render(
    referral: Referral, status: int = 200, conflict: str | None = None, **posted: Any
) -> Any:
    return (
        render_template(
            "referrals/detail.html",
            referral=referral,
            events=lifecycle.timeline(db.session, referral),
            forms=_forms(referral, **posted),
            may_work=may_work_on(current_user, referral),
            may_reassign=is_lead_for(current_user, referral.municipality_id) and referral.is_open,
            conflict=conflict,
            appointments=_appointments(referral),
        ),
        status,
    )


@bp.get("/<int:referral_id>")
@requires(Permission.INTAKE)
def detail(referral_id: int) -> Any:
    """One referral with everything recorded on it."""
    referral = _visible_referral(referral_id)
    log_access(db.session, current_user, referral, "view", clock.now())
    db.session.commit()
    return _render(referral)


CONFLICT = (
    "Iemand anders wijzigde deze doorverwijzing intussen. Hieronder staat de nieuwste versie; "
    "uw invoer is niet bewaard, maar staat nog in het formulier."
)


def _act(
    referral_id: int, name: str, form: VersionedForm, action: Callable[[Referral], None]
) -> Any:
    """Validate a posted action form, check its version, run the transition, commit."""
    referral = _visible_referral(referral_id)
    if name == "reassign":
        form.owner.choices = options(_toeleider_choices(referral))  # type: ignore[attr-defined]
    if not form.validate():
        return _render(referral, 422, **{name: form})
    if form.version.data != str(referral.version):
        return _render(referral, 409, conflict=_(CONFLICT), **{name: form})
    try:
        action(referral)
        db.session.commit()
    except lifecycle.TransitionRefused as refused:
        db.session.rollback()
        db.session.refresh(referral)
        return _render(referral, 409, conflict=refused.message, **{name: form})
    except StaleDataError:
        # Another request saved between our read and our write.
        db.session.rollback()
        db.session.refresh(referral)
        return _render(referral, 409, conflict=_(CONFLICT), **{name: form})
    flash(_("Bewaard."))
    return redirect(url_for("referrals.detail", referral_id=referral.id), code=303)


@bp.post("/<int:referral_id>/attempts")
@requires(Permission.WORK_QUEUE)
def log_attempt(referral_id: int) -> Any:
    """Log one contact attempt."""
    form = ContactAttemptForm(prefix="attempt")
    return _act(
        referral_id,
        "attempt",
        form,
        lambda r: lifecycle.log_contact_attempt(
            db.session,
            r,
            current_user,
            ContactChannel(form.channel.data),
            ContactOutcome(form.outcome.data),
            form.note.data,
            clock.now(),
        ),
    )


@bp.post("/<int:referral_id>/offer")
@requires(Permission.WORK_QUEUE)
def answer_offer(referral_id: int) -> Any:
    """Record whether the person accepted the conversation."""
    form = OfferForm(prefix="offer")
    return _act(
        referral_id,
        "offer",
        form,
        lambda r: lifecycle.record_answer_to_offer(
            db.session, r, current_user, form.accepted.data == "ja", clock.now()
        ),
    )


@bp.post("/<int:referral_id>/unclaim")
@requires(Permission.WORK_QUEUE)
def unclaim(referral_id: int) -> Any:
    """Give the referral back to the queue."""
    form = UnclaimForm(prefix="unclaim")
    return _act(
        referral_id,
        "unclaim",
        form,
        lambda r: lifecycle.unclaim(db.session, r, current_user, form.reason.data, clock.now()),
    )


@bp.post("/<int:referral_id>/close")
@requires(Permission.WORK_QUEUE)
def close(referral_id: int) -> Any:
    """Close the referral with an outcome."""
    form = CloseForm(prefix="close")
    return _act(
        referral_id,
        "close",
        form,
        lambda r: lifecycle.close(
            db.session,
            r,
            current_user,
            ClosingOutcome(form.outcome.data),
            form.note.data,
            clock.now(),
        ),
    )


@bp.post("/<int:referral_id>/reassign")
@requires(Permission.LEAD_TEAM)
def reassign(referral_id: int) -> Any:
    """A lead gives the referral to another toeleider."""
    form = ReassignForm(prefix="reassign")

    def action(referral: Referral) -> None:
        new_owner = db.session.get(User, form.owner.data) or abort(404)
        lifecycle.reassign(
            db.session, referral, current_user, new_owner, form.reason.data, clock.now()
        )

    return _act(referral_id, "reassign", form, action)


def _appointment_of(referral_id: int, appointment_id: int) -> Appointment:
    appointment = db.session.get(Appointment, appointment_id)
    if appointment is None or appointment.referral_id != referral_id:
        abort(404)
    return appointment


@bp.post("/<int:referral_id>/schedule")
@requires(Permission.WORK_QUEUE)
def schedule(referral_id: int) -> Any:
    """Plan the conversation in the owner's agenda."""
    form = ScheduleForm(prefix="schedule")

    def action(referral: Referral) -> None:
        if referral.owner is None:
            raise lifecycle.TransitionRefused(_("Neem de persoon eerst op."))
        lifecycle.schedule_conversation(
            db.session,
            referral,
            current_user,
            referral.owner,
            datetime.combine(form.day.data, form.start.data),
            form.minutes.data,
            form.place.data or "",
            bool(form.interpreter.data),
            clock.now(),
        )

    return _act(referral_id, "schedule", form, action)


APPOINTMENT_OUTCOMES = {"held": lifecycle.conversation_held, "no-show": lifecycle.no_show}


@bp.post("/<int:referral_id>/appointments/<int:appointment_id>/<outcome>")
@requires(Permission.WORK_QUEUE)
def appointment_outcome(referral_id: int, appointment_id: int, outcome: str) -> Any:
    """The conversation was held, or the person did not come."""
    appointment = _appointment_of(referral_id, appointment_id)
    if outcome not in APPOINTMENT_OUTCOMES:
        abort(404)
    form = AppointmentActionForm(prefix="appointment")
    transition = APPOINTMENT_OUTCOMES[outcome]
    return _act(
        referral_id,
        "appointment",
        form,
        lambda r: transition(db.session, appointment, current_user, clock.now()),
    )


@bp.post("/<int:referral_id>/appointments/<int:appointment_id>/cancel")
@requires(Permission.WORK_QUEUE)
def cancel_appointment(referral_id: int, appointment_id: int) -> Any:
    """Cancel a planned conversation, with a reason."""
    appointment = _appointment_of(referral_id, appointment_id)
    form = CancelForm(prefix="cancel")
    return _act(
        referral_id,
        "cancel",
        form,
        lambda r: lifecycle.cancel_appointment(
            db.session, appointment, current_user, form.reason.data, clock.now()
        ),
    )


@bp.post("/<int:referral_id>/appointments/<int:appointment_id>/reschedule")
@requires(Permission.WORK_QUEUE)
def reschedule(referral_id: int, appointment_id: int) -> Any:
    """Move a planned conversation to another moment."""
    appointment = _appointment_of(referral_id, appointment_id)
    form = ScheduleForm(prefix="reschedule")
    return _act(
        referral_id,
        "reschedule",
        form,
        lambda r: lifecycle.reschedule(
            db.session,
            appointment,
            current_user,
            datetime.combine(form.day.data, form.start.data),
            form.minutes.data,
            form.place.data or "",
            clock.now(),
        ),
    )
