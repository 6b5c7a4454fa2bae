"""Fuzz every route, form and query parameter with hostile input: never a 500, and a refused
request stores nothing.

The routes come from the app's URL map, the forms from the WTForms classes (each POST route
gets the forms its view names, or all of them), the query parameters from the request.args
reads in the portal's source: a new route, form or parameter is fuzzed without listing it.
The number of inputs tried is printed at the end of the run (PORTAL_FUZZ_EXAMPLES sets it).
"""

from __future__ import annotations

import inspect
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from flask import Flask
from flask_wtf import FlaskForm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, func, select, update
from werkzeug.datastructures import MultiDict
from werkzeug.routing import Rule
from wtforms.fields.core import UnboundField

import portal
from portal.extensions import db
from portal.models import User

from .conftest import FUZZ_REPORT, Browserless, backend, csrf_token
from .factories import PASSWORD, World, add_referral, password_hash

EXAMPLES = int(os.environ.get("PORTAL_FUZZ_EXAMPLES", "2000"))
CALENDAR_TOKEN = "fuzz-calendar-token"
ROLES = ("desk", "toeleider", "lead", "admin", None)
# Logging out would end the fuzzer's own sessions; the logout is tested in test_auth. The
# readiness probe answers 503 on the tests' schema (built without migrations): that is its
# answer, not a failure; it has tests of its own.
SKIPPED_ENDPOINTS = {"static", "auth.logout", "health.readyz"}
# Path parts some routes expect; any other text is tried too.
KNOWN_PATH_TEXT = [
    "themes",
    "services",
    "languages",
    "kpis",
    "programmes",
    "channels",
    "municipalities",
    "needs",
    "parameters",
    "unclaimed",
    "letters",
    "new_today",
    "slot",
    "absence",
    "held",
    "no_show",
    "talen",
    "bereikt",
    "phone",
    "full_name",
    "ar",
    "new",
]

HOSTILE_SAMPLES = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\x00" * 10,
    "\x1b[31m",
    "\r\n",
    "\t",
    "\x7f\x85\u2028",
    "\ud7ff\ufffe\uffff",
    "²",
    "①②",
    "١٢٣",
    "²⁰²⁶",
    "𝟙𝟚",
    "1_000",
    "+1",
    "-1",
    "0",
    "1.5",
    "1e309",
    "NaN",
    "true",
    "null",
    "[]",
    "{}",
    '{"a": 1}',
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{ 7*7 }}",
    "' OR 1=1 --",
    "'; DROP TABLE users; --",
    '" OR ""="',
    "%00",
    "%",
    "_",
    "\\",
    "../../etc/passwd",
    "/\t/example.org/",
    "//example.org",
    "javascript:alert(1)",
    '=HYPERLINK("https://example.org","x")',
    "@SUM(A1)",
    "2026-02-30",
    "0000-00-00",
    "9999-12-31",
    "31/12/2026",
    "25:61",
    str(2**31 - 1),
    str(2**31),
    str(2**63 - 1),
    str(2**63),
    str(2**64),
    "9" * 40,
    "x" * 5000,
    "é" * 3000,
]
# Too big for a URL, and slow to send on every request: in form bodies now and then.
HUGE = "Ā" * 60_000

hostile_text = st.one_of(
    st.sampled_from(HOSTILE_SAMPLES),
    st.text(max_size=40),
    st.text(st.characters(max_codepoint=0x9F), max_size=12),
    st.integers(min_value=-(2**65), max_value=2**65).map(str),
    st.integers(min_value=0, max_value=12).map(str),
)


@dataclass
class Target:
    rule: Rule
    method: str
    forms: list[type[FlaskForm]]


@dataclass
class Fuzzer:
    app: Flask
    world: World
    clients: dict[str | None, Browserless]
    tokens: dict[str | None, str] = field(default_factory=dict)
    logged_out: set[str] = field(default_factory=set)
    counts: tuple[int, ...] | None = None
    writes: list[str] = field(default_factory=list)
    tried: int = 0
    writing: int = 0
    refused: int = 0


def form_classes() -> list[type[FlaskForm]]:
    found: list[type[FlaskForm]] = []
    todo = list(FlaskForm.__subclasses__())
    while todo:
        cls = todo.pop()
        if cls.__module__.startswith("portal.") and cls not in found:
            found.append(cls)
        todo.extend(cls.__subclasses__())
    return sorted(found, key=lambda c: (c.__module__, c.__name__))


def field_names(cls: type[FlaskForm]) -> list[str]:
    return sorted(
        name
        for name in dir(cls)
        if not name.startswith("_") and isinstance(getattr(cls, name, None), UnboundField)
    )


def query_names(forms: list[type[FlaskForm]]) -> list[str]:
    """Every query argument the portal reads, found in its source."""
    names: set[str] = set()
    reads = re.compile(r'request\.args\.(?:get|getlist)\(\s*"(\w+)"|_int_arg\(\s*"(\w+)"')
    form_reads = re.compile(r"(\w+Form)\(request\.args")
    by_name = {cls.__name__: cls for cls in forms}
    for path in Path(portal.__file__).parent.rglob("*.py"):
        source = path.read_text()
        for match in reads.finditer(source):
            names.add(match.group(1) or match.group(2))
        for match in form_reads.finditer(source):
            names.update(field_names(by_name[match.group(1)]))
    return sorted(names)


def targets(app: Flask, forms: list[type[FlaskForm]]) -> list[Target]:
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIPPED_ENDPOINTS:
            continue
        view = inspect.unwrap(app.view_functions[rule.endpoint])
        source = inspect.getsource(view)
        named = [cls for cls in forms if re.search(rf"\b{cls.__name__}\b", source)]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append(Target(rule, method, named or forms))
    return found


# Names no form or page expects, some of them url_for's own arguments.
STRANGERS = ["_method", "_external", "_anchor", "_scheme", "endpoint", "key", "values", "id"]
WRITES = re.compile(r"\b(INSERT|DELETE|TRUNCATE|REPLACE)\b", re.IGNORECASE)
PATH_PART = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


@st.composite
def path_of(draw: st.DrawFn, rule: Rule, tokens: list[str]) -> str:
    def part(match: re.Match[str]) -> str:
        if match.group(1) == "int":
            value = draw(
                st.one_of(
                    st.integers(min_value=0, max_value=12).map(str),
                    st.integers(min_value=2**31 - 2, max_value=2**64).map(str),
                    hostile_text,
                )
            )
        else:
            value = draw(st.one_of(st.sampled_from(KNOWN_PATH_TEXT + tokens), hostile_text))
        return quote(value, safe="") or "x"

    return PATH_PART.sub(part, rule.rule)


@st.composite
def pairs_of(draw: st.DrawFn, names: list[str], huge: bool = False) -> list[tuple[str, str]]:
    """Some of the names (missing ones, duplicated ones) with hostile values, and strangers."""
    chosen = draw(st.lists(st.sampled_from(names), max_size=len(names) + 3)) if names else []
    pairs = [(name, draw(hostile_text)) for name in chosen]
    if huge and pairs and draw(st.integers(0, 19)) == 0:
        pairs[0] = (pairs[0][0], HUGE)
    if draw(st.integers(0, 4)) == 0:
        stranger = draw(st.one_of(st.sampled_from(STRANGERS), hostile_text)) or "x"
        pairs.append((stranger, draw(hostile_text)))
    return pairs


def table_counts() -> tuple[int, ...]:
    """The number of rows of every table, in one statement."""
    counts = [
        select(func.count()).select_from(t).scalar_subquery() for t in db.metadata.sorted_tables
    ]
    with db.engine.connect() as connection:
        return tuple(connection.execute(select(*counts)).one())


def client_for(fuzzer: Fuzzer, role: str | None) -> Browserless:
    client = fuzzer.clients[role]
    if role is not None and role in fuzzer.logged_out:
        # A fuzzed admin request may have switched this account off or changed its password.
        user: User = getattr(fuzzer.world, role)
        db.session.execute(
            update(User)
            .where(User.id == user.id)
            .values(active=True, password_hash=password_hash(), must_change_password=False)
        )
        db.session.commit()
        client.login(user.email, PASSWORD)
        fuzzer.tokens[role] = csrf_token(client.client)
        fuzzer.logged_out.discard(role)
        fuzzer.counts = None
    return client


def send(fuzzer: Fuzzer, data: st.DataObject, target: Target, queries: list[str]) -> None:
    role = data.draw(st.sampled_from(ROLES), label="role")
    client = client_for(fuzzer, role)
    path = data.draw(path_of(target.rule, [CALENDAR_TOKEN]), label="path")
    query = data.draw(pairs_of(queries), label="query")
    headers = {"HX-Request": "true"} if data.draw(st.booleans(), label="htmx") else {}
    kwargs: dict[str, Any] = {"query_string": MultiDict(query), "headers": headers}
    if target.method != "GET":
        form = data.draw(st.sampled_from(target.forms), label="form")
        body = data.draw(pairs_of(field_names(form), huge=True), label="body")
        csrf = data.draw(st.sampled_from(["valid", "valid", "valid", "missing", "bad"]))
        if csrf == "valid":
            body.append(("csrf_token", fuzzer.tokens.get(role, "")))
        elif csrf == "bad":
            body.append(("csrf_token", data.draw(hostile_text)))
        kind = data.draw(st.sampled_from(["form", "form", "form", "multipart", "json"]))
        if kind == "json":
            kwargs["data"] = json.dumps(dict(body))
            kwargs["content_type"] = "application/json"
        elif kind == "multipart":
            kwargs["data"] = dict(body)
            kwargs["content_type"] = "multipart/form-data"
        else:
            kwargs["data"] = MultiDict(body)
    before = fuzzer.counts if fuzzer.counts is not None else table_counts()
    fuzzer.counts = before
    fuzzer.writes.clear()
    fuzzer.tried += 1
    try:
        response = client.client.open(path, method=target.method, **kwargs)
    except Exception as error:  # the test app propagates exceptions instead of a 500 page
        raise AssertionError(f"{target.method} {path} {kwargs!r} raised {error!r}") from error
    status = response.status_code
    assert status < 500, (target.method, path, kwargs, status)
    if status >= 400:
        fuzzer.refused += 1
    if fuzzer.writes:
        fuzzer.writing += 1
        # Rows come and go by INSERT and DELETE only: without one the counts stand.
        after = table_counts()
        if status >= 400:
            assert after == before, ("stored by a refused request", target.method, path, kwargs)
        fuzzer.counts = after
    location = response.headers.get("Location", "")
    # A fuzzed admin reset also makes the account choose a new password first.
    if role is not None and (status == 401 or location.startswith(("/login", "/account/password"))):
        fuzzer.logged_out.add(role)


def test_fuzz_every_route_form_and_query_parameter(app, world, request, monkeypatch):
    # The fuzzer logs in again and again, far beyond what the rate limits allow a person.
    for key, value in list(app.config.items()):
        if key.startswith("PORTAL_") and key.endswith("_LIMIT") and "per" in str(value):
            monkeypatch.setitem(app.config, key, "1000000 per minute")
    add_referral(db.session, world)
    add_referral(db.session, world, by=world.other_desk)
    world.toeleider.calendar_token = CALENDAR_TOKEN
    db.session.commit()
    forms = form_classes()
    queries = query_names(forms)
    all_targets = targets(app, forms)
    clients = {role: Browserless(app) for role in ROLES}
    fuzzer = Fuzzer(app, world, clients, logged_out={r for r in ROLES if r is not None})
    fuzzer.tokens[None] = csrf_token(clients[None].client, "/login")

    def note_write(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if WRITES.search(statement):
            fuzzer.writes.append(statement)

    event.listen(db.engine, "before_cursor_execute", note_write)
    request.addfinalizer(lambda: event.remove(db.engine, "before_cursor_execute", note_write))

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def one_request(data: st.DataObject) -> None:
        target = data.draw(st.sampled_from(all_targets), label="route")
        send(fuzzer, data, target, queries)

    try:
        one_request()
    finally:
        line = (
            f"fuzz ({backend()}): {fuzzer.tried} inputs tried on {len(all_targets)} routes, "
            f"{len(forms)} forms, {len(queries)} query parameters; {fuzzer.refused} refused, "
            f"{fuzzer.writing} wrote to the database"
        )
        request.config.stash.setdefault(FUZZ_REPORT, []).append(line)
    assert fuzzer.tried >= EXAMPLES
    assert fuzzer.writing > 0  # the write detector sees the access log of pages shown
    # Both kinds of route were reached: forms and query parameters.
    assert {t.method for t in all_targets} >= {"GET", "POST"}
    assert {"page", "year", "municipality", "q", "reference"} <= set(queries)


def test_fuzz_finds_the_forms_of_a_view(app):
    forms = form_classes()
    by_endpoint = {(t.rule.endpoint, t.method): t.forms for t in targets(app, forms)}
    assert "LoginForm" in [f.__name__ for f in by_endpoint[("auth.login", "POST")]]
    assert len(by_endpoint[("auth.login", "POST")]) < len(forms) / 4
    assert len(forms) > 20
