"""School obligation: every child of a newcomer household is followed up.

A child of compulsory school age gets an item 'school enrolment' (enrolled at which school,
referred to the education desk or to Agii, or not applicable), due a setting's number of days
after the household became known; a toddler of a family that does not speak Dutch at home
gets the information item (the Huis van het Kind, the kleuterschool). The items are made
when the household's children are known: at the intake and at a correction of the household.
A child removed from the household takes its item along, which the timeline tells, as it
tells every update of an item. Callers commit.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select
from sqlalchemy.orm import contains_eager

from ..extensions import DbSession
from ..labels import school_item_label, school_status_label
from ..models import (
    OPEN_STATES,
    HouseholdChild,
    Person,
    Referral,
    SchoolItem,
    SchoolItemKind,
    SchoolItemStatus,
    User,
)
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


def school_stage(birth_year: int, on: date) -> Stage:
    """The child's stage on `on`, known from the birth year alone (as the intake asks it).

    Compulsory from 1 September of the year the child turns 5 until 30 June of the year it
    turns 18; younger is a toddler, older is past the obligation.
    """
    if on < date(birth_year + FIRST_AGE, 9, 1):
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


def _items_by_child(session: DbSession, referral: Referral) -> dict[int, SchoolItem]:
    return {
        item.child_id: item
        for item in session.scalars(select(SchoolItem).where(SchoolItem.referral_id == referral.id))
    }


def _summary(items: Iterable[tuple[SchoolItemKind, int]]) -> str:
    return " · ".join(f"{school_item_label(kind)} ({year})" for kind, year in items)


def add_missing_items(
    session: DbSession, referral: Referral, actor: User, at: datetime
) -> list[SchoolItem]:
    """An item for each child of a newcomer household who needs one and has none yet."""
    if not referral.is_newcomer or not referral.children:
        return []
    session.flush()  # the children's ids
    have = _items_by_child(session, referral)
    due_on = at.date() + timedelta(days=get_int(session, "school_enrolment_days"))
    made = []
    for child in referral.children:
        kind = item_kind_for(referral, child.birth_year, at.date())
        if kind is None or child.id in have:
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
        item = items.get(child.id)
        if item is not None:
            gone.append((item.kind, child.birth_year))
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
    # The due date while the item is pending, and whether it passed.
    due_on: date | None
    overdue: bool


def item_views(items: Iterable[SchoolItem], today: date) -> list[ItemView]:
    """The children's items, enrolments first, by the children's birth years."""
    ordered = sorted(items, key=lambda i: (i.kind != K.ENROLMENT, i.child.birth_year, i.id))
    return [
        ItemView(
            item=item,
            asks_school=item.kind == K.ENROLMENT,
            due_on=item.due_on if pending(item) else None,
            overdue=pending(item) and item.due_on < today,
        )
        for item in ordered
    ]


@dataclass(frozen=True)
class ChildRow:
    """One line of the lead's list: the child's item, its file and whether it is overdue."""

    item: SchoolItem
    overdue: bool


def without_school_statement(municipality_ids: Sequence[int]) -> Select[SchoolItem]:
    """Children of compulsory school age without known school in open files, the longest
    overdue first (the earliest due date is the most overdue)."""
    return (
        select(SchoolItem)
        .join(SchoolItem.referral)
        .join(Referral.person)
        .join(SchoolItem.child)
        .options(
            contains_eager(SchoolItem.referral).contains_eager(Referral.person),
            contains_eager(SchoolItem.referral).joinedload(Referral.owner),
            contains_eager(SchoolItem.child),
        )
        .where(SchoolItem.kind == K.ENROLMENT, SchoolItem.status.in_(SCHOOL_UNKNOWN))
        .where(Referral.state.in_(OPEN_STATES), Referral.anonymised_at.is_(None))
        .where(Referral.municipality_id.in_(list(municipality_ids) or [-1]))
        .where(Person.anonymised_at.is_(None))
        .order_by(SchoolItem.due_on, SchoolItem.id)
    )


def rows_of(items: Iterable[SchoolItem], today: date) -> list[ChildRow]:
    return [ChildRow(item, item.due_on < today) for item in items]
