"""The person on a file: correcting their details, joining two records and undoing that."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from .. import clock
from ..access import (
    Permission,
    can_view_referral,
    may_correct_person,
    may_join,
    may_undo_join,
    municipality_ids,
    requires,
)
from ..desk.rules import display_phone
from ..extensions import db
from ..languages import in_name_order, language_label
from ..models import Language, Person, PersonJoin, Referral
from ..viewlog import record_view, record_views
from .corrections import (
    CorrectionConflict,
    PersonDetails,
    correct_person,
    details_of,
    resolve_conflict,
)
from .forms import CorrectionForm
from .join import JoinRefused, final_person, join_persons, preview_join, undo_join
from .matching import matching_persons
from .page import PersonSection, person_section

bp = Blueprint("persons", __name__, url_prefix="/referrals")

CONFLICT = _l(
    "Iemand anders verbeterde de gegevens van deze persoon intussen. Er is niets bewaard. "
    "Wat u wijzigde staat nog in het formulier; de andere velden tonen de nieuwste gegevens. "
    "Kijk het na en bewaar opnieuw."
)


def undo_window() -> timedelta:
    return timedelta(hours=current_app.config["PORTAL_JOIN_UNDO_HOURS"])


def file_section(referral: Referral) -> PersonSection:
    """The person part of a file page, with the other files it shows logged as seen."""
    section = person_section(db.session, current_user, referral, clock.now(), undo_window())
    shown = [f.referral for f in section.other_files if f.visible]
    if shown:
        record_views(shown, "person_history")
    return section


def _visible_referral(referral_id: int) -> Referral:
    referral = db.session.get(Referral, referral_id, options=[joinedload(Referral.person)])
    if referral is None or not can_view_referral(current_user, referral, clock.today()):
        abort(404)
    return referral


def _languages() -> list[Language]:
    """The active languages, by their names in the page's language."""
    return in_name_order(db.session.scalars(select(Language).where(Language.active.is_(True))))


def _correction_form(referral: Referral, formdata: Any = None) -> CorrectionForm:
    form = CorrectionForm(formdata=formdata)
    return form.prepare_for(
        languages=_languages(),
        today=clock.today(),
        intake_day=referral.created_at.date(),
        region=current_app.config["PORTAL_DEFAULT_REGION"],
    )


def _show(form: CorrectionForm, details: PersonDetails, version: int) -> None:
    names = {lang.code: language_label(lang) for lang in form.languages}
    form.fill(details, names)
    if details.phone:
        form.phone.data = display_phone(details.phone, current_app.config["PORTAL_DEFAULT_REGION"])
    form.version.data = str(version)
    form.shown.data = details.as_json()


def _render_correction(
    referral: Referral, form: CorrectionForm, status: int = 200, **extra: Any
) -> Any:
    return (
        render_template(
            "persons/correct.html", referral=referral, form=form, back=_back(), **extra
        ),
        status,
    )


def _back() -> str | None:
    """Where the correction was opened from, if not the file: only a known list."""
    return "letters" if request.args.get("back") == "letters" else None


def _back_url(referral: Referral) -> str:
    if _back() == "letters":
        return url_for("queue.letters")
    return url_for("referrals.detail", referral_id=referral.id)


@bp.route("/<int:referral_id>/person", methods=["GET", "POST"])
@requires(Permission.WORK_QUEUE)
def correct(referral_id: int) -> Any:
    """Correct the person's name, contact details, languages, household and registration date."""
    referral = _visible_referral(referral_id)
    if not may_correct_person(current_user, referral):
        abort(403)
    if request.method == "GET":
        record_view(referral, "person_edit")
        form = _correction_form(referral)
        _show(form, details_of(referral), referral.person.version)
        return _render_correction(referral, form)
    form = _correction_form(referral, request.form)
    shown = PersonDetails.from_json(form.shown.data or "")
    if not form.validate() or shown is None or not (form.version.data or "").isdecimal():
        return _render_correction(referral, form, 422)
    typed = form.details()
    try:
        changes = correct_person(
            db.session,
            referral,
            current_user,
            clock.now(),
            typed=typed,
            shown=shown,
            version=int(form.version.data or 0),
        )
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        db.session.refresh(referral)
        conflict = CorrectionConflict(details_of(referral), ())
        return _conflict(referral, typed, shown, conflict)
    except CorrectionConflict as conflict:
        db.session.rollback()
        return _conflict(referral, typed, shown, conflict)
    if changes:
        flash(ngettext("%(num)d gegeven verbeterd.", "%(num)d gegevens verbeterd.", len(changes)))
    else:
        flash(_("Er was niets gewijzigd."))
    return redirect(_back_url(referral), code=303)


def _conflict(
    referral: Referral, typed: PersonDetails, shown: PersonDetails, conflict: CorrectionConflict
) -> Any:
    """The form again: the user's changes over the newest details, the clashes pointed out."""
    db.session.refresh(referral.person)
    current = details_of(referral)
    form = _correction_form(referral)
    _show(form, resolve_conflict(typed, shown, current), referral.person.version)
    form.shown.data = current.as_json()
    names = {lang.code: language_label(lang) for lang in form.languages}
    clashes = {
        name: _plain(name, getattr(current, name), names)
        for name in current.__dataclass_fields__
        if getattr(typed, name) != getattr(shown, name)
        and getattr(current, name) != getattr(shown, name)
        and getattr(typed, name) != getattr(current, name)
    }
    return _render_correction(referral, form, 409, conflict=str(CONFLICT), clashes=clashes)


def _plain(name: str, value: object, names: dict[str, str]) -> str:
    if value is None or value == "" or value == ():
        return "—"
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, date):
        return format_date(value, "d MMMM yyyy")
    if name.endswith("language_code"):
        return names.get(str(value), str(value))
    return str(value)


def _other_referral(reference: str) -> Referral | None:
    reference = reference.strip()[:20]
    if not reference:
        return None
    other = db.session.scalars(select(Referral).where(Referral.reference == reference)).first()
    if other is None or not can_view_referral(current_user, other, clock.today()):
        return None
    return other


def _candidates(person: Person) -> list[Referral]:
    """Files of other persons with the same phone, or name and birth year, this user may see."""
    matches = matching_persons(
        db.session,
        sorted(municipality_ids(current_user)),
        phone=person.phone,
        full_name=person.full_name,
        birth_year=person.birth_year,
    )
    today = clock.today()
    return [
        m.latest
        for m in matches
        if m.person.id != person.id and can_view_referral(current_user, m.latest, today)
    ]


@bp.get("/<int:referral_id>/person/join")
@requires(Permission.WORK_QUEUE)
def join(referral_id: int) -> Any:
    """Find the other person by one of their files, and preview what joining keeps."""
    referral = _visible_referral(referral_id)
    kept = final_person(db.session, referral.person)
    reference = request.args.get("reference", "")
    message, preview = None, None
    if reference:
        other = _other_referral(reference)
        if other is None:
            message = _("Geen dossier met deze referentie dat u mag zien.")
        else:
            absorbed = final_person(db.session, other.person)
            if not may_join(current_user, kept, absorbed, clock.today()):
                message = _("Deze twee personen kunt u niet samenvoegen.")
            else:
                try:
                    preview = preview_join(kept, absorbed)
                except JoinRefused as refused:
                    message = refused.message
    candidates = [] if reference else _candidates(kept)
    shown = candidates if preview is None else preview.kept_referrals + preview.moved_referrals
    if shown:
        record_views(shown, "person_join_preview")
    status = 422 if message else 200
    return render_template(
        "persons/join.html",
        referral=referral,
        reference=reference,
        message=message,
        preview=preview,
        candidates=candidates,
        undo_hours=current_app.config["PORTAL_JOIN_UNDO_HOURS"],
    ), status


@bp.post("/<int:referral_id>/person/join")
@requires(Permission.WORK_QUEUE)
def confirm_join(referral_id: int) -> Any:
    """Join the person of another file into this file's person, as the preview showed."""
    referral = _visible_referral(referral_id)
    kept = final_person(db.session, referral.person)
    reference = request.form.get("reference", "")
    other = _other_referral(reference)
    versions = (request.form.get("kept_version", ""), request.form.get("absorbed_version", ""))
    if other is None or not all(v.isdecimal() for v in versions):
        abort(404)
    absorbed = final_person(db.session, other.person)
    if not may_join(current_user, kept, absorbed, clock.today()):
        abort(403)
    try:
        join_persons(
            db.session,
            kept,
            absorbed,
            current_user,
            clock.now(),
            versions=(int(versions[0]), int(versions[1])),
        )
        db.session.commit()
    except (JoinRefused, StaleDataError) as refused:
        db.session.rollback()
        flash(
            refused.message
            if isinstance(refused, JoinRefused)
            else _("Een van beide personen werd intussen gewijzigd. Bekijk het voorstel opnieuw.")
        )
        return redirect(
            url_for("persons.join", referral_id=referral.id, reference=reference), code=303
        )
    flash(_("Samengevoegd. De dossiers horen nu bij dezelfde persoon."))
    return redirect(url_for("referrals.detail", referral_id=referral.id), code=303)


@bp.post("/<int:referral_id>/person/joins/<int:join_id>/undo")
@requires(Permission.WORK_QUEUE)
def undo(referral_id: int, join_id: int) -> Any:
    """Undo a join of two persons within the allowed time."""
    referral = _visible_referral(referral_id)
    record = db.session.get(PersonJoin, join_id)
    if record is None or referral.person_id != record.kept_id:
        abort(404)
    if not may_undo_join(current_user, record, clock.today()):
        abort(403)
    try:
        undo_join(db.session, record, current_user, clock.now(), window=undo_window())
        db.session.commit()
        flash(_("De samenvoeging is ongedaan gemaakt."))
    except (JoinRefused, StaleDataError) as refused:
        db.session.rollback()
        flash(
            refused.message
            if isinstance(refused, JoinRefused)
            else _("Iemand anders wijzigde deze persoon intussen. Probeer opnieuw.")
        )
    return redirect(url_for("referrals.detail", referral_id=referral.id), code=303)
