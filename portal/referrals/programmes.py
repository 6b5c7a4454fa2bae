"""Programmes with a number of places: signing people up, waiting lists, freeing places.

First come, first served: a person signed up gets a place only when one is free and nobody
is waiting; otherwise they join the end of the waiting list. A freed place goes to the first
person on the list when a worker grants it. Whoever may work on the file does this.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from ..extensions import DbSession
from ..models import PlaceStatus, Programme, ProgrammePlace, Referral, User
from ..notifications import records as notifications
from .lifecycle import Action, TransitionRefused, check, record_event

ACTIVE = (PlaceStatus.WAITING, PlaceStatus.ENROLLED)


def _lock(session: DbSession, programme: Programme) -> None:
    """Serialise sign-ups for one programme so that two workers cannot both take the last place.

    An UPDATE takes the row lock on PostgreSQL and SQLite's write lock at once, before the
    places are counted; a SELECT ... FOR UPDATE would not lock anything on SQLite.
    """
    session.execute(
        update(Programme).where(Programme.id == programme.id).values(capacity=Programme.capacity)
    )


def enrolled_count(session: DbSession, programme_id: int) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(ProgrammePlace)
            .where(
                ProgrammePlace.programme_id == programme_id,
                ProgrammePlace.status == PlaceStatus.ENROLLED,
            )
        )
        or 0
    )


def _waiting_ids(session: DbSession, programme_id: int) -> list[int]:
    """The waiting list of a programme, in order: who started waiting first, first."""
    return list(
        session.scalars(
            select(ProgrammePlace.id)
            .where(
                ProgrammePlace.programme_id == programme_id,
                ProgrammePlace.status == PlaceStatus.WAITING,
            )
            .order_by(ProgrammePlace.waiting_since, ProgrammePlace.id)
        )
    )


def capacity_refusal(session: DbSession, programme: Programme, capacity: int) -> str | None:
    """Why a programme cannot get this many places, or None when it can.

    Fewer places than people who hold one would leave someone without theirs; the lock keeps
    a sign-up from taking a place while the number is being changed.
    """
    _lock(session, programme)
    taken = enrolled_count(session, programme.id)
    if capacity >= taken:
        return None
    return str(
        _l(
            "%(n)d personen hebben nu een plaats. Kies minstens %(n)d plaatsen, of laat "
            "eerst iemand stoppen in zijn dossier.",
            n=taken,
        )
    )


def sign_up(
    session: DbSession, programme: Programme, referral: Referral, actor: User, at: datetime
) -> ProgrammePlace:
    """Give the person a free place, or put them at the end of the waiting list."""
    check(Action.PROGRAMME, referral, actor)
    if not programme.active:
        raise TransitionRefused(_l("Dit programma is niet meer actief."))
    if programme.municipality_id not in (None, referral.municipality_id):
        raise TransitionRefused(_l("Dit programma is er niet voor deze gemeente."))
    _lock(session, programme)
    already = session.scalar(
        select(ProgrammePlace.id).where(
            ProgrammePlace.programme_id == programme.id,
            ProgrammePlace.referral_id == referral.id,
            ProgrammePlace.status.in_(ACTIVE),
        )
    )
    if already is not None:
        raise TransitionRefused(_l("Deze persoon staat al op dit programma of de wachtlijst."))
    free = enrolled_count(session, programme.id) < programme.capacity and not _waiting_ids(
        session, programme.id
    )
    place = ProgrammePlace(
        programme_id=programme.id,
        referral_id=referral.id,
        status=(PlaceStatus.ENROLLED if free else PlaceStatus.WAITING).value,
        waiting_since=at,
        enrolled_at=at if free else None,
    )
    session.add(place)
    record_event(
        session,
        referral,
        actor,
        at,
        "programme_enrolled" if free else "programme_waiting",
        str(programme),
    )
    return place


def grant_place(
    session: DbSession, place: ProgrammePlace, referral: Referral, actor: User, at: datetime
) -> None:
    """Move the first person on the waiting list into a free place."""
    check(Action.PROGRAMME, referral, actor)
    programme = place.programme
    _lock(session, programme)
    session.refresh(place)
    if place.status != PlaceStatus.WAITING:
        raise TransitionRefused(_l("Deze persoon staat niet meer op de wachtlijst."))
    if enrolled_count(session, programme.id) >= programme.capacity:
        raise TransitionRefused(
            _l("Het programma is volzet: er is geen vrije plaats om toe te kennen.")
        )
    waiting = _waiting_ids(session, programme.id)
    if waiting and waiting[0] != place.id:
        raise TransitionRefused(
            _l(
                "Wie het langst wacht, krijgt de vrije plaats eerst: deze persoon staat "
                "%(n)d.e op de wachtlijst.",
                n=waiting.index(place.id) + 1,
            )
        )
    place.status = PlaceStatus.ENROLLED
    place.enrolled_at = at
    record_event(session, referral, actor, at, "programme_enrolled", str(programme))
    # Another place may still be free, now for the next in line.
    offer_free_place(session, programme, actor, at)


def leave(
    session: DbSession, place: ProgrammePlace, referral: Referral, actor: User, at: datetime
) -> None:
    """The person stops or leaves the waiting list; an enrolled place becomes free."""
    check(Action.PROGRAMME, referral, actor)
    _lock(session, place.programme)
    session.refresh(place)
    if place.status not in ACTIVE:
        raise TransitionRefused(_l("Deze persoon staat al niet meer op dit programma."))
    place.status = PlaceStatus.LEFT
    place.left_at = at
    record_event(session, referral, actor, at, "programme_left", str(place.programme))
    offer_free_place(session, place.programme, actor, at)


def offer_free_place(session: DbSession, programme: Programme, actor: User, at: datetime) -> None:
    """When a place is free and people wait, the toeleider of the first in line hears of it.

    Called wherever a place may have come free or the line moved on; each waiting spot is
    told once.
    """
    if not programme.active or enrolled_count(session, programme.id) >= programme.capacity:
        return
    waiting = _waiting_ids(session, programme.id)
    if waiting:
        first = session.get(ProgrammePlace, waiting[0])
        if first is not None:
            notifications.place_free(session, first, actor, at)


@dataclass
class WaitingList:
    programme: Programme
    enrolled: int
    # Everyone waiting, from every municipality, in order; position = index + 1.
    waiting_total: int
    # Those of the viewer's municipalities, with their position on the whole list.
    waiting: list[tuple[int, ProgrammePlace]]

    @property
    def free(self) -> int:
        return max(self.programme.capacity - self.enrolled, 0)


@dataclass
class PlaceRow:
    place: ProgrammePlace
    position: int | None  # on the waiting list, 1 = next in line
    grantable: bool  # a place is free and this person is next in line
    full: bool  # every place is taken (for someone waiting)


def place_row(session: DbSession, place: ProgrammePlace) -> PlaceRow:
    """One place, with its position in line and whether a place is free for it."""
    if place.status != PlaceStatus.WAITING:
        return PlaceRow(place, None, False, False)
    position = _waiting_ids(session, place.programme_id).index(place.id) + 1
    full = enrolled_count(session, place.programme_id) >= place.programme.capacity
    return PlaceRow(place, position, not full and position == 1, full)


def place_rows(session: DbSession, referral: Referral) -> list[PlaceRow]:
    """The person's places and waiting-list spots, with their position in line."""
    places = list(
        session.scalars(
            select(ProgrammePlace)
            .options(joinedload(ProgrammePlace.programme).joinedload(Programme.partner))
            .where(ProgrammePlace.referral_id == referral.id)
            .order_by(ProgrammePlace.waiting_since)
        )
    )
    return [place_row(session, place) for place in places]


def programmes_for(session: DbSession, municipality_ids: Iterable[int]) -> list[Programme]:
    """Active programmes open to these municipalities."""
    ids = list(municipality_ids) or [-1]
    return list(
        session.scalars(
            select(Programme)
            .options(joinedload(Programme.partner))
            .where(Programme.active.is_(True))
            .where(Programme.municipality_id.is_(None) | Programme.municipality_id.in_(ids))
            .order_by(Programme.name)
        )
    )


def waiting_lists(session: DbSession, municipality_ids: Iterable[int]) -> list[WaitingList]:
    """Per programme: places taken and everyone waiting, counted over all municipalities;
    the people listed are those of these municipalities, with their place in the line."""
    ids = set(municipality_ids)
    programmes = programmes_for(session, ids)
    enrolled = dict(
        session.execute(
            select(ProgrammePlace.programme_id, func.count())
            .where(ProgrammePlace.status == PlaceStatus.ENROLLED)
            .group_by(ProgrammePlace.programme_id)
        ).all()
    )
    queues: dict[int, list[ProgrammePlace]] = {p.id: [] for p in programmes}
    for place in session.scalars(
        select(ProgrammePlace)
        .options(joinedload(ProgrammePlace.referral).joinedload(Referral.person))
        .where(
            ProgrammePlace.status == PlaceStatus.WAITING,
            ProgrammePlace.programme_id.in_(list(queues)),
        )
        .order_by(ProgrammePlace.waiting_since, ProgrammePlace.id)
    ):
        queues[place.programme_id].append(place)
    return [
        WaitingList(
            p,
            enrolled.get(p.id, 0),
            len(queues[p.id]),
            [
                (n, place)
                for n, place in enumerate(queues[p.id], start=1)
                if place.referral.municipality_id in ids
            ],
        )
        for p in programmes
    ]
