"""Recording group activities, and who may change them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..access import may_remove_activity, works_in
from ..extensions import DbSession
from ..models import Activity, ActivityKind, Channel, Service, User
from ..pagination import Page, paginate


class ActivityRefused(Exception):
    def __init__(self, message: object):
        super().__init__(str(message))
        self.message = str(message)


@dataclass(frozen=True)
class NewActivity:
    municipality_id: int
    held_on: date
    kind: ActivityKind
    title: str
    channel_id: int
    partner_id: int | None
    participants: int
    young_participants: int


def record(session: DbSession, actor: User, new: NewActivity, at: datetime) -> Activity:
    """Add an activity of the actor's municipality; it counts towards the group-work KPIs."""
    if not works_in(actor, new.municipality_id):
        raise ActivityRefused(_l("U werkt niet voor deze gemeente."))
    channel = session.get(Channel, new.channel_id)
    if channel is None or not channel.active:
        raise ActivityRefused(_l("Kies een actief kanaal."))
    if new.partner_id is not None:
        partner = session.get(Service, new.partner_id)
        if partner is None or not partner.is_partner:
            raise ActivityRefused(_l("Kies een partner uit de lijst."))
    if not 0 <= new.young_participants <= new.participants:
        raise ActivityRefused(_l("Het aantal kinderen en jongeren past niet bij de deelnemers."))
    activity = Activity(
        municipality_id=new.municipality_id,
        held_on=new.held_on,
        kind=new.kind.value,
        title=new.title.strip(),
        channel_id=channel.id,
        partner_id=new.partner_id,
        participants=new.participants,
        young_participants=new.young_participants,
        created_by_id=actor.id,
        created_at=at,
    )
    session.add(activity)
    return activity


def remove(session: DbSession, actor: User, activity: Activity) -> None:
    if not may_remove_activity(actor, activity):
        raise ActivityRefused(
            _l("Alleen wie de activiteit registreerde of een teamverantwoordelijke kan dit.")
        )
    session.delete(activity)


@dataclass
class YearOfActivities:
    page: Page[Activity]
    participants: int
    young_participants: int


PAGE_SIZE = 50


def of_year(
    session: DbSession, municipality_ids: Iterable[int], year: int, page_number: int = 1
) -> YearOfActivities:
    """A page of a calendar year's activities, newest first, with the year's totals."""
    ids = list(municipality_ids) or [-1]
    where = (
        Activity.municipality_id.in_(ids),
        Activity.held_on >= date(year, 1, 1),
        Activity.held_on < date(year + 1, 1, 1),
    )
    page = paginate(
        session,
        select(Activity)
        .options(joinedload(Activity.channel), joinedload(Activity.partner))
        .where(*where)
        .order_by(Activity.held_on.desc(), Activity.id.desc()),
        page_number,
        PAGE_SIZE,
    )
    participants, young = session.execute(
        select(
            func.coalesce(func.sum(Activity.participants), 0),
            func.coalesce(func.sum(Activity.young_participants), 0),
        ).where(*where)
    ).one()
    return YearOfActivities(page, int(participants), int(young))
