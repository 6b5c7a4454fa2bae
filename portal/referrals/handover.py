"""What happens to a toeleider's files when they stop working for a municipality.

An admin who takes a municipality off an account says where its open files go: back to the
queue, or to a colleague. Nothing stays behind in the lists, agenda or calendar feed of
someone who may no longer see those residents.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..access import works_in
from ..extensions import DbSession
from ..models import (
    OPEN_STATES,
    Appointment,
    AppointmentStatus,
    FollowUpTask,
    Referral,
    ReferralState,
    Role,
    User,
)
from ..notifications import records as notifications
from .lifecycle import TransitionRefused, hand_over_appointments, record_event

S = ReferralState
# Files not yet past the first contact can wait in the queue again; further ones have a
# conversation planned or held, and someone must carry them on.
QUEUEABLE_STATES = (S.CLAIMED, S.CONTACTED)


@dataclass
class Holdings:
    """The open files and planned appointments a user has in some municipalities."""

    referrals: list[Referral] = field(default_factory=list)
    appointments: list[Appointment] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.referrals or self.appointments)

    @property
    def beyond_queue(self) -> list[Referral]:
        return [r for r in self.referrals if r.state not in QUEUEABLE_STATES]


@dataclass
class HandoverResult:
    returned: int = 0
    handed_over: int = 0
    appointments_moved: int = 0
    appointments_cancelled: int = 0


def holdings(
    session: DbSession, user: User, municipality_ids: Iterable[int], at: datetime
) -> Holdings:
    """What `user` holds in these municipalities: open files they own, future appointments."""
    ids = list(municipality_ids)
    if not ids:
        return Holdings()
    referrals = session.scalars(
        select(Referral)
        .where(
            Referral.owner_id == user.id,
            Referral.municipality_id.in_(ids),
            Referral.state.in_(OPEN_STATES),
        )
        .order_by(Referral.id)
    ).all()
    appointments = session.scalars(
        select(Appointment)
        .join(Referral, Appointment.referral_id == Referral.id)
        .where(
            Appointment.toeleider_id == user.id,
            Appointment.status == AppointmentStatus.PLANNED,
            Appointment.starts_at >= at,
            Referral.municipality_id.in_(ids),
        )
        .options(joinedload(Appointment.referral))
        .order_by(Appointment.starts_at)
    ).all()
    return Holdings(list(referrals), list(appointments))


def hand_over(
    session: DbSession,
    *,
    held: Holdings,
    leaving: User,
    to: User | None,
    actor: User,
    at: datetime,
) -> HandoverResult:
    """Give `leaving`'s files back to the queue (`to` None) or to the colleague `to`.

    A handed-over appointment moves to the colleague's agenda when they are free then, and
    is cancelled otherwise; with the queue, appointments are cancelled. Each file's timeline
    says what happened and why.
    """
    if to is None and held.beyond_queue:
        raise TransitionRefused(
            ngettext(
                "%(num)d dossier heeft al een gesprek gepland of gehad: kies een toeleider om "
                "het over te dragen.",
                "%(num)d dossiers hebben al een gesprek gepland of gehad: kies een toeleider om "
                "ze over te dragen.",
                len(held.beyond_queue),
            )
        )
    if to is not None:
        if to.id == leaving.id or not (to.active and to.has_role(Role.TOELEIDER)):
            raise TransitionRefused(_l("Kies een andere, actieve toeleider."))
        if any(not works_in(to, r.municipality_id) for r in held.referrals):
            raise TransitionRefused(
                _l("%(name)s werkt niet voor de gemeente van elk dossier.", name=to.full_name)
            )
    result = HandoverResult()
    reason = str(_l("%(name)s werkt niet meer voor deze gemeente.", name=leaving.full_name))
    for referral in held.referrals:
        before = referral.state
        if to is None:
            referral.state = S.NEW
            referral.owner_id = None
            referral.claimed_at = None
            record_event(session, referral, actor, at, "unclaimed", reason, from_state=before)
            result.returned += 1
        else:
            referral.owner_id = to.id
            record_event(
                session,
                referral,
                actor,
                at,
                "reassigned",
                f"{leaving.full_name} → {to.full_name}: {reason}",
                from_state=before,
            )
            notifications.reassigned(session, referral, to, actor, at)
            result.handed_over += 1
    if to is not None:
        for task in session.scalars(
            select(FollowUpTask).where(
                FollowUpTask.owner_id == leaving.id,
                FollowUpTask.done_at.is_(None),
                FollowUpTask.referral_id.in_([r.id for r in held.referrals] or [-1]),
            )
        ):
            task.owner_id = to.id
    result.appointments_moved, result.appointments_cancelled = hand_over_appointments(
        session, held.appointments, to=to, actor=actor, at=at, reason=reason
    )
    return result
