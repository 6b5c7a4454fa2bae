"""When and how a referral was first reached, kept on the referral as it happens.

The reports count a referral once, in the month of its first contact attempt with outcome
'reached' (by the moment it happened; a struck attempt does not count). Finding that attempt
among all attempts of every referral made the reports grow with the whole history, so the
referral carries it: `reached_at`, `reached_via` and `reached_attempt_id`, derived from the
contact attempts and refreshed in the same flush whenever an attempt is added, struck,
moved or removed, whichever code path does it.

`reached_via` is what the attempts say of how: 'desk' when that attempt was at the desk,
'letter' when it was a letter or an invitation letter went out before it, else 'other'. The
reports add 'via a partner' from the referral's source service when they count, so that a
correction of the source moves the figure too.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import bindparam, event, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, attributes

from ..models import ContactAttempt, ContactChannel, ContactOutcome, Referral

VIA_DESK, VIA_LETTER, VIA_OTHER = "desk", "letter", "other"
REACH_COLUMNS = ("reached_at", "reached_via", "reached_attempt_id")
_CHUNK = 500


def _first_reach(connection: Connection, ids: list[int]) -> dict[int, dict[str, Any]]:
    """Per referral id, the values of REACH_COLUMNS the attempts give (None when unreached)."""
    values: dict[int, dict[str, Any]] = {rid: dict.fromkeys(REACH_COLUMNS) for rid in ids}
    live = (
        ContactAttempt.referral_id.in_(ids),
        ContactAttempt.struck_at.is_(None),
    )
    first: dict[int, tuple[Any, int, str]] = {}
    for rid, attempt_id, at, channel in connection.execute(
        select(
            ContactAttempt.referral_id, ContactAttempt.id, ContactAttempt.at, ContactAttempt.channel
        )
        .where(*live, ContactAttempt.outcome == ContactOutcome.REACHED.value)
        .order_by(ContactAttempt.referral_id, ContactAttempt.at, ContactAttempt.id)
    ):
        first.setdefault(rid, (at, attempt_id, channel))
    letters: dict[int, tuple[Any, int]] = {}
    for rid, attempt_id, at in connection.execute(
        select(ContactAttempt.referral_id, ContactAttempt.id, ContactAttempt.at)
        .where(*live, ContactAttempt.channel == ContactChannel.LETTER.value)
        .where(ContactAttempt.referral_id.in_(list(first)))
        .order_by(ContactAttempt.referral_id, ContactAttempt.at, ContactAttempt.id)
    ):
        letters.setdefault(rid, (at, attempt_id))
    for rid, (at, attempt_id, channel) in first.items():
        if channel == ContactChannel.DESK.value:
            via = VIA_DESK
        elif channel == ContactChannel.LETTER.value or (
            rid in letters and letters[rid] < (at, attempt_id)
        ):
            via = VIA_LETTER
        else:
            via = VIA_OTHER
        values[rid] = {"reached_at": at, "reached_via": via, "reached_attempt_id": attempt_id}
    return values


def refresh_reach(connection: Connection, referral_ids: Iterable[int]) -> int:
    """Set the first reach of these referrals from their attempts; how many were read."""
    ids = sorted(set(referral_ids))
    stmt = (
        update(Referral.__table__)  # type: ignore[arg-type]
        .where(Referral.__table__.c.id == bindparam("rid"))
        .values({name: bindparam(name) for name in REACH_COLUMNS})
    )
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        rows = [{"rid": rid, **values} for rid, values in _first_reach(connection, chunk).items()]
        if rows:
            connection.execute(stmt, rows)
    return len(ids)


def refresh_all(connection: Connection) -> int:
    """Every referral that has a contact attempt: for a migration or a bulk load."""
    ids = connection.scalars(select(ContactAttempt.referral_id).distinct()).all()
    return refresh_reach(connection, ids)


_TRACKED = ("referral_id", "at", "outcome", "channel", "struck_at")


def _touched(session: Session) -> set[int]:
    ids: set[int] = set()
    for obj in session.new:
        if isinstance(obj, ContactAttempt) and obj.referral_id is not None:
            ids.add(obj.referral_id)
    for obj in session.deleted:
        if isinstance(obj, ContactAttempt):
            ids.update(attributes.get_history(obj, "referral_id").sum())
    for obj in session.dirty:
        if not isinstance(obj, ContactAttempt):
            continue
        if any(attributes.get_history(obj, name).has_changes() for name in _TRACKED):
            ids.update(attributes.get_history(obj, "referral_id").sum())
    return {rid for rid in ids if rid is not None}


@event.listens_for(Session, "after_flush")
def _refresh_after_flush(session: Session, _context: Any) -> None:
    ids = _touched(session)
    if not ids:
        return
    refresh_reach(session.connection(), ids)
    # The referrals in this session read the new values when they are next used.
    pending = session.info.setdefault("reach_refreshed", set())
    pending.update(ids)


@event.listens_for(Session, "after_flush_postexec")
def _expire_refreshed(session: Session, _context: Any) -> None:
    ids = session.info.pop("reach_refreshed", None)
    if not ids:
        return
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Referral) and obj.id in ids:
            session.expire(obj, list(REACH_COLUMNS))
