"""The file page costs a fixed number of SQL statements, however long the file's history."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import event

from portal.extensions import db
from portal.models import ContactChannel, ContactOutcome, Theme
from portal.referrals import followup, lifecycle

from .factories import add_held_appointment, add_partner_referral, add_referral
from .plans import selects, whole_table_reads

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
    with selects() as seen:
        assert client.get(f"/referrals/{referral.id}").status_code == 200
    assert len(seen) > 15
    assert whole_table_reads(seen) == []
