"""Throughput of the queue page under gunicorn, as a ratio against a bare Flask baseline.

What it measures: the harness loads `--referrals` referrals into a throwaway database (or
`--reuse` takes what an earlier load left in `--database-url`), stamps it at the migrations'
head, and starts the portal as `make serve` does (gunicorn with the repository's config,
production mode, sync workers). A toeleider logs in over HTTP; then wrk, from a second
process on 127.0.0.1, requests GET /queue/ with that login for `--seconds`. In the same run
and under the same gunicorn settings, a bare Flask app (benchmarks/baseline_app.py) serves a
50-row Jinja table with no database and no login, and wrk measures it the same way. The
ratio queue / baseline is what the issue's target speaks of (queue page >= 40 % of baseline).
A third line measures the header's notification counter, the smallest page behind the login:
what any logged-in page costs before it shows anything.

Every request of the queue page is a real one: the login's session is checked and its last
activity recorded, the queue statement runs, the page is rendered and its view is logged.
All of wrk's connections share one login, so those writes all touch one row.

    .venv/bin/python benchmarks/throughput.py
    .venv/bin/python benchmarks/throughput.py --referrals 100000 --seconds 20
    .venv/bin/python benchmarks/throughput.py --reuse \\
        --database-url postgresql+psycopg://root@127.0.0.1:5432/portal_bench_search

Needs wrk (Debian: apt-get install wrk). Run it from the project root.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import harness
from flask_migrate import stamp

from portal import clock
from portal.extensions import db

ROOT = Path(__file__).resolve().parent.parent
SECRET = "throughput-benchmark-secret-key"  # noqa: S105 -- a throwaway benchmark database's


@dataclass
class Measured:
    name: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def portal_env(url: str, port: int, workers: int, **extra: str) -> dict[str, str]:
    """The environment `make serve` runs the portal with, on this database and port."""
    return {
        "PORTAL_ENV": "production",
        "PORTAL_DATABASE_URL": url,
        "PORTAL_SECRET_KEY": SECRET,
        "PORTAL_BIND": f"127.0.0.1:{port}",
        "PORTAL_WORKERS": str(workers),
        "PORTAL_LOG_LEVEL": "WARNING",
        **extra,
    }


@contextmanager
def gunicorn(
    args: list[str], env: dict[str, str], port: int, probe: str, cwd: Path = ROOT
) -> Iterator[None]:
    """A gunicorn master with its workers, until the block ends; waits until `probe` answers."""
    with tempfile.TemporaryDirectory(prefix="portal-throughput-") as directory:
        pid_file = Path(directory) / "gunicorn.pid"
        process = subprocess.Popen(  # noqa: S603 -- our own interpreter and arguments
            [sys.executable, "-m", "gunicorn", "--pid", str(pid_file), *args],
            cwd=cwd,
            env={**os.environ, **env},
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                if process.poll() is not None:
                    raise SystemExit(f"gunicorn stopped at start ({process.returncode})")
                try:
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                    connection.request("GET", probe)
                    if connection.getresponse().status < 500:
                        break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit("gunicorn did not answer within 60 s")
                time.sleep(0.2)
            yield
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def keep_cookies(response: http.client.HTTPResponse, jar: dict[str, str]) -> None:
    for header in response.headers.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        jar[name.strip()] = rest.split(";", 1)[0]


def cookie_header(jar: dict[str, str]) -> str:
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def log_in(port: int, email: str) -> str:
    """Log in over HTTP as a browser would; the Cookie header of that login."""
    jar: dict[str, str] = {}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", "/login")
    response = connection.getresponse()
    page = response.read().decode()
    keep_cookies(response, jar)
    match = harness.CSRF_RE.search(page)
    if not match:
        raise SystemExit("no CSRF token on /login")
    body = urlencode({"email": email, "password": harness.PASSWORD, "csrf_token": match[1]})
    connection.request(
        "POST",
        "/login",
        body=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": cookie_header(jar),
        },
    )
    response = connection.getresponse()
    response.read()
    if response.status != 303:
        raise SystemExit(f"login as {email} failed: {response.status}")
    keep_cookies(response, jar)
    return cookie_header(jar)


def check_page(port: int, path: str, cookie: str, expect: str) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
    response = connection.getresponse()
    text = response.read().decode()
    if response.status != 200 or expect not in text:
        raise SystemExit(f"GET {path}: {response.status}, {expect!r} not on the page")


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(name: str, url: str, cookie: str, args: argparse.Namespace) -> Measured:
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.seconds}s"]
    command += ["--latency", *(["-H", f"Cookie: {cookie}"] if cookie else []), url]
    output = subprocess.run(  # noqa: S603 -- wrk with our own arguments
        command, capture_output=True, text=True, check=True
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1])  # type: ignore[index]
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", output)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", output)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+)", output)
    failed = int(errors[1]) if errors else 0
    failed += sum(int(n) for n in socket_errors.groups()) if socket_errors else 0
    return Measured(
        name,
        rate,
        _ms(p50[1], p50[2]) if p50 else 0.0,
        _ms(p99[1], p99[2]) if p99 else 0.0,
        failed,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    harness.add_load_arguments(parser, referrals=20_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")

    with harness.database_url(args.database_url) as url:
        app = harness.build_app(url)
        with app.app_context():
            harness.world(args, clock.now())
            stamp()  # the loader builds the schema the migrations build; say so
            db.session.remove()
            db.engine.dispose()

        results = []
        port = free_port()
        with gunicorn(
            ["-c", "gunicorn.conf.py"], portal_env(url, port, args.workers), port, "/healthz"
        ):
            cookie = log_in(port, harness.TOELEIDER_EMAIL)
            check_page(port, "/queue/", cookie, "queue-row-")
            results.append(wrk("GET /queue/", f"http://127.0.0.1:{port}/queue/", cookie, args))
            # The floor of any page behind the login: the header's notification counter
            # checks the login, counts one user's unread notifications and renders one line.
            check_page(port, "/notifications/count", cookie, "")
            results.append(
                wrk(
                    "GET /notifications/count",
                    f"http://127.0.0.1:{port}/notifications/count",
                    cookie,
                    args,
                )
            )

        port = free_port()
        baseline_args = ["-w", str(args.workers), "-k", "sync", "-b", f"127.0.0.1:{port}"]
        baseline_args.append("baseline_app:app")
        # Started in benchmarks/, where no gunicorn.conf.py is read: gunicorn's defaults.
        with gunicorn(baseline_args, {}, port, "/", cwd=ROOT / "benchmarks"):
            check_page(port, "/", "", "Rania Haddad 49")
            results.append(wrk("baseline: 50-row table", f"http://127.0.0.1:{port}/", "", args))

    queue, floor, baseline = results
    print(
        f"\ngunicorn -w {args.workers} -k sync; wrk -t{args.threads} -c{args.connections} "
        f"-d{args.seconds}s on 127.0.0.1; {os.cpu_count()} cores"
    )
    print(f"{'':28} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'ratio':>7}")
    for m in results:
        ratio = m.requests_per_second / baseline.requests_per_second
        print(
            f"{m.name:28} {m.requests_per_second:8.0f} {m.p50_ms:8.1f} {m.p99_ms:8.1f} "
            f"{m.errors:7d} {ratio:7.0%}"
        )
    share = queue.requests_per_second / baseline.requests_per_second
    print(f"\nqueue page / baseline: {share:.0%}")
    floor_share = floor.requests_per_second / baseline.requests_per_second
    print(f"smallest logged-in page / baseline: {floor_share:.0%}")


if __name__ == "__main__":
    main()
