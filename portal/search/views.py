"""The header search: a results page, its live partial, and the jump to an exact match."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_login import current_user

from ..access import Permission, requires
from ..extensions import db
from ..templating import is_htmx
from ..viewlog import record_views
from .finding import MAX_TEXT, find

bp = Blueprint("search", __name__, url_prefix="/search")


@bp.get("/")
@requires(Permission.VIEW_REFERRALS)
def results() -> Any:
    """Everyone the user may see whose name, phone, e-mail or file number matches."""
    text = request.args.get("q", "")[:MAX_TEXT]
    found = find(db.session, current_user, text, current_app.config["PORTAL_DEFAULT_REGION"])
    if not found.terms.is_empty:
        record_views(found.referrals, "search")
    live = is_htmx() and request.headers.get("HX-Target") == "header-search-results"
    target = found.straight_to
    if target is not None and not live:
        return redirect(url_for("referrals.detail", referral_id=target.id), code=303)
    if live:
        return render_template("search/_results.html", found=found, text=text, live=True)
    return render_template("search/results.html", found=found, text=text, live=False)
