"""The admin's texts of slips, letters and reminders, the letterheads, and the logo."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from .. import clock
from ..access import Permission, requires, requires_login
from ..audit import changes_between, log_admin_action
from ..desk.rules import PhoneError, display_phone, normalise_phone
from ..extensions import db
from ..formtools import first_error, record_id
from ..languages import language_label
from ..models import Language, MessageKind, MessageText, Municipality
from . import texts
from .forms import LetterheadForm, MessageTextForm
from .logo import LOGO_MAX_BYTES, LogoError, clean_logo

bp = Blueprint("messages", __name__)

IN_USE_DAYS = 365


def _kind(slug: str) -> MessageKind:
    try:
        return MessageKind(slug)
    except ValueError:
        abort(404)


def _log(action: str, kind: str, target: Any, label: str, changes: Any) -> None:
    log_admin_action(
        db.session,
        actor=current_user,
        action=action,
        target_kind=kind,
        target_id=target,
        target_label=label,
        changes=changes,
        at=clock.now(),
        address=request.remote_addr,
    )


@bp.get("/admin/texts/")
@requires(Permission.ADMINISTER)
def overview() -> Any:
    """For the languages in use: which messages have a text, which print in Dutch only."""
    since = clock.now() - timedelta(days=IN_USE_DAYS)
    return render_template(
        "messages/overview.html",
        rows=texts.coverage(db.session, since),
        kinds=list(MessageKind),
        titles=texts.TITLES,
        dutch=texts.DUTCH,
    )


@bp.route("/admin/texts/<kind_slug>/<code>", methods=["GET", "POST"])
@requires(Permission.ADMINISTER)
def edit(kind_slug: str, code: str) -> Any:
    """One message in one language; an empty text means: Dutch only (or the built-in Dutch)."""
    kind = _kind(kind_slug)
    language = db.session.get(Language, code)
    if language is None:
        abort(404)
    stored = db.session.get(MessageText, (kind, code))
    form = (
        MessageTextForm(formdata=None, data={"body": stored.body if stored else ""})
        if request.method == "GET"
        else MessageTextForm()
    )
    shown = None
    if request.method == "POST" and form.validate():
        body = (form.body.data or "").strip()
        # Empty: the message goes back to Dutch only (or to the built-in Dutch).
        errors = texts.placeholder_errors(kind, body) if body else []
        if errors:
            form.body.errors = errors
        elif request.form.get("preview"):
            # The text as typed, as it would print: nothing is saved yet.
            shown = _sample(kind, language, None, typed=body)
        else:
            before = {"tekst": stored.body if stored else ""}
            if not body:
                if stored is not None:
                    db.session.delete(stored)
            elif stored is None:
                db.session.add(
                    MessageText(kind=kind, language_code=code, body=body, updated_at=clock.now())
                )
            else:
                stored.body, stored.updated_at = body, clock.now()
            changes = changes_between(before, {"tekst": body})
            if changes:
                _log(
                    "settings.update",
                    "message_text",
                    f"{kind.value}/{code}",
                    f"{texts.TITLES[kind]} – {language_label(language)}",
                    changes,
                )
            db.session.commit()
            flash(_("Tekst bewaard."))
            return redirect(url_for("messages.overview"), code=303)
    status = 422 if request.method == "POST" and shown is None else 200
    return (
        render_template(
            "messages/edit.html",
            shown=shown,
            reference=texts.SAMPLE_REFERENCE,
            form=form,
            kind=kind,
            title=texts.TITLES[kind],
            language=language,
            direction=texts.text_direction(code),
            placeholders=[(name, texts.PLACEHOLDERS[name]) for name in texts.ALLOWED[kind]],
            dutch_default=str(texts.DEFAULTS[kind]),
            is_dutch=code == texts.DUTCH,
            focus=first_error(form),
        ),
        status,
    )


@bp.get("/admin/texts/<kind_slug>/<code>/preview")
@requires(Permission.ADMINISTER)
def preview(kind_slug: str, code: str) -> Any:
    """The message as it prints, with made-up details and a municipality's letterhead."""
    kind = _kind(kind_slug)
    language = db.session.get(Language, code)
    if language is None:
        abort(404)
    shown = _sample(kind, language, record_id(request.args.get("municipality")))
    return render_template(
        "messages/preview.html",
        message=shown.message,
        title=texts.TITLES[kind],
        language=language,
        municipality=shown.municipality,
        municipalities=shown.municipalities,
        reference=texts.SAMPLE_REFERENCE,
    )


@dataclass(frozen=True)
class _Sample:
    message: texts.Message
    municipality: Municipality
    municipalities: list[Municipality]


def _sample(
    kind: MessageKind, language: Language, municipality_id: int | None, typed: str | None = None
) -> _Sample:
    """The message with made-up details under a municipality's letterhead (the chosen one,
    else the first): with the saved texts, or with `typed` as this language's text."""
    municipalities = list(
        db.session.scalars(select(Municipality).order_by(Municipality.name)).all()
    )
    municipality = next((m for m in municipalities if m.id == municipality_id), None) or next(
        iter(municipalities), None
    )
    if municipality is None:
        abort(404)
    moment = (clock.now() + timedelta(days=7)).replace(hour=14, minute=30, second=0, microsecond=0)
    details = texts.sample_details(municipality, moment)
    stored = texts.stored_texts(db.session, [kind], [texts.DUTCH, language.code])
    if typed is not None:
        stored.pop((kind, language.code), None)
        if typed:
            stored[(kind, language.code)] = typed
    return _Sample(texts.compose(kind, details, language, stored), municipality, municipalities)


@bp.route("/admin/letterhead/<int:municipality_id>", methods=["GET", "POST"])
@requires(Permission.ADMINISTER)
def letterhead(municipality_id: int) -> Any:
    """Who sends the slips and letters of a municipality, and how residents answer."""
    municipality = db.session.get(Municipality, municipality_id)
    if municipality is None:
        abort(404)
    region = current_app.config["PORTAL_DEFAULT_REGION"]
    if request.method == "GET":
        form = LetterheadForm(formdata=None, obj=municipality)
        form.phone.data = display_phone(municipality.phone, region)
        return _letterhead_page(form, municipality)
    form = LetterheadForm()
    form.validate()
    phone = None
    if (form.phone.data or "").strip() and not form.phone.errors:
        try:
            phone = normalise_phone(form.phone.data or "", region)
        except PhoneError:
            form.phone.errors = [_("Dit is geen telefoonnummer dat we kunnen bellen.")]
    logo = None
    upload = form.logo.data
    if isinstance(upload, FileStorage) and upload.filename:
        try:
            logo = clean_logo(upload.read(LOGO_MAX_BYTES + 1))
        except LogoError as error:
            form.logo.errors = [str(error)]
    if form.errors or first_error(form):
        if logo is not None:
            # A browser never keeps a chosen file across a page: say so, next to the field.
            form.logo.errors = [
                _(
                    "Kies het logo opnieuw: een gekozen bestand blijft niet bewaard zolang "
                    "het formulier een fout heeft."
                )
            ]
        return _letterhead_page(form, municipality, 422)
    before = _letterhead_snapshot(municipality)
    municipality.address = (form.address.data or "").strip() or None
    municipality.phone = phone
    municipality.email = (form.email.data or "").strip() or None
    municipality.opening_hours = (form.opening_hours.data or "").strip() or None
    municipality.contact_person = (form.contact_person.data or "").strip() or None
    if logo is not None:
        municipality.logo, municipality.logo_type = logo
    elif form.remove_logo.data:
        municipality.logo = municipality.logo_type = None
    changes = changes_between(before, _letterhead_snapshot(municipality))
    if logo is not None:
        changes = [*changes, *changes_between({"logo": ""}, {"logo": _("nieuw logo")})]
    if changes:
        _log("catalogue.update", "letterhead", municipality.id, municipality.name, changes)
    db.session.commit()
    flash(_("Briefhoofd van %(m)s bewaard.", m=municipality.name))
    return redirect(url_for("messages.letterhead", municipality_id=municipality.id), code=303)


def _letterhead_snapshot(m: Municipality) -> dict[str, Any]:
    return {
        "adres": m.address,
        "telefoon": m.phone,
        "e-mail": m.email,
        "openingsuren": m.opening_hours,
        "contactpersoon": m.contact_person,
        "logo": m.logo_type or "",
    }


def _letterhead_page(form: LetterheadForm, municipality: Municipality, status: int = 200) -> Any:
    municipalities = db.session.scalars(select(Municipality).order_by(Municipality.name)).all()
    return (
        render_template(
            "messages/letterhead.html",
            form=form,
            municipality=municipality,
            municipalities=municipalities,
            focus=first_error(form),
        ),
        status,
    )


@bp.get("/letterhead/<municipality_id>/logo")
@requires_login
def logo(municipality_id: str) -> Any:
    """The sanitised logo, for the letterhead of slips and letters (not personal data)."""
    key = record_id(municipality_id)
    municipality = db.session.get(Municipality, key) if key is not None else None
    if municipality is None or not municipality.logo:
        abort(404)
    response = current_app.response_class(municipality.logo, mimetype=municipality.logo_type)
    # Even if a drawing slipped through, nothing in it may run or load.
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Asked again each time (a 304 while it is the same), so a new logo prints at once.
    response.headers["Cache-Control"] = "private, no-cache"
    response.set_etag(hashlib.sha256(municipality.logo).hexdigest()[:32])
    return response.make_conditional(request)
