"""What a referral's contact attempts say, kept on the referral as it happens: when and how
it was first reached, and whether it waits for a call back.

The reports count a referral once, in the month of its first contact attempt with outcome
'reached' (by the moment it happened; a struck attempt does not count). Finding that attempt
among all attempts of every referral made the reports grow with the whole history, so the
referral carries it: `reached_at`, `reached_via` and `reached_attempt_id`, derived from the
contact attempts and refreshed in the same flush whenever an attempt is added, struck,
moved or removed, whichever code path does it. `call_back_since` is set while the last
attempt recorded (struck ones left out) asked to call back: Vandaag lists those files
without reading the attempts of every file a toeleider holds.

`reached_via` is what the attempts say of how: 'desk' when that attempt was at the desk,
'letter' when it was a letter or an invitation letter went out before it, else 'other'. The
reports add 'via a partner' from the referral's source service when they count, so that a
correction of the source moves the figure too.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from itertools import groupby
from typing import Any

from sqlalchemy import Select, bindparam, event, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, attributes

from ..models import ContactAttempt, ContactChannel, ContactOutcome, Referral

VIA_DESK, VIA_LETTER, VIA_OTHER = "desk", "letter", "other"
REACH_COLUMNS = ("reached_at", "reached_via", "reached_attempt_id", "call_back_since")
_CHUNK = 500


def _derived(rows: list[tuple[int, datetime, str, str]]) -> dict[str, Any]:
    """What one referral's live attempts (id, at, channel, outcome), ordered by (at, id),
    say: its first reach, and since when it waits for a call back."""
    values: dict[str, Any] = dict.fromkeys(REACH_COLUMNS)
    letter_before = False
    for attempt_id, at, channel, outcome in rows:
        if outcome == ContactOutcome.REACHED:
            if channel == ContactChannel.DESK:
                via = VIA_DESK
            elif channel == ContactChannel.LETTER or letter_before:
                via = VIA_LETTER
            else:
                via = VIA_OTHER
            values.update(reached_at=at, reached_via=via, reached_attempt_id=attempt_id)
            break
        if channel == ContactChannel.LETTER:
            letter_before = True
    # The last attempt recorded asked to call back later (a letter is recorded with that
    # outcome too, but then the resident is the one to call).
    last_id, last_at, last_channel, last_outcome = max(rows, key=lambda row: row[0])
    if last_outcome == ContactOutcome.CALL_BACK and last_channel != ContactChannel.LETTER:
        values["call_back_since"] = last_at
    return values


def _live_attempts() -> Select[int, int, datetime, ContactChannel, ContactOutcome]:
    """(referral, id, at, channel, outcome) of the attempts not struck, per referral by moment."""
    return (
        select(
            ContactAttempt.referral_id,
            ContactAttempt.id,
            ContactAttempt.at,
            ContactAttempt.channel,
            ContactAttempt.outcome,
        )
        .where(ContactAttempt.struck_at.is_(None))
        .order_by(ContactAttempt.referral_id, ContactAttempt.at, ContactAttempt.id)
    )


def _attempt_values(connection: Connection, ids: list[int]) -> dict[int, dict[str, Any]]:
    """Per referral id, the values of REACH_COLUMNS its live attempts give."""
    by_referral: dict[int, list[tuple[int, datetime, str, str]]] = {}
    for rid, attempt_id, at, channel, outcome in connection.execute(
        _live_attempts().where(ContactAttempt.referral_id.in_(ids))
    ):
        by_referral.setdefault(rid, []).append((attempt_id, at, channel, outcome))
    return {
        rid: _derived(by_referral[rid]) if rid in by_referral else dict.fromkeys(REACH_COLUMNS)
        for rid in ids
    }


def _update_statement() -> Any:
    return (
        update(Referral.__table__)  # type: ignore[arg-type]
        .where(Referral.__table__.c.id == bindparam("rid"))
        .values({name: bindparam(name) for name in REACH_COLUMNS})
    )


def refresh_reach(connection: Connection, referral_ids: Iterable[int]) -> int:
    """Set the first reach of these referrals from their attempts; how many were read."""
    ids = sorted(set(referral_ids))
    stmt = _update_statement()
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        rows = [
            {"rid": rid, **values} for rid, values in _attempt_values(connection, chunk).items()
        ]
        if rows:
            connection.execute(stmt, rows)
    return len(ids)


def refresh_all(connection: Connection) -> int:
    """Every referral that has a contact attempt, in one ordered pass over the attempts:
    for a bulk load (a million referrals in a few minutes, where a look-up per batch of
    referrals takes an hour)."""
    stmt = _update_statement()
    rows: list[dict[str, Any]] = []
    count = 0
    attempts = connection.execute(
        _live_attempts()
        # Streamed, on the statement alone: the UPDATEs in between run as usual.
        .execution_options(stream_results=True, yield_per=10_000)
    )
    for rid, group in groupby(attempts, key=lambda row: row[0]):
        rows.append({"rid": rid, **_derived([(r[1], r[2], r[3], r[4]) for r in group])})
        count += 1
        if len(rows) >= 1_000:
            connection.execute(stmt, rows)
            rows = []
    if rows:
        connection.execute(stmt, rows)
    return count


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
    for rid in ids:
        referral = session.identity_map.get(session.identity_key(Referral, rid))
        if referral is not None:
            session.expire(referral, list(REACH_COLUMNS))
