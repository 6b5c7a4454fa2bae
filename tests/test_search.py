"""The header search: anyone the user may see, by name, phone, e-mail or file number."""

from __future__ import annotations

import http.cookiejar
import json
import logging
import re
import threading
import urllib.parse
import urllib.request
from datetime import datetime

import pytest
from selectolax.parser import HTMLParser
from sqlalchemy import event, insert, select
from werkzeug.serving import make_server

from portal.extensions import db
from portal.models import AccessLogEntry, Person, Referral, ReferralState, SearchKey, SearchKeyKind
from portal.privacy.retention import erase_person
from portal.referrals.lifecycle import record_event
from portal.search.finding import _in_range, find, read_terms
from portal.search.keys import refresh_search_keys

from .factories import PASSWORD, add_referral

NOW = datetime(2026, 11, 26, 10, 15)


def _names(response) -> list[str]:
    """The names in the result list, in order."""
    tree = HTMLParser(response.get_data(as_text=True))
    return [node.text(strip=True) for node in tree.css("[data-search-results] .result-name")]


def _search(client, text: str, **kwargs):
    return client.get("/search/?" + urllib.parse.urlencode({"q": text}), **kwargs)


@pytest.fixture
def as_toeleider(client, world):
    client.login(world.toeleider.email)
    return client


def test_a_name_is_found_whatever_the_accents_case_order_or_ending(as_toeleider, world):
    add_referral(db.session, world, full_name="Ayşe Yılmaz", phone="+32470111222")
    add_referral(db.session, world, full_name="Rania Haddad")
    for text in ("Ayşe Yılmaz", "ayse yilmaz", "YILMAZ AYSE", "yılm", "yil ay", "Ay"):
        assert _names(_search(as_toeleider, text)) == ["Ayşe Yılmaz"], text
    assert _names(_search(as_toeleider, "ilmaz")) == []  # a part must start a name part
    assert _names(_search(as_toeleider, "ayse haddad")) == []  # every part must match


def test_a_phone_number_in_any_notation_opens_the_file(as_toeleider, world):
    referral = add_referral(db.session, world, phone="+32470123456")
    add_referral(db.session, world, full_name="Olga Ivanova", phone="+32470999000")
    for text in ("0470 12 34 56", "+32 470 12 34 56", "0032470123456", "0470/12.34.56"):
        response = _search(as_toeleider, text)
        assert response.status_code == 303, text
        assert response.headers["Location"].endswith(f"/referrals/{referral.id}")


def test_a_phone_number_shared_by_two_persons_lists_both(as_toeleider, world):
    add_referral(db.session, world, full_name="Rania Haddad", phone="+32470123456")
    add_referral(db.session, world, full_name="Omar Haddad", phone="+32470123456")
    response = _search(as_toeleider, "0470 12 34 56")
    assert response.status_code == 200
    assert sorted(_names(response)) == ["Omar Haddad", "Rania Haddad"]


def test_an_exact_reference_opens_the_file(as_toeleider, world):
    add_referral(db.session, world, full_name="Olga Ivanova")
    referral = add_referral(db.session, world)
    number = int(referral.reference.split("-")[1])
    for text in (referral.reference, f"2026-{number}", f" {referral.reference} "):
        response = _search(as_toeleider, text)
        assert response.status_code == 303
        assert response.headers["Location"].endswith(f"/referrals/{referral.id}")


def test_an_email_address_is_found_in_lower_case_and_by_its_start(as_toeleider, world):
    add_referral(db.session, world, email="Rania.Haddad@Example.org")
    add_referral(db.session, world, full_name="Olga Ivanova", email="olga@example.org")
    assert _names(_search(as_toeleider, "rania.haddad@example.org")) == ["Rania Haddad"]
    assert _names(_search(as_toeleider, "RANIA.HADDAD@")) == ["Rania Haddad"]


def test_a_toeleider_never_finds_files_of_other_municipalities(as_toeleider, client, world):
    add_referral(db.session, world, full_name="Rania Haddad")
    elsewhere = add_referral(
        db.session,
        world,
        by=world.outsider,
        municipality_id=world.other_municipality.id,
        source_service_id=world.other_service.id,
        full_name="Rania Haddad",
        phone="+32470555666",
    )
    assert _names(_search(as_toeleider, "Haddad")) == ["Rania Haddad"]
    for text in (elsewhere.reference, "0470 55 56 66"):
        response = _search(as_toeleider, text)
        assert response.status_code == 200 and _names(response) == [], text
    client.post("/logout", {})
    client.login(world.lead.email)  # the lead works for both municipalities
    assert _names(_search(client, "Haddad")) == ["Rania Haddad", "Rania Haddad"]


def test_a_desk_worker_has_no_header_search(as_desk, world):
    add_referral(db.session, world)
    assert _search(as_desk, "Haddad").status_code == 403
    page = HTMLParser(as_desk.get("/desk/").get_data(as_text=True))
    assert page.css_first("#header-search") is None


def test_the_header_search_is_on_every_page_of_toeleiders_and_leads(client, world):
    for user, path in ((world.toeleider, "/queue/"), (world.lead, "/lead/")):
        client.login(user.email)
        page = HTMLParser(client.get(path, follow_redirects=True).get_data(as_text=True))
        box = page.css_first("form[role=search] #header-search")
        assert box is not None and box.attributes["name"] == "q"
        client.post("/logout", {})


def test_closed_files_are_found_with_their_state_owner_and_last_activity(as_toeleider, world):
    referral = add_referral(db.session, world, at=datetime(2026, 10, 2, 9, 0))
    referral.state, referral.outcome = ReferralState.CLOSED.value, "completed"
    referral.owner_id = world.toeleider.id
    record_event(db.session, referral, world.toeleider, datetime(2026, 11, 20, 14, 0), "closed")
    db.session.commit()
    response = _search(as_toeleider, "haddad")
    [meta] = [
        node.text(strip=True)
        for node in HTMLParser(response.get_data(as_text=True)).css(".result-meta")
    ]
    assert referral.reference in meta
    assert "afgesloten" in meta
    assert world.toeleider.full_name in meta
    assert "20/11/2026" in meta


def test_live_results_are_a_list_of_links_without_jumping(as_toeleider, world):
    referral = add_referral(db.session, world)
    response = _search(
        as_toeleider,
        referral.reference,
        headers={"HX-Request": "true", "HX-Target": "header-search-results"},
    )
    assert response.status_code == 200
    tree = HTMLParser(response.get_data(as_text=True))
    assert tree.css_first("html") is None or tree.css_first("header") is None
    [link] = tree.css("[data-search-results] a")
    assert link.attributes["href"] == f"/referrals/{referral.id}"


def test_a_search_is_logged_as_a_view_of_the_files_it_showed(as_toeleider, world):
    first = add_referral(db.session, world)
    second = add_referral(db.session, world, full_name="Omar Haddad", phone="+32470999000")
    _search(as_toeleider, "haddad")
    _search(as_toeleider, "nobody")
    entries = db.session.scalars(
        select(AccessLogEntry).where(AccessLogEntry.action == "search")
    ).all()
    assert sorted((e.referral_id or 0) for e in entries) == [0, first.id, second.id]
    assert all(e.user_id == world.toeleider.id for e in entries)


def test_an_anonymised_person_is_found_by_nothing(as_toeleider, world):
    referral = add_referral(db.session, world, email="rania@example.org")
    reference = referral.reference
    erase_person(db.session, referral.person, actor=world.lead, at=NOW)
    db.session.commit()
    for text in ("Rania Haddad", "0470 12 34 56", "rania@example.org", reference):
        response = _search(as_toeleider, text)
        assert response.status_code == 200 and _names(response) == [], text
    assert db.session.scalars(select(SearchKey)).all() == []


def test_changed_person_fields_are_found_after_refreshing_the_keys(as_toeleider, world):
    referral = add_referral(db.session, world)
    person = db.session.get(Person, referral.person_id)
    person.full_name, person.phone = "Rania El Amrani", "+32470999111"
    refresh_search_keys(person)
    db.session.commit()
    assert _names(_search(as_toeleider, "haddad")) == []
    assert _names(_search(as_toeleider, "amrani el")) == ["Rania El Amrani"]
    assert _search(as_toeleider, "0470 99 91 11").status_code == 303


def test_the_search_reads_what_was_typed():
    assert read_terms("2026-17").reference == "2026-000017"
    assert read_terms("0470 12 34 56").phone == "32470123456"
    assert read_terms("0470 12").is_empty  # not a number that can be dialled
    assert read_terms("  Élodie   d'Hondt ").name_parts == ("elodie", "dhondt")
    assert read_terms("X@Example.BE").email == "x@example.be"
    assert read_terms("   ").is_empty


def test_the_search_term_never_reaches_the_application_log(app, world, caplog):
    """Through a real server, as in production: the request lines lose the query string."""
    add_referral(db.session, world, full_name="Zerihun Tesfaye")
    caplog.set_level(logging.INFO, logger="werkzeug")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    try:
        login_page = opener.open(f"{base}/login").read().decode()
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page)
        form = {"email": world.toeleider.email, "password": PASSWORD, "csrf_token": token[1]}
        opener.open(f"{base}/login", urllib.parse.urlencode(form).encode())
        page = opener.open(f"{base}/search/?q=Zerihun+Tesfaye").read().decode()
    finally:
        server.shutdown()
        thread.join()
    assert "Zerihun Tesfaye" in page  # the search did run and find the person
    assert "GET /search/" in caplog.text
    assert "Zerihun" not in caplog.text and "Tesfaye" not in caplog.text


def _search_statement_work(user, text: str) -> int:
    """How much the database reads for the statement a search finds its files with.

    Deterministic, unlike a time: SQLite's virtual machine steps, or on PostgreSQL the
    buffers EXPLAIN ANALYZE counts.
    """
    seen: list[tuple[str, object]] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        find(db.session, user, text)
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    # The statement with the LIMIT: the one that finds the files (from the search keys, or
    # from the persons a rare name part gave).
    statement, parameters = next((s, p) for s, p in seen if "LIMIT" in s and "referral" in s)
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        sql = f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {statement}"
        plan = connection.exec_driver_sql(sql, parameters).scalar_one()
        plan = (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]
        return plan["Shared Hit Blocks"] + plan["Shared Read Blocks"]
    steps = [0]

    def count() -> int:
        steps[0] += 1
        return 0

    raw = connection.connection.dbapi_connection
    raw.set_progress_handler(count, 10)
    try:
        connection.exec_driver_sql(statement, parameters).all()
    finally:
        raw.set_progress_handler(None, 0)
    return steps[0]


def _many_mohammeds_and_one_li(world, common: int = 3_000) -> None:
    """One 'Mohammed Li' among `common` persons called Mohammed, each with a file."""
    model = add_referral(db.session, world, full_name="Mohammed Li", phone=None)
    db.session.execute(
        insert(Person),
        [
            {"id": 1000 + n, "full_name": f"Mohammed X{n}", "name_key": f"mohammed x{n}"}
            | {"created_at": NOW, "version": 1}
            for n in range(common)
        ],
    )
    db.session.execute(
        insert(SearchKey),
        [{"person_id": 1000 + n, "kind": "name", "value": "mohammed"} for n in range(common)]
        + [{"person_id": 1000 + n, "kind": "name", "value": f"x{n}"} for n in range(common)],
    )
    row = {c.name: getattr(model, c.name) for c in Referral.__table__.c}
    db.session.execute(
        insert(Referral),
        [
            row | {"id": 1000 + n, "person_id": 1000 + n, "reference": f"2026-{1000 + n:06d}"}
            for n in range(common)
        ],
    )
    db.session.commit()


def _gather_statistics() -> None:
    """What autovacuum does on a PostgreSQL server some time after a load."""
    if db.engine.dialect.name == "postgresql":
        for table in ("person", "referral", "search_key"):
            db.session.connection().exec_driver_sql(f"ANALYZE {table}")


def test_a_common_given_name_typed_with_a_rare_family_name_reads_no_more_than_the_rare_one(
    world,
):
    """'Mohammed Li' starts from the few persons called Li, not from every Mohammed."""
    _many_mohammeds_and_one_li(world)
    _gather_statistics()
    assert [
        r.person.full_name for r in find(db.session, world.toeleider, "Mohammed Li").referrals
    ] == ["Mohammed Li"]
    rare_alone = _search_statement_work(world.toeleider, "Li")
    assert _search_statement_work(world.toeleider, "Mohammed Li") <= 3 * rare_alone + 10


def test_a_rare_name_is_read_first_even_when_the_statistics_predate_a_load(world):
    """Between a load and autovacuum PostgreSQL plans from the statistics of before: it read
    every file to find one 'Li', and started from every 'Mohammed' to find 'Mohammed Li'
    (about 6,000 buffers each instead of 70). A part that starts few keys is read first."""
    add_referral(db.session, world, full_name="Olga Ivanova", phone=None)
    db.session.commit()
    _gather_statistics()  # of a nearly empty database
    db.session.commit()
    _many_mohammeds_and_one_li(world)
    before = [_search_statement_work(world.toeleider, t) for t in ("Li", "Mohammed Li")]
    _gather_statistics()
    after = _search_statement_work(world.toeleider, "Li")
    # The stale plan may still read the files table once (its pages), never a look-up per
    # Mohammed (about 4,000 buffers here).
    files_once = 0
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        files_once = connection.exec_driver_sql(
            "SELECT pg_relation_size('referral') / current_setting('block_size')::int"
        ).scalar_one()
    assert max(before) <= 3 * after + files_once + 100, (before, after, files_once)


def test_the_database_knows_how_many_keys_start_with_a_prefix_that_is_not_among_the_commonest(
    world,
):
    """The planner picks how to join two name parts by how many keys each starts; a guess of
    one row for every prefix outside the commonest names made it probe thousands of keys one by
    one. The prefix is one index range on both backends, and PostgreSQL estimates its size."""
    add_referral(db.session, world, full_name="Rania Haddad", phone=None)
    common = [f"common{chr(97 + n // 26)}{chr(97 + n % 26)}" for n in range(150)]
    values = [name for name in common for _ in range(100)] + ["hoxha"] * 60
    values += [f"rare{n}" for n in range(2000)]
    db.session.execute(
        insert(Person),
        [{"id": 10 + n, "full_name": "X", "name_key": "x", "created_at": NOW} for n in range(4)],
    )
    db.session.execute(
        insert(SearchKey),
        [{"person_id": 10 + n % 4, "kind": "name", "value": v} for n, v in enumerate(values)],
    )
    db.session.commit()
    prefix = select(SearchKey.id).where(_in_range(SearchKey, SearchKeyKind.NAME, "hoxha"))
    connection = db.session.connection()
    sql = str(prefix.compile(connection, compile_kwargs={"literal_binds": True}))
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("ANALYZE search_key")
        plan = connection.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {sql}").scalar_one()
        plan = (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]
        assert "ix_search_key_kind_value_person" in json.dumps(plan)
        assert 60 / 3 <= plan["Plan Rows"] <= 60 * 3
    else:
        steps = " ".join(row[3] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
        assert "ix_search_key_kind_value_person (kind=? AND value>? AND value<?)" in steps


def test_an_underscore_or_percent_in_an_email_is_that_character_only(as_toeleider, world):
    add_referral(db.session, world, full_name="Rania Haddad", email="r_h%1@example.org")
    add_referral(db.session, world, full_name="Olga Ivanova", email="rxhx1@example.org", phone=None)
    assert _names(_search(as_toeleider, "r_h%1@")) == ["Rania Haddad"]
    assert _names(_search(as_toeleider, "rxh")) == []  # no e-mail: read as a name
    assert _names(_search(as_toeleider, "rxhx1@")) == ["Olga Ivanova"]
