"""Each user reads the portal in Dutch or English; what a resident receives stays Dutch."""

from __future__ import annotations

import re

from selectolax.parser import HTMLParser

from portal.extensions import db
from portal.models import AdminLogEntry, MailPreference, MessageKind, UiLocale, User
from portal.notifications import mail

from .conftest import NOW
from .factories import add_referral
from .test_mail_outbox import _book, _colleague, _outbox
from .test_messages import book_at_desk, letterhead, owned_referral, write


def speaking(user: User, locale: UiLocale) -> None:
    user.ui_locale = locale
    db.session.commit()


def page(client, path: str) -> HTMLParser:
    response = client.get(path)
    assert response.status_code == 200, path
    return HTMLParser(response.get_data(as_text=True))


def text(doc: HTMLParser, selector: str) -> str:
    node = doc.css_first(selector)
    assert node is not None, selector
    return node.text(separator=" ", strip=True)


def test_an_english_speaking_outreach_worker_reads_queue_file_and_today_in_english(client, world):
    referral = add_referral(db.session, world)
    speaking(world.toeleider, UiLocale.ENGLISH)
    client.login(world.toeleider.email)

    queue = page(client, "/queue/")
    assert queue.css_first("html").attributes["lang"] == "en"
    assert text(queue, "h1") == "Queue"
    assert "Wachtrij" not in text(queue, "nav")

    today = page(client, "/today/")
    assert "Today" in text(today, "h1")
    assert "Vandaag" not in text(today, "main")

    client.post(f"/queue/{referral.id}/claim", data={})
    detail = page(client, f"/referrals/{referral.id}")
    body = text(detail, "main")
    assert "Registered at the desk" in body and "Geregistreerd" not in body
    assert "Timeline" in body and "Tijdlijn" not in body
    # English month names, from the locale's data: 26 November 2026.
    assert re.search(r"\b26 Nov(ember)? 2026\b", body), body[:400]
    assert "november 2026" not in body


def test_a_dutch_speaking_colleague_sees_the_same_pages_in_dutch(client, world):
    referral = add_referral(db.session, world)
    speaking(world.lead, UiLocale.ENGLISH)  # someone else's choice changes nothing here
    client.login(world.toeleider.email)
    queue = page(client, "/queue/")
    assert queue.css_first("html").attributes["lang"] == "nl-BE"
    assert text(queue, "h1") == "Wachtrij"
    client.post(f"/queue/{referral.id}/claim", data={})
    body = text(page(client, f"/referrals/{referral.id}"), "main")
    assert "Tijdlijn" in body and "26 nov" in body


def test_the_choice_is_made_on_the_own_account_page_in_both_languages(client, world):
    client.login(world.toeleider.email)
    account = page(client, "/account")
    legend = account.css_first("#field-locale legend").text(strip=True)
    assert legend == "Taal van het portaal / Portal language"
    answer = client.post("/account/language", data={"locale": "en"}, follow_redirects=True)
    doc = HTMLParser(answer.get_data(as_text=True))
    assert "The portal language has been saved." in doc.body.text()
    assert text(doc, "h1") == "My account"
    assert text(doc, "#field-locale legend") == "Portal language / Taal van het portaal"
    db.session.expire_all()
    assert db.session.get(User, world.toeleider.id).ui_locale is UiLocale.ENGLISH
    logged = db.session.query(AdminLogEntry).filter_by(action="account.interface_language")
    assert logged.count() == 1

    back = client.post("/account/language", data={"locale": "nl_BE"}, follow_redirects=True)
    assert "De taal van het portaal is bewaard." in back.get_data(as_text=True)


def test_an_unknown_language_is_refused_next_to_the_field(client, world):
    client.login(world.toeleider.email)
    answer = client.post("/account/language", data={"locale": "fr"})
    assert answer.status_code == 422
    doc = HTMLParser(answer.get_data(as_text=True))
    assert doc.css_first("#locale-error") is not None
    db.session.expire_all()
    assert db.session.get(User, world.toeleider.id).ui_locale is UiLocale.DUTCH


def test_before_logging_in_the_browser_chooses_between_dutch_and_english(client):
    english = page_with(client, "en-GB,en;q=0.8")
    assert english.css_first("html").attributes["lang"] == "en"
    assert text(english, "h1") == "Log in"
    for header in ("nl-BE,nl;q=0.9,en;q=0.5", "fr-BE,fr;q=0.9", None):
        dutch = page_with(client, header)
        assert dutch.css_first("html").attributes["lang"] == "nl-BE", header
        assert text(dutch, "h1") == "Aanmelden"


def page_with(client, accept_language: str | None) -> HTMLParser:
    headers = {"Accept-Language": accept_language} if accept_language else {}
    return HTMLParser(client.get("/login", headers=headers).get_data(as_text=True))


def test_the_slip_of_an_english_speaking_desk_worker_has_the_whole_dutch_part(client, world):
    letterhead(world)
    speaking(world.desk, UiLocale.ENGLISH)
    referral = add_referral(db.session, world, by=world.desk)
    client.login(world.desk.email)
    doc = page(client, f"/desk/referrals/{referral.id}/slip")
    assert "Print the slip" in text(doc, ".no-print")  # the staff's part in English
    slip = doc.css_first("article.slip")
    assert slip.attributes["lang"] == "nl"
    paper = slip.text(separator=" ", strip=True)
    assert f"Onthaal in {world.municipality.name}" in paper
    assert "Naam" in paper and "Nummer" in paper and "Wat gebeurt er nu?" in paper
    assert "Binnen enkele weken neemt een toeleider contact met u op" in paper
    assert f"vermeld uw nummer {referral.reference}" in paper
    assert "26 november 2026" in paper and "Telefoon:" in paper
    for english in ("Name", "Number", "What happens now?", "November", "Phone"):
        assert english not in paper, english


def test_the_slip_with_an_appointment_and_the_letter_stay_dutch_too(client, world):
    write(MessageKind.SLIP_APPOINTMENT, "ar", "موعد {datum} {uur}\n{plaats}")
    speaking(world.desk, UiLocale.ENGLISH)
    referral = add_referral(db.session, world, by=world.desk)
    slip = HTMLParser(book_at_desk(client, world, referral))
    paper = slip.css_first("article.slip").text(separator=" ", strip=True)
    assert "Uw afspraak" in paper and "maandag 30 november 2026" in paper
    assert "U hebt een afspraak op maandag 30 november 2026 om 09:00." in paper
    assert "Monday" not in paper

    speaking(world.toeleider, UiLocale.ENGLISH)
    referral = owned_referral(world)
    client.login(world.toeleider.email)
    letters = page(client, f"/queue/letters/print?id={referral.id}")
    assert "Print" in text(letters, ".no-print")
    letter = letters.css_first("article.letter").text(separator=" ", strip=True)
    assert "Uitnodiging voor een gesprek" in letter and "Met vriendelijke groeten," in letter
    assert "Invitation" not in letter and "Kind regards" not in letter


def test_each_mail_is_in_its_recipients_language_not_in_that_of_who_caused_it(app, world):
    english = _colleague(world, MailPreference.IMMEDIATE)
    speaking(english, UiLocale.ENGLISH)
    dutch = world.toeleider
    dutch.mail_preference = MailPreference.IMMEDIATE
    db.session.commit()
    for_english, for_dutch = add_referral(db.session, world), add_referral(db.session, world)
    with app.test_request_context(headers={"Accept-Language": "nl"}):
        _book(world, for_english, english)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        _book(world, for_dutch, dutch)
    mails = {m.recipient: m for m in _outbox()}
    assert mails[english.email].subject == f"Appointment booked for you: {for_english.reference}"
    assert mails[english.email].body.startswith("New for you in the Onthaalportaal:")
    assert mails[dutch.email].subject == f"Afspraak voor u ingepland: {for_dutch.reference}"
    # The daily digest, made without a request, in the recipient's language too.
    add_referral(db.session, world)  # new in the colleague's language: for the digest
    assert mail.build_digests(db.session, NOW, 7) >= 1
    digests = {m.recipient: m for m in _outbox()[2:]}
    assert "new notification" in digests[english.email].subject


def test_an_english_speaking_admin_previews_the_message_as_the_resident_gets_it(client, world):
    letterhead(world)
    speaking(world.admin, UiLocale.ENGLISH)
    client.login(world.admin.email)
    doc = page(client, f"/admin/texts/slip/ar/preview?municipality={world.municipality.id}")
    paper = doc.css_first("article.slip")
    assert paper.attributes["lang"] == "nl"
    words = paper.text(separator=" ", strip=True)
    assert "Uw nummer: 2026-000042" in words and "Telefoon:" in words
    assert "Your number" not in words and "Phone:" not in words


def _school_item_posted_with_a_status_not_offered(client, world, locale: UiLocale) -> str:
    from sqlalchemy import select

    from portal.models import Referral, SchoolItem
    from portal.referrals import lifecycle

    referral = add_referral(db.session, world, children_birth_years=[2024])  # a toddler
    lifecycle.claim(db.session, referral.id, world.toeleider, NOW)
    speaking(world.toeleider, locale)
    item = db.session.scalars(select(SchoolItem)).one()
    client.login(world.toeleider.email)
    prefix = f"school-{item.id}"
    response = client.post(
        f"/referrals/{referral.id}/school/{item.id}",
        {
            f"{prefix}-version": str(db.session.get(Referral, referral.id).version),
            f"{prefix}-status": "enrolled",  # offered for an enrolment only
            f"{prefix}-school_name": "De Brug",
            f"{prefix}-note": "",
        },
    )
    assert response.status_code == 422
    return text(HTMLParser(response.get_data(as_text=True)), f"#{prefix}-status-error")


def test_the_built_in_message_of_a_choice_not_offered_speaks_the_users_language(client, world):
    assert (
        _school_item_posted_with_a_status_not_offered(client, world, UiLocale.ENGLISH)
        == "Not a valid choice."
    )


def test_a_dutch_user_gets_the_built_in_message_in_dutch_even_from_an_english_browser(
    client, world
):
    client.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en-GB,en;q=0.9"
    assert (
        _school_item_posted_with_a_status_not_offered(client, world, UiLocale.DUTCH)
        == "Ongeldige keuze."
    )


def test_the_built_in_length_message_follows_the_users_language(client, world):
    for locale, expected in (
        (UiLocale.DUTCH, "Veld mag niet langer zijn dan 20 karakters."),
        (UiLocale.ENGLISH, "Field cannot be longer than 20 characters."),
    ):
        speaking(world.admin, locale)
        client.login(world.admin.email)
        response = client.get("/privacy/access-log", query_string={"reference": "x" * 21})
        doc = HTMLParser(response.get_data(as_text=True))
        assert text(doc, "#reference-error") == expected, locale
