"""What the intake says while it is filled in reaches a screen reader: answers land inside
live regions that were already on the page, and a field in error says so (WCAG 4.1.3)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from portal.extensions import db

from ..factories import add_referral
from .test_intake_browser import log_in

pytestmark = pytest.mark.browser


def mark(page: Page, selector: str) -> None:
    page.locator(selector).evaluate("el => { el.dataset.original = 'yes'; }")


def test_an_inline_error_is_announced_and_marks_the_field_invalid(page: Page, world):
    log_in(page, world.desk.email)
    region = page.locator("#phone-feedback")
    expect(region).to_have_attribute("aria-live", "polite")
    mark(page, "#phone-feedback")
    phone = page.get_by_label("Telefoon")
    phone.fill("0470 12")
    phone.press("Tab")
    expect(region).to_contain_text("Dit is geen geldig telefoonnummer")
    expect(page.locator("#phone-feedback[data-original='yes']")).to_have_count(1)
    expect(phone).to_have_attribute("aria-invalid", "true")
    phone.fill("0470 12 34 56")
    phone.press("Tab")
    expect(region).not_to_contain_text("Dit is geen geldig telefoonnummer")
    expect(phone).not_to_have_attribute("aria-invalid", "true")


def test_the_newcomer_text_is_announced_from_the_region_that_was_there(page: Page, world):
    log_in(page, world.desk.email)
    mark(page, "#registered_on-feedback")
    date = page.locator("#registered_on")
    date.fill("2026-10-01")
    date.press("Tab")
    expect(page.locator("#registered_on-feedback")).to_contain_text("Nieuwkomer")
    expect(page.locator("#registered_on-feedback[data-original='yes']")).to_have_count(1)


def test_the_duplicate_warning_appears_inside_a_live_region_that_stays(page: Page, world):
    existing = add_referral(db.session, world, phone="+32470123456")
    log_in(page, world.desk.email)
    live = page.locator("[aria-live='polite']:has(> #duplicates)")
    expect(live).to_have_count(1)
    live.evaluate("el => { el.dataset.original = 'yes'; }")
    page.get_by_label("Telefoon").press_sequentially("0470123456")
    expect(page.locator("#duplicates")).to_contain_text(existing.reference)
    expect(page.locator("[data-original='yes']:has(> #duplicates)")).to_have_count(1)


def _luminance(rgb: str) -> float:
    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(v) for v in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3])
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


WHITE = "rgb(255, 255, 255)"


def test_field_borders_and_the_focus_ring_stand_out_three_to_one(page: Page, world):
    """WCAG 1.4.11: the audit measured 1.63:1 for field borders and 1.64:1 for the focus."""
    log_in(page, world.desk.email)
    name = page.get_by_label("Naam", exact=True)
    border = name.evaluate("el => getComputedStyle(el).borderTopColor")
    assert contrast(border, WHITE) >= 3, border
    name.focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")  # focus by keyboard, so that :focus-visible applies
    ring = name.evaluate("el => getComputedStyle(el).boxShadow")
    ring_color = ring[: ring.index(")") + 1]
    assert contrast(ring_color, WHITE) >= 3, ring
    outline = name.evaluate("el => getComputedStyle(el).outlineColor")
    header = page.locator("header.top").evaluate("el => getComputedStyle(el).backgroundColor")
    assert contrast(outline, header) >= 3  # the same ring on the blue header's links


def test_required_fields_say_so_in_their_label(page: Page, world):
    log_in(page, world.desk.email)
    name_line = page.locator(".label-line:has(label[for='full_name'])")
    expect(name_line).to_contain_text("Naam (verplicht)")
    expect(page.locator(".label-line:has(label[for='email'])")).not_to_contain_text("verplicht")
    expect(page.locator("#phone-hint")).to_contain_text("minstens één van de drie")


def test_the_consent_checkbox_keeps_its_required_mark_beside_its_text(page: Page, world):
    """The mark ended on a line of its own under the long consent label."""
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in(page, world.desk.email)
    label = page.locator("#field-consent label.check")
    expect(label).to_contain_text("(verplicht)")
    text_box = label.locator("span").first.bounding_box()
    mark_box = label.locator(".required-mark").bounding_box()
    assert text_box and mark_box
    # On the last line of the label's text, not below it.
    assert mark_box["y"] + mark_box["height"] <= text_box["y"] + text_box["height"] + 1
    assert mark_box["y"] >= text_box["y"]
