"""File routes for what follows the conversation: its record, partners, tasks, plan, places."""

from __future__ import annotations

from typing import Any

from flask import abort
from flask_babel import gettext as _
from flask_login import current_user

from .. import clock
from ..access import Permission, requires
from ..agenda.forms import AppointmentActionForm
from ..extensions import db
from ..formtools import given
from ..models import (
    AgiiStatus,
    FollowUpTask,
    Milestone,
    MilestoneStatus,
    PartnerReferral,
    PartnerReferralStatus,
    PlaceStatus,
    Programme,
    ProgrammePlace,
    Referral,
    SchoolItem,
    SchoolItemStatus,
    Service,
    Theme,
)
from ..partners.feedback import ARRIVED_CODES, give_feedback
from . import agii, followup, lifecycle, programmes, school
from .actions import act, bp, item_of, new_conversation_form, school_prefix, visible_referral
from .forms import (
    AgiiForm,
    MilestoneForm,
    MilestoneStatusForm,
    PartnerReferralForm,
    PartnerStatusForm,
    PlaceForm,
    ProgrammeForm,
    SchoolItemForm,
    SourceFeedbackForm,
    TaskForm,
)


@bp.post("/<int:referral_id>/conversation")
@requires(Permission.WORK_QUEUE)
def record_conversation(referral_id: int) -> Any:
    """Record what the held conversation covered."""
    referral = visible_referral(referral_id)
    form = new_conversation_form(referral)

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

    return act(referral_id, "conversation", form, action)


@bp.post("/<int:referral_id>/partner-referrals")
@requires(Permission.WORK_QUEUE)
def add_partner_referral(referral_id: int) -> Any:
    """Lead the person to a partner's offer."""
    form = PartnerReferralForm(prefix="partner")
    return act(
        referral_id,
        "partner",
        form,
        lambda r: followup.refer_to_partner(
            db.session,
            r,
            current_user,
            db.session.get(Service, form.partner.data) or abort(404),
            db.session.get(Theme, form.theme.data) or abort(404),
            given(form.referred_on.data),
            clock.now(),
            form.children.data or [],
        ),
    )


@bp.post("/<int:referral_id>/partner-referrals/<int:item_id>")
@requires(Permission.WORK_QUEUE)
def follow_up_partner_referral(referral_id: int, item_id: int) -> Any:
    """Note whether the person arrived at the partner."""
    item = item_of(PartnerReferral, item_id, referral_id)
    form = PartnerStatusForm(prefix="partner_status")
    form.item_id = item.id
    return act(
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
    return act(
        referral_id,
        "task",
        form,
        lambda r: followup.add_task(
            db.session,
            r,
            current_user,
            form.description.data or "",
            given(form.due_on.data),
            clock.now(),
        ),
    )


@bp.post("/<int:referral_id>/tasks/<int:task_id>/done")
@requires(Permission.WORK_QUEUE)
def complete_task(referral_id: int, task_id: int) -> Any:
    """Mark a follow-up task done."""
    task = item_of(FollowUpTask, task_id, referral_id)
    form = AppointmentActionForm(prefix="appointment")
    return act(
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
    return act(
        referral_id,
        "milestone",
        form,
        lambda r: followup.add_milestone(
            db.session,
            r,
            current_user,
            form.description.data or "",
            form.priority.data,
            given(form.target_on.data),
            clock.now(),
        ),
    )


@bp.post("/<int:referral_id>/milestones/<int:milestone_id>")
@requires(Permission.WORK_QUEUE)
def milestone_status(referral_id: int, milestone_id: int) -> Any:
    """Mark a milestone achieved, stopped or open again."""
    milestone = item_of(Milestone, milestone_id, referral_id)
    form = MilestoneStatusForm(prefix="milestone_status")
    form.item_id = milestone.id
    return act(
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
    return act(
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
    if place.status == PlaceStatus.ENROLLED:
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
    return item_of(ProgrammePlace, place_id, referral_id)


@bp.post("/<int:referral_id>/programmes/<int:place_id>/grant")
@requires(Permission.WORK_QUEUE)
def grant_place(referral_id: int, place_id: int) -> Any:
    """A place came free: the person on the waiting list gets it."""
    place = _place_of(referral_id, place_id)
    return act(
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
    return act(
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


@bp.post("/<int:referral_id>/source-feedback")
@requires(Permission.WORK_QUEUE)
def source_feedback(referral_id: int) -> Any:
    """Tell the partner who referred the person whether they arrived, with a short message."""
    form = SourceFeedbackForm(prefix="source_feedback")
    return act(
        referral_id,
        "source_feedback",
        form,
        lambda r: give_feedback(
            db.session,
            r,
            current_user,
            clock.now(),
            arrived=ARRIVED_CODES[form.arrived.data or "unknown"],
            message=form.message.data or "",
        ),
        lambda _result: _("Terugkoppeling bewaard; de partner ziet ze bij de doorverwijzing."),
    )


@bp.post("/<int:referral_id>/school/<int:item_id>")
@requires(Permission.WORK_QUEUE)
def school_item(referral_id: int, item_id: int) -> Any:
    """Note at which school a child is enrolled, where it was referred, or the information."""
    item = item_of(SchoolItem, item_id, referral_id)
    form = SchoolItemForm(prefix=school_prefix(item.id))
    form.offer(item.kind)
    form.item_id = item.id
    return act(
        referral_id,
        "school",
        form,
        lambda r: school.update_item(
            db.session,
            item,
            r,
            current_user,
            clock.now(),
            status=SchoolItemStatus(form.status.data),
            school_name=form.school_name.data,
            note=form.note.data,
        ),
        lambda changed: _("Bewaard.") if changed else _("Niets gewijzigd."),
    )


OBLIGED_CODES = {"yes": True, "no": False, "unknown": None}


@bp.post("/<int:referral_id>/agii")
@requires(Permission.WORK_QUEUE)
def agii_referral(referral_id: int) -> Any:
    """Record the referral to Agii for civic integration, or where it stands."""
    form = AgiiForm(prefix="agii")
    return act(
        referral_id,
        "agii",
        form,
        lambda r: agii.save(
            db.session,
            r,
            current_user,
            clock.now(),
            agii.AgiiDetails(
                obliged=OBLIGED_CODES[form.obliged.data or "unknown"],
                parts=frozenset(form.parts.data or ()),
                status=AgiiStatus(form.status.data),
                referred_on=form.referred_on.data,
                agii_reference=form.agii_reference.data,
                note=form.note.data,
            ),
        ),
        lambda saved: _("Verwijzing naar Agii bewaard.") if saved else _("Niets gewijzigd."),
    )
