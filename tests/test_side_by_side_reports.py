"""The sources, KPI and interpreter reports with a lead's municipalities side by side: a
column per municipality and one for their sum, counted by hand; only the municipalities the
lead leads, and no choice for a lead of one municipality."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from selectolax.parser import HTMLParser

from portal.extensions import db
from portal.models import Kpi, Municipality, Role
from portal.reports.comparison import compared_interpreters, compared_kpis, compared_sources
from portal.reports.evaluation import Share
from portal.reports.interpreters import Hours, interpreter_figures
from portal.reports.kpis import progress_report
from portal.reports.sources import Quiet, referrals_by_source

from .conftest import NOW
from .factories import add_referral, add_user, csv_rows
from .test_interpreters import request_on
from .test_side_by_side import _reached

TODAY = NOW.date()
SOURCES = "/reports/sources?municipality=naast-elkaar"
KPIS = "/reports/kpis?year=2026&municipality=naast-elkaar"
INTERPRETERS = "/reports/interpreters?year=2026&municipality=naast-elkaar"


def _places(world):
    return [(m.id, m.name) for m in (world.other_municipality, world.municipality)]


def _in_beekmere(world, **changes):
    return dict(
        by=world.outsider,
        municipality_id=world.other_municipality.id,
        source_service_id=world.other_service.id,
        **changes,
    )


def _rows(comparison):
    return {str(row[0]): row[1:] for row in comparison.rows}


def _table(document: HTMLParser, key: str):
    return document.css_first(f"section[aria-labelledby='{key}'] table")


def _body(table) -> list[list[str]]:
    return [[c.text() for c in tr.css("th, td")] for tr in table.css("tbody tr, tfoot tr")]


# Sources ----------------------------------------------------------------------------------


def add_referrers(world):
    """Today is 26/11/2026: the last 30 days start on 28/10, the 90 before on 30/7.
    Lindeveld's desk referred three times in September and not since: stopped there.
    Beekmere's desk referred once in September and once in November. The shared partner
    referred twice in Lindeveld (August) and once in Beekmere (September), none since: not
    steady in either municipality alone, but three together, so stopped for them together."""
    n = iter(range(100))

    def referral(day: datetime, **changes):
        add_referral(
            db.session, world, at=day, full_name=f"Persoon {next(n)}", phone=None, **changes
        )

    for day in (1, 10, 20):
        referral(datetime(2026, 9, day, 9), source_service_id=world.desk_service.id)
    referral(datetime(2026, 9, 15, 9), **_in_beekmere(world))
    referral(datetime(2026, 11, 3, 9), **_in_beekmere(world))
    for day in (5, 18):
        referral(datetime(2026, 8, day, 9), source_service_id=world.partner.id)
    referral(
        datetime(2026, 9, 2, 9),
        **{**_in_beekmere(world), "source_service_id": world.partner.id},
    )


@pytest.fixture
def referrers(app, world):
    add_referrers(world)
    return world


def test_referrals_per_source_for_each_municipality_and_their_sum(referrers):
    sources, months = compared_sources(db.session, _places(referrers), TODAY)
    assert sources.places == ["Beekmere", "Lindeveld", "Samen"]
    assert sources.figures == ["Doorverwijzingen in deze zes maanden", "Opvallend"]
    assert _rows(sources) == {
        "Onthaal": [0, 3, 3, Quiet(0, 0), Quiet(0, 3), Quiet(0, 3)],
        "Onthaal Beekmere": [2, 0, 2, Quiet(1, 1), Quiet(0, 0), Quiet(1, 1)],
        "Huis van het Nederlands (partner)": [1, 2, 3, Quiet(0, 1), Quiet(0, 2), Quiet(0, 3)],
    }
    # Stopped together from the summed windows: the partner, steady only in the sum.
    stopped = {label: [str(q) for q in cells[3:]] for label, cells in _rows(sources).items()}
    assert stopped["Onthaal"] == ["", "gestopt", "gestopt"]
    assert stopped["Huis van het Nederlands (partner)"] == ["", "", "gestopt"]
    assert stopped["Onthaal Beekmere"] == ["", "", ""]
    assert sources.totals == ["Totaal", 3, 5, 8, "", "", ""]
    assert _rows(months) == {
        "jun 2026": [0, 0, 0],
        "jul 2026": [0, 0, 0],
        "aug 2026": [0, 2, 2],
        "sep 2026": [2, 3, 5],
        "okt 2026": [0, 0, 0],
        "nov 2026": [1, 0, 1],
    }
    assert months.totals == ["Totaal", 3, 5, 8]


def test_the_sum_of_the_sources_is_the_report_of_them_all(referrers):
    ids = [referrers.municipality.id, referrers.other_municipality.id]
    together = {r.service.name: r for r in referrals_by_source(db.session, ids, TODAY)}
    sources, _months = compared_sources(db.session, _places(referrers), TODAY)
    for label, cells in _rows(sources).items():
        row = together[label.removesuffix(" (partner)")]
        assert cells[2] == row.total and cells[5].stopped == row.stopped, label


def test_the_sources_page_side_by_side(client, referrers):
    client.login(referrers.lead.email)
    document = HTMLParser(client.get(SOURCES).get_data(as_text=True))
    assert "Beekmere, Lindeveld naast elkaar" in document.css_first("h1").text()
    assert document.css_first("#municipality option[selected]").attributes["value"] == (
        "naast-elkaar"
    )
    table = _table(document, "t-bronnen")
    assert "per gemeente en samen" in table.css_first("caption").text()
    assert [(th.text(), th.attributes["scope"]) for th in table.css("thead th")][:3] == [
        ("Bron", "col"),
        ("Doorverwijzingen in deze zes maanden", "colgroup"),
        ("Opvallend", "colgroup"),
    ]
    assert _body(table) == [
        ["Onthaal", "0", "3", "3", "", "gestopt", "gestopt"],
        ["Onthaal Beekmere", "2", "0", "2", "", "", ""],
        ["Huis van het Nederlands (partner)", "1", "2", "3", "", "", "gestopt"],
        ["Totaal", "3", "5", "8", "", "", ""],
    ]
    assert _body(_table(document, "t-maanden"))[3] == ["sep 2026", "2", "3", "5"]


def test_each_municipalitys_own_service_of_one_name_is_one_row_side_by_side(client, referrers):
    # Each municipality has its own desk, both called "Onthaal".
    referrers.other_service.name = "Onthaal"
    db.session.commit()
    client.login(referrers.lead.email)
    document = HTMLParser(client.get(SOURCES).get_data(as_text=True))
    assert _body(_table(document, "t-bronnen")) == [
        ["Onthaal", "2", "3", "5", "", "gestopt", ""],
        ["Huis van het Nederlands (partner)", "1", "2", "3", "", "", "gestopt"],
        ["Totaal", "3", "5", "8", "", "", ""],
    ]


# Interpreters -----------------------------------------------------------------------------


def add_interpreters(world):
    """Lindeveld: Arabic in March, confirmed 90 and requested 30 minutes; Ukrainian in April,
    cancelled. Beekmere: Arabic in March, requested 45 minutes; Ukrainian in April,
    confirmed 120 minutes."""
    here = add_referral(db.session, world, full_name="Lin Tolk")
    there = add_referral(db.session, world, full_name="Beek Tolk", **_in_beekmere(world))
    march, april = datetime(2026, 3, 10, 10), datetime(2026, 4, 14, 10)
    request_on(world, here, march, 90, "confirmed", "ar")
    request_on(world, here, march, 30, "requested", "ar")
    request_on(world, here, april, 60, "cancelled", "uk")
    request_on(world, there, march, 45, "requested", "ar")
    request_on(world, there, april, 120, "confirmed", "uk")
    db.session.commit()


@pytest.fixture
def interpreters(app, world):
    add_interpreters(world)
    return world


def test_interpreters_and_hours_for_each_municipality_and_their_sum(interpreters):
    by_month, by_language, months = compared_interpreters(db.session, _places(interpreters), 2026)
    assert by_month.figures == ["tolken (zonder geannuleerde)", "uren"]
    assert by_month.places == ["Beekmere", "Lindeveld", "Samen"]
    assert _rows(by_month) == {
        "Arabisch · mrt": [1, 2, 3, Hours(45), Hours(120), Hours(165)],
        # Lindeveld's only Ukrainian request was cancelled: counted on by no one, no hours.
        "Oekraïens · apr": [1, 0, 1, Hours(120), Hours(0), Hours(120)],
    }
    assert [str(h) for h in _rows(by_month)["Arabisch · mrt"][3:]] == ["0,75", "2,00", "2,75"]
    assert by_month.totals == ["Totaal", 2, 2, 4, Hours(165), Hours(120), Hours(285)]
    assert _rows(by_language) == {
        "Arabisch": [1, 2, 3, Hours(45), Hours(120), Hours(165)],
        "Oekraïens": [1, 0, 1, Hours(120), Hours(0), Hours(120)],
    }
    assert _rows(months)["mrt"] == [1, 2, 3, Hours(45), Hours(120), Hours(165)]
    assert _rows(months)["jan"] == [0, 0, 0, Hours(0), Hours(0), Hours(0)]
    assert months.totals == by_month.totals
    ids = [interpreters.municipality.id, interpreters.other_municipality.id]
    total = interpreter_figures(db.session, ids, 2026).total
    assert by_month.totals[3] == total.requests and by_month.totals[6] == Hours(total.minutes)


def test_the_interpreter_page_and_csv_side_by_side(client, interpreters):
    client.login(interpreters.lead.email)
    document = HTMLParser(client.get(INTERPRETERS).get_data(as_text=True))
    assert "Beekmere, Lindeveld naast elkaar" in document.css_first("h1").text()
    assert document.css_first("#per-language") is None
    table = _table(document, "t-taal-en-maand")
    second = [(th.text(), th.attributes["scope"]) for th in table.css("thead tr:nth-child(2) th")]
    assert second == [("Beekmere", "col"), ("Lindeveld", "col"), ("Samen", "col")] * 2
    assert _body(table) == [
        ["Arabisch · mrt", "1", "2", "3", "0,75", "2,00", "2,75"],
        ["Oekraïens · apr", "1", "0", "1", "2,00", "0,00", "2,00"],
        ["Totaal", "2", "2", "4", "2,75", "2,00", "4,75"],
    ]
    link = document.css_first("a[href*='interpreters.csv']").attributes["href"]
    assert "municipality=naast-elkaar" in link
    response = client.get(INTERPRETERS.replace("/interpreters?", "/interpreters.csv?"))
    assert response.headers["Content-Disposition"].endswith("tolken-2026-naast-elkaar.csv")
    assert csv_rows(response) == [
        [
            "Taal en maand",
            "tolken (zonder geannuleerde) – Beekmere",
            "tolken (zonder geannuleerde) – Lindeveld",
            "tolken (zonder geannuleerde) – Samen",
            "uren – Beekmere",
            "uren – Lindeveld",
            "uren – Samen",
        ],
        ["Arabisch · 2026-03", "1", "2", "3", "0,75", "2,00", "2,75"],
        ["Oekraïens · 2026-04", "1", "0", "1", "2,00", "0,00", "2,00"],
        ["Totaal", "2", "2", "4", "2,75", "2,00", "4,75"],
    ]


# KPIs -------------------------------------------------------------------------------------


def add_kpis(world):
    """Reached in 2026: two files in Lindeveld, one in Beekmere. One KPI for every
    municipality (target 10), one for Lindeveld only (target 4)."""
    for n, municipality in enumerate(["here", "here", "there"]):
        changes = _in_beekmere(world) if municipality == "there" else {}
        referral = add_referral(
            db.session,
            world,
            at=datetime(2026, 2, 2, 9),
            full_name=f"Kpi {n}",
            registered_on=date(2025, 6, 1),
            **changes,
        )
        _reached(referral, world.toeleider, date(2026, 2, 10 + n))
    for name, target, municipality in (
        ("Bereikte gezinnen", 10, None),
        ("Bereikt in Lindeveld", 4, world.municipality.id),
    ):
        db.session.add(
            Kpi(
                name=name,
                target=target,
                unit="households",
                rule="reached",
                start_month=1,
                municipality_id=municipality,
            )
        )
    db.session.commit()


@pytest.fixture
def kpis(app, world):
    add_kpis(world)
    return world


def test_kpis_for_each_municipality_and_their_sum(kpis):
    compared = compared_kpis(db.session, _places(kpis), TODAY, 2026)
    overview = compared.overview
    assert overview.fixed == [
        "Projectjaar",
        "Geldt voor",
        "Doel",
        "Verwacht tegen vandaag",
        "Procent van het doel",
    ]
    assert overview.figures == ["Behaald"] and overview.totals == []
    year = "01/01/2026 – 31/12/2026"
    # Expected by 26/11: 330 of the year's 365 days gone; 10 x 330 / 365 = 9, 4 x ... = 4.
    # The target stands once: the percentage is of the sum, and the sum is no sum of targets.
    assert _rows(overview) == {
        "Bereikte gezinnen": [year, "alle gemeenten", 10, 9, Share(3, 10), 1, 2, 3],
        "Bereikt in Lindeveld": [year, "alleen Lindeveld", 4, 4, Share(2, 4), "–", 2, 2],
    }
    ids = [kpis.municipality.id, kpis.other_municipality.id]
    together = progress_report(db.session, ids, TODAY, 2026)
    assert [row[-1] for row in overview.rows] == [p.total for p in together]
    channels = {p.kpi.name: c for p, c in compared.kpis}
    assert channels["Bereikte gezinnen"].places == ["Beekmere", "Lindeveld", "Samen"]
    assert channels["Bereikte gezinnen"].rows == [["zonder kanaal", 1, 2, 3]]
    assert channels["Bereikt in Lindeveld"].places == ["Lindeveld", "Samen"]
    assert channels["Bereikt in Lindeveld"].totals == ["Totaal", 2, 2]


def test_the_kpi_page_and_csv_side_by_side(client, kpis):
    client.login(kpis.lead.email)
    document = HTMLParser(client.get(KPIS).get_data(as_text=True))
    assert "Beekmere, Lindeveld naast elkaar" in document.css_first("h1").text()
    table = _table(document, "kpi-overview")
    first = [(th.text(), th.attributes["scope"]) for th in table.css("thead tr:first-child th")]
    assert first[-1] == ("Behaald", "colgroup") and first[0] == ("KPI", "col")
    assert [th.text() for th in table.css("thead tr:nth-child(2) th")] == [
        "Beekmere",
        "Lindeveld",
        "Samen",
    ]
    assert table.css_first("tfoot") is None
    body = _body(table)
    # In the KPIs' order: by position, then by name.
    assert body[0][2:] == ["alleen Lindeveld", "4", "4", "50,0 %", "–", "2", "2"]
    assert body[1][2:] == ["alle gemeenten", "10", "9", "30,0 %", "1", "2", "3"]
    assert "alleen in de kolom van die gemeente" in document.css_first("p.rule").text()
    response = client.get(KPIS.replace("/kpis?", "/kpis.csv?"))
    assert response.headers["Content-Disposition"].endswith("kpi-2026-naast-elkaar.csv")
    rows = csv_rows(response)
    assert rows[0][-3:] == ["Behaald – Beekmere", "Behaald – Lindeveld", "Behaald – Samen"]
    assert rows[1][0] == "Bereikt in Lindeveld" and rows[1][-3:] == ["–", "2", "2"]
    assert rows[2][0] == "Bereikte gezinnen" and rows[2][-3:] == ["1", "2", "3"]


# Access -----------------------------------------------------------------------------------


PAGES = (SOURCES, KPIS, INTERPRETERS)
DOWNLOADS = (
    KPIS.replace("/kpis?", "/kpis.csv?"),
    INTERPRETERS.replace("/interpreters?", "/interpreters.csv?"),
)


@pytest.fixture
def everything(referrers, interpreters, kpis):
    return referrers


def test_a_lead_of_one_municipality_gets_no_choice_on_these_reports(client, everything):
    add_user(db.session, "lead@beekmere.be", [Role.LEAD], [everything.other_municipality])
    db.session.commit()
    client.login("lead@beekmere.be")
    for page in PAGES:
        plain = HTMLParser(client.get(page.split("?")[0]).get_data(as_text=True))
        assert plain.css_first("option[value='naast-elkaar']") is None, page
        forged = HTMLParser(client.get(page).get_data(as_text=True))
        assert forged.css("table.compared") == [], page
        assert "naast elkaar" not in forged.css_first("h1").text(), page
        assert "Lindeveld" not in forged.css_first("main").text(), page
    for download in DOWNLOADS:
        assert not any("Samen" in cell for row in csv_rows(client.get(download)) for cell in row)


def test_side_by_side_never_shows_a_municipality_the_lead_does_not_lead(client, everything):
    third = Municipality(name="Akkerdorp", nis_code="99993")
    db.session.add(third)
    add_user(db.session, "lead2@lindeveld.be", [Role.LEAD], [everything.municipality, third])
    db.session.commit()
    client.login("lead2@lindeveld.be")
    other = str(everything.other_municipality.id)
    for page in PAGES:
        for address in (page, f"{page}&municipality={other}", page.replace("naast-elkaar", other)):
            html = client.get(address).get_data(as_text=True)
            assert "Beekmere" not in html, address
        document = HTMLParser(client.get(page).get_data(as_text=True))
        heads = [th.text() for th in document.css("table.compared th.place")]
        assert heads and set(heads) == {"Akkerdorp", "Lindeveld", "Samen"}, page
    for download in DOWNLOADS:
        text = client.get(download).get_data(as_text=True)
        assert "Beekmere" not in text and "Akkerdorp" in text, download
    # Akkerdorp has no referrals: the sum is Lindeveld's alone, Beekmere's never in it.
    sources = HTMLParser(client.get(SOURCES).get_data(as_text=True))
    for row in _body(_table(sources, "t-bronnen")):
        assert row[1] == "0" and row[2] == row[3], row
    interpreters = HTMLParser(client.get(INTERPRETERS).get_data(as_text=True))
    assert _body(_table(interpreters, "t-taal-en-maand"))[0] == [
        "Arabisch · mrt",
        "0",
        "2",
        "2",
        "0,00",
        "2,00",
        "2,00",
    ]
