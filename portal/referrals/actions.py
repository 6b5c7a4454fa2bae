"""What every route of the file page shares: finding the file, rendering it, running a move.

The routes themselves live per area: views.py (the file and its lifecycle), contact_views.py
(reaching the person and planning the conversation) and followup_views.py (what follows it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from .. import clock
from ..access import can_view_referral, rights_actions
from ..agenda.forms import (
    AppointmentActionForm,
    CancelForm,
    InterpreterForm,
    RescheduleForm,
    ScheduleForm,
)
from ..extensions import db
from ..formtools import dutch_options, options
from ..models import (
    AgiiReferral,
    Appointment,
    InterpreterMode,
    InterpreterStatus,
    Referral,
    SchoolItem,
)
from ..persons.views import file_section
from . import lifecycle, page
from .agii import chosen_parts
from .forms import (
    AgiiForm,
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
    ReopenForm,
    SchoolItemForm,
    SourceFeedbackForm,
    TaskForm,
    UnclaimForm,
    VersionedForm,
    conversation_form,
)

bp = Blueprint("referrals", __name__, url_prefix="/referrals")

CONFLICT = _l(
    "Iemand anders wijzigde deze doorverwijzing intussen. Hieronder staat de nieuwste versie; "
    "uw invoer is niet bewaard, maar staat nog in het formulier."
)
# The forms whose menus are checked when posted, and the action whose menus they show.
FORM_MENUS = {
    "reassign": lifecycle.Action.REASSIGN,
    "partner": lifecycle.Action.REFER_TO_PARTNER,
    "programme": lifecycle.Action.PROGRAMME,
    "schedule": lifecycle.Action.SCHEDULE,
    "interpreter": lifecycle.Action.CHANGE_APPOINTMENT,
}


Item = TypeVar("Item")


def item_of(model: type[Item], item_id: int, referral_id: int) -> Item:
    """An appointment, task, milestone, ... of this file, or 404: an id from another file
    in the URL must not reach the domain."""
    item = db.session.get(model, item_id)
    if item is None or item.referral_id != referral_id:  # type: ignore[attr-defined]
        abort(404)
    return item


def visible_referral(referral_id: int) -> Referral:
    referral = page.load_referral(db.session, referral_id)
    # 404 rather than 403, so that a file's existence is not disclosed to those who may not see it.
    if referral is None or not can_view_referral(current_user, referral, clock.today()):
        abort(404)
    return referral


def new_conversation_form(referral: Referral, choices: page.Choices | None = None, **kw: Any):
    """The conversation record with this municipality's questions."""
    if choices is None:
        choices = page.menus(db.session, referral, {lifecycle.Action.RECORD_CONVERSATION})
    form = conversation_form(
        choices.themes, choices.parameters, choices.need_categories, prefix="conversation", **kw
    )
    form.parameters = choices.parameters
    return form


def child_choices(form: Any, referral: Referral) -> None:
    """The children of the household a partner referral can name."""
    form.children.choices = options(
        (c.id, _("kind geboren in %(year)d", year=c.birth_year)) for c in referral.children
    )


def fill_choices(name: str, form: Any, choices: page.Choices) -> None:
    """The menus of one action form, from what the page builder loaded."""
    if name == "reassign":
        form.owner.choices = options(choices.toeleiders)
    if name == "partner":
        form.partner.choices = dutch_options(choices.partners)
        form.theme.choices = dutch_options(choices.themes)
    if name == "programme":
        form.programme.choices = options([(0, _("Kies een programma"))]) + dutch_options(
            choices.programmes
        )
    if name == "schedule":
        form.interpreter_language.choices = options(choices.languages)
    if name == "interpreter":
        form.language.choices = options(choices.languages)


def interpreter_form(
    referral: Referral, appointment: Appointment, choices: page.Choices
) -> InterpreterForm:
    """The interpreter form of one appointment, filled in with its request as it stands."""
    request = appointment.interpreter_request
    if request is None:
        values: dict[str, Any] = {
            "language": referral.contact_language_code,
            "mode": InterpreterMode.ON_SITE.value,
            "status": InterpreterStatus.REQUESTED.value,
        }
    else:
        values = {
            "language": request.language_code,
            "mode": request.mode.value,
            "status": request.status.value,
            "service_reference": request.service_reference,
            "minutes": request.minutes,
        }
    values["version"] = str(referral.version)
    form = InterpreterForm(formdata=None, prefix=interpreter_prefix(appointment.id), data=values)
    fill_choices("interpreter", form, choices)
    return form


def interpreter_prefix(appointment_id: int) -> str:
    """Each appointment's interpreter form has its own field names and ids on the page."""
    return f"interpreter-{appointment_id}"


def school_prefix(item_id: int) -> str:
    """Each child's school form has its own field names and ids on the page."""
    return f"school-{item_id}"


def school_form(referral: Referral, item: SchoolItem) -> SchoolItemForm:
    """The school form of one child, filled in with its item as it stands."""
    form = SchoolItemForm(
        formdata=None,
        prefix=school_prefix(item.id),
        data={
            "status": item.status.value,
            "school_name": item.school_name,
            "note": item.note,
            "version": str(referral.version),
        },
    )
    form.offer(item.kind)
    form.item_id = item.id
    return form


def agii_form(referral: Referral, item: AgiiReferral | None) -> AgiiForm:
    """The Agii form, filled in with the referral to Agii as it stands."""
    values: dict[str, Any] = {"version": str(referral.version)}
    if item is not None:
        values |= {
            "obliged": "unknown" if item.obliged is None else "yes" if item.obliged else "no",
            "parts": chosen_parts(item),
            "status": item.status.value,
            "referred_on": item.referred_on,
            "agii_reference": item.agii_reference,
            "note": item.note,
        }
    return AgiiForm(formdata=None, prefix="agii", data=values)


# The page's action forms by name, each built fresh at the file's version when the template
# first asks for it: a file shows the forms of the actions its viewer may take, and building
# the other twenty cost 3 ms of every page.
FORM_FACTORIES: dict[str, Callable[[], Any]] = {
    "attempt": lambda: ContactAttemptForm(formdata=None, prefix="attempt"),
    "offer": lambda: OfferForm(formdata=None, prefix="offer"),
    "unclaim": lambda: UnclaimForm(formdata=None, prefix="unclaim"),
    "close": lambda: CloseForm(formdata=None, prefix="close"),
    "reopen": lambda: ReopenForm(formdata=None, prefix="reopen"),
    "reassign": lambda: ReassignForm(formdata=None, prefix="reassign"),
    "schedule": lambda: ScheduleForm(formdata=None, prefix="schedule"),
    "reschedule": lambda: RescheduleForm(formdata=None, prefix="reschedule"),
    "interpreter": lambda: InterpreterForm(formdata=None, prefix="interpreter"),
    "appointment": lambda: AppointmentActionForm(formdata=None, prefix="appointment"),
    "cancel": lambda: CancelForm(formdata=None, prefix="cancel"),
    "partner": lambda: PartnerReferralForm(
        formdata=None, prefix="partner", referred_on=clock.today()
    ),
    "partner_status": lambda: PartnerStatusForm(formdata=None, prefix="partner_status"),
    "task": lambda: TaskForm(formdata=None, prefix="task"),
    "milestone": lambda: MilestoneForm(formdata=None, prefix="milestone"),
    "milestone_status": lambda: MilestoneStatusForm(formdata=None, prefix="milestone_status"),
    "programme": lambda: ProgrammeForm(formdata=None, prefix="programme"),
    "place": lambda: PlaceForm(formdata=None, prefix="place"),
    "source_feedback": lambda: SourceFeedbackForm(formdata=None, prefix="source_feedback"),
}


class PageForms(dict[str, Any]):
    """The file page's forms: a posted one as it was typed, any other made when first read."""

    def __init__(self, file: page.FilePage, posted: dict[str, Any]):
        super().__init__(posted)
        self._file = file

    def __missing__(self, name: str) -> Any:
        referral = self._file.referral
        if name == "conversation":
            if not self._file.may(lifecycle.Action.RECORD_CONVERSATION):
                raise KeyError(name)
            form = new_conversation_form(
                referral, self._file.choices, formdata=None, held_on=clock.today()
            )
        elif name in FORM_FACTORIES:
            form = FORM_FACTORIES[name]()
        else:
            raise KeyError(name)
        fill_choices(name, form, self._file.choices)
        form.version.data = str(referral.version)
        if name == "partner":
            child_choices(form, referral)
        if name == "schedule":
            form.interpreter_language.data = referral.contact_language_code
        self[name] = form
        return form


def _forms(file: page.FilePage, **posted: Any) -> PageForms:
    """Every action form of the page, fresh at the current version unless one was posted."""
    referral = file.referral
    interpreters = {
        ap.id: interpreter_form(referral, ap, file.choices)
        for ap in file.appointments
        if file.interpreter_changeable(ap)
    }
    typed = posted.pop("interpreter", None)
    if typed is not None and typed.item_id in interpreters:
        interpreters[typed.item_id] = typed
    school_items = {row.item.id: school_form(referral, row.item) for row in file.school_items}
    typed_school = posted.pop("school", None)
    if typed_school is not None and typed_school.item_id in school_items:
        school_items[typed_school.item_id] = typed_school
    forms = PageForms(file, posted)
    forms["interpreters"] = interpreters
    forms["school_items"] = school_items
    if "agii" not in forms:
        forms["agii"] = agii_form(referral, file.agii)
    return forms


def render_file(
    referral: Referral, status: int = 200, conflict: str | None = None, **posted: Any
) -> Any:
    """The file page, with a posted form kept as it was typed."""
    file = page.build(db.session, referral, current_user, clock.today())
    return (
        render_template(
            "referrals/detail.html",
            referral=referral,
            file=file,
            A=lifecycle.Action,
            forms=_forms(file, **posted),
            posted=next((a for a, name in page.ACTION_FORMS.items() if name in posted), None),
            # The form that was sent and refused: its errors are summed up at the top.
            refused_form=next(iter(posted.values()), None) if status >= 400 else None,
            conflict=conflict,
            rights=rights_actions(current_user, referral),
            person_section=file_section(referral),
        ),
        status,
    )


def act(
    referral_id: int,
    name: str,
    form: VersionedForm,
    action: Callable[[Referral], Any],
    message: Callable[[Any], str] | None = None,
) -> Any:
    """Validate a posted action form, check its version, run the transition, commit.

    `message` turns what the action returned into the confirmation shown afterwards.
    """
    referral = visible_referral(referral_id)
    if name in FORM_MENUS:
        fill_choices(name, form, page.menus(db.session, referral, {FORM_MENUS[name]}))
    if name == "partner":
        child_choices(form, referral)
    if not form.validate():
        return render_file(referral, 422, **{name: form})
    if form.version.data != str(referral.version):
        return render_file(referral, 409, conflict=str(CONFLICT), **{name: form})
    try:
        result = action(referral)
        db.session.commit()
    except lifecycle.NeedsConfirmation as asked:
        db.session.rollback()
        db.session.refresh(referral)
        form.confirmation_asked = asked.message
        return render_file(referral, 409, conflict=asked.message, **{name: form})
    except lifecycle.TransitionRefused as refused:
        db.session.rollback()
        db.session.refresh(referral)
        return render_file(referral, 409, conflict=refused.message, **{name: form})
    except StaleDataError:
        # Another request saved between our read and our write.
        db.session.rollback()
        db.session.refresh(referral)
        return render_file(referral, 409, conflict=str(CONFLICT), **{name: form})
    flash(message(result) if message else _("Bewaard."))
    return redirect(url_for("referrals.detail", referral_id=referral.id), code=303)
