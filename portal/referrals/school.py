"""School obligation: every child of a newcomer household is followed up.

A child of compulsory school age gets an item 'school enrolment' (enrolled at which school,
referred to the education desk or to Agii, or not applicable), due a setting's number of days
after the household became known; a toddler of a family that does not speak Dutch at home
gets the information item (the Huis van het Kind, the kleuterschool). The items are made
when the household's children are known: at the intake and at a correction of the household.
A toddler who reaches school age while its file is open gets its enrolment item from the daily
check (`add_enrolments_of_age`, the `school-enrolments` command), due a setting's number of
days after the day it became of age; until that check ran, the lead's list counts the child
all the same. A child removed from the household takes its items along, which the timeline
tells, as it tells every update of an item.

Closing a file settles what is still pending by the outcome (`settle_at_closing`): for a
household that moved away the obligation is the new municipality's, so the items become 'not
applicable', and reopening the file gives them back what they were. Any other outcome leaves
them as recorded (the school is still not known, which the record keeps saying), but no longer
followed up: a closed file is on no one's list and its items are not overdue. Callers commit.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    ColumnElement,
    Date,
    Select,
    and_,
    case,
    exists,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from ..extensions import DbSession
from ..formtools import given
from ..labels import school_item_label, school_status_label
from ..models import (
    OPEN_STATES,
    ClosingOutcome,
    HouseholdChild,
    Person,
    Referral,
    SchoolItem,
    SchoolItemKind,
    SchoolItemStatus,
    User,
)
from ..pagination import Page, paginate_rows
from ..settings import get_int
from .lifecycle import Action, TransitionRefused, check, count_as_change, record_event

K, St = SchoolItemKind, SchoolItemStatus

# Belgian compulsory schooling: from the school year in which the child turns 5 (1 September)
# until the end of the school year in which it turns 18 (30 June).
FIRST_AGE, LAST_AGE = 5, 18

# What each kind of item can come to; the file page's menu offers these, the domain checks.
STATUSES: dict[SchoolItemKind, tuple[SchoolItemStatus, ...]] = {
    K.ENROLMENT: (
        St.OPEN,
        St.ENROLLED,
        St.REFERRED_EDUCATION_DESK,
        St.REFERRED_AGII,
        St.NOT_APPLICABLE,
    ),
    K.INFORMATION: (St.OPEN, St.INFORMED, St.NOT_APPLICABLE),
}
# The enrolment items of children whose school is not known (yet): the lead's list.
SCHOOL_UNKNOWN = (St.OPEN, St.REFERRED_EDUCATION_DESK, St.REFERRED_AGII)
SCHOOL_NAME_MAX = 160
NOTE_MAX = 300


class Stage(enum.Enum):
    """Where a child stands towards compulsory schooling on a day."""

    TODDLER = "toddler"
    COMPULSORY = "compulsory"
    BEYOND = "beyond"


def of_school_age_from(birth_year: int) -> date:
    """The first day of compulsory schooling: 1 September of the year the child turns 5."""
    return date(birth_year + FIRST_AGE, 9, 1)


def school_stage(birth_year: int, on: date) -> Stage:
    """The child's stage on `on`, known from the birth year alone (as the intake asks it).

    Compulsory from 1 September of the year the child turns 5 until 30 June of the year it
    turns 18; younger is a toddler, older is past the obligation.
    """
    if on < of_school_age_from(birth_year):
        return Stage.TODDLER
    if on <= date(birth_year + LAST_AGE, 6, 30):
        return Stage.COMPULSORY
    return Stage.BEYOND


def speaks_dutch_at_home(referral: Referral) -> bool:
    """The home language, or the contact language when no other was given, is Dutch."""
    code = referral.home_language_code or referral.contact_language_code or ""
    return code.replace("-", "_").split("_")[0].lower() == "nl"


def item_kind_for(referral: Referral, birth_year: int, on: date) -> SchoolItemKind | None:
    """Which item a child of this household gets, if any."""
    if not referral.is_newcomer:
        return None
    stage = school_stage(birth_year, on)
    if stage is Stage.COMPULSORY:
        return K.ENROLMENT
    if stage is Stage.TODDLER and not speaks_dutch_at_home(referral):
        return K.INFORMATION
    return None


def _items_by_child(
    session: DbSession, referral: Referral
) -> dict[tuple[int, SchoolItemKind], SchoolItem]:
    return {
        (item.child_id, SchoolItemKind(item.kind)): item
        for item in session.scalars(select(SchoolItem).where(SchoolItem.referral_id == referral.id))
    }


def _summary(items: Iterable[tuple[SchoolItemKind, int]]) -> str:
    return " · ".join(f"{school_item_label(kind)} ({year})" for kind, year in items)


def became_of_age_in_file(referral: Referral, birth_year: int) -> bool:
    """The child was a toddler when its file was registered and reached school age since."""
    return of_school_age_from(birth_year) > referral.created_at.date()


def enrolment_due_of_age(birth_year: int, days: int) -> date:
    """When the school of a child who reached school age in its file should be known: `days`
    (the setting) after the day it did."""
    return of_school_age_from(birth_year) + timedelta(days=days)


def add_missing_items(
    session: DbSession, referral: Referral, actor: User, at: datetime
) -> list[SchoolItem]:
    """An item for each child of a newcomer household who needs one and has none yet."""
    if not referral.is_newcomer or not referral.children:
        return []
    session.flush()  # the children's ids
    have = _items_by_child(session, referral)
    # Also for a toddler who reached school age and gets its enrolment at a correction before
    # the daily check did: the household is known anew today.
    due_on = at.date() + timedelta(days=get_int(session, "school_enrolment_days"))
    made = []
    for child in referral.children:
        kind = item_kind_for(referral, child.birth_year, at.date())
        if kind is None or (child.id, kind) in have:
            continue
        item = SchoolItem(
            referral_id=referral.id,
            child=child,
            child_id=child.id,
            kind=kind,
            status=St.OPEN,
            due_on=due_on,
            created_at=at,
            updated_by_id=actor.id,
            updated_at=at,
        )
        session.add(item)
        made.append(item)
    # No event of its own: the intake or the correction that made the household known is
    # on the timeline already, and the items show with their due date on the file.
    return made


def _school_age_birth_years(today: date) -> range:
    """The birth years of the children of compulsory school age on `today`."""
    youngest = today.year - FIRST_AGE - (0 if today >= date(today.year, 9, 1) else 1)
    oldest = today.year - LAST_AGE + (0 if today <= date(today.year, 6, 30) else 1)
    return range(oldest, youngest + 1)


def _of_age_without_enrolment(today: date) -> ColumnElement[bool]:
    """The conditions on HouseholdChild and its Referral: of school age today, reached it
    while the open newcomer file was there, and no enrolment item yet."""
    years = _school_age_birth_years(today)
    reached_on = case(
        {y: literal(datetime.combine(of_school_age_from(y), datetime.min.time())) for y in years},
        value=HouseholdChild.birth_year,
    )
    return and_(
        HouseholdChild.birth_year.in_(list(years)),
        Referral.created_at < reached_on,
        Referral.is_newcomer.is_(True),
        Referral.state.in_(OPEN_STATES),
        Referral.anonymised_at.is_(None),
        ~exists().where(SchoolItem.child_id == HouseholdChild.id, SchoolItem.kind == K.ENROLMENT),
    )


def _add_enrolment(
    session: DbSession, child: HouseholdChild, actor: User, at: datetime, due_on: date
) -> SchoolItem | None:
    """The child's enrolment item and its event, or None when another run made it first."""
    referral = child.referral
    # Nothing is read between the savepoint and the insert: on SQLite a transaction that read
    # before another run committed could not write any more, where one that starts with its
    # write waits for the other run and then meets the unique constraint.
    try:
        with session.begin_nested():
            item = SchoolItem(
                referral_id=referral.id,
                child=child,
                child_id=child.id,
                kind=K.ENROLMENT,
                status=St.OPEN,
                due_on=due_on,
                created_at=at,
                updated_by_id=actor.id,
                updated_at=at,
            )
            session.add(item)
            record_event(
                session,
                referral,
                actor,
                at,
                "school_item_of_age",
                _summary([(K.ENROLMENT, child.birth_year)]),
            )
    except IntegrityError:  # the unique (child, kind): made a moment ago by another run
        return None
    return item


def add_enrolments_of_age(session: DbSession, actor: User, at: datetime) -> list[SchoolItem]:
    """The daily check: an enrolment item for every child of an open newcomer file who reached
    compulsory school age since the file was registered. Running it again adds nothing."""
    children = session.scalars(
        select(HouseholdChild)
        .join(HouseholdChild.referral)
        .options(joinedload(HouseholdChild.referral))
        .where(_of_age_without_enrolment(at.date()))
        .order_by(HouseholdChild.referral_id, HouseholdChild.id)
    ).all()
    days = get_int(session, "school_enrolment_days")
    made = [
        _add_enrolment(session, child, actor, at, enrolment_due_of_age(child.birth_year, days))
        for child in children
    ]
    return [item for item in made if item is not None]


def set_children(
    session: DbSession,
    referral: Referral,
    birth_years: Sequence[int],
    actor: User,
    at: datetime,
) -> None:
    """The household's children corrected: the children still there keep their row (and
    their item), a child no longer there goes with its item, a new one gets its item."""
    wanted = Counter(birth_years)
    kept: list[HouseholdChild] = []
    removed: list[HouseholdChild] = []
    for child in referral.children:
        if wanted[child.birth_year] > 0:
            wanted[child.birth_year] -= 1
            kept.append(child)
        else:
            removed.append(child)
    items = _items_by_child(session, referral) if removed else {}
    gone = []
    for child in removed:
        for kind in (K.ENROLMENT, K.INFORMATION):
            item = items.get((child.id, kind))
            if item is not None:
                gone.append((kind, child.birth_year))
                session.delete(item)
    added = [HouseholdChild(birth_year=y) for y in sorted(wanted.elements())]
    referral.children = sorted(kept + added, key=lambda c: c.birth_year)
    if gone:
        record_event(session, referral, actor, at, "school_items_removed", _summary(gone))


def update_item(
    session: DbSession,
    item: SchoolItem,
    referral: Referral,
    actor: User,
    at: datetime,
    *,
    status: SchoolItemStatus,
    school_name: str | None,
    note: str | None,
) -> bool:
    """The toeleider's form on the file; returns whether anything changed."""
    check(Action.SCHOOL, referral, actor)
    status = SchoolItemStatus(status)
    if status not in STATUSES[item.kind]:
        raise TransitionRefused(_l("Kies een van de mogelijkheden."))
    school_name = (school_name or "").strip()[:SCHOOL_NAME_MAX] or None
    if status == St.ENROLLED and school_name is None:
        raise TransitionRefused(_l("Vul de naam van de school in."))
    if status != St.ENROLLED:
        school_name = None
    note = (note or "").strip()[:NOTE_MAX] or None
    if (item.status, item.school_name, item.note) == (status, school_name, note):
        return False
    item.status = status
    item.status_before_closing = None
    item.school_name = school_name
    item.note = note
    item.updated_by_id = actor.id
    item.updated_at = at
    count_as_change(referral)
    parts = [
        f"{school_item_label(item.kind)} ({item.child.birth_year})",
        school_status_label(status),
    ]
    parts += [p for p in (school_name, note) if p]
    record_event(session, referral, actor, at, "school_item_updated", " · ".join(parts))
    return True


def _pending_items(session: DbSession, referral: Referral) -> list[SchoolItem]:
    items = session.scalars(
        select(SchoolItem)
        .options(joinedload(SchoolItem.child))
        .where(SchoolItem.referral_id == referral.id)
        .order_by(SchoolItem.kind, SchoolItem.id)
    )
    return [item for item in items if pending(item)]


def settle_at_closing(
    session: DbSession, referral: Referral, outcome: ClosingOutcome, actor: User, at: datetime
) -> int:
    """What closing the file does with its pending items; returns how many it settled.

    Moved away: the new municipality follows the children up, so their items are not
    applicable here any more (what they were is kept for a reopening). Any other outcome
    changes nothing: the school is still not known, the record keeps saying so, and the
    item is no longer followed up because its file is closed.
    """
    if outcome is not ClosingOutcome.MOVED_AWAY:
        return 0
    settled = _pending_items(session, referral)
    for item in settled:
        item.status_before_closing = item.status
        item.status = St.NOT_APPLICABLE
        item.updated_by_id = actor.id
        item.updated_at = at
    if settled:
        record_event(
            session,
            referral,
            actor,
            at,
            "school_items_settled",
            _summary((SchoolItemKind(i.kind), i.child.birth_year) for i in settled),
        )
    return len(settled)


def restore_at_reopening(session: DbSession, referral: Referral, actor: User, at: datetime) -> int:
    """Reopening gives the items the closing settled their status back: they are pending,
    and due, again. Returns how many."""
    restored = list(
        session.scalars(
            select(SchoolItem)
            .options(joinedload(SchoolItem.child))
            .where(
                SchoolItem.referral_id == referral.id,
                SchoolItem.status_before_closing.is_not(None),
            )
            .order_by(SchoolItem.kind, SchoolItem.id)
        )
    )
    for item in restored:
        item.status = given(item.status_before_closing)
        item.status_before_closing = None
        item.updated_by_id = actor.id
        item.updated_at = at
    if restored:
        record_event(
            session,
            referral,
            actor,
            at,
            "school_items_restored",
            _summary((SchoolItemKind(i.kind), i.child.birth_year) for i in restored),
        )
    return len(restored)


def pending(item: SchoolItem) -> bool:
    """Still to be followed up: the school not known yet, or the information not given."""
    if item.kind == K.ENROLMENT:
        return item.status in SCHOOL_UNKNOWN
    return item.status == St.OPEN


@dataclass(frozen=True)
class ItemView:
    """One child's item as the file page shows it."""

    item: SchoolItem
    # The form asks for the school (an enrolment item).
    asks_school: bool
    # The due date while the item is pending in an open file, and whether it passed.
    due_on: date | None
    overdue: bool
    # Pending when its file was closed: no longer followed up.
    stopped: bool = False
    # Not applicable because the household moved away: the closing settled it.
    settled_by_closing: bool = False


def item_views(items: Iterable[SchoolItem], referral: Referral, today: date) -> list[ItemView]:
    """The children's items, enrolments first, by the children's birth years."""
    ordered = sorted(items, key=lambda i: (i.kind != K.ENROLMENT, i.child.birth_year, i.id))
    followed = referral.state in OPEN_STATES
    return [
        ItemView(
            item=item,
            asks_school=item.kind == K.ENROLMENT,
            due_on=item.due_on if followed and pending(item) else None,
            overdue=followed and pending(item) and item.due_on < today,
            stopped=not followed and pending(item),
            settled_by_closing=item.status_before_closing is not None,
        )
        for item in ordered
    ]


@dataclass(frozen=True)
class ComingEnrolment:
    """A child of the file who reached school age and whose item the daily check makes."""

    child: HouseholdChild
    due_on: date
    overdue: bool
    kind: SchoolItemKind = K.ENROLMENT
    status: SchoolItemStatus = St.OPEN


def coming_enrolments(session: DbSession, referral: Referral, today: date) -> list[ComingEnrolment]:
    """The children the lead's list counts without an item yet (the children and their items
    are loaded with the file)."""
    if not referral.is_newcomer or referral.state not in OPEN_STATES:
        return []
    coming = [
        c
        for c in referral.children
        if school_stage(c.birth_year, today) is Stage.COMPULSORY
        and became_of_age_in_file(referral, c.birth_year)
        and not any(i.kind == K.ENROLMENT for i in c.school_items)
    ]
    if not coming:
        return []
    days = get_int(session, "school_enrolment_days")
    views = []
    for child in coming:
        due_on = enrolment_due_of_age(child.birth_year, days)
        views.append(ComingEnrolment(child, due_on, due_on < today))
    return views


@dataclass(frozen=True)
class ChildRow:
    """One line of the lead's list: a child whose school is not known, with its file.

    `item` is None for a child who reached school age since the daily check last ran: it is
    listed all the same, open and due as its item will be.
    """

    child: HouseholdChild
    item: SchoolItem | None
    status: SchoolItemStatus
    due_on: date
    overdue: bool

    @property
    def referral(self) -> Referral:
        return self.child.referral


def _without_school_statement(
    session: DbSession, municipality_ids: Sequence[int], today: date
) -> Select[tuple[int, int | None, SchoolItemStatus, date]]:
    """Children of compulsory school age without known school in open files, the longest
    overdue first (the earliest due date is the most overdue): their items, and the children
    who reached school age but have no item yet."""
    listed = and_(
        Referral.municipality_id.in_(list(municipality_ids) or [-1]),
        Person.anonymised_at.is_(None),
    )
    with_item = (
        select(
            SchoolItem.child_id.label("child_id"),
            SchoolItem.id.label("item_id"),
            SchoolItem.status.label("status"),
            SchoolItem.due_on.label("due_on"),
        )
        .join(SchoolItem.referral)
        .join(Referral.person)
        .where(SchoolItem.kind == K.ENROLMENT, SchoolItem.status.in_(SCHOOL_UNKNOWN))
        .where(Referral.state.in_(OPEN_STATES), Referral.anonymised_at.is_(None), listed)
    )
    days = get_int(session, "school_enrolment_days")
    due_on = case(
        {y: literal(enrolment_due_of_age(y, days), Date) for y in _school_age_birth_years(today)},
        value=HouseholdChild.birth_year,
    )
    without_item = (
        select(
            HouseholdChild.id,
            null(),
            literal(St.OPEN.value),
            due_on,
        )
        .join(HouseholdChild.referral)
        .join(Referral.person)
        .where(_of_age_without_enrolment(today), listed)
    )
    rows = union_all(with_item, without_item).subquery()
    return select(rows.c.child_id, rows.c.item_id, rows.c.status, rows.c.due_on).order_by(
        rows.c.due_on, rows.c.child_id
    )


def children_without_school(
    session: DbSession, municipality_ids: Sequence[int], today: date, number: int, size: int
) -> Page[ChildRow]:
    """One page of the lead's list of children without known school."""
    page = paginate_rows(
        session, _without_school_statement(session, municipality_ids, today), number, size
    )
    children = {
        c.id: c
        for c in session.scalars(
            select(HouseholdChild)
            .options(
                joinedload(HouseholdChild.referral).joinedload(Referral.person),
                joinedload(HouseholdChild.referral).joinedload(Referral.owner),
            )
            .where(HouseholdChild.id.in_([r.child_id for r in page.items]))
        )
    }
    items = {
        i.id: i
        for i in session.scalars(
            select(SchoolItem).where(
                SchoolItem.id.in_([r.item_id for r in page.items if r.item_id is not None])
            )
        )
    }
    rows = [
        ChildRow(
            child=children[r.child_id],
            item=items.get(r.item_id) if r.item_id is not None else None,
            status=SchoolItemStatus(r.status),
            due_on=r.due_on,
            overdue=r.due_on < today,
        )
        for r in page.items
    ]
    return Page(items=rows, total=page.total, number=page.number, size=page.size)
