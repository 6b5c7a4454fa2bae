"""A soak of the portal under gunicorn: ten minutes of mixed work, its latency and memory.

What it measures: the harness loads `--referrals` referrals into a throwaway database (or
`--reuse` takes what an earlier load left in `--database-url`), stamps it at the migrations'
head, and starts the portal as `make serve` does (gunicorn with the repository's config,
production mode, sync workers), as throughput.py does. Then `--clients` threads, each one
person's browsers, work for `--warmup` plus `--seconds` seconds without pause. Each thread is
logged in over HTTP three times: as a toeleider (the loaded toeleiders in turn), as the lead
and as a desk worker. It picks, by weight, one of:

- a toeleider's page: the queue, Vandaag, a file of its municipality, the header search's
  live results for a loaded person's name;
- a lead's page: the lead's home, the workload, the monthly report;
- a desk intake of a new person (a phone number no one has): the form, its POST with the
  form's CSRF token and one-time form token, the slip it leads to;
- a claim from the queue: the queue page, the POST of one of its claim buttons as htmx sends
  it (several threads claim from the same queues, so some lose the race and are told so);
- a contact attempt on one of the toeleider's own files (loaded, or claimed in this run):
  the file page, the POST of its attempt form with its token and version, the file again.

Every request is counted by its kind with its latency (from sending it to reading the whole
answer). An answer is an error when it is a 5xx, the connection fails, or its status or page
is not what the portal answers to that request; a refusal the portal explains (a claim
race lost, a file changed meanwhile: 409, 422) is a refusal, not an error. Requests of the
warm-up are left out of the table; its errors are not.

After the warm-up, and every 30 s, the resident memory (VmRSS) of every gunicorn worker is
read from /proc, with the requests and the p95 latency of the interval, so that growth and
drift show. At the end: a table per kind of request, each worker's memory at the start and
the end, and the exit status 1 if any request failed or a worker was replaced.

    .venv/bin/python benchmarks/soak.py
    .venv/bin/python benchmarks/soak.py --seconds 60 --referrals 5000
    .venv/bin/python benchmarks/soak.py --reuse \\
        --database-url postgresql+psycopg://root@127.0.0.1:5432/portal_bench_search

Linux only (it reads /proc). Run it from the project root.
"""

from __future__ import annotations

import argparse
import html
import http.client
import itertools
import os
import random
import re
import statistics
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import harness
from flask_migrate import stamp
from sqlalchemy import func, select
from throughput import cookie_header, free_port, gunicorn, keep_cookies, log_in, portal_env

from portal import clock
from portal.extensions import db
from portal.models import Person, Referral, ReferralState, Role, User

SAMPLE_SECONDS = 30
TIMEOUT = 120  # longer than gunicorn's worker timeout: a stuck worker shows as its kill
# Phone numbers of the intakes: a Belgian mobile prefix the loader does not use.
INTAKE_PHONE_PREFIX = "+32468"
WORKABLE = (ReferralState.CLAIMED.value, ReferralState.CONTACTED.value)
ATTEMPT_OUTCOMES = ["no_answer", "call_back", "reached", "no_answer"]
CLAIM_FORM = re.compile(r"^/queue/(\d+)/claim$")
SLIP = re.compile(r"^/desk/referrals/\d+/slip$")
CLAIMED_BY_YOU = "Opgenomen door u."
ALERT = 'role="alert"'  # a refusal, said in place (a claim) or above the page (a file)
DUPLICATE_QUESTION = "Misschien was deze persoon hier al."
LEAKS = ("Traceback", "database is locked", "OperationalError")
TAG = re.compile(r"<[^>]+>")
MAIN = re.compile(r"<main\b.*?</main>", re.S)


# --- one browser -----------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: str
    ms: float

    def location(self) -> str:
        return urlsplit(self.headers.get("Location", "")).path


class Forms(HTMLParser):
    """The forms of a page: per action, its hidden fields and the options of its selects."""

    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.hidden: dict[str, dict[str, str]] = {}
        self.options: dict[str, dict[str, list[str]]] = {}
        self._action: str | None = None
        self._select: str | None = None
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._action = a.get("action", "")
            self.hidden.setdefault(self._action, {})
            self.options.setdefault(self._action, {})
        elif self._action is None:
            return
        elif tag == "input" and a.get("type") == "hidden" and a.get("name"):
            self.hidden[self._action][a["name"]] = a.get("value", "")
        elif tag == "select":
            self._select = a.get("name", "")
            self.options[self._action][self._select] = []
        elif tag == "option" and self._select is not None and a.get("value"):
            self.options[self._action][self._select].append(a["value"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._action = None
        elif tag == "select":
            self._select = None


class Browser:
    """One login's cookies; every request on a new connection, as sync workers close them."""

    def __init__(self, port: int, email: str):
        self.port = port
        self.email = email
        self.jar = dict(part.split("=", 1) for part in log_in(port, email).split("; "))

    def request(
        self, method: str, path: str, form: dict[str, str] | None = None, htmx: str = ""
    ) -> Answer:
        headers = {"Cookie": cookie_header(self.jar)}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if htmx:
            headers["HX-Request"] = "true"
            if htmx != "true":
                headers["HX-Target"] = htmx
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
        try:
            start = time.perf_counter()
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode(errors="replace")
            ms = (time.perf_counter() - start) * 1000
        finally:
            connection.close()
        keep_cookies(response, self.jar)
        return Answer(response.status, response.headers, text, ms)


# --- counting --------------------------------------------------------------------------------


@dataclass
class Kind:
    times: list[float] = field(default_factory=list)  # of every answer
    refused: int = 0
    errors: int = 0  # answers that are errors, and connections that failed
    failed: int = 0  # connections that failed

    @property
    def count(self) -> int:
        return len(self.times) + self.failed


@dataclass
class Tally:
    """What the requests of one period gave, per kind."""

    kinds: dict[str, Kind] = field(default_factory=dict)
    samples: list[str] = field(default_factory=list)

    def kind(self, name: str) -> Kind:
        return self.kinds.setdefault(name, Kind())

    @property
    def errors(self) -> int:
        return sum(k.errors for k in self.kinds.values())


def _excerpt(body: str) -> str:
    main = MAIN.search(body)
    text = html.unescape(TAG.sub(" ", main[0] if main else body))
    return " ".join(text.split())[:300]


class Recorder:
    """The tally of the period running (warm-up, then the measurement) and of the interval."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.warmup = Tally()
        self.measured = Tally()
        self.current = self.warmup
        self.interval: list[float] = []
        self.interval_errors = 0
        self.interval_start = time.monotonic()
        self.skipped: dict[str, int] = {}

    def start_measuring(self) -> None:
        with self.lock:
            self.current = self.measured

    def take_interval(self) -> tuple[list[float], int, float]:
        """The latencies and errors since the last call, and the seconds they took."""
        with self.lock:
            now = time.monotonic()
            taken = self.interval, self.interval_errors, now - self.interval_start
            self.interval, self.interval_errors, self.interval_start = [], 0, now
            return taken

    def answer(self, name: str, answer: Answer, outcome: str, what: str = "") -> None:
        """`outcome`: ok, refused or error; `what` says why an error is one."""
        leaked = [word for word in LEAKS if word in answer.body]
        if leaked:
            outcome, what = "error", f"leaks {leaked}"
        with self.lock:
            kind = self.current.kind(name)
            kind.times.append(answer.ms)
            self.interval.append(answer.ms)
            if outcome == "refused":
                kind.refused += 1
        if outcome == "error":
            self.error(
                name,
                f"{answer.status} {what} "
                f"[X-Request-ID {answer.headers.get('X-Request-ID', '-')}] "
                f"{answer.location() or _excerpt(answer.body)}",
            )

    def error(self, name: str, line: str) -> None:
        """One more error of this kind, and a line saying what it was."""
        with self.lock:
            self.current.kind(name).errors += 1
            self.interval_errors += 1
            self._sample(f"{name}: {line}")

    def failure(self, name: str, path: str, error: Exception) -> None:
        with self.lock:
            self.current.kind(name).failed += 1
        self.error(name, f"{path}: {type(error).__name__}: {error}")

    def skip(self, name: str) -> None:
        with self.lock:
            self.skipped[name] = self.skipped.get(name, 0) + 1

    def _sample(self, line: str) -> None:
        samples = self.current.samples
        if len(samples) < 20:
            samples.append(line)
            print(f"error: {line}", file=sys.stderr, flush=True)


# --- what the threads do ---------------------------------------------------------------------


@dataclass
class Plan:
    """What the load draws from, read from the database before the server starts."""

    toeleiders: list[str]
    lead: str
    desks: list[str]
    files: dict[str, list[int]]  # toeleider → files of its municipalities
    workable: dict[str, list[int]]  # toeleider → its own claimed or contacted files
    names: list[str]
    languages: list[str]
    phones: itertools.count[int]
    name_for: harness.NameFor


def _plan(seed: int) -> Plan:
    users = db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.id)).all()
    toeleiders = [u for u in users if u.roles == {Role.TOELEIDER}]
    lead = next(u for u in users if u.email == harness.LEAD_EMAIL)
    desks = [u for u in users if Role.DESK in u.roles]
    files, workable = {}, {}
    for user in toeleiders:
        ids = [m.id for m in user.municipalities]
        files[user.email] = list(
            db.session.scalars(
                select(Referral.id)
                .where(Referral.municipality_id.in_(ids), Referral.anonymised_at.is_(None))
                .order_by(func.random())
                .limit(500)
            )
        )
        workable[user.email] = list(
            db.session.scalars(
                select(Referral.id)
                .where(Referral.owner_id == user.id, Referral.state.in_(WORKABLE))
                # The loader gives files to toeleiders of other municipalities too: those
                # the owner cannot open.
                .where(Referral.municipality_id.in_(ids), Referral.anonymised_at.is_(None))
                .order_by(func.random())
                .limit(200)
            )
        )
    names = list(db.session.scalars(select(Person.full_name).order_by(func.random()).limit(500)))
    last_phone = db.session.scalar(
        select(func.max(Person.phone)).where(Person.phone.like(f"{INTAKE_PHONE_PREFIX}%"))
    )
    first = int(last_phone[len(INTAKE_PHONE_PREFIX) :]) + 1 if last_phone else 0
    languages = sorted({lang.code for u in toeleiders for lang in u.languages} - {"nl"})
    return Plan(
        toeleiders=[u.email for u in toeleiders],
        lead=lead.email,
        desks=[u.email for u in desks],
        files=files,
        workable=workable,
        names=names,
        languages=languages,
        phones=itertools.count(first),
        name_for=harness.name_drawer(seed + 1)[0],
    )


class Client:
    """One thread: a toeleider, the lead and a desk worker, each logged in in a browser."""

    def __init__(self, n: int, port: int, plan: Plan, recorder: Recorder, seed: int):
        self.plan = plan
        self.recorder = recorder
        self.rng = random.Random(seed + n)
        self.toeleider = Browser(port, plan.toeleiders[n % len(plan.toeleiders)])
        self.lead = Browser(port, plan.lead)
        self.desk = Browser(port, plan.desks[n % len(plan.desks)])
        self.files = plan.files[self.toeleider.email]
        self.own = list(plan.workable[self.toeleider.email])
        self.steps: list[tuple[Callable[[], object], int]] = [
            (self.queue, 14),
            (self.today, 8),
            (self.file_page, 14),
            (self.search, 12),
            (self.lead_home, 4),
            (self.workload, 2),
            (self.monthly_report, 2),
            (self.intake, 8),
            (self.claim, 7),
            (self.attempt, 8),
        ]

    def run(self, stop: threading.Event) -> None:
        actions, weights = zip(*self.steps, strict=True)
        while not stop.is_set():
            action = self.rng.choices(actions, weights)[0]
            try:
                action()
            except Exception as error:  # a fault of this script, not of the portal: shown
                self.recorder.error(f"({action.__name__} in soak.py)", repr(error))
                time.sleep(1)

    def get(self, browser: Browser, name: str, path: str, htmx: str = "") -> Answer | None:
        """A page that must answer 200."""
        answer = self.send(browser, name, "GET", path, htmx=htmx)
        if answer is not None:
            ok = answer.status == 200
            self.recorder.answer(name, answer, "ok" if ok else "error", f"GET {path}")
        return answer if answer is not None and answer.status == 200 else None

    def send(
        self,
        browser: Browser,
        name: str,
        method: str,
        path: str,
        form: dict[str, str] | None = None,
        htmx: str = "",
    ) -> Answer | None:
        """The answer, or None after counting a connection that failed."""
        try:
            return browser.request(method, path, form, htmx)
        except (OSError, http.client.HTTPException) as error:
            self.recorder.failure(name, f"{method} {path}", error)
            return None

    # Pages.

    def queue(self) -> Answer | None:
        return self.get(self.toeleider, "GET /queue/", "/queue/")

    def today(self) -> None:
        self.get(self.toeleider, "GET /today/", "/today/")

    def file_page(self, referral_id: int | None = None) -> Answer | None:
        rid = referral_id or self.rng.choice(self.files)
        return self.get(self.toeleider, "GET /referrals/<id>", f"/referrals/{rid}")

    def search(self) -> None:
        name = self.rng.choice(self.plan.names)
        text = name if self.rng.random() < 0.3 else name.split()[-1]
        path = f"/search/?{urlencode({'q': text})}"
        self.get(self.toeleider, "GET /search/ (live)", path, htmx="header-search-results")

    def lead_home(self) -> None:
        self.get(self.lead, "GET /lead/", "/lead/")

    def workload(self) -> None:
        self.get(self.lead, "GET /lead/workload", "/lead/workload")

    def monthly_report(self) -> None:
        self.get(self.lead, "GET /reports/monthly", "/reports/monthly")

    # Writes: each reads its form page first and posts what the page's form holds.

    def intake(self) -> None:
        page = self.get(self.desk, "GET /desk/", "/desk/")
        if page is None:
            return
        forms = Forms(page.body)
        fields = dict(forms.hidden.get("/desk/", {}))
        options = forms.options.get("/desk/", {})
        if "csrf_token" not in fields or "form_token" not in fields:
            self.recorder.error("GET /desk/", "no intake form with its tokens on the page")
            return
        rng = self.rng
        code = rng.choice(self.plan.languages)
        registered = clock.today() - timedelta(days=rng.randint(10, 700))
        fields |= {
            "consent": "y",
            "legal_basis": "consent",
            "dutch_difficult": rng.choice(["ja", "nee"]),
            "has_work": rng.choice(["ja", "nee"]),
            "has_children": rng.choice(["ja", "nee"]),
            "contact_language": code,
            "full_name": self.plan.name_for(rng, code),
            "phone": f"{INTAKE_PHONE_PREFIX}{next(self.plan.phones):06d}",
            "registered_on": registered.isoformat(),
            "adults": str(rng.choice([1, 1, 2])),
            "source_service": rng.choice(options["source_service"]),
        }
        if "municipality" in options:
            fields["municipality"] = rng.choice(options["municipality"])
        answer = self.send(self.desk, "POST /desk/ (intake)", "POST", "/desk/", fields)
        if answer is None:
            return
        if answer.status == 303 and SLIP.match(answer.location()):
            self.recorder.answer("POST /desk/ (intake)", answer, "ok")
            self.get(self.desk, "GET /desk/…/slip", answer.location())
        elif answer.status == 409 or (answer.status == 200 and DUPLICATE_QUESTION in answer.body):
            self.recorder.answer("POST /desk/ (intake)", answer, "refused")
        else:
            self.recorder.answer("POST /desk/ (intake)", answer, "error", "intake not saved")

    def claim(self) -> None:
        page = self.queue()
        if page is None:
            return
        forms = Forms(page.body)
        buttons = [(a, f) for a, f in forms.hidden.items() if CLAIM_FORM.match(a)]
        if not buttons:
            self.recorder.skip("POST /queue/<id>/claim")  # this toeleider's queue is empty
            return
        # The top of the queue, where every toeleider starts.
        action, fields = self.rng.choice(buttons[:5])
        name = "POST /queue/<id>/claim"
        answer = self.send(self.toeleider, name, "POST", action, fields, htmx="true")
        if answer is None:
            return
        if answer.status == 200 and CLAIMED_BY_YOU in answer.body:
            self.recorder.answer(name, answer, "ok")
            self.own.append(int(CLAIM_FORM.match(action)[1]))  # type: ignore[index]
        elif answer.status == 200 and ALERT in answer.body:
            self.recorder.answer(name, answer, "refused")
        else:
            self.recorder.answer(name, answer, "error", "no claim nor refusal")

    def attempt(self) -> None:
        if not self.own:
            self.recorder.skip("POST /referrals/<id>/attempts")
            return
        rid = self.rng.choice(self.own)
        page = self.file_page(rid)
        if page is None:
            return
        action = f"/referrals/{rid}/attempts"
        fields = Forms(page.body).hidden.get(action)
        if not fields:  # the file moved on (e.g. another thread's attempt): no attempts here
            self.own.remove(rid)
            self.recorder.skip("POST /referrals/<id>/attempts")
            return
        fields = dict(fields) | {
            "attempt-channel": "phone",
            "attempt-outcome": self.rng.choice(ATTEMPT_OUTCOMES),
            "attempt-note": "Soak: gebeld.",
        }
        name = "POST /referrals/<id>/attempts"
        answer = self.send(self.toeleider, name, "POST", action, fields)
        if answer is None:
            return
        if answer.status == 303 and answer.location() == f"/referrals/{rid}":
            self.recorder.answer(name, answer, "ok")
            self.file_page(rid)
        elif answer.status in (409, 422) and ALERT in answer.body:
            self.recorder.answer(name, answer, "refused")
        else:
            self.recorder.answer(name, answer, "error", "attempt not saved")


# --- the workers' memory ---------------------------------------------------------------------


def _parents() -> dict[int, int]:
    """Every process's parent, from /proc/<pid>/stat (the field after the command's ')')."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] != "Z":
            parents[int(stat.parent.name)] = int(fields[1])
    return parents


def worker_memory() -> dict[int, int]:
    """VmRSS in kB of every worker of the gunicorn master this process started."""
    parents = _parents()
    masters = [
        pid
        for pid, parent in parents.items()
        if parent == os.getpid() and b"gunicorn" in _cmdline(pid)
    ]
    memory = {}
    for pid, parent in parents.items():
        if parent in masters:
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
            if found:
                memory[pid] = int(found[1])
    return memory


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _mb(kb: int) -> str:
    return f"{kb / 1024:.1f} MB"


# --- the run ---------------------------------------------------------------------------------


def _p(times: list[float], n: int) -> float:
    """The n-th percentile; the largest time of fewer than two."""
    if len(times) < 2:
        return max(times, default=0.0)
    return statistics.quantiles(times, n=100, method="inclusive")[n - 1]


def soak(port: int, plan: Plan, args: argparse.Namespace) -> tuple[Recorder, list[dict[int, int]]]:
    recorder = Recorder()
    clients = [Client(n, port, plan, recorder, args.seed) for n in range(args.clients)]
    stop = threading.Event()
    threads = [threading.Thread(target=c.run, args=(stop,), daemon=True) for c in clients]
    recorder.take_interval()  # the first interval starts with the load
    begun = time.monotonic()
    for thread in threads:
        thread.start()
    print(f"{args.clients} clients at work; warm-up of {args.warmup} s", flush=True)
    samples: list[dict[int, int]] = []
    end = begun + args.warmup + args.seconds
    at = begun + args.warmup
    while True:
        time.sleep(max(0.0, min(at, end) - time.monotonic()))
        if not samples:
            recorder.start_measuring()
        times, errors, seconds = recorder.take_interval()
        memory = worker_memory()
        samples.append(memory)
        elapsed = time.monotonic() - begun
        print(
            f"t={elapsed:5.0f} s  requests {len(times):5d} {len(times) / seconds:6.1f}/s  "
            f"errors {errors:3d}  "
            f"p95 {_p(times, 95):7.1f} ms  RSS "
            + ", ".join(f"{pid}: {_mb(kb)}" for pid, kb in sorted(memory.items())),
            flush=True,
        )
        if time.monotonic() >= end - 0.5:
            break
        at += SAMPLE_SECONDS
    stop.set()
    for thread in threads:
        thread.join(TIMEOUT + 10)
    return recorder, samples


def report(recorder: Recorder, samples: list[dict[int, int]], args: argparse.Namespace) -> bool:
    """Print the tables; whether the soak went without an error."""
    tally = recorder.measured
    print(
        f"\n{args.clients} clients for {args.seconds} s after {args.warmup} s of warm-up; "
        f"gunicorn -w {args.workers} -k sync on 127.0.0.1; {os.cpu_count()} cores"
    )
    header = f"{'request':34} {'count':>7} {'refused':>8} {'errors':>7} {'p50 ms':>8} {'p95 ms':>8}"
    print(header)
    for name, kind in sorted(tally.kinds.items()):
        print(
            f"{name:34} {kind.count:7d} {kind.refused:8d} {kind.errors:7d} "
            f"{_p(kind.times, 50):8.1f} {_p(kind.times, 95):8.1f}"
        )
    every = [t for kind in tally.kinds.values() for t in kind.times]
    count = sum(kind.count for kind in tally.kinds.values())
    print(
        f"{'all':34} {count:7d} {sum(k.refused for k in tally.kinds.values()):8d} "
        f"{tally.errors:7d} {_p(every, 50):8.1f} {_p(every, 95):8.1f}"
    )
    print(f"requests per second: {count / args.seconds:.1f}")
    if recorder.skipped:
        print(
            "not sent (nothing to do): "
            + ", ".join(f"{k} {v}" for k, v in sorted(recorder.skipped.items()))
        )

    first, last = samples[0], samples[-1]
    print(f"\n{'worker':>8} {'RSS at start':>14} {'RSS at end':>14} {'growth':>10}")
    for pid in sorted(first.keys() | last.keys()):
        start, end = first.get(pid), last.get(pid)
        growth = _mb(end - start) if start is not None and end is not None else "-"
        print(
            f"{pid:8d} {_mb(start) if start else 'gone':>14} {_mb(end) if end else 'new':>14} "
            f"{growth:>10}"
        )
    replaced = first.keys() != last.keys()
    if replaced:
        print("workers were replaced during the soak (a crash or a timeout)")

    errors = recorder.warmup.errors + tally.errors
    if recorder.warmup.errors:
        print(f"\nerrors during the warm-up: {recorder.warmup.errors}")
    for line in recorder.warmup.samples + tally.samples:
        print(f"error: {line}")
    return errors == 0 and not replaced


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    harness.add_load_arguments(parser, referrals=20_000)
    parser.add_argument("--seconds", type=int, default=600)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    with harness.database_url(args.database_url) as url:
        app = harness.build_app(url)
        with app.app_context():
            harness.world(args, clock.now())
            stamp()  # the loader builds the schema the migrations build; say so
            plan = _plan(args.seed)
            db.session.remove()
            db.engine.dispose()

        port = free_port()
        # Three logins per client at the start, from one address.
        env = portal_env(
            url,
            port,
            args.workers,
            PORTAL_LOGIN_LIMIT="1000 per minute",
            PORTAL_LOGIN_ADDRESS_LIMIT="1000 per minute",
        )
        with gunicorn(["-c", "gunicorn.conf.py"], env, port, "/healthz"):
            recorder, samples = soak(port, plan, args)
    if not report(recorder, samples, args):
        sys.exit(1)


if __name__ == "__main__":
    main()
