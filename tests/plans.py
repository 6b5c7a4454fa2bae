"""Query plans: which statements of a request would read a whole table that grows with the
files, planned as for a municipality's database, not for the few rows of a test."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from portal.extensions import db

# The tables that grow with every file: reading one file must go through an index on them.
GROWING_TABLES = (
    "referral",
    "person",
    "household_child",
    "partner_referral",
    "partner_referral_child",
    "timeline_event",
    "contact_attempt",
    "appointment",
    "conversation",
    "follow_up_task",
    "milestone",
    "signal",
    "access_log_entry",
    "notification",
)


# SQLite's statistics of a database of 100,000 files (as `PRAGMA optimize` wrote them for
# the benchmark's data): the planner plans for them as it would in a municipality.
STATISTICS_AT_100K = (
    ("household_child", "ix_household_child_referral_id", "137234 3"),
    ("referral", "ix_referral_person_id", "100000 1"),
    ("referral", "ix_referral_person_municipality", "100000 1 1 1"),
    ("referral", "ix_referral_municipality_language", "100000 50000 2500"),
    ("referral", "ix_referral_reached", "100000 100000 50000"),
    ("referral", "ix_referral_owner_state", "100000 1493 252 84 1"),
    ("referral", "ix_referral_closed_at", "100000 2"),
    ("referral", "ix_referral_created_by_created_at", "100000 50000 1"),
    ("referral", "ix_referral_intake_token", "100000 100000"),
    ("referral", "ix_referral_queue", "100000 14286 1"),
    ("referral", "ix_referral_state_municipality", "100000 14286 7143 358 1"),
    ("referral", "ix_referral_created_at", "100000 1"),
    ("referral", "sqlite_autoindex_referral_1", "100000 1"),
    ("conversation_theme", "sqlite_autoindex_conversation_theme_1", "91457 2 1"),
    ("need", "ix_need_conversation_id", "68793 2"),
    ("timeline_event", "ix_timeline_event_referral_at", "880624 9 2"),
    ("programme_place", "ix_programme_place_programme_status", "135 45 23 1"),
    ("programme_place", "ix_programme_place_referral", "135 1"),
    ("milestone", "ix_milestone_referral_id", "31858 3"),
    ("milestone", "ix_milestone_status_target", "31858 10619 30 2"),
    ("follow_up_task", "ix_follow_up_task_referral_id", "47698 2"),
    ("follow_up_task", "ix_follow_up_task_owner_due", "47698 723 2 1"),
    ("follow_up_task", "ix_follow_up_task_open_due", "47698 2 1 1"),
    ("appointment", "ix_appointment_referral_id", "52312 1"),
    ("appointment", "ix_appointment_starts_status", "52312 7 6"),
    ("appointment", "ix_appointment_toeleider_starts", "52312 793 2"),
    ("appointment", "ix_appointment_calendar_uid", "52312 1"),
    ("partner_referral", "ix_partner_referral_referred_on", "45818 65"),
    ("partner_referral", "ix_partner_referral_referral_id", "45818 2"),
    ("conversation", "ix_conversation_held_on", "45832 66"),
    ("conversation", "ix_conversation_referral_id", "45832 1"),
    ("contact_attempt", "ix_contact_attempt_referral_outcome", "253773 3 2 1"),
    ("contact_attempt", "ix_contact_attempt_referral_id", "253773 3"),
    ("access_log_entry", "ix_access_log_entry_at", "583 23"),
    ("access_log_entry", "ix_access_log_entry_user_at", "583 583 23"),
    ("access_log_entry", "ix_access_log_entry_referral_at", "583 5 1"),
)


def _sqlite_scans(raw, statement: str, parameters) -> list[str]:
    """The whole-table reads SQLite plans for the statement at 100,000 files."""
    scans = []
    for *_ids, detail in raw.execute("EXPLAIN QUERY PLAN " + statement, parameters):
        words = detail.split()
        if words[0] == "SCAN" and words[1] in GROWING_TABLES:
            scans.append(detail)
    return scans


def _postgresql_scans(raw, statement: str, parameters) -> list[str]:
    """The whole-table reads PostgreSQL plans for the statement when it has an index to use
    instead (sequential scans disabled: a seq scan left means there was no index)."""
    with raw.cursor() as cursor:
        cursor.execute("EXPLAIN " + statement, parameters)
        lines = [row[0] for row in cursor.fetchall()]
    return [
        line.strip()
        for line in lines
        if (m := re.search(r"Seq Scan on (\w+)", line)) and m.group(1) in GROWING_TABLES
    ]


@contextmanager
def selects() -> Iterator[list[tuple[str, object]]]:
    """The SELECT statements sent meanwhile, with their parameters."""
    seen: list[tuple[str, object]] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", note)


def whole_table_reads(seen: list[tuple[str, object]]) -> list[str]:
    """Each read of a whole growing table these statements are planned to make."""
    scans: list[str] = []
    with db.engine.connect() as connection:
        raw = connection.connection.dbapi_connection
        if db.engine.dialect.name == "sqlite":
            raw.execute("ANALYZE sqlite_schema")
            raw.execute("DELETE FROM sqlite_stat1")
            raw.executemany("INSERT INTO sqlite_stat1 VALUES (?, ?, ?)", STATISTICS_AT_100K)
            raw.execute("ANALYZE sqlite_schema")
            plan = _sqlite_scans
        else:
            with raw.cursor() as cursor:
                cursor.execute("SET enable_seqscan = off")
            plan = _postgresql_scans
        try:
            for statement, parameters in seen:
                short = " ".join(statement.split())[:300]
                scans += [f"{d} <- {short}" for d in plan(raw, statement, parameters)]
        finally:
            if db.engine.dialect.name != "sqlite":
                with raw.cursor() as cursor:
                    cursor.execute("RESET enable_seqscan")
            else:
                # The test database's own statistics come back at its next analysis.
                raw.execute("DELETE FROM sqlite_stat1")
                raw.execute("ANALYZE sqlite_schema")
        connection.rollback()
    return scans
