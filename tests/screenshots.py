"""Screenshots of the main pages for the README, taken from the demo data in Chromium.

`make screenshots` runs it: a temporary SQLite database is migrated and loaded with
`flask seed-demo` at a fixed moment, served on a free loopback port, and each demo role
signs in and visits its pages. Every picture is 1000 pixels wide, reduced to a palette
and saved as a PNG of at most 150 kB. Not a test (pytest does not collect it) and no part
of the portal in production.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from PIL import Image
from playwright.sync_api import Browser, sync_playwright
from sqlalchemy import func, select
from werkzeug.serving import make_server

from portal import clock, create_app
from portal.demo import DEMO_DOMAIN, DEMO_PASSWORD
from portal.extensions import db
from portal.models import Referral, ReferralState, TimelineEvent, User

from .browser.conftest import CHROMIUM, CHROMIUM_ARGS

# A Thursday morning: the desk is open, the toeleiders have conversations planned.
DEMO_NOW = datetime(2026, 11, 26, 10, 15)
WIDTH, HEIGHT = 1000, 760
MAX_BYTES = 150_000
DESK, TOELEIDER, LEAD, ADMIN = (
    f"{name}@{DEMO_DOMAIN}" for name in ("loket", "toeleider.ar", "teamverantwoordelijke", "beheer")
)


def _freeze_clock() -> None:
    # The demo data and every page read the portal's clock: one moment gives the same pictures.
    clock.now = lambda: DEMO_NOW  # type: ignore[assignment]
    clock.today = lambda: DEMO_NOW.date()  # type: ignore[assignment]


def _demo_app(folder: Path):
    os.environ["PORTAL_INSTANCE_PATH"] = str(folder)
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'demo.sqlite3'}",
            "PORTAL_ENV": "development",
        }
    )
    runner = app.test_cli_runner()
    for command in (["db", "upgrade"], ["seed-demo"]):
        result = runner.invoke(args=command)
        if result.exit_code != 0:
            raise SystemExit(f"flask {' '.join(command)} failed:\n{result.output}")
    return app


@contextmanager
def _served(app) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


def _busiest_file(app) -> int:
    """The demo toeleider's open file in follow-up with the longest history, for the file page."""
    with app.app_context():
        owner = select(User.id).where(User.email == TOELEIDER).scalar_subquery()
        events = func.count(TimelineEvent.id)
        return db.session.scalars(
            select(Referral.id)
            .join(TimelineEvent, TimelineEvent.referral_id == Referral.id)
            .where(Referral.owner_id == owner, Referral.state != ReferralState.CLOSED)
            .group_by(Referral.id)
            .order_by(
                (Referral.state == ReferralState.FOLLOWING_UP).desc(), events.desc(), Referral.id
            )
            .limit(1)
        ).one()


def save_png(png: bytes, path: Path) -> int:
    """A screenshot reduced to a palette (text stays sharp: no dithering); its size in bytes."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    for colors in (96, 64, 32, 16):
        out = io.BytesIO()
        image.quantize(colors, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
            out, "PNG", optimize=True
        )
        if out.tell() <= MAX_BYTES:
            break
    path.write_bytes(out.getvalue())
    return out.tell()


class Tour:
    """One user's browser, taking the pictures."""

    def __init__(self, browser: Browser, base_url: str, out: Path, taken: list[tuple[str, int]]):
        self.context = browser.new_context(
            base_url=base_url, locale="nl-BE", viewport={"width": WIDTH, "height": HEIGHT}
        )
        self.page = self.context.new_page()
        self.page.set_default_timeout(20_000)
        self.out, self.taken = out, taken

    def sign_in(self, email: str) -> None:
        self.page.goto("/login")
        self.page.get_by_label("E-mailadres").fill(email)
        self.page.get_by_label("Wachtwoord").fill(DEMO_PASSWORD)
        self.page.keyboard.press("Enter")
        self.page.wait_for_load_state("networkidle")

    def shoot(self, name: str, path: str | None = None) -> None:
        if path is not None:
            self.page.goto(path)
        self.page.wait_for_load_state("networkidle")
        # The top of the page, as it opens: no field focused, not scrolled to the last one.
        self.page.evaluate("document.activeElement && document.activeElement.blur()")
        self.page.evaluate("window.scrollTo(0, 0)")
        size = save_png(self.page.screenshot(), self.out / f"{name}.png")
        self.taken.append((name, size))

    def close(self) -> None:
        self.context.close()


def _desk(tour: Tour) -> None:
    page = tour.page
    tour.sign_in(DESK)
    page.get_by_label("De persoon gaat akkoord om gecontacteerd te worden").check()
    for name, answer in (("dutch_difficult", "ja"), ("has_work", "nee"), ("has_children", "ja")):
        page.locator(f'input[name="{name}"][value="{answer}"]').check()
    page.get_by_label("Contacttaal").fill("Arabisch")
    page.get_by_label("Naam", exact=True).fill("Rania Haddad")
    page.get_by_label("Telefoon").fill("0470 12 34 56")
    page.get_by_label("Ingeschreven in de gemeente sinds").fill("2026-05-04")
    page.get_by_label("Ingeschreven in de gemeente sinds").press("Tab")
    page.get_by_text("Nieuwkomer: woont hier 6 maanden.").wait_for()
    tour.shoot("intake")
    page.get_by_role("button", name="Bewaren").click()
    page.wait_for_url("**/slip")
    page.get_by_role("link", name="Afspraak maken").click()
    page.locator("input[name=slot]").first.check()
    page.get_by_role("button", name="Afspraak vastleggen").click()
    page.wait_for_url("**/slip")
    tour.shoot("slip")


def _toeleider(tour: Tour, file_id: int) -> None:
    tour.sign_in(TOELEIDER)
    tour.shoot("toeleider-vandaag", "/today/")
    tour.shoot("queue", "/queue/")
    tour.shoot("file", f"/referrals/{file_id}")
    tour.shoot("agenda-week", "/agenda/week")


def _lead(tour: Tour) -> None:
    tour.sign_in(LEAD)
    tour.shoot("lead-vandaag", "/lead/")
    tour.shoot("monthly-figures", f"/reports/monthly?year={DEMO_NOW.year}")
    tour.shoot("evaluation", "/reports/evaluation")


def _admin(tour: Tour) -> None:
    tour.sign_in(ADMIN)
    tour.shoot("admin-texts", "/admin/texts/")


def take(out: Path, chromium: str = CHROMIUM) -> list[tuple[str, int]]:
    """Take every picture into `out`; (name, bytes) of each, in the README's order."""
    _freeze_clock()
    out.mkdir(parents=True, exist_ok=True)
    taken: list[tuple[str, int]] = []
    with tempfile.TemporaryDirectory() as folder:
        app = _demo_app(Path(folder))
        file_id = _busiest_file(app)
        with _served(app) as base_url, sync_playwright() as playwright:
            # In Dutch, so that date fields show day/month/year as a Belgian user's browser does.
            browser = playwright.chromium.launch(
                executable_path=chromium, args=[*CHROMIUM_ARGS, "--lang=nl-BE"]
            )
            login = Tour(browser, base_url, out, taken)
            login.shoot("login", "/login")
            login.close()
            steps: list[Callable[[Tour], None]] = [
                _desk,
                lambda tour: _toeleider(tour, file_id),
                _lead,
                _admin,
            ]
            for step in steps:
                tour = Tour(browser, base_url, out, taken)
                step(tour)
                tour.close()
            browser.close()
        with app.app_context():
            db.engine.dispose()
    return taken


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, nargs="?", default=Path("static/screenshots"))
    parser.add_argument("--chromium", default=CHROMIUM)
    args = parser.parse_args(argv)
    for name, size in take(args.out, args.chromium):
        print(f"{args.out / (name + '.png')}  {size / 1000:.0f} kB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
