"""One log line per request, with its id, and never a name, phone number or query."""

from __future__ import annotations

import logging
import re

import pytest

from portal.extensions import db

from .factories import add_referral
from .test_intake import valid_intake

LINE = re.compile(
    r"request_id=(?P<id>\S+) method=(?P<method>\S+) path=(?P<path>\S+) "
    r"endpoint=(?P<endpoint>\S+) status=(?P<status>\d{3}) duration_ms=(?P<ms>\d+\.\d)$"
)


def request_lines(caplog) -> list[dict[str, str]]:
    lines = []
    for record in caplog.records:
        if record.name == "portal.request":
            match = LINE.match(record.getMessage())
            assert match, record.getMessage()
            lines.append(match.groupdict())
    return lines


@pytest.fixture
def logs(caplog):
    # Everything any logger writes, to the lowest level, is searched for personal data.
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="portal")
    return caplog


def test_each_request_writes_one_line_with_its_id(as_desk, logs):
    logs.clear()
    response = as_desk.get("/desk/?focus=x", buffered=True)
    (line,) = request_lines(logs)
    assert line["id"] == response.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", line["id"])
    assert (line["method"], line["path"], line["endpoint"], line["status"]) == (
        "GET",
        "/desk/",
        "desk.intake",
        "200",
    )
    assert float(line["ms"]) > 0


def test_the_proxys_request_id_is_kept_when_valid_and_replaced_when_not(client, logs):
    given = client.get("/healthz", headers={"X-Request-ID": "edge-7f3a9c21"}, buffered=True)
    forged = client.get("/healthz", headers={"X-Request-ID": "x status=200 Rania"}, buffered=True)
    assert given.headers["X-Request-ID"] == "edge-7f3a9c21"
    assert re.fullmatch(r"[0-9a-f]{32}", forged.headers["X-Request-ID"])
    assert [line["id"] for line in request_lines(logs)] == [
        "edge-7f3a9c21",
        forged.headers["X-Request-ID"],
    ]
    assert "Rania" not in logs.text


def test_answered_health_probes_are_logged_at_debug_only(client, logs):
    client.get("/healthz", buffered=True)
    client.get("/login", buffered=True)
    # The suite's database is not migrated: a probe that fails is worth a line.
    assert client.get("/readyz", buffered=True).status_code == 503
    levels = [
        (r.levelname, r.getMessage().split(" path=")[1].split()[0])
        for r in logs.records
        if r.name == "portal.request"
    ]
    assert levels == [("DEBUG", "/healthz"), ("INFO", "/login"), ("INFO", "/readyz")]


def test_a_page_that_does_not_exist_is_logged_without_an_endpoint(client, logs):
    client.get("/nergens?naam=Haddad", buffered=True)
    (line,) = request_lines(logs)
    assert (line["path"], line["endpoint"], line["status"]) == ("/nergens", "-", "404")
    assert "Haddad" not in logs.text


def test_searching_a_name_and_registering_a_resident_log_no_personal_data(client, world, logs):
    add_referral(db.session, world, full_name="Rania Haddad", phone="+32470123456")
    client.login(world.toeleider.email)
    client.get("/search/?q=Rania+Haddad", buffered=True)
    client.get("/search/?q=0470123456", buffered=True)
    client.login(world.desk.email)
    saved = client.post(
        "/desk/",
        valid_intake(world, full_name="Samira Benali", phone="0470 98 76 54"),
        buffered=True,
    )
    assert saved.status_code == 303
    paths = [(line["method"], line["path"], line["status"]) for line in request_lines(logs)]
    assert ("GET", "/search/", "200") in paths  # the name: a list of results
    assert ("GET", "/search/", "303") in paths  # the exact phone: straight to the file
    assert ("POST", "/desk/", "303") in paths
    for personal in ("Rania", "Haddad", "Samira", "Benali", "470123456", "470987654", "98 76"):
        assert personal not in logs.text, personal
    assert "rania@example.org" not in logs.text and "Kerkstraat" not in logs.text


def test_the_level_comes_from_portal_log_level(app, database_url, logs):
    from portal import create_app

    from .conftest import app_config

    portal_logger = logging.getLogger("portal")
    level = portal_logger.level
    try:
        quiet = create_app(app_config(database_url) | {"PORTAL_LOG_LEVEL": "WARNING"})
        quiet.test_client().get("/healthz", buffered=True)
    finally:
        portal_logger.setLevel(level)
    assert request_lines(logs) == []
