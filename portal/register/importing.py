"""An import of the population register's new registrations: stage, preview, import, undo.

The file is staged row by row (RegisterImportRow) as soon as it is read, so that every step
after the upload works from the database, on whichever host serves it. Choosing the columns
gives every row its outcome; confirming makes all referrals in one transaction or none;
undoing within UNDO_WINDOW removes them all again, or refuses as a whole.

A register row answers none of the three indicator questions and records no consent: its
referral has the indicators unknown (None) and the municipality's public task as legal basis.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, delete, exists, func, insert, or_, select, update

from ..audit import detach_removed_files
from ..desk.intake import reference_for
from ..desk.rules import residence
from ..extensions import DbSession
from ..formtools import given
from ..labels import CLOSING_OUTCOME_LABELS
from ..models import (
    OPEN_STATES,
    ImportKind,
    ImportStatus,
    Language,
    Person,
    PersonJoin,
    Referral,
    ReferralState,
    RegisterImport,
    RegisterImportRow,
    RegisterMapping,
    RowOutcome,
    SearchKey,
    Service,
    TimelineEvent,
    User,
)
from ..persons.matching import served_municipality_ids
from ..referrals.lifecycle import priority_at
from ..search.keys import keys_for
from ..settings import queue_weights
from . import history
from .reading import RegisterFile
from .rows import (
    Registration,
    RowReader,
    RowRefused,
    fields_of,
    language_lookup,
    required_fields_of,
)

SOURCE_NAME = "Bevolkingsregister"
# The source of the files an import of earlier registrations makes (ImportKind.HISTORY).
HISTORY_SOURCE_NAME = "Eerdere registratie"
# The sources only an import gives a referral.
IMPORT_SOURCE_NAMES = (SOURCE_NAME, HISTORY_SOURCE_NAME)
# The first event of an imported referral's timeline (the desk's is "registered").
REGISTERED_FROM_REGISTER = "registered_from_register"
LEGAL_BASIS = "public_task"
UNDO_WINDOW = timedelta(days=1)
# Lists of ids go to the database in pieces this long: well within every backend's limit on
# the parameters of one statement.
CHUNK = 900

T = TypeVar("T")


class ImportRefused(Exception):
    """The step cannot be taken; `message` says why in Dutch."""

    def __init__(self, message: object):
        super().__init__(str(message))
        self.message = str(message)


def _chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# Upload ------------------------------------------------------------------------------------


def stage_file(
    session: DbSession,
    register_file: RegisterFile,
    *,
    municipality_id: int,
    file_name: str,
    actor: User,
    at: datetime,
    kind: ImportKind = ImportKind.REGISTER,
) -> RegisterImport:
    """Store a file's rows as an import waiting for its columns; the caller commits.

    Previews nobody confirmed within UNDO_WINDOW are dropped here: their rows hold personal
    data that was never imported.
    """
    session.execute(
        delete(RegisterImport)
        .where(RegisterImport.status.in_([ImportStatus.UPLOADED, ImportStatus.PREVIEWED]))
        .where(RegisterImport.created_at < at - UNDO_WINDOW)
        .execution_options(synchronize_session=False)
    )
    register_import = RegisterImport(
        municipality_id=municipality_id,
        kind=kind,
        status=ImportStatus.UPLOADED,
        file_name=file_name[:200] or "bestand",
        encoding=register_file.encoding,
        header=json.dumps(register_file.header, ensure_ascii=False),
        row_count=len(register_file.rows),
        created_by_id=actor.id,
        created_at=at,
    )
    session.add(register_import)
    session.flush()
    session.execute(
        insert(RegisterImportRow),
        [
            {
                "import_id": register_import.id,
                "line": line,
                "cells": json.dumps(cells, ensure_ascii=False),
                "created_person": False,
            }
            for line, cells in register_file.rows
        ],
    )
    return register_import


def header_of(register_import: RegisterImport) -> list[str]:
    return list(json.loads(register_import.header))


def columns_of(register_import: RegisterImport) -> dict[str, str] | None:
    """The columns chosen for this file's preview; None before they were chosen."""
    if register_import.columns is None:
        return None
    return dict(json.loads(register_import.columns))


# Mapping -----------------------------------------------------------------------------------


def saved_mapping(session: DbSession, municipality_id: int) -> tuple[dict[str, str], str | None]:
    """The columns chosen at the municipality's last import, and its default language."""
    mapping = session.get(RegisterMapping, municipality_id)
    if mapping is None:
        return {}, None
    return dict(json.loads(mapping.columns)), mapping.default_language_code


def save_mapping(
    session: DbSession,
    municipality_id: int,
    columns: dict[str, str],
    default_language_code: str,
    actor: User,
    at: datetime,
) -> None:
    """Keep the chosen columns for the municipality's next import; the caller commits."""
    mapping = session.get(RegisterMapping, municipality_id)
    if mapping is None:
        mapping = RegisterMapping(municipality_id=municipality_id)
        session.add(mapping)
    mapping.columns = json.dumps(columns, ensure_ascii=False, sort_keys=True)
    mapping.default_language_code = default_language_code
    mapping.updated_by_id = actor.id
    mapping.updated_at = at


def active_languages(session: DbSession) -> list[tuple[str, str]]:
    return [
        (code, name)
        for code, name in session.execute(
            select(Language.code, Language.name)
            .where(Language.active.is_(True))
            .order_by(Language.name)
        )
    ]


# Outcomes ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowResult:
    """What one row will become: its outcome, why, and the person it joins."""

    row_id: int
    line: int
    outcome: RowOutcome
    reason: str | None
    registration: Registration | None
    person_id: int | None = None
    # An open file of that person here: the row adds nothing.
    open_referral_id: int | None = None


def _reader(
    session: DbSession, register_import: RegisterImport, columns: dict[str, str], region: str
) -> RowReader:
    header = header_of(register_import)
    fields = fields_of(register_import.kind)
    required = required_fields_of(register_import.kind)
    missing = [field for field in required if columns.get(field) not in header]
    if missing:
        raise ImportRefused(
            _l(
                "Kies een kolom voor: %(fields)s.",
                fields=", ".join(str(fields[f]) for f in missing),
            )
        )
    absent = [h for h in columns.values() if h and h not in header]
    if absent:
        raise ImportRefused(
            _l("Het bestand heeft geen kolom '%(name)s'. Kies de kolommen opnieuw.", name=absent[0])
        )
    return RowReader(
        columns={field: header.index(h) for field, h in columns.items() if h and field in fields},
        today=register_import.created_at.date(),
        region=region,
        languages=language_lookup(active_languages(session)),
        default_language=register_import.default_language_code or "",
        with_history=register_import.kind is ImportKind.HISTORY,
    )


def evaluate(
    session: DbSession, register_import: RegisterImport, columns: dict[str, str], region: str
) -> list[RowResult]:
    """Every row's outcome: refused with a reason, or a registration for a new person, for a
    person known before, or for a person whose file here is still open (nothing to add).

    Persons are matched as the desk suggests them (same phone, or same name and birth year,
    in every municipality toeleiders serve) with a few IN queries for the whole file. The
    desk asks the resident; an import cannot, so it joins only when the name is the same too,
    and refuses a row that fits more than one person.
    """
    reader = _reader(session, register_import, columns, region)
    staged = session.execute(
        select(RegisterImportRow.id, RegisterImportRow.line, RegisterImportRow.cells)
        .where(RegisterImportRow.import_id == register_import.id)
        .order_by(RegisterImportRow.line)
    ).all()
    read: list[tuple[int, int, Registration | str]] = []
    for row_id, line, cells in staged:
        try:
            read.append((row_id, line, reader.read(json.loads(cells or "[]"))))
        except RowRefused as refused:
            read.append((row_id, line, str(refused)))
    registrations = [r for _id, _line, r in read if isinstance(r, Registration)]
    known = _known_persons(
        session,
        registrations,
        register_import.municipality_id,
        with_intakes=register_import.kind is ImportKind.HISTORY,
    )
    results = []
    first_line: dict[tuple[str, object], int] = {}
    for row_id, line, registration in read:
        if not isinstance(registration, Registration):
            results.append(RowResult(row_id, line, RowOutcome.REFUSED, registration, None))
            continue
        keys = _identity_keys(registration)
        earlier = next((first_line[k] for k in keys if k in first_line), None)
        if earlier is not None:
            reason = str(_l("Dezelfde persoon als op regel %(line)d.", line=earlier))
            results.append(RowResult(row_id, line, RowOutcome.REFUSED, reason, None))
            continue
        for key in keys:
            first_line[key] = line
        results.append(_matched(row_id, line, registration, known))
    return results


def _identity_keys(registration: Registration) -> list[tuple[str, object]]:
    keys: list[tuple[str, object]] = []
    if registration.birth_year is not None:
        keys.append(("name", (registration.name_key, registration.birth_year)))
    if registration.phone:
        keys.append(("phone", (registration.phone, registration.name_key)))
    if not keys:
        keys.append(("name", (registration.name_key, None)))
    return keys


@dataclass
class _Known:
    """A person found for some row: their details and their open file here, if any."""

    person_id: int
    name_key: str
    birth_year: int | None
    phone: str | None
    open_referral_id: int | None = None
    # The days their files here were registered (only read for earlier registrations).
    intake_days: set[date] = field(default_factory=set)


def _known_persons(
    session: DbSession,
    registrations: list[Registration],
    municipality_id: int,
    *,
    with_intakes: bool = False,
) -> dict[int, _Known]:
    """The persons any row may be about, with their open file in this municipality."""
    municipalities = sorted({*served_municipality_ids(session), municipality_id})
    names = sorted({r.name_key for r in registrations})
    phones = sorted({r.phone for r in registrations if r.phone})
    found: dict[int, _Known] = {}
    for column, values in ((Person.name_key, names), (Person.phone, phones)):
        for chunk in _chunks(values):
            rows = session.execute(
                select(Person.id, Person.name_key, Person.birth_year, Person.phone)
                .where(column.in_(chunk))
                .where(Person.anonymised_at.is_(None), Person.merged_into_id.is_(None))
                .where(
                    exists().where(
                        Referral.person_id == Person.id,
                        Referral.anonymised_at.is_(None),
                        Referral.municipality_id.in_(municipalities),
                    )
                )
            )
            for person_id, key, birth_year, phone in rows:
                found[person_id] = _Known(person_id, key, birth_year, phone)
    for id_chunk in _chunks(sorted(found)):
        for person_id, referral_id in session.execute(
            select(Referral.person_id, func.min(Referral.id))
            .where(Referral.person_id.in_(id_chunk))
            .where(Referral.municipality_id == municipality_id)
            .where(Referral.state.in_(OPEN_STATES), Referral.anonymised_at.is_(None))
            .group_by(Referral.person_id)
        ):
            found[person_id].open_referral_id = referral_id
        if not with_intakes:
            continue
        for person_id, created_at in session.execute(
            select(Referral.person_id, Referral.created_at)
            .where(Referral.person_id.in_(id_chunk))
            .where(Referral.municipality_id == municipality_id)
            .where(Referral.anonymised_at.is_(None))
        ):
            found[person_id].intake_days.add(created_at.date())
    return found


def _matched(
    row_id: int, line: int, registration: Registration, known: dict[int, _Known]
) -> RowResult:
    same_name = [
        k
        for k in known.values()
        if k.name_key == registration.name_key
        and (
            (registration.birth_year is not None and k.birth_year == registration.birth_year)
            or (registration.phone is not None and k.phone == registration.phone)
        )
    ]
    past = registration.history
    if past is not None:
        # The same name with a file here from the same day: this file, imported before (or
        # registered at the desk that day). Told apart by the day, even without a birth
        # year or phone to match on.
        twin = next(
            (
                k
                for k in known.values()
                if k.name_key == registration.name_key and past.intake_on in k.intake_days
            ),
            None,
        )
        if twin is not None:
            reason = str(
                _l(
                    "Deze persoon heeft hier al een dossier van %(day)s: niets toegevoegd.",
                    day=past.intake_on.strftime("%d/%m/%Y"),
                )
            )
            return RowResult(
                row_id, line, RowOutcome.ALREADY_OPEN, reason, registration, twin.person_id
            )
    if len(same_name) > 1:
        reason = str(
            _l(
                "Past bij meer dan één bestaande persoon. Registreer deze persoon aan het loket, "
                "waar u kunt kiezen."
            )
        )
        return RowResult(row_id, line, RowOutcome.REFUSED, reason, None)
    if same_name:
        person = same_name[0]
        # A closed file of the past may stand next to the file open now.
        closed_before = past is not None and past.closed_on is not None
        if person.open_referral_id is not None and not closed_before:
            reason = str(_l("Deze persoon heeft hier al een lopend dossier: niets toegevoegd."))
            return RowResult(
                row_id,
                line,
                RowOutcome.ALREADY_OPEN,
                reason,
                registration,
                person.person_id,
                person.open_referral_id,
            )
        return RowResult(
            row_id,
            line,
            RowOutcome.EXISTING_PERSON,
            _history_note(registration),
            registration,
            person.person_id,
        )
    note: str | None = None
    if registration.phone and any(k.phone == registration.phone for k in known.values()):
        note = str(
            _l(
                "Hetzelfde telefoonnummer als een bestaande persoon met een andere naam: "
                "als nieuwe persoon toegevoegd."
            )
        )
    note = " ".join(filter(None, (note, _history_note(registration)))) or None
    return RowResult(row_id, line, RowOutcome.NEW_PERSON, note, registration)


def _history_note(registration: Registration) -> str | None:
    """What the preview says of a history that the import completes."""
    past = registration.history
    if past is None:
        return None
    notes = []
    if past.held_on is not None and past.reached_on is None:
        notes.append(str(_l("Geen datum van bereik: bereikt op de dag van het gesprek.")))
    if past.outcome is not None:
        notes.append(
            str(
                _l(
                    "Afgesloten als '%(outcome)s', zoals in het bestand.",
                    outcome=CLOSING_OUTCOME_LABELS[past.outcome],
                )
            )
        )
    return " ".join(notes) or None


def store_outcomes(
    session: DbSession,
    register_import: RegisterImport,
    results: list[RowResult],
    default_language_code: str,
    columns: dict[str, str],
) -> None:
    """Write every row's outcome, and the columns it was read with, for the preview; the
    caller commits."""
    register_import.default_language_code = default_language_code
    register_import.columns = json.dumps(columns, ensure_ascii=False, sort_keys=True)
    register_import.status = ImportStatus.PREVIEWED
    session.flush()
    session.execute(
        update(RegisterImportRow),
        [
            {
                "id": r.row_id,
                "outcome": r.outcome,
                "reason": r.reason,
                "full_name": r.registration.full_name if r.registration else None,
                "birth_year": r.registration.birth_year if r.registration else None,
                "registered_on": r.registration.registered_on if r.registration else None,
                **_history_dates(r.registration),
                "person_id": r.person_id,
                "referral_id": r.open_referral_id,
            }
            for r in results
        ],
    )


def _history_dates(registration: Registration | None) -> dict[str, date | None]:
    past = registration.history if registration else None
    return {
        "intake_on": past.intake_on if past else None,
        "reached_on": past.reached_on if past else None,
        "held_on": past.held_on if past else None,
        "closed_on": past.closed_on if past else None,
    }


def outcome_counts(session: DbSession, import_id: int) -> dict[RowOutcome, int]:
    counts = dict(
        session.execute(
            select(RegisterImportRow.outcome, func.count())
            .where(RegisterImportRow.import_id == import_id)
            .group_by(RegisterImportRow.outcome)
        ).all()
    )
    return {outcome: int(counts.get(outcome, 0)) for outcome in RowOutcome}


def rows_statement(import_id: int, outcome: RowOutcome | None = None) -> Any:
    stmt = (
        select(RegisterImportRow)
        .where(RegisterImportRow.import_id == import_id)
        .order_by(RegisterImportRow.line)
    )
    if outcome is not None:
        stmt = stmt.where(RegisterImportRow.outcome == outcome)
    return stmt


# Importing ---------------------------------------------------------------------------------


def register_service(
    session: DbSession, municipality_id: int, kind: ImportKind = ImportKind.REGISTER
) -> Service:
    """The municipality's service "Bevolkingsregister", the source of imported referrals;
    for earlier registrations "Eerdere registratie"."""
    name = HISTORY_SOURCE_NAME if kind is ImportKind.HISTORY else SOURCE_NAME
    service = session.scalar(
        select(Service).where(Service.name == name, Service.municipality_id == municipality_id)
    )
    if service is None:
        service = Service(name=name, municipality_id=municipality_id, is_partner=False)
        session.add(service)
        session.flush()
    return service


@dataclass(frozen=True)
class ImportResult:
    referrals: int
    new_persons: int


def import_rows(
    session: DbSession,
    register_import: RegisterImport,
    *,
    columns: dict[str, str],
    region: str,
    actor: User,
    at: datetime,
) -> ImportResult:
    """Make the previewed referrals, all in the caller's transaction; the caller commits,
    and on any error rolls back, so that an import is made whole or not at all.

    The rows are read again: when an outcome changed since the preview (a person was
    registered at the desk meanwhile), nothing is made and ImportRefused asks to look again.
    """
    # The write lock first: of two confirmations at once, one finds the status changed.
    claimed = session.execute(
        update(RegisterImport)
        .where(
            RegisterImport.id == register_import.id,
            RegisterImport.status == ImportStatus.PREVIEWED,
        )
        .values(status=ImportStatus.IMPORTED, imported_at=at, imported_by_id=actor.id)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise ImportRefused(_l("Dit bestand werd al geïmporteerd of geannuleerd."))
    results = evaluate(session, register_import, columns, region)
    previewed = {
        row_id: (outcome, person_id)
        for row_id, outcome, person_id in session.execute(
            select(
                RegisterImportRow.id, RegisterImportRow.outcome, RegisterImportRow.person_id
            ).where(RegisterImportRow.import_id == register_import.id)
        )
    }
    if any(previewed.get(r.row_id) != (r.outcome, r.person_id) for r in results):
        raise ImportRefused(
            _l(
                "Sinds het voorbeeld veranderde er iets aan de bestaande personen. Er is niets "
                "geïmporteerd: bekijk het voorbeeld opnieuw."
            )
        )
    made = [r for r in results if r.outcome in (RowOutcome.NEW_PERSON, RowOutcome.EXISTING_PERSON)]
    service = register_service(session, register_import.municipality_id, register_import.kind)
    weights = queue_weights(session)
    existing = {
        p.id: p
        for chunk in _chunks(sorted({r.person_id for r in made if r.person_id}))
        for p in session.scalars(select(Person).where(Person.id.in_(chunk)))
    }
    new_persons: dict[int, Person] = {}
    referrals: dict[int, Referral] = {}
    for result in made:
        registration = given(result.registration)
        if result.person_id is None:
            person = Person(
                full_name=registration.full_name,
                name_key=registration.name_key,
                birth_year=registration.birth_year,
                phone=registration.phone,
                email=registration.email,
                address=registration.address,
                created_at=at,
            )
            new_persons[result.row_id] = person
        else:
            person = existing[result.person_id]
        referral = Referral(
            person=person,
            municipality_id=register_import.municipality_id,
            state=ReferralState.NEW,
            dutch_difficult=None,
            has_work=None,
            has_children=None,
            contact_language_code=registration.language_code,
            adults=1,
            registered_on=registration.registered_on,
            is_newcomer=residence(registration.registered_on, at.date()).is_newcomer,
            source_service_id=service.id,
            consent_given=False,
            legal_basis=LEGAL_BASIS,
            consent_recorded_by_id=actor.id,
            consent_recorded_at=at,
            created_by_id=actor.id,
            created_at=at,
        )
        if registration.history is not None:
            history.shape(referral, registration.history, registration.registered_on, actor)
        referral.priority_at = priority_at(referral.created_at, referral, weights)
        referrals[result.row_id] = referral
    session.add_all(new_persons.values())
    session.add_all(referrals.values())
    session.flush()
    for referral in referrals.values():
        # Derived from the primary key, as at the desk: no two files share a number.
        referral.reference = reference_for(referral.id, referral.created_at.year)
    session.flush()
    lines = {r.row_id: r.line for r in made}
    if register_import.kind is ImportKind.HISTORY:
        history.record(
            session,
            [
                history.Made(referrals[r.row_id], given(given(r.registration).history), r.line)
                for r in made
            ],
            import_id=register_import.id,
            actor=actor,
            at=at,
        )
    else:
        _register_events(session, register_import, referrals, lines, actor, at)
    _insert(
        session,
        SearchKey,
        [
            {"person_id": person.id, "kind": kind, "value": value}
            for person in new_persons.values()
            for kind, value in keys_for(person)
        ],
    )
    _clear_rows(session, results, new_persons, referrals)
    # Toeleiders hear of no single referral here: hundreds of notifications from one file
    # would bury the ones about real events, and the queue shows these referrals anyway.
    return ImportResult(referrals=len(referrals), new_persons=len(new_persons))


def _register_events(
    session: DbSession,
    register_import: RegisterImport,
    referrals: dict[int, Referral],
    lines: dict[int, int],
    actor: User,
    at: datetime,
) -> None:
    _insert(
        session,
        TimelineEvent,
        [
            {
                "referral_id": referral.id,
                "at": at,
                "actor_id": actor.id,
                "kind": REGISTERED_FROM_REGISTER,
                "to_state": ReferralState.NEW,
                "detail": str(
                    _l(
                        "uit het bevolkingsregister (import %(id)d, regel %(line)d)",
                        id=register_import.id,
                        line=lines[row_id],
                    )
                ),
            }
            for row_id, referral in referrals.items()
        ],
    )


def _clear_rows(
    session: DbSession,
    results: list[RowResult],
    new_persons: dict[int, Person],
    referrals: dict[int, Referral],
) -> None:
    # What the import made, and no personal data any more: the rows were staged for this.
    session.execute(
        update(RegisterImportRow),
        [
            {
                "id": r.row_id,
                "cells": None,
                "full_name": None,
                "birth_year": None,
                "registered_on": None,
                **_history_dates(None),
                "person_id": (new_persons[r.row_id].id if r.row_id in new_persons else r.person_id),
                "referral_id": referrals[r.row_id].id
                if r.row_id in referrals
                else r.open_referral_id,
                "created_person": r.row_id in new_persons,
            }
            for r in results
        ],
    )


def _insert(session: DbSession, model: Any, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(model), rows)


# Undoing -----------------------------------------------------------------------------------


def made_referral_ids(session: DbSession, import_id: int) -> list[int]:
    return [
        i
        for i in session.scalars(
            select(RegisterImportRow.referral_id)
            .where(RegisterImportRow.import_id == import_id)
            .where(
                RegisterImportRow.outcome.in_([RowOutcome.NEW_PERSON, RowOutcome.EXISTING_PERSON]),
                RegisterImportRow.referral_id.is_not(None),
            )
        )
        if i is not None
    ]


def may_still_undo(register_import: RegisterImport, at: datetime) -> bool:
    return (
        register_import.status is ImportStatus.IMPORTED
        and register_import.imported_at is not None
        and at - register_import.imported_at <= UNDO_WINDOW
    )


def undo_import(
    session: DbSession, register_import: RegisterImport, *, actor: User, at: datetime
) -> int:
    """Remove every referral the import made, and the persons it created, within a day and
    while nobody worked on any of them; otherwise ImportRefused, and nothing is removed.
    The caller commits. Returns how many referrals were removed."""
    if register_import.status is not ImportStatus.IMPORTED:
        raise ImportRefused(_l("Deze import is niet (meer) ongedaan te maken."))
    if not may_still_undo(register_import, at):
        raise ImportRefused(
            _l("Een import kan tot een dag na het importeren ongedaan gemaakt worden, niet later.")
        )
    claimed = session.execute(
        update(RegisterImport)
        .where(
            RegisterImport.id == register_import.id,
            RegisterImport.status == ImportStatus.IMPORTED,
        )
        .values(status=ImportStatus.UNDONE, undone_at=at, undone_by_id=actor.id)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise ImportRefused(_l("Deze import werd intussen al ongedaan gemaakt."))
    ids = made_referral_ids(session, register_import.id)
    kinds = (
        history.HISTORY_EVENTS
        if register_import.kind is ImportKind.HISTORY
        else (REGISTERED_FROM_REGISTER,)
    )
    touched = sum(
        _touched(session, chunk, kinds, queued=register_import.kind is ImportKind.REGISTER)
        for chunk in _chunks(ids)
    )
    if touched:
        raise ImportRefused(
            _l(
                "%(n)d van de doorverwijzingen uit deze import werden intussen opgenomen of "
                "bewerkt. De import kan niet meer als geheel ongedaan gemaakt worden.",
                n=touched,
            )
        )
    created = [
        i
        for i in session.scalars(
            select(RegisterImportRow.person_id).where(
                RegisterImportRow.import_id == register_import.id,
                RegisterImportRow.created_person.is_(True),
                RegisterImportRow.person_id.is_not(None),
            )
        )
        if i is not None
    ]
    removable = [i for chunk in _chunks(created) for i in _removable_persons(session, chunk, ids)]
    for chunk in _chunks(ids):
        detach_removed_files(session, chunk)
        session.execute(
            delete(Referral)
            .where(Referral.id.in_(chunk))
            .execution_options(synchronize_session=False)
        )
    for chunk in _chunks(removable):
        session.execute(
            delete(Person).where(Person.id.in_(chunk)).execution_options(synchronize_session=False)
        )
    # What the rows name is gone now (the files they matched stay named).
    session.execute(
        update(RegisterImportRow)
        .where(
            RegisterImportRow.import_id == register_import.id,
            RegisterImportRow.outcome.in_([RowOutcome.NEW_PERSON, RowOutcome.EXISTING_PERSON]),
        )
        .values(referral_id=None, person_id=None)
        .execution_options(synchronize_session=False)
    )
    session.expire_all()
    return len(ids)


def _touched(
    session: DbSession, ids: Sequence[int], made_events: Sequence[str], *, queued: bool
) -> int:
    """How many of these referrals someone worked on: anything more on their timeline than
    the import wrote (a claim, a join, a correction, a note), or, of files the import left
    in the queue (`queued`), claimed or moved on; or anonymised, or gone.

    An import of earlier registrations makes files past the queue itself; every move made
    on them since is on their timeline."""
    worked: list[ColumnElement[bool]] = [
        Referral.anonymised_at.is_not(None),
        Referral.consent_withdrawn_at.is_not(None),
    ]
    if queued:
        worked += [
            Referral.state != ReferralState.NEW,
            Referral.owner_id.is_not(None),
            Referral.claimed_at.is_not(None),
        ]
    changed = set(
        session.scalars(select(Referral.id).where(Referral.id.in_(ids)).where(or_(*worked)))
    )
    changed |= set(
        session.scalars(
            select(TimelineEvent.referral_id)
            .where(TimelineEvent.referral_id.in_(ids), TimelineEvent.kind.not_in(made_events))
            .distinct()
        )
    )
    present = session.scalar(select(func.count()).select_from(Referral).where(Referral.id.in_(ids)))
    return len(changed) + (len(ids) - int(present or 0))


def _removable_persons(
    session: DbSession, person_ids: Iterable[int], removed: list[int]
) -> list[int]:
    """The persons the import created that nothing else holds on to: no other file, no join."""
    ids = list(person_ids)
    gone = set(removed)
    held = {
        person_id
        for referral_id, person_id in session.execute(
            select(Referral.id, Referral.person_id).where(Referral.person_id.in_(ids))
        )
        if referral_id not in gone
    }
    joined = set(
        session.scalars(select(PersonJoin.kept_id).where(PersonJoin.kept_id.in_(ids)))
    ) | set(session.scalars(select(PersonJoin.absorbed_id).where(PersonJoin.absorbed_id.in_(ids))))
    merged = set(session.scalars(select(Person.id).where(Person.merged_into_id.in_(ids))))
    return [i for i in ids if i not in held | joined | merged]
