"""The lead's import of the population register: upload, columns, preview, import, undo.

Each step is one request that finishes its work before it answers, in one transaction: on
several hosts that share only the database, no step depends on memory or a background job
of another. Importing 10,000 rows takes seconds (benchmarks/import_register.py), so the
page shows an indeterminate progress bar while the confirmation is sent; a bar that counts
would need the work to report from outside its own transaction, which SQLite (one writer)
cannot take and which chunked commits would buy by giving up all-or-nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from .. import clock
from ..access import Permission, led_municipalities, may_import_register, requires
from ..audit import log_admin_action
from ..errors import database_unavailable
from ..extensions import db
from ..formtools import CsrfForm, record_id
from ..languages import by_shown_name
from ..models import ImportKind, ImportStatus, RegisterImport, RegisterImportRow, RowOutcome
from ..pagination import paginate
from ..viewlog import record_views
from .forms import MappingForm, UploadForm
from .importing import (
    ImportRefused,
    active_languages,
    columns_of,
    evaluate,
    header_of,
    import_rows,
    may_still_undo,
    outcome_counts,
    rows_statement,
    save_mapping,
    saved_mapping,
    stage_file,
    store_outcomes,
    undo_import,
)
from .reading import FileRefused, read_register_file
from .rows import fields_of, guessed_mapping

bp = Blueprint("register", __name__, url_prefix="/register-import")
log = logging.getLogger("portal.register")

ROWS_PER_PAGE = 100
STATUS_LABELS = {
    ImportStatus.UPLOADED: _l("kolommen nog te kiezen"),
    ImportStatus.PREVIEWED: _l("voorbeeld, nog niet geïmporteerd"),
    ImportStatus.IMPORTED: _l("geïmporteerd"),
    ImportStatus.UNDONE: _l("ongedaan gemaakt"),
}


@bp.context_processor
def _template_names() -> dict[str, Any]:
    return {
        "Outcome": RowOutcome,
        "ImportStatus": ImportStatus,
        "import_status_label": lambda s: str(STATUS_LABELS[s]),
        "ImportKind": ImportKind,
        "import_kind_label": lambda k: str(KIND_LABEL_SHORT[k]),
    }


KIND_LABEL_SHORT = {
    ImportKind.REGISTER: _l("nieuwe inschrijvingen"),
    ImportKind.HISTORY: _l("eerdere inschrijvingen"),
}


def _labels(kind: ImportKind = ImportKind.REGISTER) -> dict[RowOutcome, str]:
    return {
        RowOutcome.NEW_PERSON: _("nieuwe persoon"),
        RowOutcome.EXISTING_PERSON: _("bestaande persoon"),
        RowOutcome.ALREADY_OPEN: (
            _("al in het portaal") if kind is ImportKind.HISTORY else _("al een lopend dossier")
        ),
        RowOutcome.REFUSED: _("geweigerd"),
    }


def _upload_form() -> UploadForm:
    form = UploadForm()
    form.municipality.choices = [(m.id, m.name) for m in led_municipalities(current_user)]
    if len(form.municipality.choices) == 1 and not form.municipality.data:
        form.municipality.data = form.municipality.choices[0][0]
    return form


def _recent_imports() -> list[RegisterImport]:
    ids = [m.id for m in led_municipalities(current_user)] or [-1]
    return list(
        db.session.scalars(
            select(RegisterImport)
            .where(RegisterImport.municipality_id.in_(ids))
            .order_by(RegisterImport.created_at.desc(), RegisterImport.id.desc())
            .limit(20)
        )
    )


def _render_index(form: UploadForm, status: int = 200) -> Any:
    return (
        render_template(
            "register/index.html", form=form, imports=_recent_imports(), labels=_labels()
        ),
        status,
    )


@bp.get("/")
@requires(Permission.LEAD_TEAM)
def index() -> Any:
    """The upload form and the latest imports of the lead's municipalities."""
    if not led_municipalities(current_user):
        abort(403)
    return _render_index(_upload_form())[0]


@bp.post("/")
@requires(Permission.LEAD_TEAM)
def upload() -> Any:
    """Read the file and stage its rows; then the columns are chosen."""
    form = _upload_form()
    if not form.municipality.choices:
        abort(403)
    if not form.validate():
        return _render_index(form, 422)
    if not may_import_register(current_user, form.municipality.data):
        abort(403)
    upload = form.file.data
    # One byte more than allowed tells a file that is too large without reading it all.
    data = upload.stream.read(current_app.config["PORTAL_UPLOAD_MAX_CONTENT_LENGTH"] + 1)
    try:
        register_file = read_register_file(data)
    except FileRefused as refused:
        form.file.errors = [refused.message]
        return _render_index(form, 422)
    register_import = stage_file(
        db.session,
        register_file,
        municipality_id=form.municipality.data,
        file_name=(upload.filename or "").replace("\\", "/").rsplit("/", 1)[-1],
        actor=current_user,
        at=clock.now(),
        kind=ImportKind(form.kind.data),
    )
    db.session.commit()
    # Counts only: what the file holds never goes into the log.
    log.info("register import %d staged: %d rows", register_import.id, register_import.row_count)
    return redirect(url_for("register.mapping", import_id=register_import.id), code=303)


def file_too_large() -> Any:
    """The answer to an upload larger than allowed, refused before it was read."""
    if not led_municipalities(current_user):
        abort(403)
    form = UploadForm(formdata=None)
    form.municipality.choices = [(m.id, m.name) for m in led_municipalities(current_user)]
    form.file.errors = [_("Het bestand is groter dan 10 MB. Deel het op in kleinere bestanden.")]
    return _render_index(form, 413)


def _import_or_404(import_id: int) -> RegisterImport:
    register_import = db.session.get(RegisterImport, import_id)
    if register_import is None or not may_import_register(
        current_user, register_import.municipality_id
    ):
        abort(404)
    return register_import


def _mapping_form(register_import: RegisterImport, formdata: Any = None) -> MappingForm:
    header = header_of(register_import)
    # The menu of the default language in the reader's names; the file's are read in Dutch.
    languages = by_shown_name(active_languages(db.session))
    kind = register_import.kind
    if formdata is not None:
        return MappingForm(formdata=formdata).prepare(header, languages, kind)
    saved, default_language = saved_mapping(db.session, register_import.municipality_id)
    # The municipality's saved choice is for the register's own export; a file of earlier
    # registrations is another sheet, so its columns are guessed (or kept from its preview).
    columns = columns_of(register_import) or (saved if kind is ImportKind.REGISTER else {})
    guessed = guessed_mapping(header)
    data = {
        f: columns[f] if columns.get(f) in header else guessed.get(f, "") for f in fields_of(kind)
    }
    form = MappingForm(
        formdata=None,
        default_language=register_import.default_language_code or default_language or "nl",
        **data,
    )
    return form.prepare(header, languages, kind)


@bp.route("/<int:import_id>/columns", methods=["GET", "POST"])
@requires(Permission.LEAD_TEAM)
def mapping(import_id: int) -> Any:
    """Choose which column holds what; saved for the municipality, then every row checked."""
    register_import = _import_or_404(import_id)
    if register_import.status not in (ImportStatus.UPLOADED, ImportStatus.PREVIEWED):
        return redirect(url_for("register.detail", import_id=import_id), code=303)
    if request.method == "GET":
        return _render_mapping(register_import, _mapping_form(register_import))
    form = _mapping_form(register_import, request.form)
    if not form.validate():
        return _render_mapping(register_import, form, 422)
    columns = form.columns()
    register_import.default_language_code = form.default_language.data
    try:
        results = evaluate(
            db.session, register_import, columns, current_app.config["PORTAL_DEFAULT_REGION"]
        )
    except ImportRefused as refused:
        return _render_mapping(register_import, form, 422, refused.message)
    if register_import.kind is ImportKind.REGISTER:
        save_mapping(
            db.session,
            register_import.municipality_id,
            columns,
            form.default_language.data,
            current_user,
            clock.now(),
        )
    store_outcomes(db.session, register_import, results, form.default_language.data, columns)
    db.session.commit()
    return redirect(url_for("register.detail", import_id=import_id), code=303)


def _render_mapping(
    register_import: RegisterImport, form: MappingForm, status: int = 200, message: str = ""
) -> Any:
    return (
        render_template(
            "register/mapping.html",
            register_import=register_import,
            form=form,
            fields=list(form.kind_fields),
            message=message,
        ),
        status,
    )


@bp.get("/<int:import_id>")
@requires(Permission.LEAD_TEAM)
def detail(import_id: int) -> Any:
    """The preview before importing, or the record of what the import made."""
    register_import = _import_or_404(import_id)
    if register_import.status is ImportStatus.UPLOADED:
        return redirect(url_for("register.mapping", import_id=import_id), code=303)
    return _render_detail(register_import)


def _render_detail(register_import: RegisterImport, status: int = 200, message: str = "") -> Any:
    shown = request.args.get("outcome", "")
    outcome = RowOutcome(shown) if shown in set(RowOutcome) else None
    page = paginate(
        db.session,
        rows_statement(register_import.id, outcome),
        record_id(request.args.get("page")) or 1,
        ROWS_PER_PAGE,
    )
    items: list[RegisterImportRow] = page.items
    # The preview shows what the file says about each resident and which files of known
    # persons they match: that listing is on record, as every list of residents is.
    record_views([r.referral_id for r in items if r.referral_id is not None], "register_import")
    return (
        render_template(
            "register/detail.html",
            register_import=register_import,
            counts=outcome_counts(db.session, register_import.id),
            page=page,
            outcome=outcome,
            labels=_labels(register_import.kind),
            message=message,
            form=CsrfForm(),
            may_undo=may_still_undo(register_import, clock.now()),
        ),
        status,
    )


@bp.post("/<int:import_id>/confirm")
@requires(Permission.LEAD_TEAM)
def confirm(import_id: int) -> Any:
    """Make every previewed referral, in one transaction: all of them, or none."""
    register_import = _import_or_404(import_id)
    if not CsrfForm().validate():
        abort(400)
    columns = columns_of(register_import)
    if columns is None:  # previewed before the columns were kept with the file
        columns, _language = saved_mapping(db.session, register_import.municipality_id)
    at = clock.now()
    try:
        result = import_rows(
            db.session,
            register_import,
            columns=columns,
            region=current_app.config["PORTAL_DEFAULT_REGION"],
            actor=current_user,
            at=at,
        )
        log_admin_action(
            db.session,
            actor=current_user,
            action="register.import",
            target_kind="register_import",
            target_id=register_import.id,
            target_label=register_import.municipality.name,
            changes=[("referrals", 0, result.referrals), ("persons", 0, result.new_persons)],
            at=at,
            address=request.remote_addr,
        )
        db.session.commit()
    except ImportRefused as refused:
        db.session.rollback()
        return _after_refusal(import_id, refused.message)
    except Exception as error:
        db.session.rollback()
        if isinstance(error, DBAPIError) and database_unavailable(error):
            raise
        # The kind of error only: its message may quote a value of the file.
        log.error("register import %d failed: %s", import_id, type(error).__name__)
        return _after_refusal(
            import_id,
            _(
                "Er liep iets mis tijdens het importeren. Er is niets geïmporteerd; probeer "
                "opnieuw, en meld het als het blijft misgaan."
            ),
            500,
        )
    log.info("register import %d made %d referrals", import_id, result.referrals)
    if register_import.kind is ImportKind.HISTORY:
        flash(
            _(
                "Geïmporteerd: %(n)d eerdere dossiers met hun geschiedenis (%(p)d nieuwe "
                "personen). De rapporten tellen ze in de maanden waarin het gebeurde.",
                n=result.referrals,
                p=result.new_persons,
            )
        )
    else:
        flash(
            _(
                "Geïmporteerd: %(n)d doorverwijzingen staan in de wachtrij (%(p)d nieuwe "
                "personen).",
                n=result.referrals,
                p=result.new_persons,
            )
        )
    return redirect(url_for("register.detail", import_id=import_id), code=303)


def _after_refusal(import_id: int, message: str, status: int = 409) -> Any:
    register_import = _import_or_404(import_id)
    return _render_detail(register_import, status, message)


@bp.post("/<int:import_id>/discard")
@requires(Permission.LEAD_TEAM)
def discard(import_id: int) -> Any:
    """Drop a file that was not imported, with the personal data its rows hold."""
    register_import = _import_or_404(import_id)
    if not CsrfForm().validate():
        abort(400)
    if register_import.status not in (ImportStatus.UPLOADED, ImportStatus.PREVIEWED):
        return _after_refusal(import_id, _("Een geïmporteerd bestand kan niet geannuleerd worden."))
    db.session.delete(register_import)
    db.session.commit()
    flash(_("Het bestand is verwijderd; er is niets geïmporteerd."))
    return redirect(url_for("register.index"), code=303)


@bp.post("/<int:import_id>/undo")
@requires(Permission.LEAD_TEAM)
def undo(import_id: int) -> Any:
    """Remove everything the import made, as a whole, within a day of importing."""
    register_import = _import_or_404(import_id)
    if not CsrfForm().validate():
        abort(400)
    at = clock.now()
    try:
        removed = undo_import(db.session, register_import, actor=current_user, at=at)
        log_admin_action(
            db.session,
            actor=current_user,
            action="register.undo",
            target_kind="register_import",
            target_id=import_id,
            target_label=register_import.municipality.name,
            changes=[("referrals", removed, 0)],
            at=at,
            address=request.remote_addr,
        )
        db.session.commit()
    except ImportRefused as refused:
        db.session.rollback()
        return _after_refusal(import_id, refused.message)
    flash(_("Ongedaan gemaakt: %(n)d doorverwijzingen verwijderd.", n=removed))
    return redirect(url_for("register.detail", import_id=import_id), code=303)
