"""Importing a municipality's earlier registrations with their history, for the reports."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import pytest
from openpyxl import Workbook
from selectolax.parser import HTMLParser
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import (
    Appointment,
    AppointmentStatus,
    ClosingOutcome,
    ContactAttempt,
    ImportKind,
    ImportStatus,
    Person,
    Referral,
    ReferralState,
    RegisterMapping,
    Role,
    TimelineEvent,
    UiLocale,
)
from portal.referrals import lifecycle
from portal.register.rows import FIELDS, HISTORY_FIELDS
from portal.reports.evaluation import evaluation_tables, work_year_period

from .conftest import NOW
from .factories import add_referral, add_user
from .test_register_import import counts, csv_file, field_error, latest_import, message, outcomes

HEADER = (
    "Naam;Voornaam;Geboortejaar;Datum inschrijving;Adres;Telefoon;"
    "Nederlands moeilijk;Werk;Kinderen;Intake;Bereikt;Gesprek;Afgesloten"
)
ROWS = [
    # line 2: reached in January, conversation in February, closed in March 2025
    "Amani;Noor;1991;02/01/2025;Kerkstraat 5;0470 11 22 33;ja;nee;ja;10/01/2025;15/01/2025;"
    "03/02/2025;20/03/2025",
    # line 3: reached in April, still open: contacted
    "Bakr;Omar;1988;01/03/2025;Dorpsplein 7;;nee;ja;nee;2025-03-05;2025-04-02;;",
    # line 4: never reached, still open: in the queue
    "Chen;Li;1975;10/05/2025;Molenweg 8;;;;;12/05/2025;;;",
    # line 5: a conversation in July without a day of reach; still open after it
    "Diallo;Awa;1990;01/06/2025;Beekstraat 2;;;;;20/06/2025;;10/07/2025;",
    # line 6 onwards: refused
    "Eze;Ada;1990;01/06/2025;Beekstraat 3;;;;;01/01/2027;;;",
    "Farah;Ali;1990;01/04/2025;Beekstraat 4;;;;;10/05/2025;01/05/2025;;",
    "Gomez;Ana;1990;01/04/2025;Beekstraat 5;;;;;01/05/2025;10/05/2025;05/05/2025;",
    "Haile;Sara;1990;01/04/2025;Beekstraat 6;;;;;01/05/2025;;10/05/2025;08/05/2025",
    "Idris;Musa;1990;01/04/2025;Beekstraat 7;;;;;31/02/2025;;;",
    "Jalloh;Fatu;1990;01/04/2025;Beekstraat 8;;;;;;;;",
    "Khan;Amir;1990;01/04/2025;Beekstraat 9;;misschien;;;01/05/2025;;;",
    "Lopez;Eva;1990;01/04/2025;Beekstraat 10;;;;;10/05/2025;;01/05/2025;",
]
COLUMNS = {
    "last_name": "Naam",
    "first_name": "Voornaam",
    "birth": "Geboortejaar",
    "registered_on": "Datum inschrijving",
    "address": "Adres",
    "phone": "Telefoon",
    "dutch_difficult": "Nederlands moeilijk",
    "has_work": "Werk",
    "has_children": "Kinderen",
    "intake_on": "Intake",
    "reached_on": "Bereikt",
    "held_on": "Gesprek",
    "closed_on": "Afgesloten",
    "default_language": "nl",
}
REFUSED = {
    6: "De datum van de intake ligt in de toekomst.",
    7: "De datum van bereik (01/05/2025) ligt vóór de datum van de intake (10/05/2025).",
    8: "De datum van het gesprek (05/05/2025) ligt vóór de datum van bereik (10/05/2025).",
    9: "De datum van afsluiting (08/05/2025) ligt vóór de datum van het gesprek (10/05/2025).",
    10: "De datum van de intake is niet te lezen: '31/02/2025'. Schrijf ze als dd/mm/jjjj.",
    11: "Geen datum van de intake.",
    12: "Nederlands moeilijk (ja/nee): antwoord met ja of nee, niet 'misschien'.",
    13: "De datum van het gesprek (01/05/2025) ligt vóór de datum van de intake (10/05/2025).",
}
PAST_YEAR = work_year_period(2025, "final")


def upload(client, world, data: bytes, name="eerder.csv", kind=ImportKind.HISTORY):
    return client.post(
        "/register-import/",
        {
            "kind": kind.value,
            "municipality": str(world.municipality.id),
            "file": (io.BytesIO(data), name),
        },
        content_type="multipart/form-data",
    )


def choose_columns(client, register_import, **changes):
    values = {**{f: "" for f in {**FIELDS, **HISTORY_FIELDS}}, **COLUMNS, **changes}
    return client.post(f"/register-import/{register_import.id}/columns", values)


def previewed(client, world, rows=None, data=None):
    response = upload(client, world, data or csv_file([HEADER, *(rows or ROWS)]))
    assert response.status_code == 303, response.get_data(as_text=True)
    register_import = latest_import()
    response = choose_columns(client, register_import)
    assert response.status_code == 303, response.get_data(as_text=True)
    return register_import


def confirmed(client, world, rows=None, data=None):
    register_import = previewed(client, world, rows, data)
    response = client.post(f"/register-import/{register_import.id}/confirm", {})
    assert response.status_code == 303, response.get_data(as_text=True)
    return register_import


def referral_of(last_name: str) -> Referral:
    return db.session.scalars(
        select(Referral).join(Person).where(Person.full_name.like(f"% {last_name}"))
    ).one()


def report(ids, from_files=False):
    return {
        t.key: (t.rows, t.totals)
        for t in evaluation_tables(db.session, ids, PAST_YEAR, from_files=from_files)
    }


@pytest.fixture
def as_lead(client, world):
    client.login(world.lead.email)
    return client


def test_the_kind_is_chosen_at_upload_and_the_columns_of_its_history_are_offered(as_lead, world):
    form = HTMLParser(as_lead.get("/register-import/").get_data(as_text=True))
    kinds = [i.attributes["value"] for i in form.css("input[name=kind]")]
    assert kinds == ["register", "history"]
    response = upload(as_lead, world, csv_file([HEADER, *ROWS]))
    assert response.status_code == 303
    register_import = latest_import()
    assert register_import.kind is ImportKind.HISTORY
    page = HTMLParser(
        as_lead.get(f"/register-import/{register_import.id}/columns").get_data(as_text=True)
    )
    guessed = {
        name: page.css_first(f"select#{name} option[selected]").attributes["value"]
        for name in HISTORY_FIELDS
    }
    # Guessed from the usual names of the columns.
    assert guessed["intake_on"] == "Intake"
    assert guessed["reached_on"] == "Bereikt"
    assert guessed["held_on"] == "Gesprek"
    assert guessed["closed_on"] == "Afgesloten"
    assert guessed["has_children"] == "Kinderen"
    # The intake is required for this kind.
    response = choose_columns(as_lead, register_import, intake_on="")
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "intake_on") == (
        "Kies de kolom die dit bevat."
    )


def test_a_file_of_the_register_offers_no_history_columns(as_lead, world):
    upload(as_lead, world, csv_file([HEADER, *ROWS]), kind=ImportKind.REGISTER)
    register_import = latest_import()
    assert register_import.kind is ImportKind.REGISTER
    page = HTMLParser(
        as_lead.get(f"/register-import/{register_import.id}/columns").get_data(as_text=True)
    )
    assert page.css_first("select#intake_on") is None
    assert page.css_first("select#last_name") is not None


def test_the_preview_gives_each_row_its_outcome_its_dates_and_each_refusal_its_line(as_lead, world):
    register_import = previewed(as_lead, world)
    html = as_lead.get(f"/register-import/{register_import.id}").get_data(as_text=True)
    found = outcomes(html)
    assert {line: found[line] for line in REFUSED} == {
        line: ("refused", reason) for line, reason in REFUSED.items()
    }
    assert [found[line][0] for line in (2, 3, 4, 5)] == ["new_person"] * 4
    assert found[5][1] == "Geen datum van bereik: bereikt op de dag van het gesprek."
    assert counts(html)["new_person"] == 4
    row = HTMLParser(html).css_first('#import-rows tr[data-line="2"]')
    dates = [
        row.css_first(f".{c}").text(strip=True) for c in ("intake", "reached", "held", "closed")
    ]
    assert dates == ["10/01/2025", "15/01/2025", "03/02/2025", "20/03/2025"]
    row = HTMLParser(html).css_first('#import-rows tr[data-line="3"]')
    assert row.css_first(".intake").text(strip=True) == "05/03/2025"  # read as yyyy-mm-dd
    assert row.css_first(".closed").text(strip=True) == ""
    # A history file's columns do not replace the register's columns of the municipality.
    assert db.session.get(RegisterMapping, world.municipality.id) is None


def test_confirming_makes_each_file_with_its_history_and_state(as_lead, world):
    register_import = confirmed(as_lead, world)
    db.session.refresh(register_import)
    assert register_import.status is ImportStatus.IMPORTED
    amani, bakr, chen, diallo = (referral_of(n) for n in ("Amani", "Bakr", "Chen", "Diallo"))
    assert {r.source_service.name for r in (amani, bakr, chen, diallo)} == {"Eerdere registratie"}

    assert amani.created_at.date() == date(2025, 1, 10)
    assert (amani.dutch_difficult, amani.has_work, amani.has_children) == (True, False, True)
    assert amani.reached_at.date() == date(2025, 1, 15)
    assert amani.state is ReferralState.CLOSED
    assert amani.outcome is ClosingOutcome.COMPLETED
    assert amani.closed_at.date() == date(2025, 3, 20)
    assert amani.conversation_accepted is True
    assert amani.reference.startswith("2025-")
    held = db.session.scalars(select(Appointment).where(Appointment.referral_id == amani.id)).one()
    assert held.status is AppointmentStatus.HELD
    assert held.starts_at.date() == date(2025, 2, 3)
    events = lifecycle.timeline(db.session, amani)
    assert [(e.kind, e.moment.date(), e.to_state) for e in events] == [
        ("registered_from_history", date(2025, 1, 10), ReferralState.NEW),
        ("contact_attempt", date(2025, 1, 15), ReferralState.CONTACTED),
        ("conversation_held", date(2025, 2, 3), ReferralState.HELD),
        ("closed", date(2025, 3, 20), ReferralState.CLOSED),
    ]
    assert all(e.at == NOW for e in events)  # recorded now, dated when it happened
    assert events[1].contact_attempt_id is not None

    assert (bakr.state, bakr.owner_id) == (ReferralState.CONTACTED, world.lead.id)
    assert (bakr.dutch_difficult, bakr.has_work, bakr.has_children) == (False, True, False)
    assert bakr.reached_at.date() == date(2025, 4, 2)
    assert (chen.state, chen.owner_id, chen.reached_at) == (ReferralState.NEW, None, None)
    assert chen.dutch_difficult is None
    assert (diallo.state, diallo.owner_id) == (ReferralState.HELD, world.lead.id)
    assert diallo.reached_at.date() == date(2025, 7, 10)
    assert chen.is_newcomer and bakr.is_newcomer
    detail = HTMLParser(
        as_lead.get(f"/register-import/{register_import.id}").get_data(as_text=True)
    )
    assert "Import ongedaan maken" in detail.css_first("main form button").text()


def test_the_same_file_imported_again_adds_nothing(as_lead, world):
    confirmed(as_lead, world)
    before = db.session.scalar(select(func.count()).select_from(Referral))
    again = previewed(as_lead, world)
    html = as_lead.get(f"/register-import/{again.id}").get_data(as_text=True)
    found = outcomes(html)
    assert [found[line][0] for line in (2, 3, 4, 5)] == ["already_open"] * 4
    assert found[2][1] == "Deze persoon heeft hier al een dossier van 10/01/2025: niets toegevoegd."
    assert counts(html)["new_person"] == 0
    as_lead.post(f"/register-import/{again.id}/confirm", {})
    assert db.session.scalar(select(func.count()).select_from(Referral)) == before


def test_xlsx_date_cells_and_text_dates_are_read(as_lead, world):
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER.split(";"))
    sheet.append(
        [
            "Amani",
            "Noor",
            1991,
            date(2025, 1, 2),
            "Kerkstraat 5",
            "0470 11 22 33",
            "Ja",
            "Nee",
            "ja",
            datetime(2025, 1, 10),
            datetime(2025, 1, 15, 14, 30),
            "03/02/2025",
            None,
        ]
    )
    data = io.BytesIO()
    book.save(data)
    register_import = previewed(as_lead, world, data=data.getvalue())
    html = as_lead.get(f"/register-import/{register_import.id}").get_data(as_text=True)
    assert outcomes(html)[2] == ("new_person", "")
    as_lead.post(f"/register-import/{register_import.id}/confirm", {})
    amani = referral_of("Amani")
    assert (amani.created_at.date(), amani.reached_at.date()) == (
        date(2025, 1, 10),
        date(2025, 1, 15),
    )
    assert amani.state is ReferralState.HELD
    assert (amani.dutch_difficult, amani.has_work, amani.has_children) == (True, False, True)


def test_the_report_of_the_past_year_counts_the_history_and_undo_takes_it_out(as_lead, world):
    ids = [world.municipality.id]
    # Counted and stored before: the import must make its months count again.
    empty = report(ids)
    assert empty["bereikt"][1][-2:] == [0, 0]
    register_import = confirmed(as_lead, world)
    figures = report(ids)
    assert figures == report(ids, from_files=True)
    months, totals = figures["bereikt"]
    reached = {row[0]: (row[-2], row[-1]) for row in months}
    assert reached["jan 2025"] == (1, 0)
    assert reached["feb 2025"] == (0, 1)
    assert reached["apr 2025"] == (1, 0)
    assert reached["jul 2025"] == (1, 1)
    assert totals[-2:] == [3, 2]
    sources = dict((r[0], r[1]) for r in figures["bronnen"][0])
    assert sources == {"Eerdere registratie": 4}
    closed = {r[0]: r[1] for r in figures["resultaten"][0]}
    assert closed["afgerond"] == 1 and sum(closed.values()) == 1
    # This year's report has none of it.
    this_year = evaluation_tables(db.session, ids, work_year_period(2026, "final"))
    assert next(t for t in this_year if t.key == "bronnen").totals[1] == 0

    response = as_lead.post(f"/register-import/{register_import.id}/undo", {})
    assert response.status_code == 303
    assert db.session.scalar(select(func.count()).select_from(Referral)) == 0
    assert db.session.scalar(select(func.count()).select_from(Person)) == 0
    for model in (TimelineEvent, ContactAttempt, Appointment):
        assert db.session.scalar(select(func.count()).select_from(model)) == 0
    after = report(ids)
    assert after == report(ids, from_files=True) == empty


def test_undo_is_refused_once_someone_worked_on_an_imported_file(as_lead, world):
    register_import = confirmed(as_lead, world)
    chen = referral_of("Chen")
    lifecycle.claim(db.session, chen.id, world.toeleider, NOW + timedelta(hours=1))
    db.session.commit()
    response = as_lead.post(f"/register-import/{register_import.id}/undo", {})
    assert response.status_code == 409
    assert "1 van de doorverwijzingen" in message(response.get_data(as_text=True))
    assert db.session.scalar(select(func.count()).select_from(Referral)) == 4


def test_only_a_lead_of_the_municipality_imports_earlier_registrations(client, world):
    other_lead = add_user(db.session, "lead@beekmere.be", [Role.LEAD], [world.other_municipality])
    db.session.commit()
    client.login(world.lead.email)
    register_import = previewed(client, world)
    client.post("/logout", {})
    client.login(other_lead.email)
    assert client.get(f"/register-import/{register_import.id}").status_code == 404
    assert client.post(f"/register-import/{register_import.id}/confirm", {}).status_code == 404
    for user in (world.desk, world.admin, world.toeleider):
        client.post("/logout", {})
        client.login(user.email)
        assert client.get("/register-import/").status_code == 403
        assert upload(client, world, csv_file([HEADER, *ROWS])).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Referral)) == 0


def test_a_row_without_birth_year_or_phone_is_known_again_by_its_name_and_day(as_lead, world):
    rows = ["Mensah;Kofi;;01/02/2024;Veldstraat 1;;;;;05/02/2024;;;10/03/2024"]
    confirmed(as_lead, world, rows)
    again = previewed(as_lead, world, rows)
    found = outcomes(as_lead.get(f"/register-import/{again.id}").get_data(as_text=True))
    assert found[2] == (
        "already_open",
        "Deze persoon heeft hier al een dossier van 05/02/2024: niets toegevoegd.",
    )
    # A file of the same person from another day is another file.
    other_day = ["Mensah;Kofi;;01/02/2024;Veldstraat 1;;;;;06/09/2024;;;"]
    third = previewed(as_lead, world, other_day)
    found = outcomes(as_lead.get(f"/register-import/{third.id}").get_data(as_text=True))
    assert found[2][0] == "new_person"


def test_a_closed_file_of_the_past_joins_a_person_with_an_open_file_an_open_one_does_not(
    as_lead, world
):
    # Rania Haddad (1990, 0470 12 34 56) has a file open at the desk since this week.
    desk = add_referral(db.session, world, at=NOW - timedelta(days=3))
    rows = [
        "Haddad;Rania;1990;01/02/2024;Kerkstraat 1;0470 12 34 56;;;;05/02/2024;;;10/03/2024",
        "Haddad;Rania;1990;01/02/2024;Kerkstraat 1;0470 12 34 56;;;;06/09/2024;;;",
    ]
    register_import = previewed(as_lead, world, rows)
    found = outcomes(as_lead.get(f"/register-import/{register_import.id}").get_data(as_text=True))
    assert found[2] == ("existing_person", "")
    # The second row is the same person as the first: one file a row, as for the register.
    assert found[3] == ("refused", "Dezelfde persoon als op regel 2.")
    as_lead.post(f"/register-import/{register_import.id}/confirm", {})
    files = db.session.scalars(
        select(Referral).where(Referral.person_id == desk.person_id).order_by(Referral.created_at)
    ).all()
    assert [(f.created_at.date(), f.state, f.outcome) for f in files] == [
        (date(2024, 2, 5), ReferralState.CLOSED, ClosingOutcome.UNREACHABLE),
        (desk.created_at.date(), ReferralState.NEW, None),
    ]
    again = previewed(as_lead, world, rows[1:])
    found = outcomes(as_lead.get(f"/register-import/{again.id}").get_data(as_text=True))
    assert found[2] == (
        "already_open",
        "Deze persoon heeft hier al een lopend dossier: niets toegevoegd.",
    )


def test_the_desk_cannot_choose_earlier_registration_as_a_source(client, world):
    from portal.register.importing import register_service

    register_service(db.session, world.municipality.id, ImportKind.HISTORY)
    db.session.commit()
    client.login(world.desk.email)
    form = HTMLParser(client.get("/desk/").get_data(as_text=True))
    offered = [o.text(strip=True) for o in form.css("#source_service option")]
    assert "Onthaal" in offered and "Eerdere registratie" not in offered


OUTCOME_HEADER = f"{HEADER};Resultaat bij afsluiten"
OUTCOME_ROWS = [
    # line 2: a conversation, then closed: the file says moved away, not completed
    "Amani;Noor;1991;02/01/2025;Kerkstraat 5;;;;;10/01/2025;15/01/2025;03/02/2025;20/03/2025;"
    "Verhuisd",
    # line 3: reached, no conversation, closed: the plan stopped early, not declined
    "Bakr;Omar;1988;01/03/2025;Dorpsplein 7;;;;;05/03/2025;02/04/2025;;10/04/2025;"
    "TRAJECT VROEGTIJDIG GESTOPT",
    # line 4: never reached, closed, no outcome: guessed unreachable
    "Chen;Li;1975;10/05/2025;Molenweg 8;;;;;12/05/2025;;;20/06/2025;",
    # line 5: reached, no conversation, closed: declined, in any case and spacing
    "Diallo;Awa;1990;01/06/2025;Beekstraat 2;;;;;20/06/2025;25/06/2025;;10/07/2025; GeWeigerd ",
    # line 6 onwards: refused
    "Eze;Ada;1990;01/06/2025;Beekstraat 3;;;;;20/06/2025;;;10/07/2025;weg",
    "Farah;Ali;1990;01/04/2025;Beekstraat 4;;;;;10/05/2025;12/05/2025;;;afgerond",
]
OUTCOME_COLUMNS = {"closing_outcome": "Resultaat bij afsluiten"}


def test_the_closing_outcome_column_is_offered_and_guessed_from_its_name(as_lead, world):
    upload(as_lead, world, csv_file([OUTCOME_HEADER, *OUTCOME_ROWS]))
    page = HTMLParser(
        as_lead.get(f"/register-import/{latest_import().id}/columns").get_data(as_text=True)
    )
    assert page.css_first("label[for=closing_outcome]").text() == "Resultaat bij afsluiten"
    chosen = page.css_first("select#closing_outcome option[selected]").attributes["value"]
    assert chosen == "Resultaat bij afsluiten"


def test_the_closing_outcome_the_file_gives_replaces_the_guess(as_lead, world):
    upload(as_lead, world, csv_file([OUTCOME_HEADER, *OUTCOME_ROWS]))
    register_import = latest_import()
    response = choose_columns(as_lead, register_import, **OUTCOME_COLUMNS)
    assert response.status_code == 303, response.get_data(as_text=True)
    html = as_lead.get(f"/register-import/{register_import.id}").get_data(as_text=True)
    found = outcomes(html)
    assert found[2] == ("new_person", "Afgesloten als 'verhuisd', zoals in het bestand.")
    assert found[3][1] == "Afgesloten als 'traject vroegtijdig gestopt', zoals in het bestand."
    assert found[4] == ("new_person", "")
    assert found[6] == (
        "refused",
        "Resultaat bij afsluiten: 'weg' kent het portaal niet. Schrijf een van deze: afgerond, "
        "geweigerd, onbereikbaar, verhuisd, traject vroegtijdig gestopt.",
    )
    assert found[7] == (
        "refused",
        "Een resultaat bij afsluiten zonder datum van afsluiting: het dossier is open.",
    )
    assert counts(html)["new_person"] == 4
    assert "het resultaat uit de kolom Resultaat bij afsluiten" in html
    as_lead.post(f"/register-import/{register_import.id}/confirm", {})
    files = {n: referral_of(n) for n in ("Amani", "Bakr", "Chen", "Diallo")}
    assert {n: (r.state, r.outcome) for n, r in files.items()} == {
        "Amani": (ReferralState.CLOSED, ClosingOutcome.MOVED_AWAY),
        "Bakr": (ReferralState.CLOSED, ClosingOutcome.PLAN_STOPPED),
        "Chen": (ReferralState.CLOSED, ClosingOutcome.UNREACHABLE),
        "Diallo": (ReferralState.CLOSED, ClosingOutcome.DECLINED),
    }
    closing = lifecycle.timeline(db.session, files["Amani"])[-1]
    assert (closing.kind, closing.detail) == ("closed", "moved_away")
    # The report counts the outcomes the file gave.
    closed = {r[0]: r[1] for r in report([world.municipality.id])["resultaten"][0]}
    assert closed["verhuisd"] == 1 and closed["traject vroegtijdig gestopt"] == 1
    assert closed["onbereikbaar"] == 1 and closed["geweigerd"] == 1
    assert closed.get("afgerond", 0) == 0


def test_without_the_closing_outcome_column_the_outcome_is_still_guessed(as_lead, world):
    # The same file, the column not chosen: Amani completed, Bakr declined.
    upload(as_lead, world, csv_file([OUTCOME_HEADER, *OUTCOME_ROWS[:2]]))
    register_import = latest_import()
    choose_columns(as_lead, register_import, closing_outcome="")
    as_lead.post(f"/register-import/{register_import.id}/confirm", {})
    assert referral_of("Amani").outcome is ClosingOutcome.COMPLETED
    assert referral_of("Bakr").outcome is ClosingOutcome.DECLINED


def test_a_lead_who_reads_english_imports_the_dutch_words_of_the_file(as_lead, world):
    world.lead.ui_locale = UiLocale.ENGLISH
    db.session.commit()
    upload(as_lead, world, csv_file([OUTCOME_HEADER, OUTCOME_ROWS[0]]))
    register_import = latest_import()
    choose_columns(as_lead, register_import, **OUTCOME_COLUMNS)
    as_lead.post(f"/register-import/{register_import.id}/confirm", {})
    assert referral_of("Amani").outcome is ClosingOutcome.MOVED_AWAY
