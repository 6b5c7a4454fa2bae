"""The Alembic migrations build exactly the schema the models describe, and keep data."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.command import downgrade, upgrade
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from portal import create_app
from portal.extensions import db
from portal.reports.evaluation import Period, evaluation_tables
from portal.reports.marks import installed_triggers, trigger_names

from .conftest import app_config

MIGRATIONS = Path(__file__).resolve().parent.parent / "portal" / "migrations"


def _alembic_config() -> Config:
    config = Config(str(MIGRATIONS / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS))
    config.config_file_name = str(MIGRATIONS / "alembic.ini")
    return config


def test_migrations_match_the_models(empty_database):
    app = create_app(app_config(empty_database))
    with app.app_context():
        upgrade(_alembic_config(), "head")
        with db.engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
        db.engine.dispose()
    assert diff == []


T, F = {"t": True}, {"f": False}
FIRST_SCHEMA_ROWS = [
    ("INSERT INTO municipality (id, name, nis_code, active) VALUES (1, 'A', '11111', :t)", T),
    (
        "INSERT INTO service (id, name, is_partner, municipality_id, active) "
        "VALUES (1, 'S', :f, 1, :t)",
        T | F,
    ),
    ("INSERT INTO language (code, name, active) VALUES ('ar', 'Arabisch', :t)", T),
    (
        'INSERT INTO "user" (id, email, full_name, password_hash, roles, active, version, '
        "created_at) VALUES (1, 'a@b.be', 'A', 'x', 'toeleider,desk', :t, 1, :at)",
        T | {"at": datetime(2026, 1, 1)},
    ),
    (
        "INSERT INTO referral (id, reference, municipality_id, state, dutch_difficult, has_work, "
        "has_children, contact_language_code, full_name, name_key, birth_year, phone, email, "
        "address, adults, registered_on, is_newcomer, source_service_id, consent_given, "
        "consent_recorded_by_id, consent_recorded_at, created_by_id, created_at, version) "
        "VALUES (1, '2026-000001', 1, 'new', :t, :f, :t, 'ar', 'X Y', 'x y', 1990, "
        "'+32470123456', 'x@y.be', 'Kerkstraat 1', 1, :day, :t, 1, :t, 1, :at, 1, :at, 1)",
        T | F | {"day": date(2026, 1, 1), "at": datetime(2026, 11, 1, 10, 0)},
    ),
    ("INSERT INTO household_child (id, referral_id, birth_year) VALUES (1, 1, 2015)", {}),
]


def _first_schema_with_rows() -> None:
    """The schema of the first migration, holding FIRST_SCHEMA_ROWS."""
    upgrade(_alembic_config(), "0001")
    with db.engine.begin() as conn:
        for statement, values in FIRST_SCHEMA_ROWS:
            conn.execute(text(statement), values)


def test_upgrading_keeps_every_referral_its_children_and_its_person(empty_database):
    app = create_app(app_config(empty_database))
    with app.app_context():
        _first_schema_with_rows()
        upgrade(_alembic_config(), "head")
        with db.engine.connect() as conn:
            children = conn.execute(text("SELECT birth_year FROM household_child")).scalars().all()
            priority = conn.execute(text("SELECT priority_at FROM referral")).scalar()
            events = conn.execute(text("SELECT kind FROM timeline_event")).scalars().all()
            roles = conn.execute(text("SELECT user_id, role FROM user_role ORDER BY role")).all()
            person = conn.execute(
                text(
                    "SELECT p.full_name, p.name_key, p.birth_year, p.phone, p.email, p.address, "
                    "r.adults, r.contact_language_code FROM referral r "
                    "JOIN person p ON p.id = r.person_id"
                )
            ).one()
        with db.engine.begin() as conn:
            # The next person gets a fresh id, also where ids were copied in (PostgreSQL).
            new_id = conn.execute(
                text(
                    "INSERT INTO person (full_name, name_key, created_at, version) "
                    "VALUES ('N', 'n', :at, 1) RETURNING id"
                ),
                {"at": datetime(2026, 12, 1)},
            ).scalar()
        db.engine.dispose()
    assert children == [2015]  # a table rebuild on SQLite must not cascade-delete children
    assert str(priority).startswith("2026-11-01 10:00")
    assert events == ["registered"]
    # The comma-separated roles became rows.
    assert [tuple(r) for r in roles] == [(1, "desk"), (1, "toeleider")]
    assert tuple(person) == (
        "X Y",
        "x y",
        1990,
        "+32470123456",
        "x@y.be",
        "Kerkstraat 1",
        1,
        "ar",
    )
    assert new_id == 2


ATTEMPTS_BEFORE_0024 = [
    # (id, at, channel, outcome, struck)
    (1, datetime(2026, 11, 2, 9), "phone", "no_answer", False),
    (2, datetime(2026, 11, 3, 9), "letter", "call_back", False),
    (3, datetime(2026, 11, 5, 9), "phone", "reached", True),  # struck: does not count
    (4, datetime(2026, 11, 6, 10), "phone", "reached", False),
    (5, datetime(2026, 11, 7, 10), "desk", "reached", False),
    (6, datetime(2026, 11, 8, 10), "phone", "call_back", False),
]


def test_upgrading_gives_every_reached_referral_its_first_reach(empty_database):
    app = create_app(app_config(empty_database))
    with app.app_context():
        _first_schema_with_rows()
        upgrade(_alembic_config(), "0023")
        with db.engine.begin() as conn:
            for attempt_id, at, channel, outcome, struck in ATTEMPTS_BEFORE_0024:
                conn.execute(
                    text(
                        "INSERT INTO contact_attempt (id, referral_id, at, actor_id, channel, "
                        "outcome, struck_at) VALUES (:id, 1, :at, 1, :channel, :outcome, :struck)"
                    ),
                    {
                        "id": attempt_id,
                        "at": at,
                        "channel": channel,
                        "outcome": outcome,
                        "struck": at if struck else None,
                    },
                )
        upgrade(_alembic_config(), "head")
        with db.engine.connect() as conn:
            reach = conn.execute(
                text(
                    "SELECT reached_at, reached_via, reached_attempt_id, call_back_since "
                    "FROM referral"
                )
            ).one()
        db.engine.dispose()
    assert str(reach[0]).startswith("2026-11-06 10:00")
    assert tuple(reach[1:3]) == ("letter", 4)
    assert str(reach[3]).startswith("2026-11-08 10:00")


APPOINTMENTS_BEFORE_0028 = [
    # (id, status, created_at)
    (1, "planned", datetime(2026, 11, 2, 9)),
    (2, "rescheduled", datetime(2026, 11, 3, 9)),
    (3, "planned", datetime(2026, 11, 4, 9)),  # what 2 was moved to
    (4, "cancelled", datetime(2026, 11, 5, 9)),
    (5, "cancelled", datetime(2026, 11, 9, 9)),  # its timeline says nothing after it was made
]
# (at, kind): the file's timeline next to them.
EVENTS_BEFORE_0028 = [
    (datetime(2026, 11, 4, 9), "rescheduled"),
    (datetime(2026, 11, 6, 14), "appointment_cancelled"),
    (datetime(2026, 11, 7, 8), "appointment_cancelled"),
]


def _old_appointment(
    conn, appointment_id, status, made, interpreter=False, minutes=60, uid=False
) -> None:
    """An appointment as the schema before 0033 held it, with its 'interpreter needed' flag;
    `uid`: with the calendar UID that 0028 made required."""
    starts = datetime(2026, 12, 1, 9 + appointment_id)
    columns = (
        "id, referral_id, toeleider_id, kind, starts_at, ends_at, place, interpreter_needed, "
        "status, created_by_id, created_at"
    )
    values = ":id, 1, 1, 'welcome', :starts, :ends, 'Bib', :interpreter, :status, 1, :made"
    if uid:
        columns, values = "calendar_uid, " + columns, ":uid, " + values
    conn.execute(
        text(f"INSERT INTO appointment ({columns}) VALUES ({values})"),  # noqa: S608 - fixed text
        {
            "id": appointment_id,
            "uid": f"appointment-{appointment_id}@onthaalportaal",
            "status": status,
            "made": made,
            "interpreter": interpreter,
            "starts": starts,
            "ends": starts + timedelta(minutes=minutes),
        },
    )


def test_upgrading_gives_appointments_their_feed_uid_and_when_they_were_withdrawn(
    empty_database,
):
    app = create_app(app_config(empty_database))
    with app.app_context():
        _first_schema_with_rows()
        upgrade(_alembic_config(), "0027")
        with db.engine.begin() as conn:
            for appointment_id, status, made in APPOINTMENTS_BEFORE_0028:
                _old_appointment(conn, appointment_id, status, made)
            for event_at, kind in EVENTS_BEFORE_0028:
                conn.execute(
                    text(
                        "INSERT INTO timeline_event (referral_id, at, actor_id, kind) "
                        "VALUES (1, :at, 1, :kind)"
                    ),
                    {"at": event_at, "kind": kind},
                )
        upgrade(_alembic_config(), "head")
        with db.engine.connect() as conn:
            rows = conn.execute(
                text("SELECT id, calendar_uid, sequence, changed_at FROM appointment ORDER BY id")
            ).all()
        db.engine.dispose()
    # The UIDs the feed already gave them: subscribed calendars keep their events.
    assert [(r[1], r[2]) for r in rows] == [(f"appointment-{r[0]}@onthaalportaal", 0) for r in rows]
    changed = [None if r[3] is None else str(r[3])[:16] for r in rows]
    assert changed == [None, "2026-11-04 09:00", None, "2026-11-06 14:00", "2026-11-09 09:00"]


def test_upgrading_keeps_a_languages_slip_text_as_its_text_of_the_slip_only(empty_database):
    app = create_app(app_config(empty_database))
    with app.app_context():
        _first_schema_with_rows()
        upgrade(_alembic_config(), "0028")
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO language (code, name, active, next_steps_text) VALUES "
                    "('uk', 'Oekraïens', :t, 'Консультант зв''яжеться з вами.'), "
                    "('fr', 'Frans', :t, '  '), ('ti', 'Tigrinya', :t, NULL)"
                ),
                {"t": True},
            )
        upgrade(_alembic_config(), "head")
        with db.engine.connect() as conn:
            rows = conn.execute(
                text("SELECT kind, language_code, body FROM message_text ORDER BY language_code")
            ).all()
        db.engine.dispose()
    # The old text said "a toeleider will contact you": the slip without an appointment. The
    # letters, which used to repeat it, print in Dutch only until an admin writes them.
    assert [tuple(r) for r in rows] == [("slip", "uk", "Консультант зв'яжеться з вами.")]


def test_upgrading_turns_interpreter_flags_into_requests_in_the_contact_language(empty_database):
    app = create_app(app_config(empty_database))
    with app.app_context():
        _first_schema_with_rows()
        upgrade(_alembic_config(), "0032")
        made = datetime(2026, 11, 2, 9)
        with db.engine.begin() as conn:
            for appointment_id, status, interpreter, minutes in [
                (1, "planned", True, 50),
                (2, "planned", False, 60),
                (3, "rescheduled", True, 60),
                (4, "planned", True, 60),  # what 3 was moved to
                (5, "cancelled", True, 60),
                (6, "held", True, 90),
            ]:
                _old_appointment(conn, appointment_id, status, made, interpreter, minutes, True)
        upgrade(_alembic_config(), "head")
        with db.engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT appointment_id, language_code, mode, status, minutes, "
                    "service_reference, created_by_id FROM interpreter_request "
                    "ORDER BY appointment_id"
                )
            ).all()
        db.engine.dispose()
    assert [tuple(r) for r in rows] == [
        (1, "ar", "on_site", "requested", 60, None, 1),  # 50 minutes: booked as an hour
        # The moved appointment's old row has none: the new row carries the request.
        (4, "ar", "on_site", "requested", 60, None, 1),
        (5, "ar", "on_site", "cancelled", 60, None, 1),
        (6, "ar", "on_site", "requested", 90, None, 1),
    ]


def test_upgrading_counts_the_existing_files_in_the_report_and_marks_changes(empty_database):
    app = create_app(app_config(empty_database))
    with app.app_context():
        _first_schema_with_rows()
        upgrade(_alembic_config(), "head")
        with db.engine.connect() as connection:
            triggers = installed_triggers(connection)
        november = Period(date(2026, 11, 1), date(2026, 12, 1))
        before = {t.key: t.rows for t in evaluation_tables(db.session, [1], november)}
        counted = {
            t.key: t.rows for t in evaluation_tables(db.session, [1], november, from_files=True)
        }
        db.session.commit()
        with db.engine.begin() as conn:
            conn.execute(
                text("UPDATE referral SET created_at = :at"), {"at": datetime(2026, 10, 5)}
            )
        after = {t.key: t for t in evaluation_tables(db.session, [1], november)}
        marked = db.session.execute(text("SELECT month, version FROM report_month")).all()
        db.session.remove()
        db.engine.dispose()
    assert triggers == trigger_names()
    assert before == counted
    # The registration of 1 November 2026 counted in November, the one referral there.
    assert before["bronnen"] == [["S", 1]]
    assert after["bronnen"].rows == []
    assert sorted((str(m), v) for m, v in marked) == [("2026-10-01", 1), ("2026-11-01", 1)]


def test_upgrading_keeps_a_kpis_target_for_every_year_and_its_kind_and_the_team(empty_database):
    app = create_app(app_config(empty_database))
    with app.app_context():
        _first_schema_with_rows()
        upgrade(_alembic_config(), "0035")
        with db.engine.begin() as conn:
            for statement, values in [
                ("INSERT INTO channel (id, name, active) VALUES (1, 'Toeleiders', :t)", T),
                ('UPDATE "user" SET channel_id = 1 WHERE id = 1', {}),
                (
                    "INSERT INTO kpi (id, name, target, unit, rule, activity_kind, start_month, "
                    "position, active) VALUES (1, 'Kinderen naar sport', 180, 'children', "
                    "'activity', 'sport', 10, 0, :t), (2, 'Gezinnen bereikt', 300, "
                    "'households', 'reached', NULL, 10, 1, :t)",
                    T,
                ),
                (
                    "INSERT INTO contact_attempt (id, referral_id, at, actor_id, channel, "
                    "outcome, kpi_channel_id) VALUES (1, 1, :at, 1, 'phone', 'reached', 1)",
                    {"at": datetime(2024, 3, 5, 10)},
                ),
                # Since then the worker moved out of the team: the attempt stays the team's.
                ('UPDATE "user" SET channel_id = NULL WHERE id = 1', {}),
            ]:
                conn.execute(text(statement), values)
        upgrade(_alembic_config(), "head")
        with db.engine.connect() as conn:
            targets = conn.execute(
                text("SELECT kpi_id, start_year, target FROM kpi_target ORDER BY 1, 2")
            ).all()
            kinds = conn.execute(text("SELECT kpi_id, kind FROM kpi_activity_kind")).all()
            basis = conn.execute(text("SELECT channel_basis FROM kpi ORDER BY id")).all()
            team = conn.execute(text("SELECT team_channel_id FROM contact_attempt")).scalar()
        db.engine.dispose()
    # Every project year from the one holding the first figures up to today's.
    years = range(2023, date.today().year + 1)
    assert [tuple(t) for t in targets] == [(1, y, 180) for y in years] + [
        (2, y, 300) for y in years
    ]
    assert [tuple(k) for k in kinds] == [(1, "sport")]
    assert [b[0] for b in basis] == ["referrer", "referrer"]
    assert team == 1


def test_upgrading_adds_school_items_and_agii_referrals_and_downgrading_keeps_the_files(
    empty_database,
):
    app = create_app(app_config(empty_database))
    with app.app_context():
        _first_schema_with_rows()
        upgrade(_alembic_config(), "0035")
        upgrade(_alembic_config(), "head")
        with db.engine.begin() as conn:
            # An existing household gets no items by itself: nobody knows their past.
            assert conn.execute(text("SELECT COUNT(*) FROM school_item")).scalar() == 0
            at = {"at": datetime(2026, 12, 1, 9)}
            conn.execute(
                text(
                    "INSERT INTO school_item (referral_id, child_id, kind, status, due_on, "
                    "created_at, updated_by_id, updated_at) "
                    "VALUES (1, 1, 'enrolment', 'open', :day, :at, 1, :at)"
                ),
                at | {"day": date(2026, 12, 31)},
            )
            conn.execute(
                text(
                    "INSERT INTO agii_referral (referral_id, obliged, civic_orientation, "
                    "dutch_course, participation_network, work_pathway, status, referred_on, "
                    "created_by_id, created_at, updated_by_id, updated_at) "
                    "VALUES (1, :t, :t, :t, :f, :f, 'referred', :day, 1, :at, 1, :at)"
                ),
                at | T | F | {"day": date(2026, 12, 1)},
            )
        refused = []
        for statement in (
            "UPDATE school_item SET status = 'lost'",
            "UPDATE agii_referral SET status = 'maybe'",
        ):
            try:
                with db.engine.begin() as conn:
                    conn.execute(text(statement))
            except IntegrityError:
                refused.append(statement)
        downgrade(_alembic_config(), "0035")
        with db.engine.connect() as conn:
            children = conn.execute(text("SELECT birth_year FROM household_child")).scalars().all()
            referrals = conn.execute(text("SELECT reference FROM referral")).scalars().all()
        db.engine.dispose()
    assert len(refused) == 2  # the statuses are checked by the database
    assert children == [2015]
    assert referrals == ["2026-000001"]


def test_upgrading_makes_every_earlier_import_one_of_the_register_and_downgrading_keeps_it(
    empty_database,
):
    app = create_app(app_config(empty_database))
    with app.app_context():
        _first_schema_with_rows()
        upgrade(_alembic_config(), "0039")
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO register_import (id, municipality_id, status, file_name, "
                    "encoding, header, row_count, created_by_id, created_at) "
                    "VALUES (1, 1, 'imported', 'lijst.csv', 'UTF-8', '[]', 1, 1, :at)"
                ),
                {"at": datetime(2026, 11, 1, 9)},
            )
            conn.execute(
                text(
                    "INSERT INTO register_import_row (id, import_id, line, created_person) "
                    "VALUES (1, 1, 2, :f)"
                ),
                F,
            )
        upgrade(_alembic_config(), "head")
        with db.engine.connect() as conn:
            kept = conn.execute(text("SELECT kind, columns, file_name FROM register_import")).all()
            dates = conn.execute(
                text("SELECT intake_on, reached_on, held_on, closed_on FROM register_import_row")
            ).all()
        try:
            with db.engine.begin() as conn:
                conn.execute(text("UPDATE register_import SET kind = 'guess'"))
            refused = False
        except IntegrityError:
            refused = True
        downgrade(_alembic_config(), "0039")
        with db.engine.connect() as conn:
            names = conn.execute(text("SELECT file_name FROM register_import")).scalars().all()
        db.engine.dispose()
    assert [tuple(r) for r in kept] == [("register", None, "lijst.csv")]
    assert [tuple(r) for r in dates] == [(None, None, None, None)]
    assert refused  # the kind is checked by the database
    assert names == ["lijst.csv"]


def test_upgrading_lets_a_child_have_an_enrolment_beside_its_information_and_keeps_items(
    empty_database,
):
    app = create_app(app_config(empty_database))
    insert = (
        "INSERT INTO school_item (referral_id, child_id, kind, status, due_on, created_at, "
        "updated_by_id, updated_at) VALUES (1, 1, :kind, 'open', :day, :at, 1, :at)"
    )
    at = {"at": datetime(2026, 12, 1, 9), "day": date(2026, 12, 31)}
    with app.app_context():
        _first_schema_with_rows()
        upgrade(_alembic_config(), "0039")
        with db.engine.begin() as conn:
            conn.execute(text(insert), at | {"kind": "information"})
        upgrade(_alembic_config(), "0042")
        with db.engine.begin() as conn:
            kept = conn.execute(
                text("SELECT kind, status, status_before_closing FROM school_item")
            ).all()
            # The toddler reached school age: its enrolment beside the information item.
            conn.execute(text(insert), at | {"kind": "enrolment"})
        refused = []
        for statement, values in (
            (insert, at | {"kind": "enrolment"}),
            ("UPDATE school_item SET status_before_closing = 'lost'", {}),
        ):
            try:
                with db.engine.begin() as conn:
                    conn.execute(text(statement), values)
            except IntegrityError:
                refused.append(statement)
        downgrade(_alembic_config(), "0039")
        with db.engine.connect() as conn:
            left = conn.execute(text("SELECT kind FROM school_item")).scalars().all()
        db.engine.dispose()
    assert [tuple(k) for k in kept] == [("information", "open", None)]
    assert len(refused) == 2  # a second enrolment of the child, a status that is none
    # One item per child again: the enrolment is kept.
    assert left == ["enrolment"]
