"""The evaluation report with a lead's municipalities side by side: a column per municipality
and one for them together, on the page, in the workbook and as CSV; only the municipalities
the lead leads."""

from __future__ import annotations

import io
from datetime import date, datetime

import openpyxl
import pytest
from selectolax.parser import HTMLParser

from portal.extensions import db
from portal.models import ContactAttempt, Municipality, Role, Theme
from portal.reports.comparison import compared_evaluation
from portal.reports.evaluation import Share, evaluation_tables, work_year_period

from .factories import add_held_appointment, add_partner_referral, add_referral, add_user, csv_rows

INTERIM = work_year_period(2026, "interim")
PAGE = "/reports/evaluation?year=2026&part=interim&municipality=naast-elkaar"


def _reached(referral, toeleider, day: date) -> None:
    db.session.add(
        ContactAttempt(
            referral_id=referral.id,
            at=datetime.combine(day, datetime.min.time()).replace(hour=10),
            actor_id=toeleider.id,
            channel="phone",
            outcome="reached",
        )
    )


@pytest.fixture
def two_municipalities(app, world):
    """Lindeveld: two referrals, one reached, held and led to Dutch (arrived). Beekmere: three
    referrals, two reached and held, one led to Dutch (arrived), one to work (not arrived)."""
    dutch = Theme(name="Nederlands leren", is_dutch_learning=True)
    work = Theme(name="Werk")
    db.session.add_all([dutch, work])
    db.session.flush()
    here = dict(source_service_id=world.desk_service.id)
    there = dict(
        by=world.outsider,
        municipality_id=world.other_municipality.id,
        source_service_id=world.other_service.id,
    )
    l1 = add_referral(
        db.session,
        world,
        at=datetime(2026, 2, 10, 9),
        full_name="Lin Een",
        contact_language_code="ar",
        registered_on=date(2025, 9, 1),
        dutch_difficult=True,
        has_work=False,
        has_children=True,
        **here,
    )
    add_referral(
        db.session,
        world,
        at=datetime(2026, 2, 10, 9),
        full_name="Lin Twee",
        contact_language_code="ar",
        registered_on=date(2020, 1, 1),
        dutch_difficult=False,
        has_work=True,
        has_children=False,
        **here,
    )
    b1 = add_referral(
        db.session,
        world,
        at=datetime(2026, 2, 10, 9),
        full_name="Beek Een",
        contact_language_code="uk",
        registered_on=date(2025, 11, 1),
        dutch_difficult=True,
        has_work=False,
        has_children=True,
        **there,
    )
    b2 = add_referral(
        db.session,
        world,
        at=datetime(2026, 3, 5, 9),
        full_name="Beek Twee",
        contact_language_code="uk",
        registered_on=date(2025, 12, 1),
        dutch_difficult=True,
        has_work=True,
        has_children=False,
        **there,
    )
    add_referral(
        db.session,
        world,
        at=datetime(2026, 4, 1, 9),
        full_name="Beek Drie",
        contact_language_code="ar",
        registered_on=date(2019, 1, 1),
        dutch_difficult=False,
        has_work=False,
        has_children=True,
        **there,
    )
    _reached(l1, world.toeleider, date(2026, 2, 12))
    _reached(b1, world.toeleider, date(2026, 2, 20))
    _reached(b2, world.toeleider, date(2026, 3, 6))
    add_held_appointment(db.session, l1, world.toeleider, datetime(2026, 3, 3, 10))
    add_held_appointment(db.session, b1, world.toeleider, datetime(2026, 3, 10, 10))
    add_held_appointment(db.session, b2, world.toeleider, datetime(2026, 4, 1, 10))
    # The partner is shared by both municipalities (it has none of its own).
    add_partner_referral(
        db.session, l1, world.partner, dutch, date(2026, 3, 4), world.toeleider, "arrived"
    )
    add_partner_referral(
        db.session, b1, world.partner, work, date(2026, 3, 11), world.toeleider, "not_arrived"
    )
    add_partner_referral(
        db.session, b2, world.partner, dutch, date(2026, 4, 2), world.toeleider, "arrived"
    )
    db.session.commit()
    return world


def _by_key(world):
    places = [(m.id, m.name) for m in (world.other_municipality, world.municipality)]
    return {c.key: c for c in compared_evaluation(db.session, places, INTERIM)}


def _cells(comparison, label):
    """{(figure, place): cell} of the row with this label."""
    row = next(r for r in comparison.rows if r[0] == label)
    keys = [(f, p) for f in comparison.figures for p in comparison.places]
    return dict(zip(keys, row[1:], strict=True))


def test_each_municipality_and_their_sum_counted_by_hand(two_municipalities):
    t = _by_key(two_municipalities)
    assert t["bronnen"].places == ["Beekmere", "Lindeveld", "Samen"]
    # Sources: Lindeveld's desk twice, Beekmere's three times; most first, as 'alle samen'.
    assert t["bronnen"].rows == [["Onthaal Beekmere", 3, 0, 3], ["Onthaal", 0, 2, 2]]
    assert t["talen"].rows == [["Arabisch", 1, 2, 3], ["Oekraïens", 2, 0, 2]]
    assert t["profiel"].rows == [["nieuwkomers", 2, 1, 3], ["oudkomers", 1, 1, 2]]
    assert t["profiel"].totals == ["Totaal", 3, 2, 5]
    reached = t["bereikt"]
    assert _cells(reached, "feb 2026")[("Bereikt", "Beekmere")] == 1
    assert _cells(reached, "feb 2026")[("Bereikt", "Lindeveld")] == 1
    assert _cells(reached, "feb 2026")[("Bereikt", "Samen")] == 2
    assert _cells(reached, "mrt 2026")[("Bereikt", "Beekmere")] == 1
    assert _cells(reached, "mrt 2026")[("Bereikt", "Lindeveld")] == 0
    assert _cells(reached, "mrt 2026")[("Gesprekken", "Samen")] == 2
    assert _cells(reached, "apr 2026")[("Gesprekken", "Beekmere")] == 1
    assert _cells(reached, "apr 2026")[("Gesprekken", "Lindeveld")] == 0
    partner = _cells(t["toeleidingen"], "Huis van het Nederlands")
    assert [
        partner[(f, p)]
        for f in t["toeleidingen"].figures
        for p in ("Beekmere", "Lindeveld", "Samen")
    ] == [
        2,
        1,
        3,
        1,
        1,
        2,
    ]
    indicators = t["indicatoren"]
    assert indicators.title == "Indicatoren"
    assert _cells(indicators, "Nederlands moeilijk of tolk")[("Ja", "Beekmere")] == 2
    assert _cells(indicators, "Geen werk")[("Ja", "Beekmere")] == 2
    assert _cells(indicators, "Geen werk")[("Ja", "Lindeveld")] == 1
    assert _cells(indicators, "Kinderen in het gezin")[("Ja", "Samen")] == 3
    assert indicators.totals[1:4] == ["–", "–", "–"]  # indicators overlap: no total


def test_a_share_together_is_taken_of_the_sums_never_the_mean_of_percentages(
    two_municipalities,
):
    dutch = _by_key(two_municipalities)["nederlands"]
    led = _cells(dutch, "toegeleid naar Nederlands leren of oefenen")
    # Beekmere: 1 of 2 people (50 %); Lindeveld: 1 of 1 (100 %); together 2 of 3, not 75 %.
    assert [led[("Personen", p)] for p in dutch.places] == [1, 1, 2]
    shares = [led[("Aandeel", p)] for p in dutch.places]
    assert shares == [Share(1, 2), Share(1, 1), Share(2, 3)]
    assert [str(s) for s in shares] == ["50,0 %", "100,0 %", "66,7 %"]


def test_together_is_the_report_of_all_together(two_municipalities):
    world = two_municipalities
    ids = [world.municipality.id, world.other_municipality.id]
    combined = {t.key: t for t in evaluation_tables(db.session, ids, INTERIM)}
    for key, comparison in _by_key(world).items():
        table = combined[key]
        n = len(comparison.places)
        for row, expected in zip(comparison.rows, table.rows, strict=True):
            assert row[n::n] == expected[1:], key
        assert comparison.totals[n::n] == table.totals[1:], key


def _table(document: HTMLParser, key: str):
    return document.css_first(f"section[aria-labelledby='t-{key}'] table")


def test_the_page_sets_the_municipalities_beside_each_other(client, two_municipalities):
    world = two_municipalities
    client.login(world.lead.email)
    document = HTMLParser(client.get(PAGE).get_data(as_text=True))
    assert (
        document.css_first("h1")
        .text()
        .startswith("Evaluatierapport – Beekmere, Lindeveld naast elkaar")
    )
    # The other period and the workbook keep the municipalities side by side.
    assert document.css_first("details input[name='municipality']").attributes["value"] == (
        "naast-elkaar"
    )
    workbook_link = document.css_first("a[href*='evaluation.xlsx']").attributes["href"]
    assert "municipality=naast-elkaar" in workbook_link
    chosen = document.css_first("#municipality option[selected]")
    assert chosen.attributes["value"] == "naast-elkaar"
    assert chosen.text() == "Gemeenten naast elkaar"
    assert len(document.css("table.compared")) == 11
    languages = _table(document, "talen")
    assert "Contacttalen" in languages.css_first("caption").text()
    head = [(th.text(), th.attributes.get("scope")) for th in languages.css("thead th")]
    assert head == [("Taal", "col"), ("Beekmere", "col"), ("Lindeveld", "col"), ("Samen", "col")]
    body = [[c.text() for c in tr.css("th, td")] for tr in languages.css("tbody tr")]
    assert body == [["Arabisch", "1", "2", "3"], ["Oekraïens", "2", "0", "2"]]
    assert [c.text() for c in languages.css("tfoot th, tfoot td")] == ["Totaal", "3", "2", "5"]
    assert all(th.attributes.get("scope") == "row" for th in languages.css("tbody th"))
    # Several figures: a column group per figure, a column per municipality under each.
    dutch = _table(document, "nederlands")
    groups = [
        (th.text(), th.attributes.get("scope")) for th in dutch.css("thead tr:first-child th")
    ]
    assert groups == [("Groep", "col"), ("Personen", "colgroup"), ("Aandeel", "colgroup")]
    led = [c.text() for c in dutch.css("tbody tr:first-child td")]
    assert led == ["1", "1", "2", "50,0 %", "100,0 %", "66,7 %"]


def test_the_workbook_has_a_sheet_with_the_municipalities_side_by_side(client, two_municipalities):
    world = two_municipalities
    client.login(world.lead.email)
    response = client.get(PAGE.replace("/evaluation?", "/evaluation.xlsx?"))
    assert response.headers["Content-Disposition"].endswith(
        "evaluatie-2026-01-01-2026-06-30-naast-elkaar.xlsx"
    )
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert "naast-elkaar" in book.sheetnames and "talen" in book.sheetnames
    rows = list(book["naast-elkaar"].iter_rows())
    values = [[c.value for c in row] for row in rows]
    assert values[0][0] == "Beekmere, Lindeveld naast elkaar"
    start = next(i for i, v in enumerate(values) if v[0] == "Contacttalen")
    assert values[start + 1][:4] == ["Taal", "Beekmere", "Lindeveld", "Samen"]
    assert values[start + 2][:4] == ["Arabisch", 1, 2, 3]
    assert values[start + 4][:4] == ["Totaal", 3, 2, 5]
    dutch = next(
        i for i, v in enumerate(values) if v[0] == "Toegeleid naar Nederlands leren of oefenen"
    )
    assert values[dutch + 1][1] == "Personen" and values[dutch + 1][4] == "Aandeel"
    merged = {str(r) for r in book["naast-elkaar"].merged_cells.ranges}
    assert f"B{dutch + 2}:D{dutch + 2}" in merged and f"E{dutch + 2}:G{dutch + 2}" in merged
    led = rows[dutch + 3]
    assert [c.value for c in led[1:7]] == [1, 1, 2, 0.5, 1.0, pytest.approx(2 / 3)]
    assert all(c.data_type == "n" for c in led[1:7])
    assert all(c.number_format == "0.0%" for c in led[4:7])


def test_csv_of_one_table_side_by_side(client, two_municipalities):
    world = two_municipalities
    client.login(world.lead.email)
    rows = csv_rows(client.get(PAGE.replace("/evaluation?", "/evaluation/toeleidingen.csv?")))
    assert rows == [
        [
            "Partner",
            "Toeleidingen – Beekmere",
            "Toeleidingen – Lindeveld",
            "Toeleidingen – Samen",
            "Aangekomen – Beekmere",
            "Aangekomen – Lindeveld",
            "Aangekomen – Samen",
        ],
        ["Huis van het Nederlands", "2", "1", "3", "1", "1", "2"],
        ["Totaal", "2", "1", "3", "1", "1", "2"],
    ]


def test_a_lead_of_one_municipality_gets_no_choice_to_compare(client, two_municipalities):
    world = two_municipalities
    add_user(db.session, "lead@beekmere.be", [Role.LEAD], [world.other_municipality])
    db.session.commit()
    client.login("lead@beekmere.be")
    document = HTMLParser(client.get("/reports/evaluation?year=2026").get_data(as_text=True))
    assert document.css_first("option[value='naast-elkaar']") is None
    # Asked for in the address anyway: the report of their one municipality, nothing beside it.
    forged = HTMLParser(client.get(PAGE).get_data(as_text=True))
    assert forged.css("table.compared") == []
    assert forged.css_first("h1").text().startswith("Evaluatierapport – Beekmere")
    rows = csv_rows(client.get(PAGE.replace("/evaluation?", "/evaluation/talen.csv?")))
    assert rows[0] == ["Taal", "Aantal"] and rows[-1] == ["Totaal", "3"]


def test_side_by_side_never_shows_a_municipality_the_lead_does_not_lead(client, two_municipalities):
    world = two_municipalities
    third = Municipality(name="Akkerdorp", nis_code="99993")
    db.session.add(third)
    add_user(db.session, "lead2@lindeveld.be", [Role.LEAD], [world.municipality, third])
    db.session.commit()
    client.login("lead2@lindeveld.be")
    forged = f"{PAGE}&municipality={world.other_municipality.id}"
    for address in (PAGE, forged, PAGE.replace("naast-elkaar", str(world.other_municipality.id))):
        html = client.get(address).get_data(as_text=True)
        assert "Beekmere" not in html and "Beek Een" not in html, address
    document = HTMLParser(client.get(PAGE).get_data(as_text=True))
    languages = _table(document, "talen")
    assert [th.text() for th in languages.css("thead th")] == [
        "Taal",
        "Akkerdorp",
        "Lindeveld",
        "Samen",
    ]
    assert [[c.text() for c in tr.css("th, td")] for tr in languages.css("tbody tr")] == [
        ["Arabisch", "0", "2", "2"]
    ]
    book = openpyxl.load_workbook(
        io.BytesIO(client.get(PAGE.replace("/evaluation?", "/evaluation.xlsx?")).data)
    )
    cells = {c.value for sheet in book for row in sheet.iter_rows() for c in row}
    assert "Beekmere" not in cells and "Onthaal Beekmere" not in cells


def test_the_monthly_figures_side_by_side(client, two_municipalities):
    world = two_municipalities
    client.login(world.lead.email)
    page = client.get("/reports/monthly?year=2026&municipality=naast-elkaar")
    document = HTMLParser(page.get_data(as_text=True))
    assert "Beekmere, Lindeveld naast elkaar" in document.css_first("h1").text()
    assert document.css_first("figure.chart") is None  # the chart shows one sum only
    table = document.css_first("table.compared")
    second = [th.text() for th in table.css("thead tr:nth-child(2) th")]
    reached = 1 + 3 * 4  # after the month and three columns for each of the four ways
    assert second[reached - 1 : reached + 5] == ["Beekmere", "Lindeveld", "Samen"] * 2
    rows = {
        tr.css_first("th").text(): [c.text() for c in tr.css("td")]
        for tr in table.css("tbody tr, tfoot tr")
    }
    # Reached, then conversations: Beekmere, Lindeveld, together.
    assert rows["feb"][reached - 1 :] == ["1", "1", "2", "0", "0", "0"]
    assert rows["mrt"][reached - 1 :] == ["1", "0", "1", "1", "1", "2"]
    assert rows["apr"][reached - 1 :] == ["0", "0", "0", "1", "0", "1"]
    assert rows["Totaal"][reached - 1 :] == ["2", "1", "3", "2", "1", "3"]
    rows_csv = csv_rows(client.get("/reports/monthly.csv?year=2026&municipality=naast-elkaar"))
    header = rows_csv[0]
    at = header.index("Bereikt – Beekmere")
    assert header[at : at + 6] == [
        "Bereikt – Beekmere",
        "Bereikt – Lindeveld",
        "Bereikt – Samen",
        "Gesprekken – Beekmere",
        "Gesprekken – Lindeveld",
        "Gesprekken – Samen",
    ]
    march = next(r for r in rows_csv if r[0] == "2026-03")
    assert march[at : at + 6] == ["1", "0", "1", "1", "1", "2"]


def test_a_lead_of_one_municipality_gets_the_monthly_chart_not_a_comparison(
    client, two_municipalities
):
    world = two_municipalities
    add_user(db.session, "lead@beekmere.be", [Role.LEAD], [world.other_municipality])
    db.session.commit()
    client.login("lead@beekmere.be")
    html = client.get("/reports/monthly?year=2026&municipality=naast-elkaar")
    document = HTMLParser(html.get_data(as_text=True))
    assert document.css_first("table.compared") is None
    assert document.css_first("figure.chart") is not None
    assert document.css_first("option[value='naast-elkaar']") is None
