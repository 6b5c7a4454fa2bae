"""Production mode and gunicorn: what `make serve` starts, and what it refuses."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from flask_migrate import upgrade
from sqlalchemy import func, select

from portal import create_app
from portal.extensions import db
from portal.models import Municipality

from .conftest import app_config
from .servers import fetch, gunicorn, portal_environment

CHECKOUT = Path(__file__).resolve().parent.parent
GUNICORN = [str(CHECKOUT / ".venv" / "bin" / "gunicorn"), "-c", "gunicorn.conf.py"]


def production(database_url: str):
    return create_app(app_config(database_url) | {"PORTAL_ENV": "production"})


@pytest.fixture
def production_portal(empty_database):
    app = production(empty_database)
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_seed_demo_is_refused_in_production(production_portal):
    result = production_portal.test_cli_runner().invoke(args=["seed-demo", "--if-empty"])
    assert result.exit_code == 1
    assert "Demo data is refused in production" in result.output
    with production_portal.app_context():
        assert db.session.scalar(select(func.count()).select_from(Municipality)) == 0


def test_production_shows_no_demo_logins_and_refuses_a_database_that_has_them(
    production_portal, empty_database
):
    development = create_app(app_config(empty_database))
    assert "Demo data loaded." in development.test_cli_runner().invoke(args=["seed-demo"]).output
    assert "demo-wachtwoord" in development.test_cli_runner().invoke(args=["demo-info"]).output
    with development.app_context():
        db.engine.dispose()
    runner = production_portal.test_cli_runner()
    info = runner.invoke(args=["demo-info"]).output
    assert "Demo logins" not in info and "demo-wachtwoord" not in info
    check = runner.invoke(args=["check"])
    assert check.exit_code == 1
    assert "demo accounts exist (their password is public)" in check.output


def test_production_refuses_the_debugger(monkeypatch, tmp_path):
    monkeypatch.setenv("FLASK_DEBUG", "1")
    with pytest.raises(RuntimeError, match="debugger is refused in production"):
        production(f"sqlite:///{tmp_path / 'portal.sqlite3'}")


def test_an_unknown_environment_is_refused(monkeypatch, tmp_path):
    monkeypatch.setenv("PORTAL_ENV", "staging")
    with pytest.raises(RuntimeError, match="PORTAL_ENV must be one of production, development"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'portal.sqlite3'}"})


def test_gunicorn_serves_the_portal_and_warns_of_limits_kept_per_worker(
    production_portal, empty_database, tmp_path
):
    env = portal_environment(
        tmp_path / "instance", PORTAL_DATABASE_URL=empty_database, PORTAL_WORKERS="2"
    )
    log = tmp_path / "gunicorn.log"
    with gunicorn(GUNICORN, cwd=CHECKOUT, env=env, log=log) as base:
        assert fetch(f"{base}/readyz").body == "ready\n"
        login = fetch(f"{base}/login")
        assert login.status == 200 and "Aanmelden" in login.body
    output = log.read_text()
    assert "2 workers keep their login limits in memory, each its own" in output
    assert "Booting worker" in output
    # The portal's own request line, not gunicorn's access log (which has the query string).
    assert "method=GET path=/login endpoint=auth.login_page status=200" in output


def test_gunicorn_does_not_start_on_a_database_it_could_not_serve(tmp_path):
    env = portal_environment(
        tmp_path / "instance", PORTAL_DATABASE_URL=f"sqlite:///{tmp_path / 'new.sqlite3'}"
    )
    started = subprocess.run(  # noqa: S603 - the checkout's own gunicorn
        GUNICORN, cwd=CHECKOUT, env=env, capture_output=True, text=True, timeout=60
    )
    assert started.returncode != 0
    head = ScriptDirectory(str(CHECKOUT / "portal" / "migrations")).get_current_head()
    assert f"Not ready: migrations not at head (database at none, code at {head})" in started.stderr
    assert "Booting worker" not in started.stderr
