"""The referral page: timeline, recording work, refusals and conflicting edits."""

from __future__ import annotations

import re
from datetime import datetime

from selectolax.parser import HTMLParser
from sqlalchemy import select

from portal.extensions import db
from portal.models import ContactAttempt, ContactChannel, ContactOutcome, Referral, Role
from portal.referrals import lifecycle

from .factories import add_referral, add_user

AT = datetime(2026, 11, 26, 9, 45)


def mine(client, world):
    referral = add_referral(db.session, world)
    lifecycle.claim(db.session, referral.id, world.toeleider, AT)
    db.session.commit()
    client.login(world.toeleider.email)
    return referral


def version_of(client, referral) -> str:
    html = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    return re.search(
        r'id="attempt-version" name="attempt-version" type="hidden" value="(\d+)"', html
    ).group(1)


def test_logging_an_attempt_shows_on_the_timeline(client, world):
    referral = mine(client, world)
    response = client.post(
        f"/referrals/{referral.id}/attempts",
        {
            "attempt-channel": "phone",
            "attempt-outcome": "no_answer",
            "attempt-note": "Voicemail",
            "attempt-version": version_of(client, referral),
        },
    )
    assert response.status_code == 303
    html = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert "Contactpoging" in html and "telefoon: geen antwoord" in html
    assert "Toeleider" in html  # who
    attempt = db.session.scalars(select(ContactAttempt)).one()
    assert (attempt.actor_id, attempt.note) == (world.toeleider.id, "Voicemail")


def test_two_conflicting_edits_one_saved_one_refused_with_the_newer_version(client, world):
    referral = mine(client, world)
    seen = version_of(client, referral)
    first = client.post(
        f"/referrals/{referral.id}/attempts",
        {"attempt-channel": "phone", "attempt-outcome": "reached", "attempt-version": seen},
    )
    second = client.post(
        f"/referrals/{referral.id}/unclaim",
        {"unclaim-reason": "Verkeerde taal", "unclaim-version": seen},
    )
    assert first.status_code == 303
    assert second.status_code == 409
    html = second.get_data(as_text=True)
    assert "Iemand anders wijzigde deze doorverwijzing intussen" in html
    assert "gecontacteerd" in html  # the newer state is shown
    assert "Verkeerde taal" in html  # and what was typed is kept
    db.session.expire_all()
    assert db.session.get(Referral, referral.id).state == "contacted"


def test_illegal_transition_is_refused_with_a_clear_message_not_a_500(client, world):
    referral = mine(client, world)
    client.post(
        f"/referrals/{referral.id}/close",
        {"close-outcome": "completed", "close-version": version_of(client, referral)},
    )
    db.session.expire_all()
    closed = db.session.get(Referral, referral.id)
    response = client.post(
        f"/referrals/{referral.id}/unclaim",
        {"unclaim-reason": "x", "unclaim-version": str(closed.version)},
    )
    assert response.status_code == 409
    assert "Dit kan niet meer: de doorverwijzing is nu &#39;afgesloten&#39;." in response.get_data(
        as_text=True
    )


def test_closing_without_outcome_shows_the_error_next_to_the_field(client, world):
    referral = mine(client, world)
    response = client.post(
        f"/referrals/{referral.id}/close",
        {
            "close-outcome": "",
            "close-note": "Toelichting blijft",
            "close-version": version_of(client, referral),
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'id="close-outcome-error">Kies een resultaat om af te sluiten.<', html)
    assert "Toelichting blijft" in html


def test_other_toeleider_sees_the_file_but_cannot_act(client, world):
    referral = add_referral(db.session, world)
    lifecycle.claim(db.session, referral.id, world.toeleider, AT)
    other = add_user(db.session, "yonas@lindeveld.be", [Role.TOELEIDER], [world.municipality])
    db.session.commit()
    client.login(other.email)
    html = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert "Contactpoging" not in html.split('id="h-timeline"')[0]
    response = client.post(
        f"/referrals/{referral.id}/attempts",
        {
            "attempt-channel": "phone",
            "attempt-outcome": "reached",
            "attempt-version": str(referral.version),
        },
    )
    assert response.status_code == 409
    assert "Alleen de toeleider van deze persoon" in response.get_data(as_text=True)


def test_desk_worker_cannot_post_work_on_a_file(as_desk, world):
    referral = add_referral(db.session, world, by=world.desk)
    response = as_desk.post(
        f"/referrals/{referral.id}/attempts",
        {"attempt-channel": "phone", "attempt-outcome": "reached", "attempt-version": "1"},
    )
    assert response.status_code == 403


def test_lead_reassigns_from_the_page(client, world):
    referral = add_referral(db.session, world)
    lifecycle.claim(db.session, referral.id, world.toeleider, AT)
    other = add_user(
        db.session, "yonas@lindeveld.be", [Role.TOELEIDER], [world.municipality], name="Yonas"
    )
    db.session.commit()
    client.login(world.lead.email)
    html = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    version = re.search(
        r'id="reassign-version" name="reassign-version" type="hidden" value="(\d+)"', html
    ).group(1)
    response = client.post(
        f"/referrals/{referral.id}/reassign",
        {"reassign-owner": str(other.id), "reassign-reason": "Verlof", "reassign-version": version},
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Referral, referral.id).owner_id == other.id


def test_letters_list_print_and_mark_sent(client, world):
    referral = mine(client, world)
    for _ in range(3):
        lifecycle.log_contact_attempt(
            db.session,
            referral,
            world.toeleider,
            ContactChannel.PHONE,
            ContactOutcome.NO_ANSWER,
            None,
            AT,
        )
    referral.person.address = "Kerkstraat 1, 9999 Lindeveld"
    db.session.commit()
    listing = client.get("/queue/letters").get_data(as_text=True)
    assert "Kerkstraat 1" in listing
    printed = client.get(f"/queue/letters/print?id={referral.id}").get_data(as_text=True)
    assert "Uitnodiging voor een gesprek" in printed
    assert referral.reference in printed
    # The world has an Arabic slip text but no Arabic letter: Dutch only, not the slip's text.
    assert 'lang="ar"' not in printed
    client.post("/queue/letters/sent", [("id", str(referral.id))])
    db.session.expire_all()
    assert db.session.get(Referral, referral.id).needs_letter is False
    assert "Er wachten geen brieven." in client.get("/queue/letters").get_data(as_text=True)


def test_my_files_lists_what_i_own(client, world):
    referral = mine(client, world)
    html = client.get("/queue/mine").get_data(as_text=True)
    assert referral.person.full_name in html


def test_contact_attempt_needs_an_explicit_outcome(client, world):
    referral = mine(client, world)
    html = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    outcome_select = html.split('id="attempt-outcome"')[1].split("</select>")[0]
    assert '<option value="">— kies —</option>' in outcome_select
    assert "selected" not in outcome_select
    response = client.post(
        f"/referrals/{referral.id}/attempts",
        {
            "attempt-channel": "phone",
            "attempt-outcome": "",
            "attempt-version": version_of(client, referral),
        },
    )
    assert response.status_code == 422
    assert "Kies een resultaat." in response.get_data(as_text=True)


def test_only_the_letters_ticked_and_printed_are_marked_as_sent(client, world):
    """Unticking a letter keeps it waiting: the sent button comes with the printed letters."""
    client.login(world.toeleider.email)
    files = []
    for n, name in enumerate(("Rania Haddad", "Olga Ivanova", "Samir Haddad"), start=1):
        referral = add_referral(db.session, world, full_name=name, address=f"Kerkstraat {n}")
        lifecycle.claim(db.session, referral.id, world.toeleider, AT)
        for _ in range(3):
            lifecycle.log_contact_attempt(
                db.session,
                referral,
                world.toeleider,
                ContactChannel.PHONE,
                ContactOutcome.NO_ANSWER,
                None,
                AT,
            )
        files.append(referral)
    db.session.commit()
    listing = HTMLParser(client.get("/queue/letters").get_data(as_text=True))
    ticked = [
        box.attributes["value"]
        for box in listing.css("#letters-form input[name=id]")
        if "checked" in box.attributes
    ]
    assert sorted(ticked) == sorted(str(r.id) for r in files)  # all ticked at first
    assert not listing.css('form[action="/queue/letters/sent"]')  # no "mark all" on the list
    ticked.remove(str(files[1].id))  # the desk worker unticks Olga
    printed = HTMLParser(
        client.get("/queue/letters/print?" + "&".join(f"id={i}" for i in ticked)).get_data(
            as_text=True
        )
    )
    sent_form = printed.css_first('form[action="/queue/letters/sent"]')
    posted = [field.attributes["value"] for field in sent_form.css("input[name=id]")]
    assert sorted(posted) == sorted(ticked)
    assert "Deze 2 brieven als verstuurd noteren" in sent_form.text()
    client.post("/queue/letters/sent", [("id", value) for value in posted])
    db.session.expire_all()
    letters = db.session.scalars(
        select(ContactAttempt.referral_id).where(ContactAttempt.channel == ContactChannel.LETTER)
    ).all()
    assert sorted(letters) == sorted(int(i) for i in ticked)
    waiting = client.get("/queue/letters").get_data(as_text=True)
    assert "Olga Ivanova" in waiting and "Rania Haddad" not in waiting


def test_a_letter_without_an_address_is_neither_printed_nor_noted_as_sent(client, world):
    """Ticked through an old page or a typed URL, it would count as a contact by letter."""
    client.login(world.toeleider.email)
    referral = add_referral(db.session, world, full_name="Olga Ivanova", address=None)
    lifecycle.claim(db.session, referral.id, world.toeleider, AT)
    referral.needs_letter = True
    db.session.commit()
    printed = client.get(f"/queue/letters/print?id={referral.id}").get_data(as_text=True)
    assert "1 brief zonder adres is niet afgedrukt" in printed
    assert '<article class="letter"' not in printed
    client.post("/queue/letters/sent", [("id", str(referral.id))])
    db.session.expire_all()
    assert db.session.get(Referral, referral.id).needs_letter is True
    letters = db.session.scalars(
        select(ContactAttempt.id).where(ContactAttempt.channel == ContactChannel.LETTER)
    ).all()
    assert letters == []


def test_a_letter_without_an_address_is_listed_apart_and_not_ticked(client, world):
    client.login(world.toeleider.email)
    for name, address in (("Rania Haddad", "Kerkstraat 1, 9999 Lindeveld"), ("Olga Ivanova", "")):
        referral = add_referral(db.session, world, full_name=name, address=address or None)
        lifecycle.claim(db.session, referral.id, world.toeleider, AT)
        referral.needs_letter = True
    db.session.commit()
    page = HTMLParser(client.get("/queue/letters").get_data(as_text=True))
    ticked = {
        box.attributes["aria-label"]: "checked" in box.attributes
        for box in page.css("#letters-form input[name=id]")
    }
    assert ticked == {"Rania Haddad": True}  # Olga has no address: nothing to tick
    apart = page.css_first("#no-address").next
    while apart is not None and apart.tag != "table" and apart.css_first("table") is None:
        apart = apart.next
    assert "Olga Ivanova" in apart.text() and "Rania Haddad" not in apart.text()
    assert apart.css_first("a").attributes["href"].endswith("/person?back=letters")  # add it


def test_with_only_letters_without_an_address_there_is_no_print_button(client, world):
    """Nothing can be ticked: the button would print an empty page of '0 letters'."""
    client.login(world.toeleider.email)
    referral = add_referral(db.session, world, full_name="Olga Ivanova", address=None)
    lifecycle.claim(db.session, referral.id, world.toeleider, AT)
    referral.needs_letter = True
    db.session.commit()
    page = HTMLParser(client.get("/queue/letters").get_data(as_text=True))
    assert "Olga Ivanova" in page.css_first("#no-address").parent.text()
    assert page.css_first("#letters-form button[type=submit]") is None
