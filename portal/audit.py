"""The two audit logs: who saw which resident's data, and what admins changed.

Both are append-only: this module only adds entries, and nothing else in the portal writes to
their tables. Callers commit.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, insert, select, update
from sqlalchemy.orm import joinedload

from .extensions import DbSession
from .models import AccessLogEntry, AdminLogEntry, Referral, User

# A list that is refreshed (the queue every 30 s) shows the same people again and again: one
# entry per person, user and kind of view in this window says all an audit needs.
REPEAT_WINDOW = timedelta(minutes=15)


def log_access(
    session: DbSession,
    user: User,
    referral: Referral,
    action: str,
    at: datetime,
    address: str | None = None,
) -> None:
    """Record that `user` opened `referral`'s personal data."""
    session.add(
        AccessLogEntry(
            user_id=user.id, referral_id=referral.id, action=action, at=at, address=address
        )
    )


def log_list_view(
    session: DbSession,
    user: User,
    referral_ids: Iterable[int],
    action: str,
    at: datetime,
    address: str | None = None,
) -> int:
    """Record that a list, search or export showed these files; returns the entries added.

    A file this user saw in the same kind of list within REPEAT_WINDOW is not logged again;
    a list that showed nobody leaves one entry without a file, so that the search is on record.
    """
    ids: list[int | None] = [*sorted(set(referral_ids))] or [None]
    recent = select(AccessLogEntry.referral_id).where(
        AccessLogEntry.user_id == user.id,
        AccessLogEntry.action == action,
        AccessLogEntry.at > at - REPEAT_WINDOW,
    )
    if ids == [None]:
        recent = recent.where(AccessLogEntry.referral_id.is_(None))
    else:
        recent = recent.where(AccessLogEntry.referral_id.in_(ids))
    seen = set(session.scalars(recent.limit(len(ids))))
    fresh = [i for i in ids if i not in seen]
    if fresh:
        # One executemany, however long the list: no ORM objects are needed for these rows.
        session.execute(
            insert(AccessLogEntry),
            [
                {
                    "user_id": user.id,
                    "referral_id": i,
                    "action": action,
                    "at": at,
                    "address": address,
                }
                for i in fresh
            ],
        )
    return len(fresh)


Change = tuple[str, Any, Any]


def changes_between(before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    """The fields whose value differs, as (field, old, new)."""
    return [(k, before.get(k), after.get(k)) for k in after if before.get(k) != after.get(k)]


def log_admin_action(
    session: DbSession,
    *,
    actor: User,
    action: str,
    target_kind: str,
    target_id: object = None,
    target_label: str | None = None,
    changes: Sequence[Change] = (),
    at: datetime,
    address: str | None = None,
) -> AdminLogEntry:
    """Record one change to accounts or configuration, with old and new values."""
    entry = AdminLogEntry(
        actor_id=actor.id,
        at=at,
        action=action,
        target_kind=target_kind,
        target_id=None if target_id is None else str(target_id),
        target_label=target_label,
        changes=json.dumps([list(c) for c in changes], default=str, ensure_ascii=False)
        if changes
        else None,
        address=address,
    )
    session.add(entry)
    return entry


def decoded_changes(entry: AdminLogEntry) -> list[Change]:
    return [tuple(c) for c in json.loads(entry.changes)] if entry.changes else []


@dataclass(frozen=True)
class AuditFilter:
    """What a reader of the log asks for: one person's files, one user, a period."""

    referral_ids: tuple[int, ...] | None = None
    user_id: int | None = None
    first_day: date | None = None
    last_day: date | None = None
    # None: every municipality (admins); otherwise only files of these.
    municipality_ids: tuple[int, ...] | None = None


def access_log_statement(f: AuditFilter) -> Select[AccessLogEntry]:
    """The access-log entries matching the filter, newest first, with user and file loaded."""
    stmt = (
        select(AccessLogEntry)
        .options(joinedload(AccessLogEntry.user), joinedload(AccessLogEntry.referral))
        .order_by(AccessLogEntry.at.desc(), AccessLogEntry.id.desc())
    )
    if f.referral_ids is not None:
        stmt = stmt.where(AccessLogEntry.referral_id.in_(f.referral_ids or (-1,)))
    if f.user_id is not None:
        stmt = stmt.where(AccessLogEntry.user_id == f.user_id)
    if f.first_day is not None:
        stmt = stmt.where(AccessLogEntry.at >= datetime.combine(f.first_day, datetime.min.time()))
    if f.last_day is not None:
        end = datetime.combine(f.last_day + timedelta(days=1), datetime.min.time())
        stmt = stmt.where(AccessLogEntry.at < end)
    if f.municipality_ids is not None:
        # A lead reads what happened to their municipalities' files, and the searches that
        # showed nobody (they hold no personal data).
        stmt = stmt.outerjoin(Referral, AccessLogEntry.referral_id == Referral.id).where(
            (Referral.municipality_id.in_(f.municipality_ids or (-1,)))
            | AccessLogEntry.referral_id.is_(None)
        )
    return stmt


def admin_log_statement(f: AuditFilter) -> Select[AdminLogEntry]:
    """The admin-log entries matching the filter's user and period, newest first."""
    stmt = (
        select(AdminLogEntry)
        .options(joinedload(AdminLogEntry.actor))
        .order_by(AdminLogEntry.at.desc(), AdminLogEntry.id.desc())
    )
    if f.user_id is not None:
        stmt = stmt.where(
            (AdminLogEntry.actor_id == f.user_id)
            | ((AdminLogEntry.target_kind == "user") & (AdminLogEntry.target_id == str(f.user_id)))
        )
    if f.first_day is not None:
        stmt = stmt.where(AdminLogEntry.at >= datetime.combine(f.first_day, datetime.min.time()))
    if f.last_day is not None:
        end = datetime.combine(f.last_day + timedelta(days=1), datetime.min.time())
        stmt = stmt.where(AdminLogEntry.at < end)
    return stmt


def files_with_reference(session: DbSession, reference: str) -> list[int]:
    """Every file of the person whose file has this reference (none when it is unknown)."""
    person = select(Referral.person_id).where(Referral.reference == reference.strip().upper())
    return list(session.scalars(select(Referral.id).where(Referral.person_id.in_(person))))


def detach_removed_files(session: DbSession, referral_ids: Sequence[int]) -> None:
    """Before files are removed (an undone import): their entries keep naming them, by the
    file's number instead of its row. Nothing else about an entry changes."""
    number = (
        select(Referral.reference)
        .where(Referral.id == AccessLogEntry.referral_id)
        .scalar_subquery()
    )
    session.execute(
        update(AccessLogEntry)
        .where(AccessLogEntry.referral_id.in_(list(referral_ids)))
        .values(reference=number, referral_id=None)
        .execution_options(synchronize_session=False)
    )
