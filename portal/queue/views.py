"""The toeleider's queue, claiming in place, and their own open files."""

from __future__ import annotations

import json
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from .. import clock
from ..access import (
    Permission,
    can_view_referral,
    led_municipality_ids,
    may_claim_in,
    may_work_on,
    municipality_ids,
    requires,
)
from ..extensions import db
from ..formtools import CsrfForm, record_id
from ..languages import in_name_order
from ..messages.texts import letters_for
from ..models import Language, Referral, Service
from ..referrals.followup import open_tasks_of
from ..referrals.lifecycle import TransitionRefused, claim, mark_letters_sent
from ..search.finding import MAX_TEXT
from ..templating import is_htmx
from ..viewlog import record_views
from .listing import QueueFilter, by_postal_address, letters_to_send, queue_page
from .my_files import SORT_LABELS, MyFilesFilter, my_files

bp = Blueprint("queue", __name__, url_prefix="/queue")


def _int_arg(name: str) -> int | None:
    return record_id(request.args.get(name, ""))


def _filter_from_request() -> QueueFilter:
    return QueueFilter(
        search=request.args.get("q", "")[:100],
        language=request.args.get("language", "")[:12],
        municipality_id=_int_arg("municipality"),
        residence=request.args.get("residence", ""),
        source_id=_int_arg("source"),
        all_languages=request.args.get("all") == "1",
        page=_int_arg("page") or 1,
    )


@bp.get("/")
@requires(Permission.WORK_QUEUE)
def index() -> Any:
    """The queue; htmx asks for the list alone when a filter changes or it refreshes."""
    f = _filter_from_request()
    user = current_user._get_current_object()
    page = queue_page(db.session, user, f, current_app.config["PORTAL_DEFAULT_REGION"])
    context = {
        "page": page,
        "f": f,
        "claim_form": CsrfForm(),
        "today": clock.today(),
        # Decided once per row here, not through the request-local proxy in the template.
        "claimable": {r.id for r in page.items if may_claim_in(user, r.municipality_id)},
    }
    record_views([r.id for r in page.items], "queue_search" if f.search else "queue")
    if is_htmx() and request.headers.get("HX-Target") == "queue-count":
        return render_template("queue/_count.html", **context)
    if is_htmx() and request.headers.get("HX-Target") == "queue-list":
        response = make_response(
            render_template("queue/_list.html", count_out_of_band=True, **context)
        )
        # The filter form outside the list shows which languages it holds.
        response.headers["HX-Trigger"] = json.dumps(
            {"queue-filtered": {"allLanguages": f.all_languages and not f.language}}
        )
        return response
    ids = municipality_ids(current_user)
    context.update(
        languages=in_name_order(
            db.session.scalars(select(Language).where(Language.active.is_(True)))
        ),
        sources=db.session.scalars(
            select(Service)
            .options(joinedload(Service.municipality))
            .where((Service.municipality_id.in_(ids)) | Service.municipality_id.is_(None))
            .order_by(Service.is_partner, Service.name)
        ).all(),
    )
    return render_template("queue/index.html", **context)


@bp.post("/<int:referral_id>/claim")
@requires(Permission.WORK_QUEUE)
def claim_referral(referral_id: int) -> Any:
    """Claim a referral; the loser of a race is told who won, in place."""
    try:
        referral = claim(db.session, referral_id, current_user, clock.now())
        db.session.commit()
    except TransitionRefused as refused:
        db.session.rollback()
        if is_htmx():
            return render_template("queue/_claim_result.html", message=refused.message, ok=False)
        flash(refused.message)
        return redirect(url_for("queue.index"), code=303)
    if is_htmx():
        response = make_response(
            render_template("queue/_claim_result.html", referral=referral, ok=True)
        )
        # One fewer waits: the count above the list refreshes itself.
        response.headers["HX-Trigger"] = "queue-changed"
        return response
    # The reference, not the name: flash messages travel in the session cookie.
    flash(_("Opgenomen: %(reference)s.", reference=referral.reference))
    return redirect(url_for("referrals.detail", referral_id=referral.id), code=303)


@bp.get("/mine")
@requires(Permission.WORK_QUEUE)
def mine() -> Any:
    """The toeleider's own open files, searched and sorted, and their open tasks."""
    f = MyFilesFilter(
        search=request.args.get("q", "")[:MAX_TEXT],
        sort=request.args.get("sort", "waiting"),
        page=_int_arg("page") or 1,
    )
    today = clock.today()
    files = my_files(
        db.session, current_user, f, today, current_app.config["PORTAL_DEFAULT_REGION"]
    )
    tasks = open_tasks_of(db.session, current_user)
    record_views([*files.page.items, *(t.referral_id for t in tasks)], "my_files")
    return render_template(
        "queue/mine.html", files=files, f=f, sorts=SORT_LABELS, tasks=tasks, today=today
    )


def _lead_municipalities() -> set[int]:
    return set(led_municipality_ids(current_user))


def _selected_referrals(ids: list[str]) -> list[Referral]:
    today = clock.today()
    wanted = [rid for rid in map(record_id, ids[:200]) if rid is not None]
    chosen = db.session.scalars(
        select(Referral)
        .options(
            joinedload(Referral.person),
            joinedload(Referral.contact_language),
            joinedload(Referral.municipality),
        )
        .where(Referral.id.in_(wanted))
        .order_by(Referral.id)
    )
    return [r for r in chosen if can_view_referral(current_user, r, today)]


@bp.get("/letters")
@requires(Permission.WORK_QUEUE)
def letters() -> Any:
    """Referrals that wait for an invitation letter."""
    waiting = letters_to_send(db.session, current_user, _lead_municipalities())
    record_views(waiting, "letters")
    postable, no_address = by_postal_address(waiting)
    return render_template(
        "queue/letters.html", referrals=postable, no_address=no_address, form=CsrfForm()
    )


@bp.get("/letters/print")
@requires(Permission.WORK_QUEUE)
def print_letters() -> Any:
    """Printable invitation letters, one page each, in Dutch and the contact language."""
    # A letter without an address cannot be posted: it is neither printed nor noted as sent.
    chosen, no_address = by_postal_address(_selected_referrals(request.args.getlist("id")))
    record_views(chosen, "letter")
    return render_template(
        "queue/letters_print.html",
        referrals=chosen,
        left_out=len(no_address),
        letters=letters_for(db.session, chosen, current_app.config["PORTAL_DEFAULT_REGION"]),
        today=clock.today(),
        form=CsrfForm(),
    )


@bp.post("/letters/sent")
@requires(Permission.WORK_QUEUE)
def letters_sent() -> Any:
    """Mark the chosen letters as sent; each becomes a contact attempt by letter."""
    if not CsrfForm().validate():
        flash(_("Het formulier was verlopen. Probeer opnieuw."))
        return redirect(url_for("queue.letters"), code=303)
    postable, _no_address = by_postal_address(_selected_referrals(request.form.getlist("id")))
    chosen = [r for r in postable if may_work_on(current_user, r)]
    done, already = mark_letters_sent(db.session, chosen, current_user, clock.now())
    db.session.commit()
    flash(
        ngettext(
            "%(num)d brief als verstuurd genoteerd.",
            "%(num)d brieven als verstuurd genoteerd.",
            done,
        )
    )
    if already:
        # Pressed twice, or a colleague was quicker: each letter is noted once.
        flash(
            ngettext(
                "%(num)d brief was al als verstuurd genoteerd.",
                "%(num)d brieven waren al als verstuurd genoteerd.",
                already,
            )
        )
    return redirect(url_for("queue.letters"), code=303)
