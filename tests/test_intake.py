"""The desk intake over HTTP: saving, the slip, validation, nothing lost, duplicates."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from portal import clock
from portal.extensions import db
from portal.models import AccessLogEntry, Referral, ReferralState

from .conftest import NOW
from .factories import add_referral


def valid_intake(world, **changes):
    values = {
        "consent": "y",
        "dutch_difficult": "ja",
        "has_work": "nee",
        "has_children": "ja",
        "contact_language": "Arabisch",
        "full_name": "Rania Haddad",
        "phone": "0470 12 34 56",
        "registered_on": "2026-05-04",
        "home_language": "",
        "birth_year": "1990",
        "email": "rania@example.org",
        "address": "Kerkstraat 1, 9999 Lindeveld",
        "adults": "2",
        "children_birth_years": "2016, 2019",
        "municipality": str(world.municipality.id),
        "source_service": str(world.desk_service.id),
        "note": "Komt met zus als tolk.",
    }
    values.update(changes)
    return {k: v for k, v in values.items() if v is not None}


def referral_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Referral))


def error_of(html: str, field: str) -> str | None:
    match = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', html)
    return match.group(1) if match else None


def test_saving_creates_a_new_referral_with_reference_and_shows_the_slip(as_desk, world):
    response = as_desk.post("/desk/", valid_intake(world))
    assert response.status_code == 303
    referral = db.session.scalars(select(Referral)).one()
    assert referral.state == ReferralState.NEW
    assert referral.reference == f"2026-{referral.id:06d}"
    assert referral.person.phone == "+32470123456"
    assert referral.is_newcomer is True
    assert [c.birth_year for c in referral.children] == [2016, 2019]
    assert referral.consent_recorded_by_id == world.desk.id
    assert referral.consent_recorded_at == datetime(2026, 11, 26, 10, 15)

    slip = as_desk.get(response.headers["Location"]).get_data(as_text=True)
    assert referral.reference in slip
    assert "Wat gebeurt er nu?" in slip
    assert "خلال الأسابيع القادمة" in slip  # the admin's text in the contact language
    assert 'lang="ar"' in slip


def test_slip_has_no_translated_section_when_admin_wrote_none(as_desk, world):
    response = as_desk.post("/desk/", valid_intake(world, contact_language="Frans"))
    slip = as_desk.get(response.headers["Location"]).get_data(as_text=True)
    assert "Wat gebeurt er nu?" in slip
    assert 'lang="fr"' not in slip


def test_long_term_resident_follows_from_an_old_registration(as_desk, world):
    as_desk.post("/desk/", valid_intake(world, registered_on="12/03/2019"))
    assert db.session.scalars(select(Referral)).one().is_newcomer is False


def test_language_may_be_typed_as_code_or_in_any_case(as_desk, world):
    as_desk.post("/desk/", valid_intake(world, contact_language="UK", home_language="russisch"))
    # Russian is not registered here, so it is refused; the code 'uk' alone is fine.
    assert referral_count() == 0
    as_desk.post("/desk/", valid_intake(world, contact_language="uk", home_language="arabisch"))
    referral = db.session.scalars(select(Referral)).one()
    assert (referral.contact_language_code, referral.home_language_code) == ("uk", "ar")


def test_only_a_phone_email_or_address_is_needed(as_desk, world):
    response = as_desk.post(
        "/desk/", valid_intake(world, phone="", email="", address="Kerkstraat 1")
    )
    assert response.status_code == 303
    response = as_desk.post("/desk/", valid_intake(world, phone="", email="", address=""))
    assert response.status_code == 422
    assert error_of(response.get_data(as_text=True), "phone") == (
        "Geef een telefoonnummer, een e-mailadres of een adres."
    )


BAD_INPUTS = [
    ("consent", None, "Zonder akkoord van de persoon kan er geen doorverwijzing komen."),
    ("dutch_difficult", None, "Kies ja of nee."),
    ("has_work", "misschien", None),
    ("has_children", None, "Kies ja of nee."),
    ("contact_language", "", "Kies de taal waarin we de persoon contacteren."),
    ("contact_language", "xx-klingon", "Onbekende taal. Kies een taal uit de lijst."),
    ("home_language", "Esperanto", "Onbekende taal. Kies een taal uit de lijst."),
    ("full_name", "", "Vul de naam in."),
    ("full_name", "<script>alert('x')</script>", None),
    ("full_name", "R" * 161, "Een naam is hoogstens 160 tekens lang."),
    ("phone", "0470 12", None),
    ("phone", "9" * 5000, "Dit is geen geldig telefoonnummer."),
    ("email", "rania@", "Dit is geen geldig e-mailadres."),
    ("registered_on", "", "Vul de datum van inschrijving in."),
    ("registered_on", "2026-02-30", "Geen geldige datum. Schrijf ze als 31/12/2025."),
    ("registered_on", "31/13/2025", "Geen geldige datum. Schrijf ze als 31/12/2025."),
    ("registered_on", "2026-12-01", "Deze datum ligt in de toekomst."),
    ("registered_on", "1850-01-01", "Deze datum ligt te ver in het verleden."),
    ("birth_year", "negentig", "Vul een getal in."),
    ("birth_year", "2030", "Een geboortejaar tussen 1900 en 2026."),
    ("adults", "0", "Tussen 1 en 20 volwassenen."),
    ("children_birth_years", "2015, twee", None),
    ("note", "x" * 10_000, "Een notitie is hoogstens 500 tekens lang."),
    ("municipality", "999999", None),
    ("source_service", "999999", None),
    ("source_service", "abc", None),
]


@pytest.mark.parametrize(("field", "value", "message"), BAD_INPUTS)
def test_bad_input_gets_a_dutch_error_next_to_its_field_and_keeps_the_rest(
    as_desk, world, field, value, message
):
    data = valid_intake(world, **{field: value})
    if value is None:
        data.pop(field, None)
    if field == "phone":
        data.update(email="", address="")
    response = as_desk.post("/desk/", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert referral_count() == 0
    error = error_of(html, field)
    assert error, f"no error shown next to {field}"
    if message:
        assert error == message
    assert not re.search(r"[A-Z][a-z]+ (valid|required)", error), "an English message leaked"
    # Every other typed value comes back.
    assert 'value="Rania Haddad"' in html or field == "full_name"
    assert "Komt met zus als tolk." in html or field == "note"
    assert 'value="2016, 2019"' in html or field == "children_birth_years"
    assert "<script>alert" not in html  # typed markup is escaped, never run


def test_tampered_municipality_outside_the_desk_workers_own_is_refused(as_desk, world):
    data = valid_intake(world, municipality=str(world.other_municipality.id))
    response = as_desk.post("/desk/", data)
    assert response.status_code == 422
    assert referral_count() == 0


def test_service_of_another_municipality_cannot_be_chosen(as_desk, world):
    response = as_desk.post(
        "/desk/", valid_intake(world, source_service=str(world.other_service.id))
    )
    assert response.status_code == 422
    assert error_of(response.get_data(as_text=True), "source_service")


def test_referral_may_come_from_a_partner(as_desk, world):
    response = as_desk.post("/desk/", valid_intake(world, source_service=str(world.partner.id)))
    assert response.status_code == 303
    assert db.session.scalars(select(Referral)).one().source_service_id == world.partner.id


def test_radio_answers_have_no_preselection_on_a_new_form(as_desk):
    html = as_desk.get("/desk/").get_data(as_text=True)
    assert "checked" not in html
    assert html.count('type="radio"') == 6


def test_expired_csrf_token_gives_the_form_back_filled_in(as_desk, world):
    response = as_desk.post("/desk/", valid_intake(world, csrf_token="expired-or-forged"))
    html = response.get_data(as_text=True)
    assert "Het formulier was verlopen" in html
    assert 'value="Rania Haddad"' in html
    assert 'value="0470 12 34 56"' in html
    assert "Komt met zus als tolk." in html
    assert referral_count() == 0
    # The page carries a fresh token: saving again works.
    token = re.search(r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert as_desk.post("/desk/", valid_intake(world, csrf_token=token.group(1))).status_code == 303
    assert referral_count() == 1


def test_expired_session_keeps_the_form_through_a_new_login(client, world, monkeypatch):
    client.login(world.desk.email)
    token_page = client.get("/desk/").get_data(as_text=True)
    token = re.search(
        r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', token_page
    )
    # The login ended while the person typed: longer idle than the 60 minutes allowed.
    later = NOW + timedelta(minutes=61)
    monkeypatch.setattr(clock, "now", lambda: later)

    response = client.client.post("/desk/", data=valid_intake(world, csrf_token=token.group(1)))
    html = response.get_data(as_text=True)
    assert response.status_code == 401
    assert "Uw sessie is verlopen" in html
    resume = re.search(r'id="resume" name="resume" type="hidden" value="([^"]+)"', html).group(1)

    login_token = re.search(
        r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', html
    )
    back = client.client.post(
        "/login",
        data={
            "email": world.desk.email,
            "password": "juist-wachtwoord-123",
            "resume": resume,
            "next": "/desk/",
            "csrf_token": login_token.group(1),
        },
    )
    html = back.get_data(as_text=True)
    assert "U bent opnieuw aangemeld" in html
    assert 'value="Rania Haddad"' in html
    assert "Komt met zus als tolk." in html
    assert referral_count() == 0


def test_forged_resume_token_is_ignored(client, world):
    response = client.post(
        "/login",
        {"email": world.desk.email, "password": "juist-wachtwoord-123", "resume": "forged"},
    )
    assert response.status_code == 303


def test_inline_check_answers_with_the_feedback_of_one_field(as_desk, world):
    response = as_desk.post(
        "/desk/check/phone", valid_intake(world, phone="0470 12"), headers={"HX-Request": "true"}
    )
    html = response.get_data(as_text=True)
    # The content of the field's live region, which stays on the page.
    assert html.strip().startswith('<div id="phone-feedback-content" data-invalid="true"')
    assert "Dit is geen geldig telefoonnummer" in html
    assert "<form" not in html


def test_inline_check_of_registration_date_says_newcomer_or_long_term(as_desk, world):
    newcomer = as_desk.post(
        "/desk/check/registered_on", valid_intake(world, registered_on="2026-05-04")
    )
    assert "Nieuwkomer: woont hier 6 maanden." in newcomer.get_data(as_text=True)
    old = as_desk.post("/desk/check/registered_on", valid_intake(world, registered_on="2015-05-04"))
    assert "Oudkomer" in old.get_data(as_text=True)


def test_inline_check_of_unknown_field_is_404(as_desk, world):
    assert as_desk.post("/desk/check/password", valid_intake(world)).status_code == 404


def test_possible_duplicates_are_shown_but_never_block(as_desk, world, app):
    existing = add_referral(db.session, world, phone="+32470123456", full_name="Rania Haddad")
    response = as_desk.post(
        "/desk/duplicates", {"phone": "0470/12.34.56", "full_name": "", "birth_year": ""}
    )
    html = response.get_data(as_text=True)
    assert existing.reference in html
    assert "Mogelijk al doorverwezen" in html
    # Having seen the warning, the desk saves the default answer: a different person.
    seen = {**valid_intake(world), "duplicates_shown": str(existing.id)}
    assert as_desk.post("/desk/", seen).status_code == 303
    assert referral_count() == 2


def test_duplicate_link_is_given_only_where_the_user_may_open_the_file(as_desk, world):
    mine = add_referral(db.session, world, by=world.desk, phone="+32470123456")
    other = add_referral(db.session, world, by=world.other_desk, phone="+32470123456")
    html = as_desk.post("/desk/duplicates", {"phone": "0470123456"}).get_data(as_text=True)
    assert f"/referrals/{mine.id}" in html
    assert f"/referrals/{other.id}" not in html
    assert other.reference in html


def test_no_duplicates_for_an_unknown_phone(as_desk, world):
    add_referral(db.session, world, phone="+32470123456")
    html = as_desk.post("/desk/duplicates", {"phone": "0499 99 99 99"}).get_data(as_text=True)
    assert "Mogelijk al doorverwezen" not in html


def test_desk_worker_sees_only_what_they_registered_today(as_desk, world):
    mine = add_referral(db.session, world, by=world.desk, full_name="Vandaag Mijn")
    add_referral(db.session, world, by=world.other_desk, full_name="Vandaag Collega")
    add_referral(
        db.session,
        world,
        by=world.desk,
        at=datetime(2026, 11, 25, 16, 0),
        full_name="Gisteren Mijn",
    )
    html = as_desk.get("/desk/").get_data(as_text=True)
    assert "Vandaag Mijn" in html
    assert "Vandaag Collega" not in html
    assert "Gisteren Mijn" not in html
    assert as_desk.get(f"/desk/referrals/{mine.id}/slip").status_code == 200


def test_desk_worker_cannot_open_a_colleagues_or_yesterdays_file(as_desk, world):
    colleague = add_referral(db.session, world, by=world.other_desk)
    yesterday = add_referral(db.session, world, by=world.desk, at=datetime(2026, 11, 25, 9, 0))
    last_week = add_referral(db.session, world, by=world.desk, at=datetime(2026, 11, 19, 9, 0))
    for referral in (colleague, yesterday, last_week):
        assert as_desk.get(f"/referrals/{referral.id}").status_code == 404
    # Only the slip of one's own registration, within the reprint period (7 days by default).
    assert as_desk.get(f"/desk/referrals/{yesterday.id}/slip").status_code == 200
    for referral in (colleague, last_week):
        assert as_desk.get(f"/desk/referrals/{referral.id}/slip").status_code == 404


def test_opening_a_slip_is_logged(as_desk, world):
    referral = add_referral(db.session, world, by=world.desk)
    as_desk.get(f"/desk/referrals/{referral.id}/slip")
    entry = db.session.scalars(select(AccessLogEntry)).one()
    assert (entry.user_id, entry.referral_id, entry.action) == (world.desk.id, referral.id, "slip")


def test_new_form_starts_at_the_consent_and_a_failed_one_at_the_first_error(as_desk, world):
    html = as_desk.get("/desk/").get_data(as_text=True)
    assert re.search(r'<input[^>]*autofocus[^>]*id="consent"', html)
    failed = as_desk.post("/desk/", valid_intake(world, full_name="", phone="12"))
    html = failed.get_data(as_text=True)
    assert html.count("autofocus") == 1
    assert re.search(r'<input[^>]*autofocus[^>]*id="full_name"', html)
    # The summary links to each field with an error, in form order.
    summary = re.findall(r'<li><a href="#(\w+)">', html)
    assert summary == ["full_name", "phone"]


def test_showing_a_possible_duplicate_is_logged_as_an_access(as_desk, world):
    other = add_referral(db.session, world, by=world.other_desk, phone="+32470123456")
    as_desk.post("/desk/duplicates", {"phone": "0470123456"})
    entry = db.session.scalars(select(AccessLogEntry)).one()
    assert (entry.user_id, entry.referral_id, entry.action) == (
        world.desk.id,
        other.id,
        "duplicate_warning",
    )


def test_referring_service_defaults_to_the_desk_workers_own(as_desk, world):
    html = as_desk.get("/desk/").get_data(as_text=True)
    assert re.search(rf'<option selected value="{world.desk_service.id}">Onthaal</option>', html)
    # Partners come after the municipality's services; other municipalities' are absent.
    assert html.index(">Onthaal<") < html.index(">Huis van het Nederlands<")
    assert "Onthaal Beekmere" not in html


def test_slip_writes_arabic_right_to_left_and_dutch_left_to_right(as_desk, world):
    response = as_desk.post("/desk/", valid_intake(world))
    slip = as_desk.get(response.headers["Location"]).get_data(as_text=True)
    assert re.search(r'<p class="pre" lang="ar" dir="rtl">خلال الأسابيع', slip)
    assert re.search(r'<section class="message" lang="nl">', slip)
    assert "Bewaard. De doorverwijzing staat in de wachtrij" in slip  # said once, after saving
    again = as_desk.get(response.headers["Location"]).get_data(as_text=True)
    assert "Bewaard. De doorverwijzing staat in de wachtrij" not in again


def test_the_error_summary_puts_no_colon_after_a_question(as_desk, world):
    data = valid_intake(world)
    data.pop("dutch_difficult")
    data.update(full_name="")
    html = as_desk.post("/desk/", data).get_data(as_text=True)
    summary = html[html.index('class="error-summary"') :]
    summary = summary[: summary.index("</ul>")]
    assert "of is er een tolk mee? " in summary
    assert "?:" not in summary
    assert "Naam: " in summary  # a label that is no question keeps its colon
