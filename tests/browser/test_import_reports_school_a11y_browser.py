"""The import of earlier registrations, the municipalities side by side, the children without a
known school and the offers shared by all municipalities, in each state that matters: no axe
violation, no page-wide scrolling from 320 to 1366 px, a title of their own, operable with the
keyboard alone, and for a user who chose English, no Dutch left on the page."""

from __future__ import annotations

import re
from datetime import datetime
from functools import cache
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from babel.messages.pofile import read_po
from playwright.sync_api import Locator, Page, expect

from portal.extensions import db
from portal.models import Programme, UiLocale
from portal.referrals import lifecycle

from ..factories import add_referral
from ..test_register_history import HEADER, ROWS, csv_file
from .test_accessibility import sign_in, violations
from .test_reflow_browser import OVERFLOW

pytestmark = pytest.mark.browser

NOW = datetime(2026, 11, 26, 10, 15)
WIDTHS = (320, 390, 768, 1366)
CATALOGUE = Path(__file__).resolve().parents[2] / "portal/translations/en/LC_MESSAGES/messages.po"
# Every piece of text the page shows or reads out: its text nodes and its named attributes.
TEXTS = """() => {
  const texts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (node.parentElement.closest('script, style, option:not(:checked)')) continue;
    const text = node.textContent.replace(/\\s+/g, ' ').trim();
    if (text) texts.push(text);
  }
  document.querySelectorAll('[aria-label], [title], [placeholder], [alt], [data-confirm]')
    .forEach(e => ['aria-label', 'title', 'placeholder', 'alt', 'data-confirm']
      .forEach(a => e.getAttribute(a) && texts.push(e.getAttribute(a).trim())));
  texts.push(...document.title.split(' · '));
  return texts;
}"""

# Controls smaller than 24 x 24 px (WCAG 2.5.8); a radio or checkbox counts with its labels (a
# click on them checks it too), and links are left to axe, which knows a link in a line of text
# from one standing alone.
SMALL_TARGETS = """() => [...document.querySelectorAll(
    'main button, main input:not([type=hidden]), main select, main textarea, main summary')]
  .map(e => [e, [e, ...(/radio|checkbox/.test(e.type) ? e.labels : [])]
    .map(t => t.getBoundingClientRect())
    .reduce((a, b) => a.width === 0 ? b : b.width === 0 ? a : DOMRect.fromRect({
      x: Math.min(a.left, b.left), y: Math.min(a.top, b.top),
      width: Math.max(a.right, b.right) - Math.min(a.left, b.left),
      height: Math.max(a.bottom, b.bottom) - Math.min(a.top, b.top)}))])
  .filter(([e, r]) => r.width > 0 && (r.width < 24 || r.height < 24))
  .map(([e, r]) => `${e.tagName.toLowerCase()} ${e.name || e.textContent.trim()}: `
    + `${Math.round(r.width)}x${Math.round(r.height)}`)"""


def _sign_out(page: Page) -> None:
    """As a user leaves: the button, then the login page. Clearing the cookies instead left
    the page's own requests running, and one answered with the login page while the next
    user was being signed in."""
    # By the form, not the button's name: the page may be in English.
    page.locator("form[action$='/logout'] button").click()
    page.wait_for_url("**/login**")
    page.wait_for_load_state("networkidle")


def small_targets(page: Page) -> list[str]:
    found = page.evaluate(SMALL_TARGETS)
    axe = Axe().run(page, options={"runOnly": ["target-size"]}).response["violations"]
    return found + [f"{n['target']}" for v in axe for n in v["nodes"]]


@cache
def _dutch_texts() -> list[tuple[str, re.Pattern[str]]]:
    """Each Dutch text of the catalogue that English says otherwise, as a pattern that
    matches it with its placeholders filled in."""
    with CATALOGUE.open("rb") as f:
        catalogue = read_po(f)
    patterns = []
    for message in catalogue:
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for dutch in ids:
            if not dutch or dutch in strings:
                continue
            parts = re.split(r"%\(\w+\)[sd]|%[sd]", dutch)
            pattern = "(?:.+?)".join(re.escape(p) for p in parts)
            patterns.append((dutch, re.compile(pattern)))
    return patterns


def dutch_left(page: Page, data: set[str]) -> list[str]:
    """The Dutch texts of the catalogue that the page shows whole (a text or an attribute),
    other than `data`: what users typed or the file says (a column named 'Naam')."""
    texts = set(page.evaluate(TEXTS)) - data
    return sorted(
        f"{dutch!r} in {text!r}"
        for text in texts
        for dutch, pattern in _dutch_texts()
        if pattern.fullmatch(text)
    )


def problems_of(page: Page, state: str, english: bool, data: set[str]) -> list[str]:
    """What is wrong with the page as it stands: axe at a desktop's and a phone's width, the
    page scrolling sideways at any width, targets too small, and Dutch on an English page."""
    page.wait_for_load_state("networkidle")
    problems = [f"{state}: {v}" for v in violations(page)]
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        over = page.evaluate(OVERFLOW)
        if over > 0:
            problems.append(f"{state} at {width} px: the page scrolls {over} px sideways")
        if width in (320, 1366):
            problems += [f"{state} at {width} px: small target {t}" for t in small_targets(page)]
        if width == 320:
            problems += [f"{state} at 320 px: {v}" for v in violations(page)]
    if english:
        problems += [f"{state}: Dutch left: {d}" for d in dutch_left(page, data)]
    page.set_viewport_size({"width": 1366, "height": 900})
    return problems


def _sheet(tmp_path: Path) -> Path:
    sheet = tmp_path / "eerdere-inschrijvingen.csv"
    sheet.write_bytes(csv_file([HEADER, *ROWS]))
    return sheet


def _files_with_children(world):
    for n in range(2):
        add_referral(
            db.session, world, full_name=f"Lindeveld Gezin{n}", children_birth_years=[2016, 2021]
        )
    add_referral(
        db.session,
        world,
        by=world.outsider,
        full_name="Beekmere Gezin",
        municipality_id=world.other_municipality.id,
        source_service_id=world.other_service.id,
        phone="+32470555001",
    )
    moved = add_referral(
        db.session,
        world,
        at=datetime(2026, 9, 1, 10),
        full_name="Marta Nowak",
        phone="+32470000077",
        children_birth_years=[2014, 2024],
    )
    lifecycle.claim(db.session, moved.id, world.toeleider, NOW)
    db.session.add(Programme(partner_id=world.partner.id, name="NT2 avondles", capacity=4))
    db.session.commit()
    return moved


def _submit(form: Locator) -> None:
    form.locator("button[type=submit]").first.click()
    form.page.wait_for_load_state("networkidle")


@pytest.mark.parametrize("locale", [UiLocale.DUTCH, UiLocale.ENGLISH], ids=["nl", "en"])
def test_every_new_page_in_every_state_is_accessible_fits_and_speaks_the_users_language(
    page: Page, world, tmp_path, locale
):
    english = locale is UiLocale.ENGLISH
    for user in (world.lead, world.toeleider, world.admin):
        user.ui_locale = locale
    moved = _files_with_children(world)
    problems: list[str] = []
    titles: dict[str, str] = {}

    # What the file and the users are called is not the portal's text.
    data = set(HEADER.split(";")) | {u.full_name for u in (world.lead, world.toeleider)}

    def look(state: str, titled: bool = True) -> None:
        """Check the page; a state of a page seen before (`titled=False`) keeps its title."""
        problems.extend(problems_of(page, state, english, data))
        if titled:
            titles[state] = page.title()

    sign_in(page, world.lead.email, "**/lead/")
    page.goto("/register-import/")
    look("upload")
    upload = page.locator("form[enctype='multipart/form-data']")
    _submit(upload)  # no file chosen: the error is told at the top, and next to the field
    expect(page.get_by_role("alert")).to_contain_text(
        "Choose the file" if english else "Kies het bestand"
    )
    expect(upload.locator(".error")).to_have_count(1)
    look("upload refused", titled=False)
    upload.locator("input[name=kind][value=history]").check()
    upload.locator("select[name=municipality]").select_option(str(world.municipality.id))
    upload.locator("input[type=file]").set_input_files(str(_sheet(tmp_path)))
    _submit(upload)
    page.wait_for_url("**/columns")
    look("columns")
    columns = page.locator("form[action$='/columns']")
    columns.locator("select[name=intake_on]").select_option("")
    _submit(columns)
    expect(columns.locator(".error")).to_have_count(1)
    look("columns refused", titled=False)
    columns.locator("select[name=intake_on]").select_option("Intake")
    _submit(columns)
    expect(page.locator("#import-rows")).to_be_visible()
    look("preview")
    page.locator("#import-counts a[data-outcome=refused]").click()
    look("preview of the refused rows", titled=False)
    _submit(page.locator("form[action$='/confirm']"))
    expect(page.locator(".flash")).to_be_visible()
    look("imported")
    page.goto("/register-import/")
    look("upload with the latest imports", titled=False)
    for state, path in (
        ("evaluation side by side", "/reports/evaluation?year=2026&municipality=naast-elkaar"),
        ("monthly side by side", "/reports/monthly?year=2026&municipality=naast-elkaar"),
        ("children without school", "/lead/children-without-school"),
    ):
        page.goto(path)
        look(state)

    _sign_out(page)
    sign_in(page, world.toeleider.email, "**/today/")
    page.goto(f"/referrals/{moved.id}")
    closing = page.locator("form[action$='/close']")
    if not closing.is_visible():
        closing.locator("xpath=ancestor::details[1]/summary").click()
    closing.locator("select[name=close-outcome]").select_option("moved_away")
    look("closing a file with children", titled=False)
    _submit(closing)
    expect(page.locator("ul.school-items")).to_be_visible()
    look("closed file")

    _sign_out(page)
    sign_in(page, world.admin.email, "**/admin/")
    for catalogue in ("services", "programmes"):
        page.goto(f"/admin/c/{catalogue}/")
        look(f"{catalogue} list")
        page.goto(f"/admin/c/{catalogue}/new")
        look(f"new in {catalogue}")
        form = page.locator("form.narrow")
        form.locator("select[name=municipality_id]").select_option("0")  # shared by all
        form.locator("input[name=name]").fill("")
        _submit(form)
        expect(page.locator(".error-summary")).to_be_visible()
        look(f"new in {catalogue} refused", titled=False)

    assert not problems, "\n".join(problems)
    same = {t for t in titles.values() if list(titles.values()).count(t) > 1}
    assert not same, {state: t for state, t in titles.items() if t in same}


def _previewed(page: Page, world, tmp_path: Path) -> None:
    sign_in(page, world.lead.email, "**/lead/")
    page.goto("/register-import/")
    upload = page.locator("form[enctype='multipart/form-data']")
    upload.locator("input[name=kind][value=history]").check()
    upload.locator("select[name=municipality]").select_option(str(world.municipality.id))
    upload.locator("input[type=file]").set_input_files(str(_sheet(tmp_path)))
    _submit(upload)
    _submit(page.locator("form[action$='/columns']"))
    expect(page.locator("#import-rows")).to_be_visible()


def test_the_preview_gives_the_reason_room_to_be_read_and_scrolls_in_its_own_box(
    page: Page, world, tmp_path
):
    page.set_viewport_size({"width": 1366, "height": 900})
    _previewed(page, world, tmp_path)
    reason = page.locator('#import-rows tr[data-line="7"] td.reason')
    expect(reason).to_contain_text("ligt vóór de datum van de intake")
    box = page.locator("main .table-scroll:has(#import-rows)")
    # On a desktop the whole table is on screen, the reason a column of some width.
    assert reason.bounding_box()["width"] >= 250
    assert box.evaluate("b => b.scrollWidth <= b.clientWidth")
    # On a phone the table scrolls in its box, named and reachable with the keyboard, and the
    # reason is still next to the outcome, on screen without scrolling.
    page.set_viewport_size({"width": 390, "height": 900})
    page.wait_for_function("() => document.querySelector('main .table-scroll[tabindex]')")
    assert page.evaluate(OVERFLOW) <= 0
    assert box.get_attribute("role") == "region"
    assert box.get_attribute("aria-label").startswith("Rijen van het bestand")
    cell = reason.bounding_box()
    assert cell["width"] >= 150 and cell["x"] + cell["width"] <= 390


def _tab_to(page: Page, target: Locator, most: int = 60) -> None:
    """Tab on from where the focus is until `target` has it, as a keyboard user does."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError("not reached with Tab")


def test_the_import_is_chosen_read_and_confirmed_with_the_keyboard(page: Page, world, tmp_path):
    sign_in(page, world.lead.email, "**/lead/")
    page.goto("/register-import/")
    upload = page.locator("form[enctype='multipart/form-data']")
    _tab_to(page, upload.locator("input[name=kind]:checked"))
    page.keyboard.press("ArrowDown")  # earlier registrations
    expect(upload.locator("input[name=kind][value=history]")).to_be_checked()
    page.keyboard.press("Tab")
    expect(upload.get_by_label("Gemeente")).to_be_focused()
    page.keyboard.type("Lindeveld")
    expect(upload.get_by_label("Gemeente")).to_have_value(str(world.municipality.id))
    # Choosing the file opens the system's dialog; the file is put in as the dialog would.
    upload.locator("input[type=file]").set_input_files(str(_sheet(tmp_path)))
    _tab_to(page, upload.get_by_role("button", name="Bestand lezen"))
    page.keyboard.press("Enter")
    page.wait_for_url("**/columns")
    columns = page.locator("form[action$='/columns']")
    # The extra date columns are reached and changed like the others.
    closed = columns.get_by_label("Datum van afsluiting")
    _tab_to(page, closed)
    page.keyboard.press("Home")  # not in the file
    expect(closed).to_have_value("")
    _tab_to(page, columns.get_by_role("button", name="Elke rij nakijken"))
    page.keyboard.press("Enter")
    confirm = page.get_by_role("button", name="Importeren")
    expect(confirm).to_be_visible()
    expect(page.locator('#import-rows tr[data-line="2"] .closed')).to_have_text("")
    _tab_to(page, confirm)
    page.keyboard.press("Enter")
    # Line 9 was refused for its closing date only; without that column it is imported too.
    expect(page.get_by_role("status")).to_contain_text("Geïmporteerd: 5 eerdere dossiers")
    undo = page.get_by_role("button", name="Import ongedaan maken")
    _tab_to(page, undo)
    assert page.console_problems == []  # type: ignore[attr-defined]


def test_the_municipalities_are_set_side_by_side_with_the_keyboard(page: Page, world):
    add_referral(db.session, world, full_name="Lindeveld Een")
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, world.lead.email, "**/lead/")
    for path, heading in (
        ("/reports/evaluation?year=2026", "Beekmere, Lindeveld naast elkaar"),
        ("/reports/monthly?year=2026", "Beekmere, Lindeveld naast elkaar"),
    ):
        page.goto(path)
        choice = page.get_by_label("Gemeente", exact=True)
        _tab_to(page, choice)
        page.keyboard.press("End")  # the last option: side by side
        expect(choice).to_have_value("naast-elkaar")
        page.keyboard.press("Tab")
        expect(page.get_by_role("button", name="Toon").first).to_be_focused()
        page.keyboard.press("Enter")
        expect(page.locator("h1")).to_contain_text(heading)
        expect(page.get_by_label("Gemeente", exact=True)).to_have_value("naast-elkaar")
        # The many columns get the desktop's width, not only the column of the text.
        box = page.locator("main .table-scroll").first
        assert box.evaluate("b => b.clientWidth") >= 1200, path
