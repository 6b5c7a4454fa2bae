"""Real processes for tests: gunicorn started as an operator would, another SQLite writer."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: str


def fetch(url: str) -> Answer:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback only
            return Answer(response.status, dict(response.headers), response.read().decode())
    except urllib.error.HTTPError as error:
        return Answer(error.code, dict(error.headers), error.read().decode())


def portal_environment(instance: Path, **extra: str) -> dict[str, str]:
    """The environment of a portal process: this one's, without the suite's own settings."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PORTAL_", "FLASK_", "PYTEST_"))
    }
    environment |= {
        "PORTAL_INSTANCE_PATH": str(instance),
        "PORTAL_SECRET_KEY": "a-test-secret-key-for-a-real-server",
        "PORTAL_WORKERS": "1",
    }
    return environment | extra


@contextmanager
def gunicorn(command: Sequence[str], *, cwd: Path, env: dict[str, str], log: Path) -> Iterator[str]:
    """Start gunicorn, wait until it answers /healthz, yield its base URL, stop it by its pid."""
    port = free_port()
    env = env | {"PORTAL_BIND": f"127.0.0.1:{port}"}
    base = f"http://127.0.0.1:{port}"
    with log.open("w") as output:
        server = subprocess.Popen(  # noqa: S603 - the suite's own interpreter and tools
            list(command), cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                if server.poll() is not None:
                    raise AssertionError(f"gunicorn exited:\n{log.read_text()}")
                try:
                    if fetch(f"{base}/healthz").status == 200:
                        break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError(f"gunicorn did not answer:\n{log.read_text()}")
                time.sleep(0.1)
            yield base
        finally:
            server.terminate()
            server.wait(timeout=30)


@contextmanager
def write_lock_held(path: Path) -> Iterator[None]:
    """Another process takes SQLite's write lock and keeps it until the block ends."""
    script = (
        "import sqlite3, time\n"
        f"c = sqlite3.connect({str(path)!r}, isolation_level=None)\n"
        "c.execute('BEGIN IMMEDIATE')\n"
        "print('locked', flush=True)\n"
        "time.sleep(60)\n"
    )
    with subprocess.Popen(  # noqa: S603 - this interpreter with a fixed script
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True
    ) as holder:
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
            yield
        finally:
            holder.kill()
