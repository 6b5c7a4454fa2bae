"""The referral file: what the desk recorded, its timeline, and the work done on it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from .. import clock
from ..access import (
    Permission,
    can_view_referral,
    is_lead_for,
    may_work_on,
    requires,
    rights_actions,
)
from ..accounts import toeleiders_of
from ..agenda.forms import AppointmentActionForm, CancelForm, ScheduleForm
from ..extensions import db
from ..formtools import options
from ..models import (
    Appointment,
    ClosingOutcome,
    ContactChannel,
    ContactOutcome,
    Conversation,
    FollowUpTask,
    Milestone,
    MilestoneStatus,
    MonitoringParameter,
    Need,
    NeedCategory,
    PartnerReferral,
    PartnerReferralStatus,
    PlaceStatus,
    Programme,
    ProgrammePlace,
    Referral,
    ReferralState,
    Service,
    Signal,
    Theme,
    User,
)
from ..persons.views import file_section
from ..viewlog import record_view
from . import followup, lifecycle, programmes
from .forms import (
    CloseForm,
    ContactAttemptForm,
    MilestoneForm,
    MilestoneStatusForm,
    OfferForm,
    PartnerReferralForm,
    PartnerStatusForm,
    PlaceForm,
    ProgrammeForm,
    ReassignForm,
    TaskForm,
    UnclaimForm,
    VersionedForm,
    conversation_form,
)

bp = Blueprint("referrals", __name__, url_prefix="/referrals")


def _visible_referral(referral_id: int) -> Referral:
    referral = db.session.get(Referral, referral_id, options=[joinedload(Referral.person)])
    # 404 rather than 403, so that a file's existence is not disclosed to those who may not see it.
    if referral is None or not can_view_referral(current_user, referral, clock.today()):
        abort(404)
    return referral


def _toeleider_choices(referral: Referral) -> list[tuple[int, str]]:
    return [(u.id, u.full_name) for u in toeleiders_of(db.session, [referral.municipality_id])]


def _appointments(referral: Referral) -> list[Appointment]:
    return list(
        db.session.scalars(
            select(Appointment)
            .options(joinedload(Appointment.toeleider))
            .where(Appointment.referral_id == referral.id)
            .order_by(Appointment.starts_at)
        )
    )


def _conversation_form(referral: Referral, **kwargs: Any) -> Any:
    themes = [
        (t.id, t.name)
        for t in db.session.scalars(
            select(Theme).where(Theme.active.is_(True)).order_by(Theme.position, Theme.name)
        )
    ]
    parameters = list(
        db.session.scalars(
            select(MonitoringParameter)
            .where(MonitoringParameter.active.is_(True))
            .where(
                or_(
                    MonitoringParameter.municipality_id.is_(None),
                    MonitoringParameter.municipality_id == referral.municipality_id,
                )
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
    form = conversation_form(themes, parameters, categories, prefix="conversation", **kwargs)
    form.parameters = parameters
    return form


def _partner_choices(form: Any) -> None:
    form.partner.choices = options(
        (s.id, s.name)
        for s in db.session.scalars(
            select(Service)
            .where(Service.is_partner.is_(True), Service.active.is_(True))
            .order_by(Service.name)
        )
    )
    form.theme.choices = options(
        (t.id, t.name)
        for t in db.session.scalars(
            select(Theme).where(Theme.active.is_(True)).order_by(Theme.position, Theme.name)
        )
    )


def _follow_up(referral: Referral) -> dict[str, Any]:
    return {
        "partner_referrals": db.session.scalars(
            select(PartnerReferral)
            .options(joinedload(PartnerReferral.partner), joinedload(PartnerReferral.theme))
            .where(PartnerReferral.referral_id == referral.id)
            .order_by(PartnerReferral.referred_on)
        ).all(),
        "tasks": db.session.scalars(
            select(FollowUpTask)
            .where(FollowUpTask.referral_id == referral.id)
            .order_by(FollowUpTask.done_at.is_not(None), FollowUpTask.due_on)
        ).all(),
        "milestones": db.session.scalars(
            select(Milestone)
            .where(Milestone.referral_id == referral.id)
            .order_by(Milestone.priority, Milestone.target_on)
        ).all(),
        "conversations": db.session.scalars(
            select(Conversation)
            .options(
                selectinload(Conversation.themes),
                selectinload(Conversation.needs).joinedload(Need.category),
            )
            .where(Conversation.referral_id == referral.id)
            .order_by(Conversation.held_on)
        ).all(),
        "signals": db.session.scalars(
            select(Signal)
            .options(joinedload(Signal.theme))
            .where(Signal.referral_id == referral.id)
        ).all(),
    }


def _programme_choices(referral: Referral, form: Any) -> None:
    form.programme.choices = options(
        [(0, _("Kies een programma"))]
        + [
            (p.id, str(p))
            for p in programmes.programmes_for(db.session, [referral.municipality_id])
        ]
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
        "partner": PartnerReferralForm(formdata=None, prefix="partner", referred_on=clock.today()),
        "partner_status": PartnerStatusForm(formdata=None, prefix="partner_status"),
        "task": TaskForm(formdata=None, prefix="task"),
        "milestone": MilestoneForm(formdata=None, prefix="milestone"),
        "milestone_status": MilestoneStatusForm(formdata=None, prefix="milestone_status"),
        "programme": ProgrammeForm(formdata=None, prefix="programme"),
        "place": PlaceForm(formdata=None, prefix="place"),
    }
    _programme_choices(referral, forms["programme"])
    if referral.state == ReferralState.HELD.value or "conversation" in posted:
        forms["conversation"] = _conversation_form(referral, formdata=None, held_on=clock.today())
    _partner_choices(forms["partner"])
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
            follow_up=_follow_up(referral),
            places=programmes.place_rows(db.session, referral),
            rights=rights_actions(current_user, referral),
            person_section=file_section(referral),
        ),
        status,
    )


@bp.get("/<int:referral_id>")
@requires(Permission.INTAKE)
def detail(referral_id: int) -> Any:
    """One referral with everything recorded on it."""
    referral = _visible_referral(referral_id)
    record_view(referral, "view")
    return _render(referral)


CONFLICT = (
    "Iemand anders wijzigde deze doorverwijzing intussen. Hieronder staat de nieuwste versie; "
    "uw invoer is niet bewaard, maar staat nog in het formulier."
)


def _act(
    referral_id: int,
    name: str,
    form: VersionedForm,
    action: Callable[[Referral], Any],
    message: Callable[[Any], str] | None = None,
) -> Any:
    """Validate a posted action form, check its version, run the transition, commit.

    `message` turns what the action returned into the confirmation shown afterwards.
    """
    referral = _visible_referral(referral_id)
    if name == "reassign":
        form.owner.choices = options(_toeleider_choices(referral))  # type: ignore[attr-defined]
    if name == "partner":
        _partner_choices(form)
    if name == "programme":
        _programme_choices(referral, form)
    if not form.validate():
        return _render(referral, 422, **{name: form})
    if form.version.data != str(referral.version):
        return _render(referral, 409, conflict=_(CONFLICT), **{name: form})
    try:
        result = action(referral)
        db.session.commit()
    except lifecycle.NeedsConfirmation as asked:
        db.session.rollback()
        db.session.refresh(referral)
        form.confirmation_asked = asked.message  # type: ignore[attr-defined]
        return _render(referral, 409, conflict=asked.message, **{name: form})
    except lifecycle.TransitionRefused as refused:
        db.session.rollback()
        db.session.refresh(referral)
        return _render(referral, 409, conflict=refused.message, **{name: form})
    except StaleDataError:
        # Another request saved between our read and our write.
        db.session.rollback()
        db.session.refresh(referral)
        return _render(referral, 409, conflict=_(CONFLICT), **{name: form})
    flash(message(result) if message else _("Bewaard."))
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
        lambda freed: (
            _("Afgesloten.")
            + (
                " "
                + ngettext(
                    "Een plaats of wachtlijstplek in een programma is vrijgegeven.",
                    "%(num)d plaatsen of wachtlijstplekken in programma's zijn vrijgegeven.",
                    freed,
                )
                if freed
                else ""
            )
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
            confirmed_outside=bool(form.confirm_outside.data),
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
            confirmed_outside=bool(form.confirm_outside.data),
        ),
    )


@bp.post("/<int:referral_id>/conversation")
@requires(Permission.WORK_QUEUE)
def record_conversation(referral_id: int) -> Any:
    """Record what the held conversation covered."""
    referral = _visible_referral(referral_id)
    form = _conversation_form(referral)

    def action(r: Referral) -> None:
        data = form.data
        themes = [db.session.get(Theme, tid) for tid in form.themes_covered.data or []]
        answers = {
            p.id: str(data[f"parameter_{p.id}"])
            for p in form.parameters
            if data.get(f"parameter_{p.id}") not in (None, "")
        }
        needs = [
            (data[f"need_{n}_category"], data[f"need_{n}_text"])
            for n in range(1, 4)
            if data.get(f"need_{n}_category")
        ]
        signals = [
            (data[f"signal_{n}_theme"], data[f"signal_{n}_text"] or "")
            for n in range(1, 3)
            if data.get(f"signal_{n}_theme")
        ]
        for n in range(1, 3):
            if data.get(f"signal_{n}_theme") and not (data.get(f"signal_{n}_text") or "").strip():
                raise lifecycle.TransitionRefused(_("Beschrijf elk signaal."))
        lifecycle.record_conversation(
            db.session,
            r,
            current_user,
            held_on=form.held_on.data,
            themes=[t for t in themes if t is not None],
            answers=answers,
            needs=needs,
            signals=signals,
            notes=form.notes.data,
            at=clock.now(),
        )

    return _act(referral_id, "conversation", form, action)


@bp.post("/<int:referral_id>/partner-referrals")
@requires(Permission.WORK_QUEUE)
def add_partner_referral(referral_id: int) -> Any:
    """Lead the person to a partner's offer."""
    form = PartnerReferralForm(prefix="partner")
    return _act(
        referral_id,
        "partner",
        form,
        lambda r: followup.refer_to_partner(
            db.session,
            r,
            current_user,
            db.session.get(Service, form.partner.data) or abort(404),
            db.session.get(Theme, form.theme.data) or abort(404),
            form.referred_on.data,
            clock.now(),
        ),
    )


@bp.post("/<int:referral_id>/partner-referrals/<int:item_id>")
@requires(Permission.WORK_QUEUE)
def follow_up_partner_referral(referral_id: int, item_id: int) -> Any:
    """Note whether the person arrived at the partner."""
    item = db.session.get(PartnerReferral, item_id)
    if item is None or item.referral_id != referral_id:
        abort(404)
    form = PartnerStatusForm(prefix="partner_status")
    return _act(
        referral_id,
        "partner_status",
        form,
        lambda r: followup.follow_up_partner_referral(
            db.session,
            item,
            r,
            current_user,
            PartnerReferralStatus(form.status.data),
            form.feedback.data,
            clock.now(),
        ),
    )


@bp.post("/<int:referral_id>/tasks")
@requires(Permission.WORK_QUEUE)
def add_task(referral_id: int) -> Any:
    """Add a follow-up task with a due date."""
    form = TaskForm(prefix="task")
    return _act(
        referral_id,
        "task",
        form,
        lambda r: followup.add_task(
            db.session, r, current_user, form.description.data or "", form.due_on.data, clock.now()
        ),
    )


@bp.post("/<int:referral_id>/tasks/<int:task_id>/done")
@requires(Permission.WORK_QUEUE)
def complete_task(referral_id: int, task_id: int) -> Any:
    """Mark a follow-up task done."""
    task = db.session.get(FollowUpTask, task_id)
    if task is None or task.referral_id != referral_id:
        abort(404)
    form = AppointmentActionForm(prefix="appointment")
    return _act(
        referral_id,
        "appointment",
        form,
        lambda r: followup.complete_task(db.session, task, current_user, clock.now()),
    )


@bp.post("/<int:referral_id>/milestones")
@requires(Permission.WORK_QUEUE)
def add_milestone(referral_id: int) -> Any:
    """Add a milestone to the development plan."""
    form = MilestoneForm(prefix="milestone")
    return _act(
        referral_id,
        "milestone",
        form,
        lambda r: followup.add_milestone(
            db.session,
            r,
            current_user,
            form.description.data or "",
            form.priority.data,
            form.target_on.data,
            clock.now(),
        ),
    )


@bp.post("/<int:referral_id>/milestones/<int:milestone_id>")
@requires(Permission.WORK_QUEUE)
def milestone_status(referral_id: int, milestone_id: int) -> Any:
    """Mark a milestone achieved, stopped or open again."""
    milestone = db.session.get(Milestone, milestone_id)
    if milestone is None or milestone.referral_id != referral_id:
        abort(404)
    form = MilestoneStatusForm(prefix="milestone_status")
    return _act(
        referral_id,
        "milestone_status",
        form,
        lambda r: followup.set_milestone_status(
            db.session, milestone, r, current_user, MilestoneStatus(form.status.data), clock.now()
        ),
    )


@bp.post("/<int:referral_id>/programmes")
@requires(Permission.WORK_QUEUE)
def sign_up_for_programme(referral_id: int) -> Any:
    """Give the person a place on a programme, or put them on its waiting list."""
    form = ProgrammeForm(prefix="programme")
    return _act(
        referral_id,
        "programme",
        form,
        lambda r: programmes.sign_up(
            db.session,
            db.session.get(Programme, form.programme.data) or abort(404),
            r,
            current_user,
            clock.now(),
        ),
        _signed_up_message,
    )


def _signed_up_message(place: ProgrammePlace) -> str:
    if place.status == PlaceStatus.ENROLLED.value:
        return _("Ingeschreven: %(name)s heeft een plaats.", name=place.programme.name)
    row = programmes.place_row(db.session, place)
    if row.full:
        return _(
            "%(name)s is volzet: de persoon staat op de wachtlijst, als %(n)d.e.",
            name=place.programme.name,
            n=row.position,
        )
    return _(
        "Voor %(name)s wachten al mensen op de vrije plaats: de persoon staat op de "
        "wachtlijst, als %(n)d.e.",
        name=place.programme.name,
        n=row.position,
    )


def _place_of(referral_id: int, place_id: int) -> ProgrammePlace:
    place = db.session.get(ProgrammePlace, place_id)
    if place is None or place.referral_id != referral_id:
        abort(404)
    return place


@bp.post("/<int:referral_id>/programmes/<int:place_id>/grant")
@requires(Permission.WORK_QUEUE)
def grant_place(referral_id: int, place_id: int) -> Any:
    """A place came free: the person on the waiting list gets it."""
    place = _place_of(referral_id, place_id)
    return _act(
        referral_id,
        "place",
        PlaceForm(prefix="place"),
        lambda r: programmes.grant_place(db.session, place, r, current_user, clock.now()),
        lambda _result: _("Plaats toegekend in %(name)s.", name=place.programme.name),
    )


@bp.post("/<int:referral_id>/programmes/<int:place_id>/leave")
@requires(Permission.WORK_QUEUE)
def leave_programme(referral_id: int, place_id: int) -> Any:
    """The person stops, or no longer waits; their place comes free."""
    place = _place_of(referral_id, place_id)
    return _act(
        referral_id,
        "place",
        PlaceForm(prefix="place"),
        lambda r: programmes.leave(db.session, place, r, current_user, clock.now()),
        lambda _result: _(
            "%(name)s: de persoon staat er niet meer op; een plaats die vrijkwam, kan naar "
            "de eerste op de wachtlijst.",
            name=place.programme.name,
        ),
    )
