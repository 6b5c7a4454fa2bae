"""Login limits in a shared store: a real redis-server, started by the test."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time

import pytest
import redis
from limits import parse

from portal import create_app, throttle
from portal.extensions import db, limiter

from .conftest import Browserless, app_config
from .servers import free_port

LIMIT = "3 per minute"


class RedisServer:
    """A redis-server of the test's own, on a free port."""

    def __init__(self, process: subprocess.Popen, port: int):
        self.process, self.url = process, f"redis://127.0.0.1:{port}"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


@pytest.fixture
def redis_server(tmp_path):
    server_binary = shutil.which("redis-server")
    assert server_binary, "redis-server is needed (Debian: apt-get install redis-server)"
    port = free_port()
    command = [server_binary, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    command += ["--appendonly", "no", "--dir", str(tmp_path)]
    with subprocess.Popen(command, stdout=subprocess.DEVNULL) as server:  # noqa: S603
        client = redis.Redis(host="127.0.0.1", port=port)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)
        try:
            yield RedisServer(server, port)
        finally:
            client.close()
            server.terminate()


@pytest.fixture
def redis_url(redis_server):
    return redis_server.url


@pytest.fixture
def keep_suite_limiter():
    # Flask-Limiter keeps one store per Limiter object, and the portal has one: each new app
    # replaces it. The suite's app gets its own back afterwards.
    names = ("_storage", "_limiter", "_storage_dead", "_fallback_limiter", "_fallback_storage")
    saved = {name: getattr(limiter, name, None) for name in names}
    yield
    for name, value in saved.items():
        setattr(limiter, name, value)


def portal_with(database_url: str, storage: str):
    return create_app(
        app_config(database_url) | {"RATELIMIT_STORAGE_URI": storage, "PORTAL_LOGIN_LIMIT": LIMIT}
    )


def failed_login(app, email: str) -> int:
    return Browserless(app).login(email, "not-the-password-at-all").status_code


@pytest.mark.parametrize(("storage", "after_restart"), [("redis", 429), ("memory://", 422)])
def test_login_limits_in_redis_outlive_the_process_that_counted_them(
    app, world, database_url, redis_url, keep_suite_limiter, storage, after_restart
):
    uri = redis_url if storage == "redis" else storage
    first = portal_with(database_url, uri)
    assert [failed_login(first, world.desk.email) for _ in range(4)] == [422, 422, 422, 429]
    # Another process (or a restarted one) builds its own connection to the store.
    second = portal_with(database_url, uri)
    assert failed_login(second, world.desk.email) == after_restart
    for built in (first, second):
        with built.app_context():
            db.engine.dispose()


def test_a_redis_store_without_its_client_says_which_extra_to_install(
    database_url, monkeypatch, keep_suite_limiter
):
    monkeypatch.setitem(sys.modules, "redis", None)
    with pytest.raises(RuntimeError, match=r"pip install 'onthaalportaal\[redis\]'"):
        portal_with(database_url, "redis://127.0.0.1:6379")


def test_logins_go_on_when_the_shared_store_goes_down_and_the_limit_still_holds(
    app, world, database_url, redis_server, keep_suite_limiter
):
    portal = portal_with(database_url, redis_server.url)
    assert failed_login(portal, world.desk.email) == 422
    redis_server.stop()
    assert Browserless(portal).login(world.toeleider.email).status_code == 303  # not a 500
    # Counted in this process's memory while the store is down: three guesses, then refused.
    assert [failed_login(portal, world.desk.email) for _ in range(4)] == [422, 422, 422, 429]
    with portal.app_context():
        # What the views count themselves: a second-factor code used once, a look-up limit.
        assert throttle.seen_before("code|1|123456", 120) is False
        assert throttle.seen_before("code|1|123456", 120) is True
        assert throttle.hit(parse(LIMIT), "person-check", "1") is True
        db.engine.dispose()
