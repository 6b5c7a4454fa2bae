"""The referral file: its page, and the moves of its lifecycle (hand back, reassign, close,
reopen). Contact and follow-up routes live in contact_views.py and followup_views.py."""

from __future__ import annotations

import re
from typing import Any

from flask import abort, request
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from .. import clock
from ..access import Permission, requires
from ..extensions import db
from ..models import ClosingOutcome, User
from ..notifications import records as notifications
from ..viewlog import record_view
from . import contact_views, followup_views, lifecycle
from .actions import act, bp, render_file, visible_referral
from .forms import CloseForm, ReassignForm, ReopenForm, UnclaimForm

# The routes of these modules register on the same blueprint.
__all__ = ["bp", "contact_views", "followup_views"]

SETTLE_FIELD = re.compile(r"^close-settle-(partner|task|milestone)-(\d{1,9})$")


@bp.get("/<int:referral_id>")
@requires(Permission.INTAKE)
def detail(referral_id: int) -> Any:
    """One referral with everything recorded on it."""
    referral = visible_referral(referral_id)
    record_view(referral, "view")
    notifications.file_opened(db.session, current_user, referral.id, clock.now())
    return render_file(referral)


@bp.post("/<int:referral_id>/unclaim")
@requires(Permission.WORK_QUEUE)
def unclaim(referral_id: int) -> Any:
    """Give the referral back to the queue."""
    form = UnclaimForm(prefix="unclaim")
    return act(
        referral_id,
        "unclaim",
        form,
        lambda r: lifecycle.unclaim(db.session, r, current_user, form.reason.data, clock.now()),
    )


def _settlement() -> dict[tuple[str, int], lifecycle.Settle]:
    """What the closing form says becomes of each open item."""
    chosen: dict[tuple[str, int], lifecycle.Settle] = {}
    for key, value in request.form.items():
        match = SETTLE_FIELD.match(key)
        if match is None:
            continue
        try:
            chosen[(match.group(1), int(match.group(2)))] = lifecycle.Settle(value)
        except ValueError:
            raise lifecycle.TransitionRefused(
                _("Kies voor elk open punt wat ermee gebeurt.")
            ) from None
    return chosen


def _closed_message(result: lifecycle.Closing) -> str:
    parts = [_("Afgesloten.")]
    if result.appointments_cancelled:
        parts.append(
            ngettext(
                "Een geplande afspraak is geannuleerd.",
                "%(num)d geplande afspraken zijn geannuleerd.",
                result.appointments_cancelled,
            )
        )
    if result.places_freed:
        parts.append(
            ngettext(
                "Een plaats of wachtlijstplek in een programma is vrijgegeven.",
                "%(num)d plaatsen of wachtlijstplekken in programma's zijn vrijgegeven.",
                result.places_freed,
            )
        )
    if result.partners_awaited:
        parts.append(
            ngettext(
                "De terugkoppeling van een partner kan nog genoteerd worden.",
                "De terugkoppeling van %(num)d partners kan nog genoteerd worden.",
                result.partners_awaited,
            )
        )
    if result.school_items_settled:
        parts.append(
            ngettext(
                "Het gezin is verhuisd: een punt van de leerplicht is niet meer van toepassing.",
                "Het gezin is verhuisd: %(num)d punten van de leerplicht zijn niet meer van "
                "toepassing.",
                result.school_items_settled,
            )
        )
    return " ".join(parts)


@bp.post("/<int:referral_id>/close")
@requires(Permission.WORK_QUEUE)
def close(referral_id: int) -> Any:
    """Close the referral with an outcome, saying what becomes of everything still open."""
    form = CloseForm(prefix="close")
    return act(
        referral_id,
        "close",
        form,
        lambda r: lifecycle.close(
            db.session,
            r,
            current_user,
            ClosingOutcome(form.outcome.data),
            form.note.data,
            clock.now(),
            settle=_settlement(),
        ),
        _closed_message,
    )


@bp.post("/<int:referral_id>/reopen")
@requires(Permission.LEAD_TEAM)
def reopen(referral_id: int) -> Any:
    """A lead opens a closed file again, with a reason."""
    form = ReopenForm(prefix="reopen")
    return act(
        referral_id,
        "reopen",
        form,
        lambda r: lifecycle.reopen(db.session, r, current_user, form.reason.data, clock.now()),
        lambda _result: _("Heropend."),
    )


def _reassigned_message(result: lifecycle.Reassignment) -> str:
    parts = [_("Toegewezen.")]
    if result.appointments_moved:
        parts.append(
            ngettext(
                "Een afspraak staat nu in de agenda van de nieuwe toeleider.",
                "%(num)d afspraken staan nu in de agenda van de nieuwe toeleider.",
                result.appointments_moved,
            )
        )
    if result.appointments_cancelled:
        parts.append(
            ngettext(
                "Een afspraak is geannuleerd.",
                "%(num)d afspraken zijn geannuleerd.",
                result.appointments_cancelled,
            )
        )
    return " ".join(parts)


@bp.post("/<int:referral_id>/reassign")
@requires(Permission.LEAD_TEAM)
def reassign(referral_id: int) -> Any:
    """A lead gives the referral to another toeleider, with its future appointments."""
    form = ReassignForm(prefix="reassign")

    def action(referral: Any) -> lifecycle.Reassignment:
        new_owner = db.session.get(User, form.owner.data) or abort(404)
        return lifecycle.reassign(
            db.session,
            referral,
            current_user,
            new_owner,
            form.reason.data,
            clock.now(),
            move_appointments=form.appointments.data != "cancel",
        )

    return act(referral_id, "reassign", form, action, _reassigned_message)
