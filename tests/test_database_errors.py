"""A database that is gone, read-only or locked: a Dutch page, never a trace, and nothing
typed is lost."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import pytest
from selectolax.parser import HTMLParser
from sqlalchemy import create_engine, func, select, text

from portal import create_app
from portal.extensions import db
from portal.models import Referral

from .conftest import Browserless, app_config, backend, csrf_token
from .servers import write_lock_held
from .test_intake import valid_intake

UNAVAILABLE = "De databank is even niet beschikbaar. Probeer het over een minuut opnieuw."
NOT_SAVED = "Niet bewaard: de databank is even niet beschikbaar."


@pytest.fixture
def portal_on():
    """Build portals on other database URLs; their connections are closed afterwards."""
    built = []

    def build(database_url: str, **config: object):
        built.append(create_app(app_config(database_url) | config))
        return built[-1]

    yield build
    for other in built:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


def logged_in_on(other_app, client: Browserless) -> Browserless:
    """A browser on `other_app` carrying the login that `client` made on the suite's app."""
    other = Browserless(other_app)
    cookie = client.client.get_cookie("session")
    assert cookie is not None
    other.client.set_cookie("session", cookie.value)
    return other


def page(response) -> HTMLParser:
    return HTMLParser(response.get_data(as_text=True))


def assert_dutch_unavailable_page(response) -> None:
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert page(response).css_first("h1").text() == UNAVAILABLE
    assert page(response).css_first("html").attributes["lang"] == "nl-BE"
    assert response.headers["Retry-After"] == "60"
    assert "Traceback" not in html and "Internal Server Error" not in html


@pytest.fixture(params=["postgresql", "sqlite"])
def unreachable_url(request, tmp_path) -> str:
    if request.param == "postgresql":
        # Nothing listens on the discard port here: the connection is refused at once.
        return "postgresql+psycopg://portal@127.0.0.1:9/portal"
    return f"sqlite:///{tmp_path / 'removed-folder' / 'portal.sqlite3'}"


def test_an_unreachable_database_gives_a_dutch_page_for_a_logged_in_user(
    client, world, portal_on, unreachable_url
):
    client.login(world.toeleider.email)
    gone = logged_in_on(portal_on(unreachable_url), client)
    response = gone.get("/queue/")
    assert_dutch_unavailable_page(response)
    # Nothing of the user's, whom the page could not load, is on it.
    assert world.toeleider.full_name not in response.get_data(as_text=True)


def test_logging_in_to_an_unreachable_database_keeps_the_email(world, portal_on, unreachable_url):
    browser = Browserless(portal_on(unreachable_url))
    # The login page itself needs no database.
    assert browser.get("/login").status_code == 200
    response = browser.post("/login", {"email": "ann@lindeveld.be", "password": "x" * 12})
    assert response.status_code == 503
    assert NOT_SAVED in page(response).css_first("p.notice").text()
    assert page(response).css_first("input[name=email]").attributes["value"] == "ann@lindeveld.be"


def read_only_url(database_url: str) -> str:
    if backend() == "postgresql":
        separator = "&" if "?" in database_url else "?"
        return f"{database_url}{separator}options=-c%20default_transaction_read_only%3Don"
    return f"sqlite:///file:{Path(database_url.removeprefix('sqlite:///'))}?mode=ro&uri=true"


def assert_intake_given_back(response, world) -> None:
    assert response.status_code == 503
    document = page(response)
    assert NOT_SAVED in document.css_first("p.notice").text()
    typed = valid_intake(world)
    for name in ("full_name", "phone", "email", "address"):
        assert document.css_first(f"input[name={name}]").attributes["value"] == typed[name]
    assert document.css_first("textarea[name=note]").text().strip() == typed["note"]


def referral_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Referral))


def test_a_save_on_a_read_only_database_keeps_the_typed_intake(
    client, world, portal_on, database_url
):
    client.login(world.desk.email)
    read_only = logged_in_on(portal_on(read_only_url(database_url)), client)
    response = read_only.post("/desk/", valid_intake(world), follow_redirects=False)
    assert_intake_given_back(response, world)
    assert referral_count() == 0


@contextmanager
def writes_blocked(database_url: str):
    """Another process or connection holds the lock a save needs, longer than it waits."""
    if backend() == "postgresql":
        engine = create_engine(database_url)
        with engine.connect() as connection:
            connection.execute(text("LOCK TABLE person IN EXCLUSIVE MODE"))
            yield
            connection.rollback()
        engine.dispose()
    else:
        with write_lock_held(Path(database_url.removeprefix("sqlite:///"))):
            yield


def test_a_save_that_waits_too_long_for_a_lock_keeps_the_typed_intake(
    client, world, portal_on, database_url
):
    client.login(world.desk.email)
    portal = portal_on(database_url, PORTAL_SQLITE_BUSY_MS=300, PORTAL_PG_LOCK_TIMEOUT_MS=300)
    if backend() == "postgresql":
        with portal.app_context(), db.engine.connect() as connection:
            assert connection.exec_driver_sql("SHOW lock_timeout").scalar() == "300ms"
    waiting = logged_in_on(portal, client)
    token = csrf_token(waiting.client, "/desk/")
    with writes_blocked(database_url):
        response = waiting.post("/desk/", valid_intake(world, csrf_token=token))
    assert_intake_given_back(response, world)
    assert referral_count() == 0
    # Once the lock is gone, the same form saves.
    assert waiting.post("/desk/", valid_intake(world)).status_code == 303
    assert referral_count() == 1


def test_an_unexpected_error_gives_the_dutch_page_without_the_menu(app, as_desk, monkeypatch):
    from portal.desk import views

    def broken(*_args, **_kwargs):
        raise RuntimeError("unexpected")

    monkeypatch.setattr(views, "registered_today_by", broken)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    response = as_desk.get("/desk/")
    assert response.status_code == 500
    assert page(response).css_first("h1").text().startswith("Er liep iets mis.")
    assert page(response).css_first("nav") is None
