"""The partner's pages: their organisation's referrals, a new referral and its slip."""

from __future__ import annotations

import dataclasses
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from .. import clock
from ..access import Permission, may_print_partner_slip, referring_service_id, requires
from ..desk.intake import register_referral, registered_with_token
from ..desk.views import (
    CHECKED_FIELDS,
    field_check,
    intake_form,
    registered_before,
    render_intake,
)
from ..extensions import db
from ..formtools import record_id
from ..messages.texts import message_for
from ..models import MessageKind, Referral
from ..settings import get_int, get_text
from ..viewlog import record_view, record_views
from .listing import partner_page

bp = Blueprint("partners", __name__, url_prefix="/partner")


def _own_service() -> tuple[int, str] | None:
    """The organisation the signed-in partner refers for, as a choice of the form."""
    service_id = referring_service_id(current_user)
    return None if service_id is None else (service_id, current_user.service.name)


@bp.get("/")
@requires(Permission.REFER)
def referrals() -> Any:
    """Mijn doorverwijzingen: the organisation's referrals with their status and feedback."""
    service = _own_service()
    if service is None:
        return render_template("partners/referrals.html", page=None, service=None)
    page = partner_page(db.session, service[0], record_id(request.args.get("page")) or 1)
    # The list shows the residents' names.
    record_views([row.referral for row in page.items], "partner_list")
    return render_template("partners/referrals.html", page=page, service=service[1])


def _partner_form(formdata: Any = None) -> Any:
    service = _own_service()
    if service is None:
        abort(403)
    return intake_form(formdata, services=[service])


@bp.route("/new", methods=["GET", "POST"])
@requires(Permission.REFER)
def new() -> Any:
    """The intake form for a partner: the same questions, their organisation as the source."""
    if request.method == "GET":
        return render_intake(_partner_form(), for_partner=True)
    form = _partner_form(request.form)
    if not form.municipality.choices:
        abort(403)
    if not form.validate():
        return render_intake(form, status=422, for_partner=True)
    # The source is the partner's own organisation and the ground the person's agreement,
    # whatever was posted.
    data = dataclasses.replace(
        form.intake_data(),
        source_service_id=form.source_service.choices[0].value,
        legal_basis="consent",
    )
    done = registered_with_token(db.session, form.form_token.data)
    if done is None:
        try:
            done = register_referral(
                db.session, data, current_user, clock.now(), form_token=form.form_token.data
            )
            db.session.commit()
            flash(_("Bewaard. De doorverwijzing staat in de wachtrij van de toeleiders."))
            return redirect(url_for("partners.slip", referral_id=done.id), code=303)
        except IntegrityError:
            # The same form sent twice at once: the other request registered it.
            db.session.rollback()
            done = registered_with_token(db.session, form.form_token.data)
            if done is None:
                raise
    return registered_before(done, form, "partners.slip", for_partner=True)


@bp.post("/check/<field_name>")
@requires(Permission.REFER)
def check_field(field_name: str) -> Any:
    """Validate one field of the partner's intake form as the person leaves it."""
    if field_name not in CHECKED_FIELDS:
        abort(404)
    return field_check(_partner_form(request.form), field_name)


@bp.get("/referrals/<int:referral_id>/slip")
@requires(Permission.REFER)
def slip(referral_id: int) -> Any:
    """The confirmation and the printable slip, for whoever registered it, for a few days."""
    referral = db.session.get(Referral, referral_id, options=[joinedload(Referral.person)])
    days = get_int(db.session, "desk_reprint_days")
    if referral is None or not may_print_partner_slip(current_user, referral, clock.today(), days):
        abort(404)
    record_view(referral, "slip")
    return render_template(
        "partners/slip.html",
        referral=referral,
        privacy_notice=get_text(db.session, "privacy_notice"),
        message=message_for(
            db.session,
            MessageKind.SLIP,
            referral,
            None,
            current_app.config["PORTAL_DEFAULT_REGION"],
        ),
    )
