"""Importing the population register's new registrations: columns, preview, import, undo."""

from __future__ import annotations

import io
import logging
from datetime import timedelta

import pytest
from openpyxl import Workbook
from selectolax.parser import HTMLParser
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import (
    AccessLogEntry,
    ImportStatus,
    Notification,
    Person,
    Referral,
    ReferralState,
    RegisterImport,
    RegisterImportRow,
    RegisterMapping,
    Role,
    TimelineEvent,
)
from portal.referrals import lifecycle
from portal.register.rows import FIELDS

from .conftest import NOW, csrf_token
from .factories import add_referral, add_user

HEADER = "Naam;Voornaam;Geboortedatum;Datum inschrijving;Adres;Telefoon;Nationaliteit"
ROWS = [
    "Haddad;Rania;03/04/1990;04/11/2026;Kerkstraat 1;0470 12 34 56;Syrië",  # known person
    "Kovalenko;Olena;1985;02/11/2026;Dorpsplein 3;;Oekraïne",  # new
    ";;1980;01/11/2026;Molenweg 2;;",  # no name
    "Tesfaye;Selam;1999;31/02/2026;Beekstraat 9;;Eritrea",  # impossible date
    "Kovalenko;Olena;1985;02/11/2026;Dorpsplein 3;;Oekraïne",  # same as line 3
]
COLUMNS = {
    "last_name": "Naam",
    "first_name": "Voornaam",
    "birth": "Geboortedatum",
    "registered_on": "Datum inschrijving",
    "address": "Adres",
    "phone": "Telefoon",
    "nationality": "Nationaliteit",
    "default_language": "nl",
}


def csv_file(lines: list[str], encoding: str = "utf-8") -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def upload(client, world, data: bytes, name: str = "inschrijvingen.csv", municipality=None):
    return client.post(
        "/register-import/",
        {
            "municipality": str((municipality or world.municipality).id),
            "file": (io.BytesIO(data), name),
        },
        content_type="multipart/form-data",
    )


def latest_import() -> RegisterImport:
    return db.session.scalars(select(RegisterImport).order_by(RegisterImport.id.desc())).first()


def choose_columns(client, register_import, **changes):
    # A browser sends every select of the form, the unchosen ones empty.
    values = {**{f: "" for f in FIELDS}, **COLUMNS, **changes}
    return client.post(f"/register-import/{register_import.id}/columns", values)


def previewed(client, world, lines=None):
    response = upload(client, world, csv_file([HEADER, *(lines or ROWS)]))
    assert response.status_code == 303, response.get_data(as_text=True)
    register_import = latest_import()
    assert choose_columns(client, register_import).status_code == 303
    return register_import


def outcomes(html: str) -> dict[int, tuple[str, str]]:
    tree = HTMLParser(html)
    return {
        int(row.attributes["data-line"]): (
            row.css_first(".outcome").attributes["data-outcome"],
            row.css_first(".reason").text(strip=True),
        )
        for row in tree.css("#import-rows tbody tr")
    }


def counts(html: str) -> dict[str, int]:
    tree = HTMLParser(html)
    return {
        a.attributes["data-outcome"]: int(a.css_first("strong").text())
        for a in tree.css("#import-counts a[data-outcome]")
    }


def message(html: str) -> str:
    node = HTMLParser(html).css_first("#import-message")
    return node.text(strip=True) if node else ""


def field_error(html: str, field: str) -> str:
    node = HTMLParser(html).css_first(f"#{field}-error")
    return node.text(strip=True) if node else ""


@pytest.fixture
def as_lead(client, world):
    client.login(world.lead.email)
    return client


@pytest.fixture
def known(world):
    """Rania Haddad (1990, +32470123456) registered at the desk a month ago, closed since."""
    referral = add_referral(db.session, world, at=NOW - timedelta(days=30))
    referral.state = ReferralState.CLOSED
    referral.outcome = "completed"
    db.session.commit()
    return referral


def test_the_lead_finds_the_import_on_vandaag(as_lead):
    html = as_lead.get("/lead/").get_data(as_text=True)
    links = [a.attributes.get("href") for a in HTMLParser(html).css("main a")]
    assert "/register-import/" in links


def test_first_import_guesses_columns_and_the_next_one_prefills_the_saved_choice(as_lead, world):
    upload(
        as_lead, world, csv_file(["Familienaam;Voornaam;Inschrijving;Straat", "A;B;1/11/2026;x"])
    )
    first = latest_import()
    tree = HTMLParser(as_lead.get(f"/register-import/{first.id}/columns").get_data(as_text=True))
    assert tree.css_first("#last_name option[selected]").attributes["value"] == "Familienaam"
    assert tree.css_first("#registered_on option[selected]").attributes["value"] == "Inschrijving"

    response = choose_columns(
        as_lead,
        first,
        last_name="Familienaam",
        first_name="Voornaam",
        registered_on="Inschrijving",
        address="Straat",
        birth="",
        phone="",
        nationality="",
        default_language="ar",
    )
    assert response.status_code == 303
    saved = db.session.get(RegisterMapping, world.municipality.id)
    assert saved is not None and saved.default_language_code == "ar"

    upload(
        as_lead, world, csv_file(["Straat;Familienaam;Inschrijving;Voornaam", "x;A;1/11/2026;B"])
    )
    tree = HTMLParser(
        as_lead.get(f"/register-import/{latest_import().id}/columns").get_data(as_text=True)
    )
    assert tree.css_first("#address option[selected]").attributes["value"] == "Straat"
    assert tree.css_first("#default_language option[selected]").attributes["value"] == "ar"


def test_a_required_column_left_out_is_said_next_to_it(as_lead, world):
    upload(as_lead, world, csv_file([HEADER, *ROWS]))
    response = choose_columns(as_lead, latest_import(), registered_on="")
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "registered_on")


def test_preview_gives_every_row_its_outcome_with_line_numbers(as_lead, world, known):
    register_import = previewed(as_lead, world)
    html = as_lead.get(f"/register-import/{register_import.id}").get_data(as_text=True)
    rows = outcomes(html)
    assert {line: outcome for line, (outcome, _r) in rows.items()} == {
        2: "existing_person",
        3: "new_person",
        4: "refused",
        5: "refused",
        6: "refused",
    }
    assert rows[4][1] == "Geen naam."
    assert rows[5][1] == "De datum van inschrijving bestaat niet."
    assert rows[6][1] == "Dezelfde persoon als op regel 3."
    assert counts(html) == {
        "new_person": 1,
        "existing_person": 1,
        "already_open": 0,
        "refused": 3,
    }
    # Nothing is in the queue before the lead confirms.
    assert db.session.scalar(select(func.count()).select_from(Referral)) == 1


def test_a_person_with_an_open_file_here_gets_no_second_one(as_lead, world):
    add_referral(db.session, world, at=NOW - timedelta(days=3))
    register_import = previewed(as_lead, world, ROWS[:1])
    html = as_lead.get(f"/register-import/{register_import.id}").get_data(as_text=True)
    assert outcomes(html)[2][0] == "already_open"


def test_confirm_puts_referrals_in_the_queue_from_bevolkingsregister_and_joins_known_persons(
    as_lead, world, known
):
    register_import = previewed(as_lead, world)
    response = as_lead.post(f"/register-import/{register_import.id}/confirm", {})
    assert response.status_code == 303
    made = db.session.scalars(
        select(Referral).where(Referral.id != known.id).order_by(Referral.id)
    ).all()
    assert len(made) == 2
    assert {r.source_service.name for r in made} == {"Bevolkingsregister"}
    assert {r.state for r in made} == {ReferralState.NEW}
    assert all(r.dutch_difficult is None and r.has_work is None for r in made)
    assert {r.legal_basis for r in made} == {"public_task"}
    first_events = db.session.scalars(
        select(TimelineEvent.kind).where(TimelineEvent.referral_id.in_([r.id for r in made]))
    ).all()
    assert first_events == ["registered_from_register"] * 2  # not "aan het loket"
    by_name = {r.person.full_name: r for r in made}
    rania, olena = by_name["Rania Haddad"], by_name["Olena Kovalenko"]
    assert rania.person_id == known.person_id  # joined, not doubled
    assert rania.contact_language_code == "ar"  # from the nationality
    assert olena.contact_language_code == "uk"
    assert db.session.scalar(select(func.count()).select_from(Person)) == 2
    # They are in the toeleiders' queue.
    world.toeleider.languages = list(world.toeleider.languages)
    db.session.commit()
    queue = as_lead.get("/queue/").get_data(as_text=True)
    assert "Olena Kovalenko" in queue
    # The staging rows keep what was made, not who it was about.
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(RegisterImportRow)
            .where(RegisterImportRow.cells.is_not(None) | RegisterImportRow.full_name.is_not(None))
        )
        == 0
    )


def test_an_import_notifies_nobody_of_each_referral(as_lead, world):
    add_user(db.session, "t2@lindeveld.be", [Role.TOELEIDER], [world.municipality])
    db.session.commit()
    register_import = previewed(as_lead, world)
    as_lead.post(f"/register-import/{register_import.id}/confirm", {})
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0


def test_a_failure_half_way_leaves_nothing_and_says_so(as_lead, world, monkeypatch):
    register_import = previewed(as_lead, world)
    from portal.register import importing

    calls = []

    def failing(referral_id, year):
        calls.append(referral_id)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return f"{year}-{referral_id:06d}"

    monkeypatch.setattr(importing, "reference_for", failing)
    response = as_lead.post(f"/register-import/{register_import.id}/confirm", {})
    assert response.status_code == 500
    assert "Er is niets geïmporteerd" in message(response.get_data(as_text=True))
    assert db.session.scalar(select(func.count()).select_from(Referral)) == 0
    assert db.session.scalar(select(func.count()).select_from(Person)) == 0
    db.session.expire_all()
    assert db.session.get(RegisterImport, register_import.id).status is ImportStatus.PREVIEWED


def test_a_second_confirmation_makes_nothing_twice(as_lead, world):
    register_import = previewed(as_lead, world)
    as_lead.post(f"/register-import/{register_import.id}/confirm", {})
    made = db.session.scalar(select(func.count()).select_from(Referral))
    response = as_lead.post(f"/register-import/{register_import.id}/confirm", {})
    assert response.status_code == 409
    assert made == 2
    assert db.session.scalar(select(func.count()).select_from(Referral)) == made


def test_undo_within_a_day_removes_exactly_what_the_import_made(as_lead, world, known):
    register_import = previewed(as_lead, world)
    as_lead.post(f"/register-import/{register_import.id}/confirm", {})
    # A toeleider looked at the queue: the access log names the files.
    as_lead.get("/queue/")
    response = as_lead.post(f"/register-import/{register_import.id}/undo", {})
    assert response.status_code == 303
    assert db.session.scalars(select(Referral.id)).all() == [known.id]
    # The known person stays, the new one is gone.
    assert db.session.scalars(select(Person.id)).all() == [known.person_id]
    db.session.expire_all()
    assert db.session.get(RegisterImport, register_import.id).status is ImportStatus.UNDONE
    # The access log keeps naming the removed files by number.
    assert db.session.scalar(
        select(func.count())
        .select_from(AccessLogEntry)
        .where(AccessLogEntry.reference.is_not(None))
    )


def test_undo_is_refused_after_a_day(as_lead, world):
    register_import = previewed(as_lead, world)
    as_lead.post(f"/register-import/{register_import.id}/confirm", {})
    db.session.expire_all()
    done = db.session.get(RegisterImport, register_import.id)
    done.imported_at = NOW - timedelta(days=1, minutes=1)
    db.session.commit()
    response = as_lead.post(f"/register-import/{register_import.id}/undo", {})
    assert response.status_code == 409
    assert "tot een dag" in message(response.get_data(as_text=True))
    assert db.session.scalar(select(func.count()).select_from(Referral)) == 2


def test_undo_is_refused_as_a_whole_once_a_referral_was_claimed(as_lead, world):
    register_import = previewed(as_lead, world)
    as_lead.post(f"/register-import/{register_import.id}/confirm", {})
    referral = db.session.scalars(select(Referral).order_by(Referral.id.desc())).first()
    lifecycle.claim(db.session, referral.id, world.toeleider, NOW)
    db.session.commit()
    response = as_lead.post(f"/register-import/{register_import.id}/undo", {})
    assert response.status_code == 409
    assert "1 van de doorverwijzingen" in message(response.get_data(as_text=True))
    assert db.session.scalar(select(func.count()).select_from(Referral)) == 2


@pytest.mark.parametrize(
    ("data", "name", "expected"),
    [
        (b"\xff\xfe\x00\xd8\x00", "x.csv", "niet te lezen"),
        (b"Naam;Voornaam\nA;B\n", "x.csv", "Kies een kolom voor"),
        (b"\xd0\xcf\x11\xe0" + b"\0" * 100, "x.xls", "oud Excel-bestand"),
        (b"PK\x03\x04 broken", "x.xlsx", "geen leesbaar Excel-bestand"),
        (b"Naam\n", "x.csv", "geen rijen"),
    ],
)
def test_a_broken_file_gets_a_clear_message_and_imports_nothing(
    as_lead, world, data, name, expected
):
    response = upload(as_lead, world, data, name)
    if response.status_code == 303:  # readable, but without a registration date column
        response = choose_columns(as_lead, latest_import(), registered_on="")
        assert response.status_code == 422
        assert field_error(response.get_data(as_text=True), "registered_on")
        assert db.session.scalar(select(func.count()).select_from(Referral)) == 0
        return
    assert response.status_code == 422
    assert expected in field_error(response.get_data(as_text=True), "file")
    assert db.session.scalar(select(func.count()).select_from(RegisterImport)) == 0


def test_a_cp1252_file_is_read_and_says_so(as_lead, world):
    lines = [HEADER, "Lefèvre;Zoë;1990;02/11/2026;Rue Général 4;;Frankrijk"]
    response = upload(as_lead, world, csv_file(lines, "cp1252"))
    assert response.status_code == 303
    register_import = latest_import()
    assert register_import.encoding == "Windows-1252"
    html = as_lead.get(f"/register-import/{register_import.id}/columns").get_data(as_text=True)
    assert "Windows-1252" in html
    choose_columns(as_lead, register_import)
    row = db.session.scalars(select(RegisterImportRow)).one()
    assert row.full_name == "Zoë Lefèvre"


def test_formulas_in_a_csv_are_text_and_never_a_name(as_lead, world):
    register_import = previewed(
        as_lead, world, ['=HYPERLINK("http://x");Olena;1985;02/11/2026;Dorpsplein 3;;']
    )
    row = db.session.scalars(
        select(RegisterImportRow).where(RegisterImportRow.import_id == register_import.id)
    ).one()
    assert row.outcome == "refused"
    assert row.full_name is None


def _xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_xlsx_formula_without_a_value_is_refused(as_lead, world):
    # openpyxl writes formulas without a calculated value, as a program that never opened
    # the file would.
    data = _xlsx([HEADER.split(";"), ["Kovalenko", "Olena", 1985, "=TODAY()", "Dorpsplein 3"]])
    response = upload(as_lead, world, data, "x.xlsx")
    assert response.status_code == 422
    assert "Cel D2 bevat een formule" in field_error(response.get_data(as_text=True), "file")


def test_an_xlsx_file_is_read_with_its_dates(as_lead, world):
    from datetime import datetime

    data = _xlsx(
        [HEADER.split(";"), ["Kovalenko", "Olena", 1985, datetime(2026, 11, 2), "Dorpsplein 3"]]
    )
    response = upload(as_lead, world, data, "x.xlsx")
    assert response.status_code == 303
    choose_columns(as_lead, latest_import())
    row = db.session.scalars(select(RegisterImportRow)).one()
    assert row.outcome == "new_person"
    assert row.registered_on.isoformat() == "2026-11-02"


def test_a_file_over_10_mb_is_refused_before_it_is_read(as_lead, world):
    # The body is built by hand: the test client would spool a file this large to disk.
    boundary = "grens"
    token = csrf_token(as_lead.client, "/register-import/")
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}',
        f'--{boundary}\r\nContent-Disposition: form-data; name="municipality"\r\n\r\n'
        f"{world.municipality.id}",
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="groot.csv"'
        "\r\nContent-Type: text/csv\r\n\r\n",
    ]
    body = (
        "\r\n".join(parts).encode() + b"x" * (50 * 1024 * 1024) + f"\r\n--{boundary}--\r\n".encode()
    )
    response = as_lead.client.post(
        "/register-import/",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 413
    assert "groter dan 10 MB" in field_error(response.get_data(as_text=True), "file")
    assert db.session.scalar(select(func.count()).select_from(RegisterImport)) == 0


def test_other_routes_keep_the_one_megabyte_limit(as_lead, world):
    response = as_lead.post("/desk/", {"note": "x" * (2 * 1024 * 1024)})
    assert response.status_code == 413


def test_a_lead_of_another_municipality_a_desk_worker_and_an_admin_get_nothing(client, world):
    lead = add_user(db.session, "lead@beekmere.be", [Role.LEAD], [world.other_municipality])
    db.session.commit()
    client.login(world.lead.email)
    register_import = previewed(client, world)
    client.post("/logout", {})
    client.login(lead.email)
    assert client.get(f"/register-import/{register_import.id}").status_code == 404
    assert client.post(f"/register-import/{register_import.id}/confirm", {}).status_code == 404
    assert upload(client, world, csv_file([HEADER, *ROWS])).status_code == 422
    for user in (world.desk, world.admin):
        client.post("/logout", {})
        client.login(user.email)
        assert client.get("/register-import/").status_code == 403
        assert client.get(f"/register-import/{register_import.id}").status_code == 403


def test_no_resident_data_reaches_the_application_log(as_lead, world, caplog, monkeypatch):
    caplog.set_level(logging.DEBUG)
    register_import = previewed(as_lead, world)
    as_lead.post(f"/register-import/{register_import.id}/confirm", {})
    text = caplog.text
    for value in ("Kovalenko", "Haddad", "Olena", "Dorpsplein", "0470"):
        assert value not in text


def test_the_preview_listing_is_on_the_access_log(as_lead, world, known):
    add_referral(
        db.session,
        world,
        at=NOW - timedelta(days=3),
        full_name="Olena Kovalenko",
        birth_year=1985,
        phone=None,
        address="Dorpsplein 3",
    )
    register_import = previewed(as_lead, world)
    as_lead.get(f"/register-import/{register_import.id}")
    actions = db.session.scalars(
        select(AccessLogEntry.action).where(AccessLogEntry.user_id == world.lead.id)
    ).all()
    assert "register_import" in actions


def test_the_desk_cannot_choose_the_population_register_as_a_source(client, world):
    from portal.register.importing import register_service

    register_service(db.session, world.municipality.id)
    db.session.commit()
    client.login(world.desk.email)
    form = HTMLParser(client.get("/desk/").get_data(as_text=True))
    offered = [o.text(strip=True) for o in form.css("#source_service option")]
    assert "Onthaal" in offered and "Bevolkingsregister" not in offered
