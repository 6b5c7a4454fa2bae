"""The evaluation report: every table of a hand-built half year, on the page, in the workbook
and as CSV, per municipality and summed."""

from __future__ import annotations

import io
from datetime import date, datetime

import openpyxl
import pytest
from sqlalchemy import event

from portal.extensions import db
from portal.models import (
    ContactAttempt,
    Conversation,
    Need,
    NeedCategory,
    Signal,
    Theme,
)
from portal.reports.evaluation import Share, evaluation_tables, work_year_period

from .factories import add_held_appointment, add_partner_referral, add_referral, csv_rows

FEB = datetime(2026, 2, 10, 10)


@pytest.fixture
def half_year(app, world):
    """Four referrals in Lindeveld and one in Beekmere in the first half of 2026, one in July."""
    work = Theme(name="Werk")
    housing = NeedCategory(name="Wonen")
    db.session.add_all([work, housing])
    db.session.flush()
    r = [
        add_referral(
            db.session,
            world,
            at=FEB,
            full_name="Een A",
            contact_language_code="ar",
            registered_on=date(2025, 9, 1),
            dutch_difficult=True,
            has_work=False,
            has_children=True,
        ),
        add_referral(
            db.session,
            world,
            at=FEB,
            full_name="Twee B",
            contact_language_code="ar",
            registered_on=date(2020, 1, 1),
            dutch_difficult=False,
            has_work=True,
            has_children=False,
        ),
        add_referral(
            db.session,
            world,
            at=FEB,
            full_name="Drie C",
            contact_language_code="uk",
            registered_on=date(2025, 12, 1),
            dutch_difficult=True,
            has_work=False,
            has_children=False,
            source_service_id=world.partner.id,
        ),
        add_referral(
            db.session,
            world,
            at=datetime(2026, 7, 2, 9),
            full_name="Juli D",
            registered_on=date(2026, 1, 1),
        ),
        add_referral(
            db.session,
            world,
            by=world.outsider,
            at=FEB,
            full_name="Beek E",
            municipality_id=world.other_municipality.id,
            source_service_id=world.other_service.id,
            registered_on=date(2025, 11, 1),
        ),
    ]
    for referral, day in ((r[0], 12), (r[2], 15), (r[4], 20)):
        db.session.add(
            ContactAttempt(
                referral_id=referral.id,
                at=datetime(2026, 2, day, 10),
                actor_id=world.toeleider.id,
                channel="phone",
                outcome="reached",
            )
        )
    add_held_appointment(db.session, r[0], world.toeleider, datetime(2026, 3, 3, 10))
    conversation = Conversation(
        referral_id=r[0].id,
        held_on=date(2026, 3, 3),
        recorded_by_id=world.toeleider.id,
        recorded_at=datetime(2026, 3, 3, 12),
    )
    conversation.needs = [Need(category_id=housing.id, description="Zoekt woning")]
    db.session.add(conversation)
    add_partner_referral(
        db.session, r[0], world.partner, work, date(2026, 3, 4), world.toeleider, "arrived"
    )
    add_partner_referral(
        db.session, r[2], world.partner, work, date(2026, 3, 5), world.toeleider, "not_arrived"
    )
    db.session.add(
        Signal(
            referral_id=r[0].id,
            municipality_id=world.municipality.id,
            theme_id=work.id,
            description="Geen avondcursus",
            created_by_id=world.toeleider.id,
            created_at=datetime(2026, 3, 3, 12),
        )
    )
    r[1].state, r[1].outcome, r[1].closed_at = "closed", "moved_away", datetime(2026, 4, 1, 9)
    r[0].conversation_accepted = True
    db.session.commit()
    return r


def trimmed(row) -> list:
    """A worksheet row without the empty cells openpyxl pads it with."""
    values = list(row)
    while values and values[-1] is None:
        values.pop()
    return values


def tables_of(world, municipalities, part="interim"):
    return {
        t.key: t
        for t in evaluation_tables(db.session, municipalities, work_year_period(2026, part))
    }


def test_every_table_of_the_interim_report(half_year, world):
    t = tables_of(world, [world.municipality.id])
    assert t["bereikt"].rows[1] == ["feb 2026", 0, 0, 1, 1, 2, 0]  # Drie C came via a partner
    assert t["bereikt"].rows[2] == ["mrt 2026", 0, 0, 0, 0, 0, 1]
    assert len(t["bereikt"].rows) == 6 and t["bereikt"].totals == ["Totaal", 0, 0, 1, 1, 2, 1]
    # The answer to the offer covers exactly the people counted as reached.
    assert t["aanbod"].rows == [["aanvaard", 1], ["geweigerd", 0], ["nog geen antwoord", 1]]
    assert t["aanbod"].totals[1] == t["bereikt"].totals[5] == 2
    assert t["bronnen"].rows == [["Onthaal", 2], ["Huis van het Nederlands", 1]]
    assert dict(map(tuple, t["resultaten"].rows))["verhuisd"] == 1
    assert t["resultaten"].totals[1] == 1
    assert t["toeleidingen"].rows == [["Huis van het Nederlands", 2, 1]]
    assert t["noden"].rows == [["Wonen", 1]]
    assert t["talen"].rows == [["Arabisch", 2], ["Oekraïens", 1]]
    assert t["profiel"].rows == [["nieuwkomers", 2], ["oudkomers", 1]]
    assert t["indicatoren"].rows == [
        ["Nederlands moeilijk of tolk", 2, 0],
        ["Geen werk", 2, 0],
        ["Kinderen in het gezin", 1, 0],
    ]
    assert t["signalen"].rows == [["Werk", 1]]
    # One person had a conversation (Een A, 3 March) and was led to work, not to Dutch.
    assert shown(t["nederlands"].rows) == [
        ["toegeleid naar Nederlands leren of oefenen", 0, "0,0 %"],
        ["niet toegeleid naar Nederlands", 1, "100,0 %"],
    ]
    assert shown([t["nederlands"].totals]) == [["Totaal", 1, "100,0 %"]]
    # The same count is the same number on every table: registered in the period.
    assert t["bronnen"].totals[1] == t["talen"].totals[1] == t["profiel"].totals[1] == 3


def test_final_report_takes_the_whole_year_and_municipalities_add_up(half_year, world):
    both = tables_of(world, [world.municipality.id, world.other_municipality.id], "final")
    here = tables_of(world, [world.municipality.id], "final")
    there = tables_of(world, [world.other_municipality.id], "final")
    assert len(both["bereikt"].rows) == 12
    for key in both:
        for column in range(1, len(both[key].columns)):
            if column in both[key].total_cells:
                continue  # a share: the counts beside it add up, the percentages do not
            assert (
                both[key].totals[column] == here[key].totals[column] + there[key].totals[column]
            ), key
    assert here["talen"].totals[1] == 4  # July's referral belongs to the final report only


def test_page_workbook_and_csv_hold_the_same_figures(client, half_year, world):
    client.login(world.lead.email)
    html = client.get("/reports/evaluation?year=2026&part=interim").get_data(as_text=True)
    assert "Evaluatierapport" in html and "01/01/2026 – 30/06/2026" in html
    assert html.count('<p class="rule">') == 11
    assert 'href="/lead/list/letters"' in html  # the unreached, for the next letter round
    assert '<option value="">alle samen</option>' in html  # a lead of two municipalities chooses
    response = client.get("/reports/evaluation.xlsx?year=2026&part=interim")
    assert response.mimetype.endswith("spreadsheetml.sheet")
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    expected = tables_of(world, [world.municipality.id, world.other_municipality.id])
    assert book.sheetnames == [*expected, "kpi"]
    for key, table in expected.items():
        sheet = [trimmed(r) for r in book[key].iter_rows(values_only=True)]
        assert sheet[0] == [f"{table.title} – alle samen"]
        assert sheet[3] == table.columns
        assert sheet[4 : 4 + len(table.rows)] == [in_workbook(row) for row in table.rows]
        assert sheet[4 + len(table.rows)] == in_workbook(table.totals)
        assert sheet[-1] == ["Zo wordt geteld:", table.rule]
        rows = csv_rows(client.get(f"/reports/evaluation/{key}.csv?year=2026&part=interim"))
        assert rows[-1] == [str(v) for v in table.totals], key


def shown(rows: list[list[object]]) -> list[list[object]]:
    """The rows as the page shows them: a share as its percentage in the reader's locale."""
    return [[str(v) if isinstance(v, Share) else v for v in row] for row in rows]


def in_workbook(row: list[object]) -> list[object]:
    """The row as the workbook holds it: a share as its fraction."""
    return [v.fraction if isinstance(v, Share) else v for v in row]


def test_a_share_in_the_workbook_is_a_number_with_a_percent_format(client, half_year, world):
    client.login(world.lead.email)
    response = client.get("/reports/evaluation.xlsx?year=2026&part=interim")
    sheet = openpyxl.load_workbook(io.BytesIO(response.data))["nederlands"]
    shares = {row[0].value: row[2] for row in sheet.iter_rows(min_row=5, max_row=7)}
    led, not_led = (
        shares["toegeleid naar Nederlands leren of oefenen"],
        shares["niet toegeleid naar Nederlands"],
    )
    assert (led.value, not_led.value, shares["Totaal"].value) == (0, 1, 1)
    assert all(c.data_type == "n" and c.number_format == "0.0%" for c in shares.values())


def test_csv_of_one_table_counts_that_table_only(client, half_year, world):
    client.login(world.lead.email)
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        response = client.get("/reports/evaluation/talen.csv?year=2026&part=interim")
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    rows = csv_rows(response)
    table = tables_of(world, [world.municipality.id, world.other_municipality.id])["talen"]
    assert rows == [
        table.columns,
        *[[str(v) for v in row] for row in table.rows],
        [str(v) for v in table.totals],
    ]
    # The languages need no contact attempts: the other tables were not counted for it.
    assert statements and not any("contact_attempt" in s for s in statements)
    assert client.get("/reports/evaluation/onbekend.csv?year=2026").status_code == 404


def test_period_picker_and_municipality_filter(client, half_year, world):
    client.login(world.lead.email)
    march = client.get("/reports/evaluation.xlsx?start=2026-03-01&end=2026-03-31").data
    sheet = openpyxl.load_workbook(io.BytesIO(march))["bereikt"]
    assert [trimmed(r) for r in sheet.iter_rows(values_only=True)][4][0] == "mrt 2026"
    only_beekmere = client.get(
        f"/reports/evaluation/talen.csv?year=2026&part=interim&municipality={world.other_municipality.id}"
    ).get_data(as_text=True)
    assert only_beekmere.strip().splitlines()[-1] == "Totaal;1"
    # A municipality the lead does not lead falls back to all of theirs, never to someone else's.
    assert client.get("/reports/evaluation/talen.csv?municipality=999").status_code == 200


def test_reports_are_for_leads_only(client, world):
    client.login(world.toeleider.email)
    assert client.get("/reports/evaluation").status_code == 403
    assert client.get("/reports/evaluation.xlsx").status_code == 403


def test_share_led_to_dutch_counts_people_with_a_conversation_once(half_year, world):
    dutch = Theme(name="Nederlands leren en oefenen", is_dutch_learning=True)
    db.session.add(dutch)
    db.session.flush()
    first = half_year[0]
    for day in (date(2026, 3, 10), date(2026, 4, 2)):  # two referrals to Dutch: one person
        add_partner_referral(db.session, first, world.partner, dutch, day, world.toeleider)
    add_held_appointment(db.session, half_year[2], world.toeleider, datetime(2026, 5, 4, 10))
    # After the interim period: does not count in it.
    add_partner_referral(
        db.session, half_year[2], world.partner, dutch, date(2026, 7, 15), world.toeleider
    )
    db.session.commit()
    interim = tables_of(world, [world.municipality.id])["nederlands"]
    assert shown(interim.rows) == [
        ["toegeleid naar Nederlands leren of oefenen", 1, "50,0 %"],
        ["niet toegeleid naar Nederlands", 1, "50,0 %"],
    ]
    final = tables_of(world, [world.municipality.id], part="final")["nederlands"]
    assert [row[1] for row in final.rows] == [2, 0]


def test_downloads_are_named_after_their_period_and_municipality(client, half_year, world):
    client.login(world.lead.email)
    summed = client.get("/reports/evaluation.xlsx?year=2026&part=interim")
    assert summed.headers["Content-Disposition"].endswith(
        "evaluatie-2026-01-01-2026-06-30-alle-samen.xlsx"
    )
    one = client.get(
        f"/reports/evaluation/talen.csv?year=2026&part=interim&municipality={world.municipality.id}"
    )
    assert one.headers["Content-Disposition"].endswith(
        "evaluatie-talen-2026-01-01-2026-06-30-lindeveld.csv"
    )


def test_asked_for_no_report_the_lead_gets_the_interim_of_the_running_year(client, world):
    """In November the final report of the year is not due yet (after 31 December)."""
    client.login(world.lead.email)
    running = client.get("/reports/evaluation").get_data(as_text=True)
    assert "tussentijds 2026" in running and "01/01/2026 – 30/06/2026" in running
    ended = client.get("/reports/evaluation?year=2025").get_data(as_text=True)
    assert "werkjaar 2025" in ended and "01/01/2025 – 31/12/2025" in ended
    asked = client.get("/reports/evaluation?year=2026&part=final").get_data(as_text=True)
    assert "werkjaar 2026" in asked
