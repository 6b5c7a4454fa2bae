"""Which months of the evaluation report changed: marked by the database itself.

The report keeps its counts per municipality and month (portal/reports/tallies.py) and counts
a month again when it changed since. A change is recorded by triggers on every table the
report counts: each insert, update or delete that touches a counted column adds one to the
`version` of the month it was in and of the month it is in now (report_month), in the same
transaction as the change. Triggers, not ORM flush hooks: the register import, its undo, the
erasure of old files and the first-reach refresh change rows with bulk statements, a foreign
key's ON DELETE CASCADE removes rows no code sees, and a trigger sees them all.

What marks which month:
- a referral: its registration, first reach and closing month, in its municipality, when any
  column a table counts changes; when its municipality changes, or it is removed, also the
  months of its held appointments, conversations and partner referrals;
- a held appointment (held before or after the change): the month it starts, and every month
  with a held appointment of its referral (the share led to Dutch counts a person in their
  first month with a conversation in the period, which another month's change can move);
- a conversation, and a need noted in it: the month it was held;
- a partner referral: the month of its date, and every month with a held appointment of its
  referral (whether the person was led to Dutch);
- a theme that starts or stops counting as Dutch learning: every month with a held
  appointment of a referral with a partner referral in that theme;
- a signal: the month it was noted, in its own municipality.

The names of services, languages, need categories and themes, and whether a service is a
partner, are read when the report is made, so changing them marks nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import MetaData, event, text
from sqlalchemy.engine import Connection

# The columns of each table that a figure of the report depends on.
REFERRAL_COLUMNS = (
    "municipality_id",
    "created_at",
    "source_service_id",
    "contact_language_code",
    "is_newcomer",
    "dutch_difficult",
    "has_work",
    "has_children",
    "reached_at",
    "reached_via",
    "conversation_accepted",
    "closed_at",
    "outcome",
)


@dataclass(frozen=True)
class _Table:
    name: str
    columns: tuple[str, ...]
    # (municipality, moment) of one row, with {r} for OLD or NEW; a moment may be NULL.
    marks: tuple[tuple[str, str], ...]
    # Whether the held months of the row's referral (its referral_id) are marked too.
    held_months: bool = False
    operations: tuple[str, ...] = ("INSERT", "UPDATE", "DELETE")


def _referral_of(column: str) -> str:
    return f"(SELECT municipality_id FROM referral WHERE id = {{r}}.{column})"  # noqa: S608


_HELD = "CASE WHEN {r}.status = 'held' THEN {r}.starts_at END"

TABLES = (
    _Table(
        "referral",
        REFERRAL_COLUMNS,
        (
            ("{r}.municipality_id", "{r}.created_at"),
            ("{r}.municipality_id", "{r}.reached_at"),
            ("{r}.municipality_id", "{r}.closed_at"),
        ),
    ),
    _Table(
        "appointment",
        ("referral_id", "starts_at", "status"),
        ((_referral_of("referral_id"), _HELD),),
        held_months=True,
    ),
    _Table(
        "conversation",
        ("referral_id", "held_on"),
        ((_referral_of("referral_id"), "{r}.held_on"),),
    ),
    _Table(
        "need",
        ("conversation_id", "category_id"),
        (
            (
                "(SELECT referral.municipality_id FROM conversation JOIN referral ON "
                "referral.id = conversation.referral_id "
                "WHERE conversation.id = {r}.conversation_id)",
                "(SELECT held_on FROM conversation WHERE id = {r}.conversation_id)",
            ),
        ),
    ),
    _Table(
        "partner_referral",
        ("referral_id", "partner_id", "theme_id", "referred_on", "status"),
        ((_referral_of("referral_id"), "{r}.referred_on"),),
        held_months=True,
    ),
    _Table(
        "signal",
        ("municipality_id", "created_at", "theme_id"),
        (("{r}.municipality_id", "{r}.created_at"),),
    ),
    # A theme has no partner referral when it is made, and keeps its own while it has any.
    _Table("theme", ("is_dutch_learning",), (), operations=("UPDATE",)),
)

# The months of a referral's own rows, for a move to another municipality or a removal.
_CHILDREN = (
    "SELECT {mun} AS mun, {month_starts} AS m FROM appointment "
    "WHERE referral_id = {r}.id AND status = 'held' "
    "UNION ALL SELECT {mun}, {month_held} FROM conversation WHERE referral_id = {r}.id "
    "UNION ALL SELECT {mun}, {month_referred} FROM partner_referral WHERE referral_id = {r}.id"
)


# The months with a held appointment of a referral ({referral}: its id).
_HELD_MONTHS = (
    "SELECT referral.municipality_id AS mun, {month} AS m FROM appointment "
    "JOIN referral ON referral.id = appointment.referral_id "
    "WHERE appointment.referral_id = {referral} AND appointment.status = 'held'"
)
# The months with a held appointment of the referrals with a partner referral in a theme.
_THEME_MONTHS = (
    "SELECT referral.municipality_id AS mun, {month} AS m FROM partner_referral "
    "JOIN appointment ON appointment.referral_id = partner_referral.referral_id "
    "AND appointment.status = 'held' "
    "JOIN referral ON referral.id = partner_referral.referral_id "
    "WHERE partner_referral.theme_id = NEW.id"
)


def _month(dialect: str, moment: str) -> str:
    if dialect == "postgresql":
        return f"CAST(date_trunc('month', {moment}) AS date)"
    return f"date({moment}, 'start of month')"


def _differs(dialect: str, column: str) -> str:
    operator = "IS DISTINCT FROM" if dialect == "postgresql" else "IS NOT"
    return f"OLD.{column} {operator} NEW.{column}"


def _mark(dialect: str, selects: list[str]) -> str:
    """Add one to the version of every (municipality, month) the selects give."""
    # Fixed text: the selects are made here from the constants above, never from input.
    return (
        "INSERT INTO report_month (municipality_id, month, version) "  # noqa: S608
        f"SELECT DISTINCT mun, m, 1 FROM ({' UNION ALL '.join(selects)}) AS marks "
        "WHERE mun IS NOT NULL AND m IS NOT NULL "
        # One order for every statement's row locks (PostgreSQL), so that two of them that
        # mark the same months never wait for each other in a circle.
        "ORDER BY mun, m "
        "ON CONFLICT (municipality_id, month) DO UPDATE SET version = report_month.version + 1"
    )


def _selects(dialect: str, table: _Table, row: str) -> list[str]:
    selects = [
        f"SELECT {mun.format(r=row)} AS mun, {_month(dialect, moment.format(r=row))} AS m"
        for mun, moment in table.marks
    ]
    if table.held_months:
        month = _month(dialect, "appointment.starts_at")
        selects.append(_HELD_MONTHS.format(month=month, referral=f"{row}.referral_id"))
    if table.name == "theme":
        selects.append(_THEME_MONTHS.format(month=_month(dialect, "appointment.starts_at")))
    return selects


def _children(dialect: str, row: str, only_if: str | None = None) -> str:
    select = _CHILDREN.format(
        mun=f"{row}.municipality_id",
        r=row,
        month_starts=_month(dialect, "starts_at"),
        month_held=_month(dialect, "held_on"),
        month_referred=_month(dialect, "referred_on"),
    )
    if only_if is None:
        return select
    # Every branch of the union filtered: a referral that stays in its municipality reads
    # none of its rows.
    return " UNION ALL ".join(f"{part} AND {only_if}" for part in select.split(" UNION ALL "))


def _bodies(dialect: str, table: _Table) -> dict[str, tuple[str, str | None]]:
    """Per trigger event, (the marking statement, the WHEN condition)."""
    insert = _selects(dialect, table, "NEW")
    update = _selects(dialect, table, "OLD") + _selects(dialect, table, "NEW")
    delete = _selects(dialect, table, "OLD")
    if table.name == "referral":
        moved = _differs(dialect, "municipality_id")
        update += [_children(dialect, "OLD", moved), _children(dialect, "NEW", moved)]
        delete.append(_children(dialect, "OLD"))
    changed = " OR ".join(_differs(dialect, column) for column in table.columns)
    bodies = {
        "INSERT": (_mark(dialect, insert), None),
        "UPDATE": (_mark(dialect, update), changed),
        "DELETE": (_mark(dialect, delete), None),
    }
    return {operation: bodies[operation] for operation in table.operations}


def _trigger_name(table: str, operation: str) -> str:
    return f"report_mark_{table}_{operation.lower()}"


def _timing(table: str, operation: str) -> str:
    # A referral's rows are still there before it goes (its cascade removes them after).
    return "BEFORE" if table == "referral" and operation == "DELETE" else "AFTER"


def create_statements(dialect: str) -> list[str]:
    """The DDL of every marking trigger, for this dialect ('sqlite' or 'postgresql')."""
    statements = []
    for table in TABLES:
        for operation, (body, condition) in _bodies(dialect, table).items():
            name = _trigger_name(table.name, operation)
            timing = _timing(table.name, operation)
            when = f" WHEN ({condition})" if condition else ""
            if dialect == "postgresql":
                returned = "OLD" if timing == "BEFORE" else "NULL"
                statements.append(
                    f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS "
                    f"$$ BEGIN {body}; RETURN {returned}; END $$"
                )
                statements.append(f"DROP TRIGGER IF EXISTS {name} ON {table.name}")
                statements.append(
                    f"CREATE TRIGGER {name} {timing} {operation} ON {table.name} "
                    f"FOR EACH ROW{when} EXECUTE FUNCTION {name}()"
                )
            else:
                statements.append(f"DROP TRIGGER IF EXISTS {name}")
                statements.append(
                    f"CREATE TRIGGER {name} {timing} {operation} ON {table.name} "
                    f"FOR EACH ROW{when} BEGIN {body}; END"
                )
    return statements


def drop_statements(dialect: str) -> list[str]:
    statements = []
    for table in TABLES:
        for operation in table.operations:
            name = _trigger_name(table.name, operation)
            if dialect == "postgresql":
                statements.append(f"DROP TRIGGER IF EXISTS {name} ON {table.name}")
                statements.append(f"DROP FUNCTION IF EXISTS {name}()")
            else:
                statements.append(f"DROP TRIGGER IF EXISTS {name}")
    return statements


def trigger_names() -> set[str]:
    return {
        _trigger_name(table.name, operation) for table in TABLES for operation in table.operations
    }


def installed_triggers(connection: Connection) -> set[str]:
    """The marking triggers the database holds: a table rebuilt by a migration on SQLite
    (batch mode) loses its triggers, and the migrations' test checks that none is missing."""
    if connection.dialect.name == "postgresql":
        rows = connection.execute(
            text(
                "SELECT tgname FROM pg_trigger "
                "WHERE tgname LIKE 'report_mark_%' AND NOT tgisinternal"
            )
        )
    else:
        rows = connection.execute(
            text(
                "SELECT name FROM sqlite_master "
                "WHERE type = 'trigger' AND name LIKE 'report_mark_%'"
            )
        )
    return {str(name) for (name,) in rows}


def install(connection: Connection) -> None:
    for statement in create_statements(connection.dialect.name):
        connection.exec_driver_sql(statement)


def listen(metadata: MetaData) -> None:
    """Create the triggers whenever the schema is created from the models (the tests, a new
    database); the migrations create them with the same statements."""

    def after_create(_target: Any, connection: Connection, **_kw: Any) -> None:
        install(connection)

    event.listen(metadata, "after_create", after_create)
