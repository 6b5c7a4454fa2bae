"""Real processes for tests: gunicorn started as an operator would, another SQLite writer."""

from __future__ import annotations

import html
import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent
CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|"X-CSRFToken": "([^"]+)"')


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: str


def fetch(url: str, headers: dict[str, str] | None = None) -> Answer:
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - loopback only
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback only
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


class Portal:
    """One gunicorn master and its workers, started with explicit arguments as in production.

    It runs in a process group of its own, so that stopping it reaches every worker, also the
    ones a killed master left behind.
    """

    def __init__(self, *, workers: int, env: dict[str, str], folder: Path, name: str):
        self.workers = workers
        self.env = env
        self.folder = folder
        self.name = name
        self.process: subprocess.Popen[bytes] | None = None
        self.base = ""
        self.starts = 0

    @property
    def pid_file(self) -> Path:
        return self.folder / f"{self.name}-{self.starts}.pid"

    @property
    def log(self) -> Path:
        return self.folder / f"{self.name}-{self.starts}.log"

    def logs(self) -> list[Path]:
        """The logs of every start, the first first."""
        return [self.folder / f"{self.name}-{n}.log" for n in range(1, self.starts + 1)]

    def start(self) -> str:
        """Start on a free loopback port, wait until it answers, return its base URL."""
        self.launch()
        return self.wait()

    def launch(self) -> None:
        """Start the processes; `wait` for them (several portals boot side by side)."""
        self.starts += 1
        port = free_port()
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            str(self.workers),
            "-b",
            f"127.0.0.1:{port}",
            "--pid",
            str(self.pid_file),
            "wsgi:app",
        ]
        with self.log.open("w") as output:
            self.process = subprocess.Popen(  # noqa: S603 - this interpreter's gunicorn
                command,
                cwd=CHECKOUT,
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.base = f"http://127.0.0.1:{port}"

    def wait(self) -> str:
        assert self.process is not None
        deadline = time.monotonic() + 60
        while len(self.worker_pids()) < self.workers or not self._answers():
            if self.process.poll() is not None:
                raise AssertionError(f"gunicorn exited:\n{self.log.read_text()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"gunicorn did not answer:\n{self.log.read_text()}")
            time.sleep(0.1)
        return self.base

    def _answers(self) -> bool:
        try:
            return fetch(f"{self.base}/healthz").status == 200
        except OSError:
            return False

    @property
    def master_pid(self) -> int:
        return int(self.pid_file.read_text())

    def worker_pids(self) -> list[int]:
        """The master's children: its workers (read from /proc, as `pgrep -P` does)."""
        if not self.pid_file.exists() or not self.pid_file.read_text().strip():
            return []
        master = self.master_pid
        found = []
        for stat_file in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat_file.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[1]) == master and fields[0] != "Z":
                found.append(int(stat_file.parent.name))
        return found

    def kill_worker(self) -> int:
        """SIGKILL one worker in the middle of its work; the master starts another."""
        victim = self.worker_pids()[0]
        os.kill(victim, signal.SIGKILL)
        return victim

    def kill(self) -> None:
        """SIGKILL the master and every worker at once, as a power cut or the OOM killer would."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        """Stop by the pid file's pid; kill what is left of the group after that.

        SIGQUIT is gunicorn's quick shutdown: the tests wait for no request to finish, and
        a graceful one takes seconds per worker on a busy machine.
        """
        if self.process is None:
            return
        if self.process.poll() is None:
            with suppress(ProcessLookupError, ValueError, OSError):
                os.kill(self.master_pid, signal.SIGQUIT)
            with suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=5)
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None  # the test looks at the 303 and its Location itself


class Visitor:
    """One person's browser over HTTP: a cookie jar shared by every host it talks to.

    The hosts are loopback ports of one address, so the session cookie of one is sent to the
    others, as behind a proxy. Redirects are not followed: the test reads them.
    """

    def __init__(self) -> None:
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirects()
        )
        self.token = ""

    def request(
        self,
        url: str,
        data: dict[str, str] | list[tuple[str, str]] | None = None,
        *,
        htmx: bool = False,
        timeout: float = 60,
    ) -> Answer:
        """GET, or POST the form `data` with the session's CSRF token."""
        body = None
        if data is not None:
            pairs = list(data.items()) if isinstance(data, dict) else list(data)
            body = urllib.parse.urlencode([*pairs, ("csrf_token", self.token)]).encode()
        headers = {"HX-Request": "true"} if htmx else {}
        call = urllib.request.Request(url, data=body, headers=headers)  # noqa: S310 - loopback
        try:
            with self.opener.open(call, timeout=timeout) as response:
                return Answer(response.status, dict(response.headers), response.read().decode())
        except urllib.error.HTTPError as error:
            return Answer(error.code, dict(error.headers), error.read().decode())

    def read_token(self, url: str) -> None:
        page = self.request(url)
        assert page.status == 200, f"{url}: {page.status}"
        match = CSRF_FIELD.search(page.body)
        assert match, f"no CSRF token on {url}"
        self.token = html.unescape(match.group(1) or match.group(2))

    def login(self, base: str, email: str, password: str, landing: str) -> None:
        """Log in as a browser does: the form, its token, the POST; then the landing page's
        token (the login starts a new session, with a token of its own)."""
        self.read_token(f"{base}/login")
        answer = self.request(f"{base}/login", {"email": email, "password": password})
        assert answer.status == 303, f"login of {email}: {answer.status}\n{answer.body[:2000]}"
        self.read_token(landing)
