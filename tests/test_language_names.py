"""Languages are stored by their Dutch names and shown in the reader's language."""

from __future__ import annotations

from selectolax.parser import HTMLParser
from sqlalchemy import select

from portal.extensions import db
from portal.languages import language_name
from portal.models import Language, Referral, UiLocale

from .factories import add_referral, csv_rows
from .test_english import page, speaking, text
from .test_evaluation import half_year  # noqa: F401 -- a fixture
from .test_intake import valid_intake
from .test_interpreters import available_on_mondays, owned
from .test_person_record import _correction_form

# The world's languages (ar, nl, fr, uk, ti, en), each list in its reader's alphabetical order.
ENGLISH_NAMES = ["Arabic", "Dutch", "English", "French", "Tigrinya", "Ukrainian"]
DUTCH_NAMES = ["Arabisch", "Engels", "Frans", "Nederlands", "Oekraïens", "Tigrinya"]


def option_texts(doc: HTMLParser, selector: str) -> list[str]:
    """The names a menu offers, without its empty first choice."""
    return [o.text(strip=True) for o in doc.css(f"{selector} option") if o.attributes["value"]]


def test_the_queue_names_languages_in_each_readers_language_and_order(client, world):
    referral = add_referral(db.session, world)
    claimed = owned(world)
    speaking(world.toeleider, UiLocale.ENGLISH)
    client.login(world.toeleider.email)
    for locale, names, arabic, dutch_arabic_shown in (
        (UiLocale.ENGLISH, ENGLISH_NAMES, "Arabic", False),
        (UiLocale.DUTCH, DUTCH_NAMES, "Arabisch", True),
    ):
        speaking(world.toeleider, locale)
        queue = page(client, "/queue/")
        assert option_texts(queue, "select#language") == names, locale
        row = queue.css_first(f"#queue-row-{referral.id}")
        cells = [td.text(strip=True) for td in row.css("td")]
        assert arabic in cells, locale
        assert ("Arabisch" in cells) is dutch_arabic_shown, locale
        mine = text(page(client, "/queue/mine"), "main")
        assert arabic in mine, locale
        assert ("Arabisch" in mine) is dutch_arabic_shown, locale
    assert claimed.person.full_name in mine


def test_the_file_page_of_an_english_toeleider_names_the_languages_in_english(client, world):
    referral = owned(world, home_language_code="uk")
    available_on_mondays(world)
    speaking(world.toeleider, UiLocale.ENGLISH)
    client.login(world.toeleider.email)
    detail = page(client, f"/referrals/{referral.id}")
    facts = {
        dt.text(strip=True): dt.next.text(strip=True)
        for dt in detail.css("dt")
        if dt.next is not None and dt.next.tag == "dd"
    }
    assert facts["Contact language"] == "Arabic"
    assert facts["Home language"] == "Ukrainian"
    menu = 'form[action$="/schedule"] select[name="schedule-interpreter_language"]'
    assert option_texts(detail, menu) == ENGLISH_NAMES
    chosen = detail.css_first(f"{menu} option[selected]")
    assert chosen.text(strip=True) == "Arabic"


def test_an_english_desk_worker_types_the_english_name_and_the_slip_stays_dutch(client, world):
    speaking(world.desk, UiLocale.ENGLISH)
    client.login(world.desk.email)
    form = page(client, "/desk/")
    offered = [o.attributes["value"] for o in form.css("datalist#languages option")]
    assert offered == ENGLISH_NAMES  # none used yet: by their English names

    response = client.post("/desk/", valid_intake(world, contact_language="Arabic"))
    assert response.status_code == 303
    referral = db.session.scalars(select(Referral)).one()
    assert referral.contact_language_code == "ar"
    # The Dutch name and the code are still understood from an English desk worker.
    for name, typed in (("Olena Koval", "Oekraïens"), ("Senait Tesfay", "TI")):
        intake = valid_intake(world, full_name=name, phone=None, contact_language=typed)
        assert client.post("/desk/", intake).status_code == 303, typed
    codes = db.session.scalars(select(Referral.contact_language_code).order_by(Referral.id))
    assert list(codes) == ["ar", "uk", "ti"]

    slip = page(client, response.headers["Location"]).css_first("article.slip")
    paper = slip.text(separator=" ", strip=True)
    assert "Arabisch" in paper and "Arabic" not in paper


def test_an_english_toeleider_corrects_the_contact_language_by_its_english_name(client, world):
    referral = owned(world)
    speaking(world.toeleider, UiLocale.ENGLISH)
    client.login(world.toeleider.email)
    shown = page(client, f"/referrals/{referral.id}/person")
    assert shown.css_first("#contact_language").attributes["value"] == "Arabic"
    offered = [o.attributes["value"] for o in shown.css("datalist#languages option")]
    assert offered == ENGLISH_NAMES
    form = _correction_form(client, referral, contact_language="French")
    assert client.post(f"/referrals/{referral.id}/person", form).status_code == 303
    db.session.expire_all()
    assert db.session.get(Referral, referral.id).contact_language_code == "fr"
    # The timeline keeps the change in Dutch words and tells it in the reader's.
    timeline = text(page(client, f"/referrals/{referral.id}"), "main")
    assert "Contact language: Arabic → French" in timeline


def test_the_report_of_an_english_lead_names_languages_in_english_as_its_headings(
    client,
    half_year,  # noqa: F811 -- the fixture imported above
    world,
):
    speaking(world.lead, UiLocale.ENGLISH)
    client.login(world.lead.email)
    response = client.get("/reports/evaluation/talen.csv?year=2026&part=interim")
    rows = csv_rows(response)
    assert [row[0] for row in rows[1:-1]] == ["Arabic", "Ukrainian"]


def test_an_english_admin_picks_and_adds_languages_by_their_english_names(client, world):
    speaking(world.admin, UiLocale.ENGLISH)
    client.login(world.admin.email)
    user_form = page(client, f"/admin/users/{world.toeleider.id}")
    spoken = [label.text(strip=True) for label in user_form.css("#field-languages label")]
    assert spoken == ENGLISH_NAMES
    users = text(page(client, "/admin/users/"), "main")
    assert "Arabic" in users and "Arabisch" not in users

    new = page(client, "/admin/c/languages/new")
    offered = {o.attributes["value"] for o in new.css("datalist#all-languages option")}
    assert {"Somali (so)", "Dari (fa-AF)"} <= offered and "Somalisch (so)" not in offered
    response = client.post("/admin/c/languages/new", {"code": "Somali", "active": "y"})
    assert response.status_code == 303
    # Stored by its Dutch name, as every language is; shown to this admin in English.
    assert db.session.get(Language, "so").name == "Somalisch"
    listed = text(page(client, "/admin/c/languages/"), "main")
    assert "Somali" in listed and "Somalisch" not in listed


def test_the_admins_list_of_languages_is_in_the_order_of_the_names_they_read(client, world):
    client.login(world.admin.email)
    for locale, names in ((UiLocale.ENGLISH, ENGLISH_NAMES), (UiLocale.DUTCH, DUTCH_NAMES)):
        speaking(world.admin, locale)
        listed = page(client, "/admin/c/languages/")
        shown = [row.css_first("td").text(strip=True) for row in listed.css("main tbody tr")]
        assert shown == names, locale


def test_a_name_is_cldrs_in_the_readers_language_and_the_stored_one_in_dutch():
    assert language_name("ar", "Arabisch", "en") == "Arabic"
    assert language_name("fa-AF", "Dari", "en") == "Dari"  # region-qualified, as CLDR's fa_AF
    assert language_name("ar", "Arabisch", "nl_BE") == "Arabisch"
    assert language_name("ar", "Arabisch", "fr") == "Arabe"  # capitalised as the stored names
    assert language_name("x-elf", "Elfentaal", "en") == "Elfentaal"  # unknown to CLDR
