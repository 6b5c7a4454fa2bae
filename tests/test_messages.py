"""What reaches the resident: the slip, the letters and the reminder say the same in every
language, with dates in that language's own form, from the municipality as sender."""

from __future__ import annotations

import io
import re
from datetime import datetime, time

import pytest
from PIL import Image, PngImagePlugin
from sqlalchemy import select

from portal.extensions import db
from portal.messages import texts
from portal.messages.texts import Details, fill, placeholder_errors
from portal.models import (
    AvailabilityKind,
    AvailabilitySlot,
    Language,
    MessageKind,
    MessageText,
    Municipality,
    Referral,
)
from portal.referrals import lifecycle

from .conftest import NOW, Browserless
from .factories import add_referral

MONDAY_NINE = datetime(2026, 11, 30, 9, 0)


def write(kind: MessageKind, code: str, body: str) -> None:
    db.session.merge(MessageText(kind=kind, language_code=code, body=body, updated_at=NOW))
    db.session.commit()


def letterhead(world, **values) -> None:
    m = db.session.get(Municipality, world.municipality.id)
    values = {
        "phone": "+3250123456",
        "opening_hours": "ma–vr 9–12 u",
        "address": "Marktplein 1\n9999 Lindeveld",
        **values,
    }
    for key, value in values.items():
        setattr(m, key, value)
    db.session.commit()


def book_at_desk(client, world, referral, interpreter=False):
    db.session.add(
        AvailabilitySlot(
            user_id=world.toeleider.id,
            weekday=0,
            starts=time(9),
            ends=time(11),
            kind=AvailabilityKind.CONVERSATIONS.value,
        )
    )
    db.session.commit()
    client.login(world.desk.email)
    page = client.get(f"/desk/referrals/{referral.id}/book").get_data(as_text=True)
    slot = re.search(r'name="slot"[^>]*value="([^"]+)"', page).group(1)
    form = {"slot": slot, "place": "Gemeentehuis, lokaal 2"}
    if interpreter:
        form["interpreter"] = "y"
    response = client.post(f"/desk/referrals/{referral.id}/book", form)
    assert response.status_code == 303
    return client.get(response.headers["Location"]).get_data(as_text=True)


def plain(text: str) -> str:
    """Without the bidirectional isolates around filled-in values."""
    return text.replace("\u2068", "").replace("\u2069", "")


def arabic_part(html: str) -> str:
    found = re.search(r'<p class="pre" lang="ar" dir="rtl">(.*?)</p>', html, re.S)
    return plain(found.group(1)) if found else ""


# The placeholders ------------------------------------------------------------------------


def test_an_unknown_placeholder_is_named_with_the_ones_this_message_has():
    (error,) = placeholder_errors(MessageKind.LETTER_NEWCOMER, "Kom op {datum} om {uur}.")
    assert "{datum}, {uur}" in error
    assert "{nummer}" in error and "{telefoon}" in error
    assert placeholder_errors(MessageKind.REMINDER, "Op {datum} om {uur} in {plaats}.") == []


def test_an_appointment_text_must_give_the_moment_and_the_place():
    """A translation saved without them told the resident nothing of the appointment."""
    (error,) = placeholder_errors(MessageKind.SLIP_APPOINTMENT, "Привіт! Ласкаво просимо.")
    assert "{datum}, {uur}, {plaats}" in error
    (error,) = placeholder_errors(MessageKind.REMINDER, "Op {{datum}} om {uur} in {plaats}")
    assert "{datum}" in error and "{uur}" not in error
    # A text written before placeholders existed (the migrated slip texts) stays valid.
    assert placeholder_errors(MessageKind.SLIP, "Een toeleider belt u.") == []
    for kind, body in texts.DEFAULTS.items():
        assert placeholder_errors(kind, str(body)) == [], kind


def test_a_stored_text_that_lacks_the_moment_prints_dutch_only(world):
    municipality = db.session.get(Municipality, world.municipality.id)
    message = texts.compose(
        MessageKind.SLIP_APPOINTMENT,
        Details("R", municipality, datetime(2026, 12, 3, 14, 30), "Onthaal"),
        db.session.get(Language, "uk"),
        {(MessageKind.SLIP_APPOINTMENT, "uk"): "Привіт!"},
    )
    assert message.translated is None
    assert "donderdag 3 december 2026" in message.dutch.text


@pytest.mark.parametrize(
    "body",
    ["Uw nummer {nummer.__class__}", "{nummer!r}", "{nummer:>999999}", "{0}", "{}"],
)
def test_placeholders_with_attributes_formats_or_positions_are_refused(body):
    assert placeholder_errors(MessageKind.SLIP, body)


def test_a_stray_brace_is_explained_and_doubled_braces_are_text():
    (error,) = placeholder_errors(MessageKind.SLIP, "Bel ons {nummer")
    assert "accolade" in error
    assert placeholder_errors(MessageKind.SLIP, "Een {{accolade}} en {nummer}") == []
    assert fill("Een {{accolade}} en {nummer}", {"nummer": "X"}) == "Een {accolade} en X"


def test_a_line_whose_placeholder_has_no_value_is_left_out():
    body = "Op {datum}.\nEr is een tolk: {tolk}.\nTelefoon: {telefoon}"
    assert fill(body, {"datum": "maandag", "tolk": "", "telefoon": "050"}) == (
        "Op maandag.\nTelefoon: 050"
    )


def test_dates_and_times_are_written_the_way_each_language_writes_them(world):
    municipality = db.session.get(Municipality, world.municipality.id)
    details = Details("2026-00001", municipality, datetime(2026, 12, 3, 14, 30), "Onthaal")
    assert details.values("nl", "ar")["datum"] == "donderdag 3 december 2026"
    assert details.values("nl", "ar")["uur"] == "14:30"
    assert details.values("ar", "ar")["datum"].startswith("الخميس")
    assert "م" in details.values("ar", "ar")["uur"]  # 2:30 in the afternoon
    assert details.values("uk", "uk")["datum"].startswith("четвер, 3 грудня 2026")
    assert details.values("ti", "ti")["datum"].startswith("ሓሙስ")


def test_the_interpreter_is_named_in_dutch_and_in_the_language_itself(world):
    municipality = db.session.get(Municipality, world.municipality.id)
    details = Details("R", municipality, datetime(2026, 12, 3, 14, 30), "X", "Sara", True)
    assert details.values("nl", "ar")["tolk"] == "Arabisch"
    assert details.values("ar", "ar")["tolk"] == "العربية"


# The slip --------------------------------------------------------------------------------


def test_after_a_desk_booking_every_language_on_the_slip_gives_the_appointment(client, world):
    """The Arabic part used to say 'within a few weeks a guide will contact you'."""
    write(
        MessageKind.SLIP_APPOINTMENT,
        "ar",
        "لديك موعد يوم {datum} الساعة {uur}.\nالمكان: {plaats}\nسيحضر مترجم: {tolk}.",
    )
    letterhead(world)
    referral = add_referral(db.session, world, by=world.desk)
    slip = book_at_desk(client, world, referral)
    dutch = re.search(r'<section class="message" lang="nl">(.*?)</section>', slip, re.S).group(1)
    assert "U hebt een afspraak op maandag 30 november 2026 om 09:00." in dutch
    assert "Plaats: Gemeentehuis, lokaal 2" in dutch
    assert "U spreekt met Toeleider." in dutch
    assert "Binnen enkele weken" not in slip
    arabic = arabic_part(slip)
    assert "الاثنين" in arabic and "Gemeentehuis, lokaal 2" in arabic  # Monday, the place
    assert "خلال الأسابيع" not in arabic  # not the text of the slip without appointment
    assert "مترجم" not in arabic and "tolk" not in dutch  # no interpreter booked: no line
    assert "Telefoon: 050 12 34 56" in dutch


def test_a_language_without_the_appointment_text_gets_the_dutch_only(client, world):
    """The slip without appointment has an Arabic text, the slip with one has none."""
    referral = add_referral(db.session, world, by=world.desk)
    slip = book_at_desk(client, world, referral)
    assert arabic_part(slip) == ""
    assert "U hebt een afspraak op maandag 30 november 2026" in slip


def test_the_slip_without_appointment_fills_in_the_reference_and_phone(as_desk, world):
    write(MessageKind.SLIP, "ar", "رقمك {nummer}\nالهاتف: {telefoon}")
    letterhead(world)
    referral = add_referral(db.session, world, by=world.desk)
    slip = as_desk.get(f"/desk/referrals/{referral.id}/slip").get_data(as_text=True)
    arabic = arabic_part(slip)
    assert f"رقمك {referral.reference}" in arabic
    assert "الهاتف: 050 12 34 56" in arabic
    assert f"vermeld uw nummer {referral.reference}" in slip
    assert "Marktplein 1" in slip  # the sender's address in the letterhead


def test_lines_about_a_phone_number_the_municipality_has_not_given_are_left_out(as_desk, world):
    referral = add_referral(db.session, world, by=world.desk)
    slip = as_desk.get(f"/desk/referrals/{referral.id}/slip").get_data(as_text=True)
    assert "Telefoon:" not in slip and "Openingsuren:" not in slip
    assert f"vermeld uw nummer {referral.reference}" in slip


# The letters -----------------------------------------------------------------------------


def letters_page(client, world, *referrals) -> str:
    client.login(world.toeleider.email)
    query = "&".join(f"id={r.id}" for r in referrals)
    response = client.get(f"/queue/letters/print?{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def owned_referral(world, **changes) -> Referral:
    changes.setdefault("address", "Kerkstraat 1, 9999 Lindeveld")
    referral = add_referral(db.session, world, **changes)
    lifecycle.claim(db.session, referral.id, world.toeleider, NOW)
    db.session.commit()
    return referral


def test_the_letter_is_the_letter_text_not_the_slip_text_and_says_whom_to_call(client, world):
    write(MessageKind.LETTER_NEWCOMER, "ar", "حاولنا الاتصال بك. رقمك {nummer}")
    letterhead(world, contact_person="Team Onthaal")
    referral = owned_referral(world)
    page = letters_page(client, world, referral)
    assert arabic_part(page) == f"حاولنا الاتصال بك. رقمك {referral.reference}"
    assert "خلال الأسابيع" not in page  # the slip's Arabic text stays on the slip
    assert "Telefoon: 050 12 34 56" in page  # "Bel ons" comes with a number
    assert "Openingsuren: ma–vr 9–12 u" in page
    assert "Team Onthaal" in page  # a sender, and a signature
    assert "Kerkstraat 1<br>9999 Lindeveld" in page  # the resident's address


def test_a_long_term_resident_gets_the_long_term_letter(client, world):
    write(MessageKind.LETTER_NEWCOMER, "ar", "نص الوافد الجديد {nummer}")
    write(MessageKind.LETTER_LONG_TERM, "ar", "نص المقيم منذ مدة {nummer}")
    newcomer = owned_referral(world)
    long_term = owned_referral(
        world, full_name="Omar Said", registered_on=datetime(2020, 1, 6).date()
    )
    assert not db.session.get(Referral, long_term.id).is_newcomer
    page = plain(letters_page(client, world, newcomer, long_term))
    assert f"نص الوافد الجديد {newcomer.reference}" in page
    assert f"نص المقيم منذ مدة {long_term.reference}" in page
    assert "U woont al een tijd in Lindeveld." in page
    assert "U schreef zich onlangs in bij de gemeente Lindeveld." in page


# The reminder ----------------------------------------------------------------------------


def test_a_planned_appointment_has_a_printable_reminder_in_both_languages(client, world):
    write(MessageKind.REMINDER, "ar", "نذكرك بموعدك يوم {datum} الساعة {uur}.\nالمكان: {plaats}")
    referral = add_referral(db.session, world, by=world.desk)
    book_at_desk(client, world, referral)
    appointment = db.session.get(Referral, referral.id)
    appointment_id = db.session.scalar(
        select(texts.Appointment.id).where(texts.Appointment.referral_id == referral.id)
    )
    client.login(world.toeleider.email)
    page = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    link = f"/referrals/{referral.id}/appointments/{appointment_id}/reminder"
    assert link in page
    reminder = client.get(link).get_data(as_text=True)
    assert "Wij herinneren u aan uw afspraak op maandag 30 november 2026 om 09:00." in reminder
    assert arabic_part(reminder).startswith("نذكرك بموعدك يوم الاثنين")
    assert appointment.reference in reminder


def test_another_municipalitys_desk_cannot_print_a_reminder(client, world):
    referral = add_referral(db.session, world, by=world.desk)
    book_at_desk(client, world, referral)
    appointment_id = db.session.scalar(
        select(texts.Appointment.id).where(texts.Appointment.referral_id == referral.id)
    )
    client.login(world.outsider.email)
    url = f"/referrals/{referral.id}/appointments/{appointment_id}/reminder"
    assert client.get(url).status_code == 404


# The admin's texts -----------------------------------------------------------------------


def test_an_unknown_placeholder_is_an_error_next_to_the_field_and_the_text_stays(client, world):
    client.login(world.admin.email)
    response = client.post("/admin/texts/letter_newcomer/ar", {"body": "موعدك {datum} {nummer}"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Onbekende invulplaats {datum}" in html
    field = re.search(
        r'<div class="field has-error" id="field-body">(.*?)id="body-error"', html, re.S
    )
    assert field and 'aria-invalid="true"' in field.group(1)
    assert re.search(r'id="body-error">Onbekende invulplaats \{datum\}', html)
    assert "موعدك {datum} {nummer}</textarea>" in html
    assert db.session.get(MessageText, (MessageKind.LETTER_NEWCOMER, "ar")) is None


def test_an_admin_writes_clears_and_is_logged(client, world):
    client.login(world.admin.email)
    response = client.post(
        "/admin/texts/reminder/uk", {"body": "  Нагадуємо: {datum} {uur}, {plaats}  "}
    )
    assert response.status_code == 303
    stored = db.session.get(MessageText, (MessageKind.REMINDER, "uk"))
    assert stored.body == "Нагадуємо: {datum} {uur}, {plaats}"
    log = client.get("/privacy/admin-log").get_data(as_text=True)
    assert "Herinnering aan een afspraak – Oekraïens" in log
    assert client.post("/admin/texts/reminder/uk", {"body": ""}).status_code == 303
    db.session.expire_all()
    assert db.session.get(MessageText, (MessageKind.REMINDER, "uk")) is None


def test_the_overview_shows_which_languages_in_use_fall_back_to_dutch(client, world):
    add_referral(db.session, world)  # Arabic, registered now
    add_referral(db.session, world, full_name="Olena Kovalenko", contact_language_code="uk")
    db.session.commit()
    client.login(world.admin.email)
    html = client.get("/admin/texts/").get_data(as_text=True)
    rows = {
        name: row
        for name, row in re.findall(r'<th scope="row">([^<]+) <span.*?</th>(.*?)</tr>', html, re.S)
    }
    assert set(rows) == {"Nederlands", "Arabisch", "Oekraïens"}  # French: nobody uses it
    assert rows["Arabisch"].count("eigen tekst") == 1  # the slip without appointment
    assert rows["Arabisch"].count("alleen Nederlands") == 4
    assert rows["Oekraïens"].count("alleen Nederlands") == 5
    assert rows["Nederlands"].count("ingebouwde tekst") == 5


def test_the_preview_uses_made_up_details_and_the_letterhead(client, world):
    add_referral(db.session, world)
    db.session.commit()
    write(
        MessageKind.SLIP_APPOINTMENT,
        "ar",
        "موعدك {datum} {uur} {plaats} مع {toeleider}\nمترجم: {tolk}",
    )
    letterhead(world)
    client.login(world.admin.email)
    html = client.get(
        f"/admin/texts/slip_appointment/ar/preview?municipality={world.municipality.id}"
    ).get_data(as_text=True)
    html = plain(html)
    assert "مع Sara" in html and "مترجم: العربية" in html
    assert texts.SAMPLE_REFERENCE in html
    assert "Rania Haddad" not in html  # no resident on an admin's screen
    assert "Marktplein 1" in html


def test_only_admins_edit_texts_and_letterheads(client, world):
    client.login(world.lead.email)
    assert client.get("/admin/texts/").status_code == 403
    assert client.post("/admin/texts/slip/ar", {"body": "x"}).status_code == 403
    assert client.get(f"/admin/letterhead/{world.municipality.id}").status_code == 403


def test_unknown_message_or_language_is_404(client, world):
    client.login(world.admin.email)
    assert client.get("/admin/texts/brochure/ar").status_code == 404
    assert client.get("/admin/texts/slip/xx").status_code == 404


# The letterhead and its logo -------------------------------------------------------------


def png_with_text_chunk() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "<script>alert(1)</script>")
    out = io.BytesIO()
    Image.new("RGB", (40, 20), "navy").save(out, format="PNG", pnginfo=info)
    return out.getvalue() + b"trailing bytes"


def post_letterhead(client, world, logo=None, **fields):
    data = {
        "address": "Marktplein 1\n9999 Lindeveld",
        "phone": "050 12 34 56",
        "email": "onthaal@lindeveld.example",
        "opening_hours": "ma–vr 9–12 u",
        "contact_person": "Team Onthaal",
        **fields,
    }
    if logo is not None:
        data["logo"] = (io.BytesIO(logo[1]), logo[0])
    return client.post(
        f"/admin/letterhead/{world.municipality.id}", data, content_type="multipart/form-data"
    )


def test_the_letterhead_is_saved_with_a_phone_number_in_international_form(client, world):
    client.login(world.admin.email)
    assert post_letterhead(client, world).status_code == 303
    db.session.expire_all()
    m = db.session.get(Municipality, world.municipality.id)
    assert (m.phone, m.opening_hours, m.contact_person) == (
        "+3250123456",
        "ma–vr 9–12 u",
        "Team Onthaal",
    )
    page = client.get(f"/admin/letterhead/{world.municipality.id}").get_data(as_text=True)
    assert 'value="050 12 34 56"' in page


def test_a_wrong_phone_or_e_mail_is_said_next_to_the_field_and_nothing_is_lost(client, world):
    client.login(world.admin.email)
    response = post_letterhead(client, world, phone="12", email="onthaal@")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Dit is geen telefoonnummer dat we kunnen bellen." in html
    assert "Dit is geen geldig e-mailadres." in html
    assert "Team Onthaal" in html
    assert db.session.get(Municipality, world.municipality.id).phone is None


def test_a_logo_chosen_with_a_wrong_phone_number_is_asked_for_again(client, world):
    client.login(world.admin.email)
    response = post_letterhead(client, world, logo=("logo.png", png_with_text_chunk()), phone="12")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Kies het logo opnieuw" in html
    assert db.session.get(Municipality, world.municipality.id).logo_type is None


def test_a_png_logo_is_written_anew_without_its_text_or_trailing_bytes(client, world):
    client.login(world.admin.email)
    assert (
        post_letterhead(client, world, logo=("logo.png", png_with_text_chunk())).status_code == 303
    )
    response = client.get(f"/letterhead/{world.municipality.id}/logo")
    assert response.mimetype == "image/png"
    assert b"script" not in response.data and b"trailing" not in response.data
    assert Image.open(io.BytesIO(response.data)).size == (40, 20)
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    slip_referral = add_referral(db.session, world, by=world.desk)
    client.login(world.desk.email)
    slip = client.get(f"/desk/referrals/{slip_referral.id}/slip").get_data(as_text=True)
    assert f'src="/letterhead/{world.municipality.id}/logo"' in slip
    assert 'alt="Logo van Lindeveld"' in slip


def test_an_svg_logo_keeps_its_drawing_and_loses_its_script(client, world):
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)" viewBox="0 0 10 10">'
        b'<script>alert(2)</script><circle cx="5" cy="5" r="4" fill="navy"/>'
        b'<foreignObject><iframe src="https://example.org"/></foreignObject></svg>'
    )
    client.login(world.admin.email)
    assert post_letterhead(client, world, logo=("logo.svg", svg)).status_code == 303
    served = client.get(f"/letterhead/{world.municipality.id}/logo")
    assert served.mimetype == "image/svg+xml"
    assert b"<circle" in served.data
    assert b"script" not in served.data and b"onload" not in served.data
    assert b"foreignObject" not in served.data and b"iframe" not in served.data


@pytest.mark.parametrize(
    ("name", "data", "error"),
    [
        ("logo.gif", b"GIF89a\x01\x00\x01\x00", "Kies een PNG- of SVG-bestand."),
        ("logo.png", b"\x89PNG\r\n\x1a\n" + b"0" * 50, "Dit is geen leesbaar PNG-bestand."),
        ("big.svg", b"<svg>" + b" " * 200_001 + b"</svg>", "ten hoogste 200 kB"),
        (
            "bomb.svg",
            b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaa">]>'
            b'<svg xmlns="http://www.w3.org/2000/svg">&a;</svg>',
            "Kies een PNG- of SVG-bestand.",
        ),
    ],
)
def test_an_upload_that_is_no_usable_logo_is_refused_next_to_the_field(
    client, world, name, data, error
):
    client.login(world.admin.email)
    response = post_letterhead(client, world, logo=(name, data))
    assert response.status_code == 422
    assert error in response.get_data(as_text=True)
    assert db.session.get(Municipality, world.municipality.id).logo_type is None


def test_a_new_logo_is_shown_at_once_and_an_unchanged_one_is_not_sent_again(client, world):
    client.login(world.admin.email)
    post_letterhead(client, world, logo=("logo.png", png_with_text_chunk()))
    url = f"/letterhead/{world.municipality.id}/logo"
    first = client.get(url)
    assert "no-cache" in first.headers["Cache-Control"]
    tag = first.headers["ETag"]
    assert client.get(url, headers={"If-None-Match": tag}).status_code == 304
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><circle r="4"/></svg>'
    post_letterhead(client, world, logo=("logo.svg", svg))
    again = client.get(url, headers={"If-None-Match": tag})
    assert again.status_code == 200 and again.mimetype == "image/svg+xml"


def test_the_logo_is_served_only_to_signed_in_staff(client, world):
    client.login(world.admin.email)
    post_letterhead(client, world, logo=("logo.png", png_with_text_chunk()))
    assert client.get(f"/letterhead/{world.municipality.id}/logo").status_code == 200
    stranger = Browserless(client.app)
    assert stranger.get(f"/letterhead/{world.municipality.id}/logo").status_code in (302, 401)
    assert stranger.get("/letterhead/999/logo").status_code in (302, 401)


def test_languages_without_text_are_unchanged_by_removing_a_language_text(world):
    """A language's texts go with the language (a catalogue admin removes nothing else)."""
    write(MessageKind.SLIP, "uk", "Текст {nummer}")
    assert db.session.scalar(select(MessageText.body).where(MessageText.language_code == "uk"))
    assert db.session.get(Language, "uk") is not None


def test_numbers_in_a_right_to_left_text_are_isolated_so_they_read_the_right_way(world):
    """Unisolated, '2026-000001' inside Arabic prints as '000001-2026'."""
    municipality = db.session.get(Municipality, world.municipality.id)
    arabic = db.session.get(Language, "ar")
    message = texts.compose(
        MessageKind.SLIP,
        Details("2026-000001", municipality),
        arabic,
        {(MessageKind.SLIP, "ar"): "رقمك {nummer}"},
    )
    assert message.translated.text == "رقمك \u20682026-000001\u2069"
    assert "\u2068" not in message.dutch.text
    ukrainian = texts.compose(
        MessageKind.SLIP,
        Details("2026-000001", municipality),
        db.session.get(Language, "uk"),
        {(MessageKind.SLIP, "uk"): "Номер {nummer}"},
    )
    assert ukrainian.translated.text == "Номер 2026-000001"


def test_the_demo_translations_carry_the_same_placeholders_as_the_dutch(app):
    from string import Formatter

    from portal.demo_texts import DEMO_TEXTS

    def names(body: str) -> set[str]:
        return {name for _l, name, _s, _c in Formatter().parse(body) if name}

    for code, messages in DEMO_TEXTS.items():
        for kind, body in messages.items():
            assert placeholder_errors(kind, body) == [], (code, kind)
            assert names(body) == names(str(texts.DEFAULTS[kind])), (code, kind)
            # Line for line, so that a missing value leaves out the same line in both.
            assert len(body.splitlines()) == len(str(texts.DEFAULTS[kind]).splitlines()), (
                code,
                kind,
            )


@pytest.mark.parametrize(
    ("typed", "lines"),
    [
        ("Dorpsstraat 14 bus 2, 9999 Lindeveld", ["Dorpsstraat 14 bus 2", "9999 Lindeveld"]),
        ("Kerkstraat 1\n9999 Lindeveld", ["Kerkstraat 1", "9999 Lindeveld"]),
        (
            "Residentie Zon, Kerkstraat 1, 9999 Lindeveld",
            ["Residentie Zon, Kerkstraat 1", "9999 Lindeveld"],
        ),
        (None, []),
    ],
)
def test_the_address_is_set_out_as_the_post_expects(typed, lines):
    assert texts.postal_lines(typed) == lines


def test_the_letter_puts_postcode_and_place_under_the_street(client, world):
    referral = owned_referral(world, address="Dorpsstraat 14 bus 2, 9999 Lindeveld")
    page = letters_page(client, world, referral)
    assert "Rania Haddad<br>Dorpsstraat 14 bus 2<br>9999 Lindeveld</p>" in page


def test_the_typed_text_is_previewed_before_it_is_saved(client, world):
    write(MessageKind.SLIP_APPOINTMENT, "ar", "نص قديم {datum} {uur} {plaats}")
    letterhead(world)
    client.login(world.admin.email)
    typed = "موعدك الجديد {datum} {uur} {plaats} مع {toeleider}"
    response = client.post("/admin/texts/slip_appointment/ar", {"body": typed, "preview": "1"})
    assert response.status_code == 200
    html = plain(response.get_data(as_text=True))
    assert "Voorbeeld van de getypte tekst (nog niet bewaard)" in html
    assert "موعدك الجديد" in html and "مع Sara" in html and "نص قديم" not in html
    assert "{toeleider}" in html  # still in the field, to go on typing
    assert db.session.get(MessageText, (MessageKind.SLIP_APPOINTMENT, "ar")).body.startswith(
        "نص قديم"
    )
    # A mistake is shown next to the field, with no preview, and the text kept.
    refused = client.post(
        "/admin/texts/slip_appointment/ar", {"body": "موعدك {datum}", "preview": "1"}
    )
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert 'id="body-error"' in page and "nog niet bewaard" not in page
    assert "موعدك {datum}</textarea>" in page
    # Emptied: the preview shows the Dutch part only.
    emptied = client.post("/admin/texts/slip_appointment/ar", {"body": "", "preview": "1"})
    assert "nog niet bewaard" in emptied.get_data(as_text=True)
    assert "موعد" not in plain(emptied.get_data(as_text=True)).split("nog niet bewaard")[1]
