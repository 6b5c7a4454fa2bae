"""The desk: the intake form, its inline checks, the slip, and today's own registrations."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from limits import parse as parse_limit
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import MultiDict
from wtforms import RadioField, StringField
from wtforms.validators import InputRequired, Length

from .. import clock, recovery, throttle
from ..access import Permission, can_view_referral, may_reprint_slip, municipality_ids, requires
from ..accounts import toeleiders_of
from ..agenda.booking import free_moments_by_day, speakers_of
from ..agenda.forms import InterpreterWishFields
from ..extensions import db
from ..formtools import first_error, options
from ..inputs import ascii_int
from ..messages.texts import message_for
from ..models import (
    Appointment,
    AppointmentStatus,
    MessageKind,
    Referral,
    ReferralState,
    Service,
    User,
)
from ..persons.join import final_person, join_returning_person
from ..persons.matching import PersonMatch, matching_persons, served_municipality_ids
from ..referrals import interpreters, lifecycle
from ..register.importing import IMPORT_SOURCE_NAMES
from ..search.finding import MAX_TEXT
from ..settings import get_int, get_text
from ..viewlog import can_record_views, record_view, record_views
from .forms import IntakeForm
from .intake import (
    is_form_token,
    languages_by_use,
    new_form_token,
    register_referral,
    registered_recently_by,
    registered_today_by,
    registered_with_token,
)
from .rules import PhoneError, normalise_phone, residence

bp = Blueprint("desk", __name__, url_prefix="/desk")

CHECKED_FIELDS = (
    "phone",
    "email",
    "registered_on",
    "birth_year",
    "children_birth_years",
    "full_name",
    "contact_language",
    "home_language",
)


def _service_choices() -> list[tuple[int, str]]:
    ids = municipality_ids(current_user)
    services = db.session.scalars(
        select(Service)
        .where(Service.active.is_(True))
        .where(or_(Service.municipality_id.in_(ids), Service.municipality_id.is_(None)))
        # Referrals from the population register, or of before the portal, come by an
        # import, never from the desk.
        .where(Service.name.not_in(IMPORT_SOURCE_NAMES))
        .order_by(Service.is_partner, Service.name)
    )
    several = len(ids) > 1
    # With several municipalities, 'Onthaal' alone would be ambiguous.
    return [
        (s.id, f"{s.name} ({s.municipality.name})" if several and s.municipality else s.name)
        for s in services
    ]


def intake_form(
    formdata: MultiDict[str, str] | None = None,
    services: list[tuple[int, str]] | None = None,
) -> IntakeForm:
    """An intake form with the choices of the current user; formdata None means a new one.

    `services` are the sources to choose from: by default those of the desk.
    """
    kwargs: dict[str, Any] = {}
    if formdata is None and current_user.service_id:
        kwargs["source_service"] = current_user.service_id
    # formdata=None stops Flask-WTF from reading request.form on a GET or a refill.
    form = IntakeForm(formdata=formdata, **kwargs)
    if not is_form_token(form.form_token.data):
        # A new form, or one posted without a token of ours: from here on it has one.
        form.form_token.data = new_form_token()
    municipalities = [(m.id, m.name) for m in current_user.municipalities]
    return form.prepare(
        languages=languages_by_use(db.session, municipality_ids(current_user)),
        municipalities=municipalities,
        services=_service_choices() if services is None else services,
        today=clock.today(),
        region=current_app.config["PORTAL_DEFAULT_REGION"],
    )


def _residence_text(form: IntakeForm) -> str | None:
    day = form.registered_on.data
    if day is None or form.registered_on.errors or day > form.today:
        return None
    status = residence(day, form.today)
    if status.is_newcomer:
        return ngettext(
            "Nieuwkomer: woont hier %(num)d maand.",
            "Nieuwkomer: woont hier %(num)d maanden.",
            status.months,
        )
    return _("Oudkomer: woont hier langer dan een jaar.")


def render_intake(
    form: IntakeForm,
    message: str | None = None,
    status: int = 200,
    matches: list[PersonMatch] | None = None,
    *,
    for_partner: bool = False,
) -> Any:
    """The intake page; a partner's has no look-up of earlier persons and no list of today."""
    # The list's viewing is logged; when the database takes no writes, it is left out.
    today_list = (
        registered_today_by(db.session, current_user, clock.today())
        if can_record_views() and not for_partner
        else []
    )
    if today_list:
        record_views(today_list, "registered_today")
    return (
        render_template(
            "desk/intake.html",
            form=form,
            message=message,
            # The cursor starts where the desk worker must act: the consent, or the first error.
            focus=first_error(form) or "consent",
            residence_text=_residence_text(form),
            registered_today=today_list,
            matches=matches or [],
            viewable=_viewable(matches or []),
            chosen=request.form.get("same_person", "") if request.method == "POST" else "",
            for_partner=for_partner,
            intake_url=url_for("partners.new" if for_partner else "desk.intake"),
            check_endpoint="partners.check_field" if for_partner else "desk.check_field",
        ),
        status,
    )


@recovery.resumable("desk.intake")
def _refill_intake(values: MultiDict[str, str], message: str) -> Any:
    form = intake_form(values)
    return render_intake(form, message=message, status=200)


@bp.route("/", methods=["GET", "POST"])
@requires(Permission.INTAKE)
def intake() -> Any:
    """Show the intake form, or register a referral from it."""
    if request.method == "GET":
        return render_intake(intake_form())
    form = intake_form(request.form)
    if not form.municipality.choices:
        abort(403)
    if not form.validate():
        return render_intake(form, status=422)
    data = form.intake_data()
    checks_persons = _may_check_for_persons()
    matches = _matches(data.phone, data.full_name, data.birth_year) if checks_persons else []
    # After the search for the same person: a referral that search saw, saved from this very
    # form a moment ago, is found here too, and the desk is not asked about its own double click.
    done = registered_with_token(db.session, form.form_token.data)
    if done is not None:
        return registered_before(done, form)
    earlier = None
    if checks_persons:
        chosen = request.form.get("same_person", "")
        shown = set((request.form.get("duplicates_shown") or "").split(","))
        if chosen:
            match = next((m for m in matches if str(m.latest.id) == chosen), None)
            if match is None:
                message = _("De gekozen persoon past niet bij de ingevulde gegevens. Kies opnieuw.")
                return render_intake(form, message, 422, matches)
            earlier = final_person(db.session, match.person)
        elif not {str(m.latest.id) for m in matches} <= shown:
            # Without JavaScript the desk sees the question only now: ask before saving.
            message = _(
                "Misschien was deze persoon hier al. Vraag het en kies hieronder; "
                "bewaar dan opnieuw."
            )
            return render_intake(form, message, 200, matches)
    try:
        referral = register_referral(
            db.session, data, current_user, clock.now(), form_token=form.form_token.data
        )
        if earlier is not None:
            join_returning_person(db.session, referral.person, earlier, current_user, clock.now())
        db.session.commit()
    except IntegrityError:
        # The same form sent twice at once: the other request registered it a moment earlier.
        db.session.rollback()
        done = registered_with_token(db.session, form.form_token.data)
        if done is None:
            raise
        return registered_before(done, form)
    flash(_("Bewaard. De doorverwijzing staat in de wachtrij van de toeleiders."))
    return redirect(url_for("desk.slip", referral_id=referral.id), code=303)


def registered_before(
    referral: Referral, form: IntakeForm, slip: str = "desk.slip", for_partner: bool = False
) -> Any:
    """The answer to an intake form sent again: the slip of the referral it already made."""
    if referral.created_by_id != current_user.id:
        # Not this user's form: nothing of that referral is shown, the form comes back.
        form.form_token.data = new_form_token()
        message = _("Dit formulier was al gebruikt. Controleer de gegevens en bewaar opnieuw.")
        return render_intake(form, message, 409, for_partner=for_partner)
    flash(_("Deze doorverwijzing was al bewaard; er is geen tweede gemaakt."))
    return redirect(url_for(slip, referral_id=referral.id), code=303)


@bp.post("/check/<field_name>")
@requires(Permission.INTAKE)
def check_field(field_name: str) -> Any:
    """Validate one field as the person leaves it, and answer with its feedback only."""
    if field_name not in CHECKED_FIELDS:
        abort(404)
    return field_check(intake_form(request.form), field_name)


def field_check(form: IntakeForm, field_name: str) -> Any:
    """The feedback of one field of a posted intake form."""
    form.validate()
    field = form[field_name]
    extra = _residence_text(form) if field_name == "registered_on" else None
    return render_template("desk/_feedback.html", f=field, extra=extra)


def _may_check_for_persons() -> bool:
    """Count one look-up of earlier persons against this user's limit; False when spent."""
    limit = parse_limit(current_app.config["PORTAL_DUPLICATE_CHECK_LIMIT"])
    return throttle.hit(limit, "person-check", str(current_user.id))


def _typed_phone(raw: str) -> str | None:
    raw = raw.strip()
    if not raw or len(raw) > 32:
        return None
    try:
        return normalise_phone(raw, current_app.config["PORTAL_DEFAULT_REGION"])
    except PhoneError:
        return None


def _matches(phone: str | None, full_name: str, birth_year: int | None) -> list[PersonMatch]:
    """Earlier persons this intake may be about, in every municipality toeleiders serve."""
    matches = matching_persons(
        db.session,
        served_municipality_ids(db.session),
        phone=phone,
        full_name=full_name[:160],
        birth_year=birth_year,
    )
    # Logged even when nobody matched, so that every look-up is on record.
    record_views([m.latest for m in matches], "duplicate_warning")
    return matches


def _viewable(matches: list[PersonMatch]) -> set[int]:
    today = clock.today()
    return {m.latest.id for m in matches if can_view_referral(current_user, m.latest, today)}


@bp.post("/duplicates")
@requires(Permission.INTAKE)
def duplicates() -> Any:
    """Earlier persons who may be the one at the desk: a question to ask, never a block."""
    if not _may_check_for_persons():
        return render_template("desk/_duplicates.html", matches=[], limited=True)
    birth_year_text = (request.form.get("birth_year") or "").strip()
    birth_year = ascii_int(birth_year_text) if len(birth_year_text) == 4 else None
    matches = _matches(
        _typed_phone(request.form.get("phone") or ""),
        request.form.get("full_name") or "",
        birth_year,
    )
    return render_template(
        "desk/_duplicates.html",
        matches=matches,
        viewable=_viewable(matches),
        chosen=request.form.get("same_person", ""),
    )


@bp.get("/recent")
@requires(Permission.INTAKE)
def recent() -> Any:
    """The desk worker's own registrations of the last days, to print a slip again."""
    days = get_int(db.session, "desk_reprint_days")
    search = request.args.get("q", "")[:MAX_TEXT]
    referrals = registered_recently_by(
        db.session,
        current_user,
        clock.today(),
        days,
        search,
        current_app.config["PORTAL_DEFAULT_REGION"],
    )
    record_views(referrals, "registered_recently")
    return render_template("desk/recent.html", referrals=referrals, days=days, search=search)


@bp.get("/referrals/<int:referral_id>/slip")
@requires(Permission.INTAKE)
def slip(referral_id: int) -> Any:
    """The confirmation and printable slip of a referral, again within the reprint period."""
    referral = db.session.get(Referral, referral_id, options=[joinedload(Referral.person)])
    days = get_int(db.session, "desk_reprint_days")
    if referral is None or not may_reprint_slip(current_user, referral, clock.today(), days):
        abort(404)
    record_view(referral, "slip")
    appointment = db.session.scalars(
        select(Appointment).where(
            Appointment.referral_id == referral.id,
            Appointment.status == AppointmentStatus.PLANNED,
        )
    ).first()
    return render_template(
        "desk/slip.html",
        referral=referral,
        appointment=appointment,
        may_book=lifecycle.Action.DESK_BOOKING in lifecycle.allowed_actions(referral, current_user),
        privacy_notice=get_text(db.session, "privacy_notice"),
        message=message_for(
            db.session,
            MessageKind.SLIP_APPOINTMENT if appointment else MessageKind.SLIP,
            referral,
            appointment,
            current_app.config["PORTAL_DEFAULT_REGION"],
        ),
    )


BOOKING_DAYS, BOOKING_MINUTES = 14, 60


class BookingForm(FlaskForm, InterpreterWishFields):
    slot = RadioField(_l("Moment"), validators=[InputRequired(_l("Kies een moment."))])
    place = StringField(
        _l("Plaats"),
        default="Gemeentehuis, onthaal",
        validators=[InputRequired(_l("Geef een plaats op.")), Length(max=200)],
    )


def _booking_moments(referral: Referral) -> dict[date, list[tuple[User, datetime]]]:
    """Free moments of the municipality's toeleiders who speak the contact language."""
    people = speakers_of(
        toeleiders_of(db.session, [referral.municipality_id]), referral.contact_language_code
    )
    now = clock.now()
    return free_moments_by_day(db.session, people, now.date(), BOOKING_DAYS, BOOKING_MINUTES, now)


def _slot_value(user: User, start: datetime) -> str:
    return f"{user.id}|{start.isoformat()}"


def _chosen_day(moments: dict[date, list[tuple[User, datetime]]]) -> date | None:
    """The day the resident chose, or the first day with a free moment."""
    try:
        asked = date.fromisoformat(request.args.get("day", ""))
    except ValueError:
        asked = None
    if asked in moments:
        return asked
    return next(iter(moments), None)


CHANGED = _l("Deze doorverwijzing werd intussen gewijzigd. Kies het moment opnieuw.")


def _claimed_meanwhile(referral: Referral) -> str | None:
    """Why the desk cannot book any more: the file left the queue since the page was read."""
    if referral.state == ReferralState.NEW or referral.owner is None:
        return None
    if referral.state == ReferralState.SCHEDULED:
        return _("Voor deze persoon is intussen al een gesprek ingepland. Bekijk het strookje.")
    return _(
        "%(name)s heeft deze persoon intussen opgenomen en plant het gesprek zelf.",
        name=referral.owner.full_name,
    )


@bp.route("/referrals/<int:referral_id>/book", methods=["GET", "POST"])
@requires(Permission.INTAKE)
def book(referral_id: int) -> Any:
    """Book a free conversation moment while the resident is still at the desk.

    The resident first chooses the day among the next two weeks, then the hour.
    """
    referral = db.session.get(Referral, referral_id, options=[joinedload(Referral.person)])
    if referral is None or not can_view_referral(current_user, referral, clock.today()):
        abort(404)
    if request.method == "GET":
        record_view(referral, "booking")
    form = (
        BookingForm()
        if request.method == "POST"
        else BookingForm(formdata=None, interpreter_language=referral.contact_language_code)
    )
    form.interpreter_language.choices = options(interpreters.language_choices(db.session))
    moments = _booking_moments(referral)
    # Any free moment of the two weeks may be chosen, not only those of the day shown.
    form.slot.choices = options(
        (_slot_value(user, start), "") for pairs in moments.values() for user, start in pairs
    )
    offered = {choice.value for choice in form.slot.choices}
    message = None
    conflict = False
    if request.method == "POST" and form.slot.data and form.slot.data not in offered:
        # Someone else booked it between showing and choosing.
        message = _("Dit moment is intussen niet meer vrij. Kies een ander moment.")
    elif request.method == "POST" and form.validate():
        user_id, _sep, start = (form.slot.data or "").partition("|")
        toeleider = db.session.get(User, int(user_id)) or abort(404)
        try:
            lifecycle.schedule_conversation(
                db.session,
                referral,
                current_user,
                toeleider,
                datetime.fromisoformat(start),
                BOOKING_MINUTES,
                form.place.data or "",
                form.interpreter_wish(),
                clock.now(),
            )
            db.session.commit()
            flash(_("Afspraak vastgelegd. Druk het strookje af voor de persoon."))
            return redirect(url_for("desk.slip", referral_id=referral.id), code=303)
        except (lifecycle.TransitionRefused, StaleDataError) as refused:
            # StaleDataError: the file changed between reading and booking, as when a
            # toeleider claims it from the queue at that moment.
            db.session.rollback()
            db.session.refresh(referral)
            taken = _claimed_meanwhile(referral)
            message = taken or getattr(refused, "message", None) or str(CHANGED)
            conflict = taken is not None or isinstance(refused, StaleDataError)
            moments = _booking_moments(referral)
    day = _chosen_day(moments)
    form.slot.choices = options(
        (_slot_value(user, start), f"{start:%H:%M} · {user.full_name}")
        for user, start in (moments.get(day, []) if day else [])
    )
    status = 200 if request.method == "GET" else 409 if conflict else 422
    return render_template(
        "desk/book.html",
        referral=referral,
        form=form,
        message=message,
        days=[(d, format_date(d, "EEEE d MMMM"), len(pairs)) for d, pairs in moments.items()],
        day=day,
    ), status
