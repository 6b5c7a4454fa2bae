"""The referral file, for the people who work on it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template
from flask_login import current_user

from .. import clock
from ..access import Permission, can_view_referral, requires
from ..audit import log_access
from ..extensions import db
from ..models import Referral

bp = Blueprint("referrals", __name__, url_prefix="/referrals")


@bp.get("/<int:referral_id>")
@requires(Permission.INTAKE)
def detail(referral_id: int) -> Any:
    """One referral with everything recorded at the intake."""
    referral = db.session.get(Referral, referral_id)
    # 404 rather than 403, so that a file's existence is not disclosed to those who may not see it.
    if referral is None or not can_view_referral(current_user, referral, clock.today()):
        abort(404)
    log_access(db.session, current_user, referral, "view", clock.now())
    db.session.commit()
    return render_template("referrals/detail.html", referral=referral)
