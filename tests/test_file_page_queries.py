"""The file page costs a fixed number of SQL statements, however long the file's history."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import event

from portal.extensions import db
from portal.models import ContactChannel, ContactOutcome, Theme
from portal.referrals import followup, lifecycle

from .factories import add_held_appointment, add_partner_referral, add_referral

NOW = datetime(2026, 11, 26, 10, 15)


@contextmanager
def statements() -> Iterator[list[str]]:
    """The statements the application sends to the database meanwhile."""
    seen: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", note)


def file_with_history(world, theme, size: int):
    """A file in follow-up with `size` attempts, appointments, items and their events."""
    referral = add_referral(db.session, world, registered_on=date(2015, 3, 1))
    lifecycle.claim(db.session, referral.id, world.toeleider, NOW)
    for _ in range(size):
        lifecycle.log_contact_attempt(
            db.session,
            referral,
            world.toeleider,
            ContactChannel.PHONE,
            ContactOutcome.NO_ANSWER,
            None,
            NOW,
        )
    for n in range(size):
        add_held_appointment(
            db.session,
            referral,
            world.toeleider,
            datetime(2026, 11, 2, 9) + timedelta(days=n),
            status="no_show",
        )
    appointment = lifecycle.schedule_conversation(
        db.session,
        referral,
        world.toeleider,
        world.toeleider,
        datetime(2026, 11, 26, 11),
        60,
        "Gemeentehuis",
        None,
        NOW,
    )
    lifecycle.conversation_held(
        db.session, appointment, world.toeleider, datetime(2026, 11, 26, 12)
    )
    lifecycle.record_conversation(
        db.session,
        referral,
        world.toeleider,
        held_on=NOW.date(),
        themes=[theme],
        answers={},
        needs=[],
        signals=[],
        notes=None,
        at=datetime(2026, 11, 26, 13),
    )
    for n in range(size):
        add_partner_referral(
            db.session, referral, world.partner, theme, date(2026, 11, 26), world.toeleider
        )
        followup.add_task(
            db.session, referral, world.toeleider, f"Taak {n}", date(2026, 12, 1), NOW
        )
        followup.add_milestone(
            db.session, referral, world.toeleider, f"Stap {n}", 1, date(2027, 1, 31), NOW
        )
    db.session.commit()
    return referral


@pytest.mark.parametrize("viewer", ["toeleider", "lead"])
def test_the_file_page_does_not_query_more_for_a_longer_history(client, world, viewer):
    theme = Theme(name="Nederlands leren", position=1)
    db.session.add(theme)
    short = file_with_history(world, theme, 1)
    long = file_with_history(world, theme, 12)
    assert len(lifecycle.timeline(db.session, long)) > 40
    client.login(getattr(world, viewer).email)
    counts = []
    for referral in (short, long):
        client.get(f"/referrals/{referral.id}")  # caches warm, as for every later view
        with statements() as seen:
            response = client.get(f"/referrals/{referral.id}")
        assert response.status_code == 200
        counts.append(len(seen))
    assert counts[0] == counts[1], counts
    # Not one statement per row: far fewer than the long file has rows on its page.
    assert counts[1] < 40, counts[1]


def test_the_file_page_reads_the_timeline_once(client, world):
    theme = Theme(name="Nederlands leren", position=1)
    db.session.add(theme)
    referral = file_with_history(world, theme, 3)
    client.login(world.toeleider.email)
    client.get(f"/referrals/{referral.id}")
    with statements() as seen:
        assert client.get(f"/referrals/{referral.id}").status_code == 200
    reads = [
        s for s in seen if s.lstrip().upper().startswith("SELECT") and "FROM timeline_event" in s
    ]
    assert len(reads) == 1, reads


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
    ("referral", "ix_referral_owner_state", "100000 1493 252"),
    ("referral", "ix_referral_closed_at", "100000 2"),
    ("referral", "ix_referral_created_by_created_at", "100000 50000 1"),
    ("referral", "ix_referral_intake_token", "100000 100000"),
    ("referral", "ix_referral_queue", "100000 14286 1"),
    ("referral", "ix_referral_state_municipality", "100000 14286 7143 358"),
    ("referral", "ix_referral_created_at", "100000 1"),
    ("referral", "sqlite_autoindex_referral_1", "100000 1"),
    ("conversation_theme", "sqlite_autoindex_conversation_theme_1", "91457 2 1"),
    ("need", "ix_need_conversation_id", "68793 2"),
    ("timeline_event", "ix_timeline_event_referral_at", "880624 9 2"),
    ("programme_place", "ix_programme_place_programme_status", "135 45 23 1"),
    ("programme_place", "ix_programme_place_referral", "135 1"),
    ("milestone", "ix_milestone_referral_id", "31858 3"),
    ("follow_up_task", "ix_follow_up_task_referral_id", "47698 2"),
    ("follow_up_task", "ix_follow_up_task_owner_due", "47698 723 2 1"),
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


def sqlite_scans(raw, statement: str, parameters) -> list[str]:
    """The whole-table reads SQLite plans for the statement at 100,000 files."""
    scans = []
    for *_ids, detail in raw.execute("EXPLAIN QUERY PLAN " + statement, parameters):
        words = detail.split()
        if words[0] == "SCAN" and words[1] in GROWING_TABLES:
            scans.append(detail)
    return scans


def postgresql_scans(raw, statement: str, parameters) -> list[str]:
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


@pytest.mark.parametrize("viewer", ["toeleider", "lead"])
def test_the_file_page_reads_no_growing_table_from_end_to_end(client, world, viewer):
    # A partner referral's named children were once joined into its query: SQLite then
    # planned a read of every partner referral of the database in date order (9 ms of a
    # 38 ms page at 100,000 files, and growing with them); a file's signals had no index.
    theme = Theme(name="Nederlands leren", position=1)
    db.session.add(theme)
    referral = file_with_history(world, theme, 2)
    client.login(getattr(world, viewer).email)
    client.get(f"/referrals/{referral.id}")
    seen: list[tuple[str, object]] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        assert client.get(f"/referrals/{referral.id}").status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert len(seen) > 15
    scans = []
    with db.engine.connect() as connection:
        raw = connection.connection.dbapi_connection
        if db.engine.dialect.name == "sqlite":
            # Planned as for a full database, not for these few test rows (a scan of five
            # rows is the right plan for five rows).
            raw.execute("ANALYZE sqlite_schema")
            raw.execute("DELETE FROM sqlite_stat1")
            raw.executemany("INSERT INTO sqlite_stat1 VALUES (?, ?, ?)", STATISTICS_AT_100K)
            raw.execute("ANALYZE sqlite_schema")
            plan = sqlite_scans
        else:
            with raw.cursor() as cursor:
                cursor.execute("SET enable_seqscan = off")
            plan = postgresql_scans
        for statement, parameters in seen:
            scans += [
                f"{d} <- {' '.join(statement.split())[:300]}"
                for d in plan(raw, statement, parameters)
            ]
        if db.engine.dialect.name != "sqlite":
            with raw.cursor() as cursor:
                cursor.execute("RESET enable_seqscan")
        connection.rollback()
    assert scans == [], "\n".join(scans)
