"""On paper, in Chromium: the slip is one A4 page and each letter a page of its own, with the
letterhead and both languages, and nothing of the screen (menu, buttons, messages)."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import Page
from pypdf import PdfReader

from portal.extensions import db
from portal.models import MessageKind, MessageText, Municipality
from portal.referrals import lifecycle

from ..conftest import NOW
from ..factories import PASSWORD, add_referral

pytestmark = pytest.mark.browser

A4_POINTS = (595, 842)
SCREEN_ONLY = ("Afmelden", "Strookje afdrukken", "Volgende doorverwijzing", "als verstuurd noteren")


def log_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_load_state("networkidle")


def with_letterhead(world) -> None:
    m = db.session.get(Municipality, world.municipality.id)
    logo = io.BytesIO()
    Image.new("RGB", (120, 40), "navy").save(logo, format="PNG")
    m.logo, m.logo_type = logo.getvalue(), "image/png"
    m.address, m.phone = "Marktplein 1\n9999 Lindeveld", "+3250123456"
    m.opening_hours, m.contact_person = "ma-vr 9-12 u", "Team Onthaal"
    for kind, body in [
        (MessageKind.SLIP, "سيتصل بك مرشد. رقمك {nummer}"),
        (MessageKind.LETTER_NEWCOMER, "حاولنا الاتصال بك. رقمك {nummer}"),
    ]:
        db.session.merge(MessageText(kind=kind, language_code="ar", body=body, updated_at=NOW))
    db.session.commit()


def printed(page: Page) -> PdfReader:
    return PdfReader(io.BytesIO(page.pdf(format="A4", prefer_css_page_size=True)))


def page_size(reader: PdfReader, index: int) -> tuple[int, int]:
    box = reader.pages[index].mediabox
    return round(float(box.width)), round(float(box.height))


def test_the_slip_prints_on_one_a4_page_without_the_screen(page: Page, world):
    with_letterhead(world)
    referral = add_referral(db.session, world, by=world.desk)
    db.session.commit()
    log_in(page, world.desk.email)
    page.goto(f"/desk/referrals/{referral.id}/slip")
    page.wait_for_load_state("networkidle")
    assert page.locator(".letterhead img").evaluate("img => img.naturalWidth") == 120
    reader = printed(page)
    assert len(reader.pages) == 1
    assert page_size(reader, 0) == A4_POINTS
    text = reader.pages[0].extract_text()
    for expected in (
        "Onthaal in Lindeveld",
        referral.reference,
        "Wat gebeurt er nu?",
        "Telefoon: 050 12 34 56",
        "Marktplein 1",
        "Rania Haddad",
    ):
        assert expected in text, expected
    assert not [word for word in SCREEN_ONLY if word in text]


def test_each_letter_prints_on_its_own_page_with_sender_and_address(page: Page, world):
    with_letterhead(world)
    people = []
    for name, address in [
        ("Rania Haddad", "Kerkstraat 1, 9999 Lindeveld"),
        ("Omar Said", "Stationsstraat 12, 9999 Lindeveld"),
    ]:
        referral = add_referral(db.session, world, full_name=name, address=address)
        lifecycle.claim(db.session, referral.id, world.toeleider, NOW)
        people.append((referral, name, address))
    db.session.commit()
    log_in(page, world.toeleider.email)
    query = "&".join(f"id={r.id}" for r, _n, _a in people)
    page.goto(f"/queue/letters/print?{query}")
    page.wait_for_load_state("networkidle")
    reader = printed(page)
    assert len(reader.pages) == 2  # one letter per page, no blank page after the last
    for index, (referral, name, address) in enumerate(people):
        assert page_size(reader, index) == A4_POINTS
        text = reader.pages[index].extract_text()
        street, place = address.split(", ")
        for expected in (
            name,
            f"{street}\n{place}",  # the street, then postcode and place under it
            referral.reference,
            "Uitnodiging voor een gesprek",
            "Telefoon: 050 12 34 56",
            "Openingsuren: ma-vr 9-12 u",
            "Team Onthaal",
        ):
            assert expected in text, (index, expected)
        other = people[1 - index][1]
        assert other not in text
        assert not [word for word in SCREEN_ONLY if word in text]
        assert re.search(r"Lindeveld, \d+ \w+ 2026", text)


PRIVACY = (
    "De gemeente Lindeveld verwerkt uw gegevens om u een onthaalgesprek aan te bieden en u "
    "naar de juiste diensten te leiden (taak van algemeen belang, decreet integratie- en "
    "inburgeringsbeleid). Alleen de toeleiders en de teamverantwoordelijke van de gemeente "
    "zien ze. We bewaren ze tot twee jaar na het afsluiten van uw dossier. U mag uw gegevens "
    "inkijken, laten verbeteren of laten wissen: vraag het aan het onthaal of mail naar "
    "privacy@lindeveld.example. Een klacht kunt u indienen bij de Vlaamse Toezichtcommissie."
)


def test_the_slip_with_an_appointment_in_two_languages_fits_one_page(page: Page, world):
    from datetime import time

    from portal.demo_texts import DEMO_TEXTS
    from portal.models import AvailabilityKind, AvailabilitySlot, Setting

    with_letterhead(world)
    db.session.merge(
        MessageText(
            kind=MessageKind.SLIP_APPOINTMENT,
            language_code="ar",
            body=DEMO_TEXTS["ar"][MessageKind.SLIP_APPOINTMENT],
            updated_at=NOW,
        )
    )
    db.session.add(Setting(key="privacy_notice", value=PRIVACY))
    db.session.add(
        AvailabilitySlot(
            user_id=world.toeleider.id,
            weekday=0,
            starts=time(9),
            ends=time(11),
            kind=AvailabilityKind.CONVERSATIONS.value,
        )
    )
    referral = add_referral(db.session, world, by=world.desk)
    db.session.commit()
    log_in(page, world.desk.email)
    page.goto(f"/desk/referrals/{referral.id}/book")
    page.locator("input[name=slot]").first.check()
    page.get_by_label("Tolk nodig").check()
    page.get_by_role("button", name="Afspraak vastleggen").click()
    page.wait_for_url("**/slip")
    reader = printed(page)
    text = "".join(p.extract_text() for p in reader.pages)
    assert "U hebt een afspraak op maandag 30 november 2026 om 09:00." in text
    assert "Vlaamse Toezichtcommissie" in text
    assert len(reader.pages) == 1


def test_the_evaluation_report_prints_on_a4_with_its_tables_and_without_the_screen(
    page: Page, world
):
    for n in range(4):
        add_referral(db.session, world, full_name=f"Persoon {n}")
    db.session.commit()
    log_in(page, world.lead.email)
    page.goto(f"/reports/evaluation?year={NOW.year}&part=final")
    page.wait_for_load_state("networkidle")
    reader = printed(page)
    assert all(page_size(reader, i) == A4_POINTS for i in range(len(reader.pages)))
    text = "".join(p.extract_text() for p in reader.pages)
    assert "Evaluatierapport" in text and "Indicatoren" in text
    for screen_only in ("Afmelden", "Afdrukken", "CSV van deze tabel", "Een andere periode"):
        assert screen_only not in text, screen_only
    # No table is cut at the paper's right edge: each fits the printable width of A4
    # (210 mm less the margins, 174 mm: 658 CSS px).
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 658, "height": 900})
    overflow = page.evaluate(
        "() => [...document.querySelectorAll('main .table-scroll, main table')]"
        ".map(b => b.scrollWidth - b.clientWidth)"
    )
    assert overflow and max(overflow) <= 0
