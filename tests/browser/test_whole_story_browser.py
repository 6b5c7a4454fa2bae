"""End to end in Chromium: one resident's whole story, from the desk to the closed file.

Thursday 26 November 2026, 10:15 (the suite's frozen clock): the desk registers Rania with
the keyboard and books the 11:00 conversation on the spot. The toeleider calls her at 10:45,
records the conversation as held at 11:40 (within the hour of the idle timeout) and refers
her to Huis van het Nederlands; at noon the lead sees the day and the month's figures. On
Monday the partner says she arrived, and the file is closed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime, time

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from portal import clock
from portal.extensions import db
from portal.models import AvailabilitySlot, NeedCategory, Theme

from ..factories import PASSWORD

pytestmark = pytest.mark.browser

THURSDAY = 3


@pytest.fixture
def new_page(browser: Browser, app, live_server: str) -> Iterator[Callable[[], Page]]:
    """A fresh browser per person: each user works on their own computer."""
    contexts = []

    def open_page() -> Page:
        context = browser.new_context(base_url=live_server, locale="nl-BE")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.console_problems = problems  # type: ignore[attr-defined]
        return page

    yield open_page
    for context in contexts:
        context.close()


def set_clock(monkeypatch: pytest.MonkeyPatch, moment: datetime) -> None:
    monkeypatch.setattr(clock, "now", lambda: moment)
    monkeypatch.setattr(clock, "today", lambda: moment.date())


def log_in(page: Page, email: str) -> None:
    """Sign in from wherever the page is: the login page, or a page that asks for it."""
    if "/login" not in page.url:
        page.goto("/login")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_load_state("networkidle")


def press(page: Page, key: str, times: int = 1) -> None:
    for _ in range(times):
        page.keyboard.press(key)


def press_link(page: Page, name: str) -> None:
    page.get_by_role("link", name=name, exact=True).focus()
    page.keyboard.press("Enter")


def figures_row(table: Locator, month: str) -> dict[str, str]:
    """One month's row of a figures table, by column heading."""
    headers = table.locator("thead th").all_inner_texts()
    row = table.locator("tbody tr", has=table.page.locator("th", has_text=month))
    return dict(zip(headers, row.locator("th, td").all_inner_texts(), strict=True))


def test_one_resident_from_the_desk_to_the_closed_file(new_page, world, monkeypatch):
    db.session.add_all(
        [
            Theme(name="Nederlands leren en oefenen", position=1, is_dutch_learning=True),
            Theme(name="Werk (VDAB, werkwinkel)", position=2),
            Theme(name="Wonen", position=3),
            NeedCategory(name="Nederlands leren"),
            NeedCategory(name="Werk zoeken"),
            # The toeleider holds conversations on Thursday late mornings.
            AvailabilitySlot(
                user_id=world.toeleider.id,
                weekday=THURSDAY,
                starts=time(11),
                ends=time(12),
                kind="conversations",
            ),
        ]
    )
    db.session.commit()

    # --- The desk, Thursday 10:15: intake and an appointment, by keyboard only. ---
    desk = new_page()
    log_in(desk, world.desk.email)
    expect(desk.get_by_label("De persoon gaat akkoord om gecontacteerd te worden")).to_be_focused()
    press(desk, "Space")  # consent
    press(desk, "Tab")
    press(desk, "Space")  # Dutch difficult: ja
    press(desk, "Tab")
    press(desk, "ArrowRight")  # work: nee
    press(desk, "Tab")
    press(desk, "Space")  # children: ja
    desk.get_by_label("Contacttaal").fill("Arabisch")
    desk.get_by_label("Naam", exact=True).fill("Rania Haddad")
    desk.get_by_label("Telefoon").fill("0470 12 34 56")
    desk.get_by_label("Ingeschreven in de gemeente sinds").fill("2026-05-04")
    expect(desk.get_by_text("Nieuwkomer: woont hier 6 maanden.")).to_be_visible()
    press(desk, "Enter")
    desk.wait_for_url(re.compile(r"/desk/referrals/\d+/slip$"))
    expect(desk.get_by_role("status")).to_contain_text("Bewaard")
    slip = desk.locator("article.slip")
    reference = re.search(r"2026-\d{6}", slip.inner_text()).group(0)  # type: ignore[union-attr]

    press_link(desk, "Afspraak maken")
    expect(desk.get_by_role("heading", level=1)).to_have_text("Afspraak maken voor Rania Haddad")
    expect(desk.locator("legend")).to_contain_text("26 november 2026")
    expect(desk.get_by_label("11:00 · Toeleider")).to_be_focused()
    press(desk, "Space")
    press(desk, "Tab")
    expect(desk.get_by_label("Plaats")).to_be_focused()
    press(desk, "Enter")
    desk.wait_for_url("**/slip")
    expect(desk.get_by_role("status")).to_contain_text("Afspraak vastgelegd")
    appointment = desk.locator("article.slip section.appointment")
    expect(appointment).to_contain_text("Uw afspraak")
    expect(appointment).to_contain_text("donderdag 26 november 2026, 11:00")
    expect(appointment).to_contain_text("Gemeentehuis, onthaal")
    expect(desk.locator("article.slip")).to_contain_text(reference)
    assert desk.console_problems == []  # type: ignore[attr-defined]

    # --- The toeleider, 10:45: finds Rania, calls to confirm. ---
    set_clock(monkeypatch, datetime(2026, 11, 26, 10, 45))
    toeleider = new_page()
    log_in(toeleider, world.toeleider.email)
    expect(toeleider.get_by_role("heading", level=1)).to_contain_text("Vandaag")
    today = toeleider.locator("#appointments")
    expect(today).to_contain_text("1 afspraak vandaag")
    expect(today).to_contain_text("11:00–12:00 · Rania Haddad · Gemeentehuis, onthaal · gepland")

    box = toeleider.get_by_role("searchbox", name="Zoek een persoon of dossier")
    box.focus()
    toeleider.keyboard.type("rania", delay=30)
    result = toeleider.locator("#header-search-results [data-search-results] a")
    expect(result).to_have_count(1)
    expect(result).to_contain_text("Rania Haddad")
    result.click()
    expect(toeleider.get_by_role("heading", level=1)).to_contain_text("Rania Haddad")
    expect(toeleider.get_by_role("heading", level=1)).to_contain_text(reference)
    state = toeleider.locator("dl.file-state")
    expect(state).to_contain_text("gepland")
    expect(state).to_contain_text("toeleider: Toeleider")

    toeleider.locator("#contact summary", has_text="Contactpoging").click()
    toeleider.locator("#attempt-channel").select_option(label="telefoon")
    toeleider.locator("#attempt-outcome").select_option(label="bereikt")
    toeleider.locator("#attempt-note").fill("Afspraak van 11 uur bevestigd, komt met haar zus.")
    toeleider.get_by_role("button", name="Poging bewaren").click()
    expect(toeleider.locator(".timeline")).to_contain_text("telefoon: bereikt")

    # --- 11:40: the conversation was held; the report and a partner referral. ---
    set_clock(monkeypatch, datetime(2026, 11, 26, 11, 40))
    toeleider.reload()
    next_step = toeleider.locator("#volgende-stap")
    expect(next_step).to_contain_text("Hoe ging het gesprek?")
    next_step.get_by_role("button", name="Gesprek gehouden").click()
    expect(toeleider.locator("dl.file-state")).to_contain_text("gesprek gehouden")

    expect(toeleider.get_by_label("Gesprek gehouden op")).to_have_value("2026-11-26")
    toeleider.get_by_label("Nederlands leren en oefenen").check()
    toeleider.get_by_label("Werk (VDAB, werkwinkel)").check()
    toeleider.get_by_label("Vraag of nood 1", exact=True).select_option(label="Nederlands leren")
    toeleider.get_by_label("Toelichting bij vraag 1").fill("Avondcursus, werkt overdag")
    toeleider.get_by_role("button", name="Verslag bewaren").click()
    conversation = toeleider.locator("#gesprek")
    expect(conversation).to_contain_text(
        "Gesprek van 26/11/2026: Nederlands leren en oefenen, Werk (VDAB, werkwinkel)"
    )
    expect(conversation).to_contain_text("noden: Nederlands leren (Avondcursus, werkt overdag)")

    toeleider.locator("#partner-partner").select_option(label="Huis van het Nederlands")
    toeleider.locator("#partner-theme").select_option(label="Nederlands leren en oefenen")
    toeleider.get_by_role("button", name="Toeleiding bewaren").click()
    follow_up = toeleider.locator("#opvolging")
    referral_item = follow_up.locator("li", has_text="Huis van het Nederlands")
    expect(referral_item).to_contain_text(
        "Huis van het Nederlands · Nederlands leren en oefenen · 26/11/2026 · voorgesteld"
    )
    assert toeleider.console_problems == []  # type: ignore[attr-defined]

    # --- The lead, 12:00: today's work and the month's figures. ---
    set_clock(monkeypatch, datetime(2026, 11, 26, 12, 0))
    lead = new_page()
    log_in(lead, world.lead.email)
    expect(lead.get_by_role("heading", level=1)).to_contain_text("Vandaag")
    panel = lead.locator("#today-panel")
    expect(panel.locator("li", has_text="nieuw vandaag")).to_have_text(re.compile(r"^\s*1 nieuw"))
    expect(panel.locator("li", has_text="afspraken vandaag")).to_have_text(
        re.compile(r"^\s*1 afspraken vandaag")
    )
    row = panel.locator("tbody tr", has_text="Rania Haddad")
    expect(row.locator("td")).to_have_text(
        ["Toeleider", "11:00–12:00", "Rania Haddad", "Gemeentehuis, onthaal", "gehouden"]
    )

    lead.get_by_role("link", name="Maandcijfers").click()
    expect(lead.get_by_role("heading", level=1)).to_have_text("Maandcijfers 2026 alle samen")
    table = lead.locator("table.figures")
    november = figures_row(table, "nov")
    # Reached once, at the desk (the booking), however many calls came after; one conversation.
    assert november["aan het loket of in permanentie"] == "1"
    assert november["telefonisch, per sms of e-mail"] == "0"
    assert (november["Bereikt"], november["Gesprekken"]) == ("1", "1")
    assert set(figures_row(table, "okt").values()) == {"okt", "0"}
    assert table.locator("tfoot td").all_inner_texts()[-2:] == ["1", "1"]
    assert lead.console_problems == []  # type: ignore[attr-defined]

    # --- Monday 30 November, 9:30: the partner says Rania arrived; the file is closed. ---
    set_clock(monkeypatch, datetime(2026, 11, 30, 9, 30))
    toeleider.reload()
    # The Thursday login has long ended: sign in again, back on the same file.
    expect(toeleider.get_by_role("heading", level=1)).to_have_text("Aanmelden")
    log_in(toeleider, world.toeleider.email)
    expect(toeleider.get_by_role("heading", level=1)).to_contain_text("Rania Haddad")
    referral_item = toeleider.locator("#opvolging li", has_text="Huis van het Nederlands")
    referral_item.get_by_label("Opvolging").select_option(label="aangekomen")
    referral_item.get_by_label("Terugkoppeling").fill("Ingeschreven voor NT2 richtgraad 1")
    referral_item.get_by_role("button", name=re.compile("Bijwerken")).click()
    referral_item = toeleider.locator("#opvolging li", has_text="Huis van het Nederlands")
    expect(referral_item).to_contain_text("aangekomen · Ingeschreven voor NT2 richtgraad 1")

    toeleider.locator("#close-outcome").select_option(label="afgerond")
    toeleider.locator("#close-note").fill("Volgt de cursus; geen verdere vragen.")
    toeleider.get_by_role("button", name="Afsluiten").click()
    expect(toeleider.locator("dl.file-state")).to_contain_text("afgesloten · afgerond")
    expect(toeleider.locator("#volgende-stap")).not_to_contain_text("Gesprek gehouden")

    steps = [line.split(" · ")[1] for line in toeleider.locator(".timeline li").all_inner_texts()]
    assert steps == [
        "Geregistreerd aan het loket",
        "Gesprek gepland",
        "Contactpoging",
        "Gesprek gehouden",
        "Verslag van het gesprek",
        "Toeleiding naar een partner",
        "Toeleiding opgevolgd",
        "Afgesloten",
    ]
    assert toeleider.console_problems == []  # type: ignore[attr-defined]
