"""Reading the audit logs: who saw which resident's file, and what admins changed."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..access import Permission, audit_scope, requires
from ..audit import (
    AuditFilter,
    access_log_statement,
    admin_log_statement,
    decoded_changes,
    files_with_reference,
)
from ..downloads import csv_download
from ..extensions import db
from ..formtools import options, record_id
from ..labels import access_action_label, admin_action_label, changed_field_label
from ..models import User
from ..pagination import paginate
from .forms import AuditFilterForm

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


def _page_number() -> int:
    return record_id(request.args.get("page")) or 1


def _args() -> dict[str, str]:
    return {k: v for k, v in request.args.items() if k != "page"}


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
    rows: list[list[object]] = [
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
        field_label=changed_field_label,
    )


@bp.get("/admin-log.csv")
@requires(Permission.ADMINISTER)
def admin_log_csv() -> Any:
    """The filtered admin log as a spreadsheet."""
    entries = db.session.scalars(
        admin_log_statement(_audit_filter(_filter_form())).limit(EXPORT_LIMIT)
    )
    rows: list[list[object]] = [
        [_("Moment"), _("Door"), _("Actie"), _("Wat"), _("Wijzigingen"), _("Adres")],
        *(
            [
                f"{e.at:%Y-%m-%d %H:%M:%S}",
                e.actor.full_name,
                admin_action_label(e.action),
                f"{e.target_kind} {e.target_label or e.target_id or ''}".strip(),
                "; ".join(
                    f"{changed_field_label(k)}: {old} → {new}" for k, old, new in decoded_changes(e)
                ),
                e.address or "",
            ]
            for e in entries
        ),
    ]
    return csv_download(rows, "beheerlog.csv")
