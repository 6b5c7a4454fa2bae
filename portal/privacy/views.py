"""Reading the audit logs: who saw which resident's file, and what admins changed."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from .. import clock
from ..access import (
    Permission,
    RightsActions,
    audit_scope,
    can_view_referral,
    requires,
    rights_actions,
)
from ..admin.forms import SETTING_LABELS
from ..audit import (
    AuditFilter,
    access_log_statement,
    admin_log_statement,
    decoded_changes,
    files_with_reference,
    log_admin_action,
)
from ..downloads import csv_download, download
from ..extensions import db
from ..formtools import CsrfForm, options, record_id
from ..inputs import known_args
from ..labels import access_action_label, admin_action_label, changed_field_label
from ..models import Referral, User
from ..pagination import paginate
from ..viewlog import record_views
from .export import person_export
from .forms import AuditFilterForm, EraseForm
from .retention import erase_person, withdraw_consent

bp = Blueprint("privacy", __name__, url_prefix="/privacy")

PER_PAGE = 100
EXPORT_LIMIT = 50_000


def _filter_form() -> AuditFilterForm:
    form = AuditFilterForm(request.args)
    people = db.session.scalars(select(User).order_by(User.full_name))
    form.user.choices = options([(0, _("Iedereen"))] + [(u.id, u.full_name) for u in people])
    return form


def _audit_filter(form: AuditFilterForm) -> AuditFilter:
    """The filter the form asks for, within what this reader may see."""
    valid = form.validate()
    reference = (form.reference.data or "").strip() if valid else ""
    return AuditFilter(
        referral_ids=tuple(files_with_reference(db.session, reference)) if reference else None,
        user_id=(form.user.data or None) if valid else None,
        first_day=form.first_day.data if valid else None,
        last_day=form.last_day.data if valid else None,
        municipality_ids=audit_scope(current_user),
    )


def _field_label(name: str) -> str:
    return changed_field_label(name, SETTING_LABELS)


def _page_number() -> int:
    return record_id(request.args.get("page")) or 1


def _args() -> dict[str, str]:
    return known_args("reference", "user", "first_day", "last_day")


@bp.get("/access-log")
@requires(Permission.READ_AUDIT_LOG)
def access_log() -> Any:
    """Who opened or saw which file, when and from where."""
    form = _filter_form()
    page = paginate(db.session, access_log_statement(_audit_filter(form)), _page_number(), PER_PAGE)
    return render_template(
        "privacy/access_log.html", form=form, page=page, args=_args(), label=access_action_label
    )


@bp.get("/access-log.csv")
@requires(Permission.READ_AUDIT_LOG)
def access_log_csv() -> Any:
    """The filtered access log as a spreadsheet."""
    entries = db.session.scalars(
        access_log_statement(_audit_filter(_filter_form())).limit(EXPORT_LIMIT)
    )
    rows: list[Sequence[object]] = [
        [_("Moment"), _("Gebruiker"), _("Wat"), _("Dossier"), _("Adres")],
        *(
            [
                f"{e.at:%Y-%m-%d %H:%M:%S}",
                e.user.full_name,
                access_action_label(e.action),
                e.referral.reference if e.referral else "",
                e.address or "",
            ]
            for e in entries
        ),
    ]
    return csv_download(rows, "toegangslog.csv")


@bp.get("/admin-log")
@requires(Permission.ADMINISTER)
def admin_log() -> Any:
    """What admins and leads changed in accounts, catalogues, settings and signals."""
    form = _filter_form()
    page = paginate(db.session, admin_log_statement(_audit_filter(form)), _page_number(), PER_PAGE)
    return render_template(
        "privacy/admin_log.html",
        form=form,
        page=page,
        args=_args(),
        changes=decoded_changes,
        label=admin_action_label,
        field_label=_field_label,
    )


@bp.get("/admin-log.csv")
@requires(Permission.ADMINISTER)
def admin_log_csv() -> Any:
    """The filtered admin log as a spreadsheet."""
    entries = db.session.scalars(
        admin_log_statement(_audit_filter(_filter_form())).limit(EXPORT_LIMIT)
    )
    rows: list[Sequence[object]] = [
        [_("Moment"), _("Door"), _("Actie"), _("Wat"), _("Wijzigingen"), _("Adres")],
        *(
            [
                f"{e.at:%Y-%m-%d %H:%M:%S}",
                e.actor.full_name,
                admin_action_label(e.action),
                f"{e.target_kind} {e.target_label or e.target_id or ''}".strip(),
                "; ".join(
                    f"{_field_label(k)}: {old} → {new}" for k, old, new in decoded_changes(e)
                ),
                e.address or "",
            ]
            for e in entries
        ),
    ]
    return csv_download(rows, "beheerlog.csv")


# The resident's rights, from one of their files ------------------------------------------


def _file_for_rights(referral_id: int) -> tuple[Referral, RightsActions]:
    referral = db.session.get(Referral, referral_id)
    if referral is None or not can_view_referral(current_user, referral, clock.today()):
        abort(404)
    return referral, rights_actions(current_user, referral)


@bp.get("/files/<int:referral_id>/export.json")
@requires(Permission.VIEW_REFERRALS)
def export_json(referral_id: int) -> Any:
    """Everything held about the person of this file, as JSON (right of access)."""
    referral, rights = _file_for_rights(referral_id)
    if not rights.export:
        abort(403)
    record_views([r.id for r in referral.person.referrals], "export")
    body = json.dumps(person_export(db.session, referral.person), ensure_ascii=False, indent=2)
    return download(body, "application/json", f"persoon-{referral.reference}.json")


@bp.get("/files/<int:referral_id>/export")
@requires(Permission.VIEW_REFERRALS)
def export_page(referral_id: int) -> Any:
    """Everything held about the person of this file, as a printable page."""
    referral, rights = _file_for_rights(referral_id)
    if not rights.export:
        abort(403)
    record_views([r.id for r in referral.person.referrals], "export")
    return render_template(
        "privacy/export.html", referral=referral, data=person_export(db.session, referral.person)
    )


@bp.post("/files/<int:referral_id>/withdraw")
@requires(Permission.VIEW_REFERRALS)
def withdraw(referral_id: int) -> Any:
    """Record that the person no longer agrees to be contacted."""
    referral, rights = _file_for_rights(referral_id)
    if not rights.withdraw:
        abort(403)
    if CsrfForm().validate():
        withdraw_consent(db.session, referral, actor=current_user, at=clock.now())
        db.session.commit()
        flash(
            _(
                "Genoteerd: %(ref)s wil niet meer gecontacteerd worden. Het dossier staat niet "
                "meer in de wachtrij en de brievenlijst.",
                ref=referral.reference,
            )
        )
    return redirect(url_for("referrals.detail", referral_id=referral.id), code=303)


@bp.route("/files/<int:referral_id>/erase", methods=["GET", "POST"])
@requires(Permission.LEAD_TEAM)
def erase(referral_id: int) -> Any:
    """Erase the person on their request: every file anonymised, the figures kept."""
    referral, rights = _file_for_rights(referral_id)
    if not rights.erase:
        abort(403)
    form = EraseForm() if request.method == "POST" else EraseForm(formdata=None)
    files = [r.reference for r in referral.person.referrals]
    if request.method == "POST" and form.validate():
        if (form.reference.data or "").strip().upper() != referral.reference:
            form.reference.errors = [
                _("Typ het dossiernummer %(ref)s over.", ref=referral.reference)
            ]
        else:
            count = erase_person(db.session, referral.person, actor=current_user, at=clock.now())
            log_admin_action(
                db.session,
                actor=current_user,
                action="person.erase",
                target_kind="person",
                target_id=referral.person_id,
                target_label=", ".join(filter(None, files)),
                at=clock.now(),
                address=request.remote_addr,
            )
            db.session.commit()
            flash(
                ngettext(
                    "%(num)d dossier geanonimiseerd.", "%(num)d dossiers geanonimiseerd.", count
                )
            )
            return redirect(url_for("referrals.detail", referral_id=referral.id), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("privacy/erase.html", referral=referral, form=form, files=files), status
