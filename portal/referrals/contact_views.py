"""File routes for reaching the person and planning the conversation."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import abort, current_app, render_template
from flask_babel import gettext as _
from flask_login import current_user

from .. import clock
from ..access import Permission, requires
from ..agenda.forms import (
    AppointmentActionForm,
    CancelForm,
    InterpreterForm,
    RescheduleForm,
    ScheduleForm,
)
from ..extensions import db
from ..formtools import given
from ..messages.texts import message_for
from ..models import (
    Appointment,
    AppointmentStatus,
    ContactChannel,
    ContactOutcome,
    InterpreterMode,
    InterpreterStatus,
    MessageKind,
    Referral,
)
from ..viewlog import record_view
from . import interpreters, lifecycle
from .actions import act, bp, interpreter_prefix, item_of, visible_referral
from .forms import ContactAttemptForm, OfferForm


@bp.post("/<int:referral_id>/attempts")
@requires(Permission.WORK_QUEUE)
def log_attempt(referral_id: int) -> Any:
    """Log one contact attempt."""
    form = ContactAttemptForm(prefix="attempt")
    return act(
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
            happened_at=form.happened_at(),
        ),
    )


@bp.post("/<int:referral_id>/offer")
@requires(Permission.WORK_QUEUE)
def answer_offer(referral_id: int) -> Any:
    """Record whether the person accepted the conversation."""
    form = OfferForm(prefix="offer")
    return act(
        referral_id,
        "offer",
        form,
        lambda r: lifecycle.record_answer_to_offer(
            db.session, r, current_user, form.accepted.data == "ja", clock.now()
        ),
    )


def _appointment_of(referral_id: int, appointment_id: int) -> Appointment:
    return item_of(Appointment, appointment_id, referral_id)


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
            datetime.combine(given(form.day.data), given(form.start.data)),
            given(form.minutes.data),
            form.place.data or "",
            form.interpreter_wish(),
            clock.now(),
            confirmed_outside=bool(form.confirm_outside.data),
        )

    return act(referral_id, "schedule", form, action)


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
    return act(
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
    return act(
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
    form = RescheduleForm(prefix="reschedule")
    return act(
        referral_id,
        "reschedule",
        form,
        lambda r: lifecycle.reschedule(
            db.session,
            appointment,
            current_user,
            datetime.combine(given(form.day.data), given(form.start.data)),
            given(form.minutes.data),
            form.place.data or "",
            clock.now(),
            confirmed_outside=bool(form.confirm_outside.data),
        ),
    )


@bp.post("/<int:referral_id>/appointments/<int:appointment_id>/interpreter")
@requires(Permission.WORK_QUEUE)
def interpreter(referral_id: int, appointment_id: int) -> Any:
    """Ask for an interpreter, note the service's answer and reference, or cancel."""
    appointment = _appointment_of(referral_id, appointment_id)
    form = InterpreterForm(prefix=interpreter_prefix(appointment.id))
    form.item_id = appointment.id
    return act(
        referral_id,
        "interpreter",
        form,
        lambda r: interpreters.change(
            db.session,
            appointment,
            current_user,
            clock.now(),
            language_code=form.language.data,
            mode=InterpreterMode(form.mode.data),
            status=InterpreterStatus(form.status.data),
            service_reference=form.service_reference.data,
            minutes=form.minutes.data,
        ),
    )


@bp.get("/<int:referral_id>/appointments/<int:appointment_id>/reminder")
@requires(Permission.INTAKE)
def reminder(referral_id: int, appointment_id: int) -> Any:
    """A printable reminder of a planned conversation, in Dutch and the contact language."""
    referral = visible_referral(referral_id)
    appointment = _appointment_of(referral_id, appointment_id)
    if appointment.status != AppointmentStatus.PLANNED:
        abort(404)
    record_view(referral, "reminder")
    return render_template(
        "referrals/reminder.html",
        referral=referral,
        appointment=appointment,
        message=message_for(
            db.session,
            MessageKind.REMINDER,
            referral,
            appointment,
            current_app.config["PORTAL_DEFAULT_REGION"],
        ),
    )
