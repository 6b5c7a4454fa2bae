"""Saves that cross: two people, or two clicks, at once; forms read before a colleague saved."""

from __future__ import annotations

import re
from datetime import date, datetime, time

import pytest
from selectolax.parser import HTMLParser
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from portal import accounts
from portal.admin import views as admin_views
from portal.auth.passwords import verify_password
from portal.extensions import db
from portal.models import (
    Appointment,
    AvailabilityKind,
    AvailabilitySlot,
    ContactAttempt,
    FollowUpTask,
    Milestone,
    MilestoneStatus,
    PartnerReferral,
    Referral,
    Role,
    Theme,
    TimelineEvent,
    User,
)
from portal.referrals import followup, lifecycle

from .concurrency import Window, at_once
from .conftest import Browserless, csrf_token
from .factories import add_partner_referral, add_referral, add_user
from .test_intake import valid_intake

NOW = datetime(2026, 11, 26, 10, 15)
LATER = datetime(2026, 11, 26, 12, 0)
CONFLICT = "Iemand anders wijzigde deze doorverwijzing intussen"


def logged_in(app, email: str) -> Browserless:
    client = Browserless(app)
    client.login(email)
    return client


def field_value(html: str, name: str) -> str:
    """The value of the first input of this name on the page."""
    tag = re.search(rf'<input[^>]*\bname="{re.escape(name)}"[^>]*>', html)
    assert tag, f"no {name} on the page"
    value = re.search(r'\bvalue="([^"]*)"', tag.group(0))
    return value.group(1) if value else ""


def in_follow_up(world, **changes):
    """A long-term resident's file after the conversation, owned by the world's toeleider."""
    referral = add_referral(db.session, world, registered_on=date(2015, 3, 1), **changes)
    lifecycle.claim(db.session, referral.id, world.toeleider, NOW)
    appointment = lifecycle.schedule_conversation(
        db.session,
        referral,
        world.toeleider,
        world.toeleider,
        datetime(2026, 11, 26, 11, 0),
        60,
        "Gemeentehuis",
        None,
        NOW,
    )
    lifecycle.conversation_held(db.session, appointment, world.toeleider, LATER)
    theme = Theme(name="Nederlands leren", position=1)
    db.session.add(theme)
    db.session.flush()
    lifecycle.record_conversation(
        db.session,
        referral,
        world.toeleider,
        held_on=NOW.date(),
        themes=[theme],
        answers={},
        needs=[],
        signals=[],
        notes=None,
        at=LATER,
    )
    db.session.commit()
    return referral, theme


@pytest.fixture
def milestone(world):
    referral, _theme = in_follow_up(world)
    item = followup.add_milestone(
        db.session, referral, world.toeleider, "Inschrijven NT2", 1, date(2027, 1, 31), NOW
    )
    db.session.commit()
    return item


@pytest.fixture
def partner_referral(world):
    referral, theme = in_follow_up(world)
    item = add_partner_referral(
        db.session, referral, world.partner, theme, NOW.date(), world.toeleider
    )
    db.session.commit()
    return item


def milestone_post(client, milestone, status: str, version: str):
    return client.post(
        f"/referrals/{milestone.referral_id}/milestones/{milestone.id}",
        {"milestone_status-status": status, "milestone_status-version": version},
    )


def partner_post(client, item, status: str, feedback: str, version: str):
    return client.post(
        f"/referrals/{item.referral_id}/partner-referrals/{item.id}",
        {
            "partner_status-status": status,
            "partner_status-feedback": feedback,
            "partner_status-version": version,
        },
    )


def test_a_milestone_form_read_before_a_colleagues_save_is_refused(app, world, milestone):
    toeleider, lead = logged_in(app, world.toeleider.email), logged_in(app, world.lead.email)
    page = f"/referrals/{milestone.referral_id}"
    seen = field_value(toeleider.get(page).get_data(as_text=True), "milestone_status-version")
    assert milestone_post(lead, milestone, "achieved", seen).status_code == 303
    stale = milestone_post(toeleider, milestone, "stopped", seen)
    assert stale.status_code == 409
    document = HTMLParser(stale.get_data(as_text=True))
    assert CONFLICT in document.body.text()
    typed = document.css_first(f"#m-{milestone.id}-status option[selected]")
    assert typed.attributes["value"] == "stopped"  # what was chosen is kept
    db.session.expire_all()
    assert db.session.get(Milestone, milestone.id).status == MilestoneStatus.ACHIEVED.value


def test_a_partner_status_form_read_before_a_colleagues_save_is_refused(
    app, world, partner_referral
):
    toeleider, lead = logged_in(app, world.toeleider.email), logged_in(app, world.lead.email)
    page = f"/referrals/{partner_referral.referral_id}"
    seen = field_value(toeleider.get(page).get_data(as_text=True), "partner_status-version")
    saved = partner_post(lead, partner_referral, "arrived", "Start les op 5/1", seen)
    assert saved.status_code == 303
    stale = partner_post(toeleider, partner_referral, "not_arrived", "Niet gekomen", seen)
    assert stale.status_code == 409
    document = HTMLParser(stale.get_data(as_text=True))
    assert CONFLICT in document.body.text()
    typed = document.css_first(f"#pr-{partner_referral.id}-feedback")
    assert typed.attributes["value"] == "Niet gekomen"  # what was typed is kept
    db.session.expire_all()
    stored = db.session.get(PartnerReferral, partner_referral.id)
    assert (stored.status, stored.feedback) == ("arrived", "Start les op 5/1")


def test_two_milestone_saves_at_once_one_is_kept_the_other_refused(app, world, milestone):
    clients = [logged_in(app, world.toeleider.email), logged_in(app, world.lead.email)]
    page = f"/referrals/{milestone.referral_id}"
    seen = field_value(clients[0].get(page).get_data(as_text=True), "milestone_status-version")
    tokens = [csrf_token(c.client, page) for c in clients]

    def save(client, token, status):
        return lambda: (
            client.client.post(
                f"{page}/milestones/{milestone.id}",
                data={
                    "milestone_status-status": status,
                    "milestone_status-version": seen,
                    "csrf_token": token,
                },
            ).status_code
        )

    statuses = at_once(
        app,
        [save(clients[0], tokens[0], "achieved"), save(clients[1], tokens[1], "stopped")],
    )
    assert sorted(statuses) == [303, 409]
    winner = ("achieved", "stopped")[statuses.index(303)]
    db.session.expire_all()
    assert db.session.get(Milestone, milestone.id).status == winner
    events = [
        e.detail
        for e in lifecycle.timeline(db.session, db.session.get(Referral, milestone.referral_id))
    ]
    assert events.count(f"Inschrijven NT2: {winner}") == 1
    assert len([d for d in events if d and d.startswith("Inschrijven NT2:")]) == 1


def test_two_partner_status_saves_at_once_one_is_kept_the_other_refused(
    app, world, partner_referral
):
    clients = [logged_in(app, world.toeleider.email), logged_in(app, world.lead.email)]
    page = f"/referrals/{partner_referral.referral_id}"
    seen = field_value(clients[0].get(page).get_data(as_text=True), "partner_status-version")
    tokens = [csrf_token(c.client, page) for c in clients]

    def save(client, token, status, feedback):
        return lambda: (
            client.client.post(
                f"{page}/partner-referrals/{partner_referral.id}",
                data={
                    "partner_status-status": status,
                    "partner_status-feedback": feedback,
                    "partner_status-version": seen,
                    "csrf_token": token,
                },
            ).status_code
        )

    statuses = at_once(
        app,
        [
            save(clients[0], tokens[0], "arrived", "Gestart"),
            save(clients[1], tokens[1], "not_arrived", "Niet gekomen"),
        ],
    )
    assert sorted(statuses) == [303, 409]
    winner = [("arrived", "Gestart"), ("not_arrived", "Niet gekomen")][statuses.index(303)]
    db.session.expire_all()
    stored = db.session.get(PartnerReferral, partner_referral.id)
    assert (stored.status, stored.feedback) == winner


def posting(client: Browserless, path: str, pairs: list[tuple[str, str]]):
    """A POST to send later, with the client's CSRF token fetched now (not inside the race)."""
    data = MultiDict([*pairs, ("csrf_token", csrf_token(client.client, path))])
    return lambda: client.client.post(path, data=data)


def test_two_admins_saving_one_user_at_once_one_is_kept_the_other_refused(app, world):
    colleague = add_user(db.session, "admin2@lindeveld.be", [Role.ADMIN], [])
    db.session.commit()
    person = world.toeleider
    path = f"/admin/users/{person.id}"
    admins = [logged_in(app, world.admin.email), logged_in(app, colleague.email)]
    seen = field_value(admins[0].get(path).get_data(as_text=True), "version")
    form = [
        ("email", person.email),
        ("roles", "toeleider"),
        ("municipalities", str(world.municipality.id)),
        ("service", str(person.service_id)),
        ("version", seen),
    ]
    names = ["Samira Eerste", "Samira Tweede"]
    languages = [["ti", "uk"], ["fr"]]
    responses = at_once(
        app,
        [
            posting(
                admin,
                path,
                [*form, ("full_name", name), *(("languages", code) for code in codes)],
            )
            for admin, name, codes in zip(admins, names, languages, strict=True)
        ],
    )
    statuses = [r.status_code for r in responses]
    assert sorted(statuses) == [303, 409]
    refused = responses[statuses.index(409)]
    document = HTMLParser(refused.get_data(as_text=True))
    assert "Iemand anders wijzigde deze gebruiker intussen" in document.css_first(".notice").text()
    winner = statuses.index(303)
    db.session.expire_all()
    stored = db.session.get(User, person.id)
    assert stored.full_name == names[winner]
    assert {lang.code for lang in stored.languages} == set(languages[winner])


def waiting_for_letter(world, full_name: str) -> Referral:
    referral = add_referral(
        db.session, world, full_name=full_name, address="Kerkstraat 1, 9999 Lindeveld"
    )
    lifecycle.claim(db.session, referral.id, world.toeleider, NOW)
    referral.needs_letter = True
    db.session.commit()
    return referral


def flashed(client: Browserless, path: str) -> list[str]:
    """The messages the next page shows the user, after a POST that redirected."""
    document = HTMLParser(client.get(path).get_data(as_text=True))
    return [node.text() for node in document.css(".flash")]


def test_letters_sent_submitted_twice_at_once_are_noted_once(app, world):
    letters = [waiting_for_letter(world, name) for name in ("Een Brief", "Twee Brief")]
    clicks = [logged_in(app, world.toeleider.email) for _ in range(2)]
    picked = [("id", str(r.id)) for r in letters]
    responses = at_once(app, [posting(c, "/queue/letters/sent", picked) for c in clicks])
    assert [r.status_code for r in responses] == [303, 303]
    said = sorted(" ".join(flashed(c, "/queue/letters")) for c in clicks)
    assert said == [
        "0 brieven als verstuurd genoteerd. 2 brieven waren al als verstuurd genoteerd.",
        "2 brieven als verstuurd genoteerd.",
    ]
    db.session.expire_all()
    for referral in letters:
        assert db.session.get(Referral, referral.id).needs_letter is False
        sent = db.session.scalars(
            select(ContactAttempt).where(
                ContactAttempt.referral_id == referral.id, ContactAttempt.channel == "letter"
            )
        ).all()
        assert len(sent) == 1


def test_the_desk_booking_while_a_toeleider_claims_gives_one_owner_and_no_error(app, world):
    db.session.add(
        AvailabilitySlot(
            user_id=world.toeleider.id,
            weekday=0,
            starts=time(9),
            ends=time(12),
            kind=AvailabilityKind.CONVERSATIONS.value,
        )
    )
    referral = add_referral(db.session, world, by=world.desk)
    claimant = add_user(
        db.session, "yonas@lindeveld.be", [Role.TOELEIDER], [world.municipality], name="Yonas"
    )
    db.session.commit()
    desk, toeleider = logged_in(app, world.desk.email), logged_in(app, claimant.email)
    slot = f"{world.toeleider.id}|2026-11-30T10:00:00"
    book = posting(
        desk, f"/desk/referrals/{referral.id}/book", [("slot", slot), ("place", "Onthaal")]
    )
    claim = f"/queue/{referral.id}/claim"
    claim_data = MultiDict([("csrf_token", csrf_token(toeleider.client, "/queue/"))])
    booked, claimed = at_once(
        app,
        [book, lambda: toeleider.client.post(claim, data=claim_data, headers={"HX-Request": "1"})],
    )
    db.session.expire_all()
    stored = db.session.get(Referral, referral.id)
    appointments = db.session.scalars(select(Appointment)).all()
    claim_text = HTMLParser(claimed.get_data(as_text=True)).body.text()
    if booked.status_code == 303:  # the desk was first: the appointment stands
        assert "Toeleider heeft deze persoon al opgenomen." in claim_text
        assert (stored.state, stored.owner_id, len(appointments)) == (
            "scheduled",
            world.toeleider.id,
            1,
        )
    else:  # the toeleider was first: the desk is told, nothing is booked
        assert booked.status_code == 409
        notice = HTMLParser(booked.get_data(as_text=True)).css_first(".notice").text()
        assert "Yonas heeft deze persoon intussen opgenomen" in notice
        assert "Opgenomen door u." in claim_text
        assert (stored.state, stored.owner_id, appointments) == ("claimed", claimant.id, [])


def test_the_desk_is_told_who_claimed_the_person_while_the_booking_page_was_open(app, world):
    db.session.add(
        AvailabilitySlot(
            user_id=world.toeleider.id,
            weekday=0,
            starts=time(9),
            ends=time(12),
            kind=AvailabilityKind.CONVERSATIONS.value,
        )
    )
    referral = add_referral(db.session, world, by=world.desk)
    desk = logged_in(app, world.desk.email)
    book = posting(
        desk,
        f"/desk/referrals/{referral.id}/book",
        [("slot", f"{world.toeleider.id}|2026-11-30T10:00:00"), ("place", "Onthaal")],
    )
    lifecycle.claim(db.session, referral.id, world.toeleider, NOW)
    db.session.commit()
    refused = book()
    assert refused.status_code == 409
    notice = HTMLParser(refused.get_data(as_text=True)).css_first(".notice").text()
    assert notice == "Toeleider heeft deze persoon intussen opgenomen en plant het gesprek zelf."
    assert db.session.scalars(select(Appointment)).all() == []


def test_a_leads_bulk_reassign_while_the_owner_saves_is_all_or_nothing(app, world):
    files = [add_referral(db.session, world, full_name=f"Dossier {n}") for n in range(3)]
    for referral in files:
        lifecycle.claim(db.session, referral.id, world.toeleider, NOW)
    colleague = add_user(
        db.session, "yonas@lindeveld.be", [Role.TOELEIDER], [world.municipality], name="Yonas"
    )
    db.session.commit()
    lead, owner = logged_in(app, world.lead.email), logged_in(app, world.toeleider.email)
    busy = files[1]
    seen = field_value(owner.get(f"/referrals/{busy.id}").get_data(as_text=True), "attempt-version")
    page = f"/lead/toeleiders/{world.toeleider.id}"
    reassign = posting(
        lead,
        page,
        [
            *(("referral", str(r.id)) for r in files),
            ("owner", str(colleague.id)),
            ("reason", "Ziekte"),
        ],
    )
    attempt = posting(
        owner,
        f"/referrals/{busy.id}/attempts",
        [
            ("attempt-channel", "phone"),
            ("attempt-outcome", "reached"),
            ("attempt-version", seen),
        ],
    )
    reassigned, saved = at_once(app, [reassign, attempt])
    assert {reassigned.status_code, saved.status_code} <= {303, 409}
    db.session.expire_all()
    owners = {db.session.get(Referral, r.id).owner_id for r in files}
    attempts = db.session.scalars(
        select(ContactAttempt).where(ContactAttempt.referral_id == busy.id)
    ).all()
    assert owners == {colleague.id if reassigned.status_code == 303 else world.toeleider.id}
    assert len(attempts) == (1 if saved.status_code == 303 else 0)
    if reassigned.status_code == 409:
        document = HTMLParser(reassigned.get_data(as_text=True))
        assert "Er is niets toegewezen" in document.css_first(".notice").text()
        ticked = {i.attributes["value"] for i in document.css('input[name="referral"][checked]')}
        assert ticked == {str(r.id) for r in files}  # the lead's choice is kept
        assert document.css_first("#reason").text() == "Ziekte"


def test_a_claim_between_the_desks_reading_and_booking_is_told_not_a_500(app, world, monkeypatch):
    db.session.add(
        AvailabilitySlot(
            user_id=world.toeleider.id,
            weekday=0,
            starts=time(9),
            ends=time(12),
            kind=AvailabilityKind.CONVERSATIONS.value,
        )
    )
    referral = add_referral(db.session, world, by=world.desk)
    desk, toeleider = logged_in(app, world.desk.email), logged_in(app, world.toeleider.email)
    book = posting(
        desk,
        f"/desk/referrals/{referral.id}/book",
        [("slot", f"{world.toeleider.id}|2026-11-30T10:00:00"), ("place", "Onthaal")],
    )
    claim = posting(toeleider, f"/queue/{referral.id}/claim", [])
    window = Window(monkeypatch, lifecycle, "schedule_conversation")
    booked, claimed = window.interleave(app, book, claim)
    assert claimed.status_code == 303
    assert booked.status_code == 409
    notice = HTMLParser(booked.get_data(as_text=True)).css_first(".notice").text()
    assert notice == "Toeleider heeft deze persoon intussen opgenomen en plant het gesprek zelf."
    db.session.expire_all()
    assert db.session.get(Referral, referral.id).state == "claimed"
    assert db.session.scalars(select(Appointment)).all() == []


def test_an_owners_save_between_the_leads_reading_and_reassigning_assigns_nothing(
    app, world, monkeypatch
):
    files = [add_referral(db.session, world, full_name=f"Dossier {n}") for n in range(3)]
    for referral in files:
        lifecycle.claim(db.session, referral.id, world.toeleider, NOW)
    colleague = add_user(db.session, "yonas@lindeveld.be", [Role.TOELEIDER], [world.municipality])
    db.session.commit()
    lead, owner = logged_in(app, world.lead.email), logged_in(app, world.toeleider.email)
    busy = files[1]
    seen = field_value(owner.get(f"/referrals/{busy.id}").get_data(as_text=True), "attempt-version")
    reassign = posting(
        lead,
        f"/lead/toeleiders/{world.toeleider.id}",
        [
            *(("referral", str(r.id)) for r in files),
            ("owner", str(colleague.id)),
            ("reason", "Ziekte"),
        ],
    )
    attempt = posting(
        owner,
        f"/referrals/{busy.id}/attempts",
        [("attempt-channel", "phone"), ("attempt-outcome", "reached"), ("attempt-version", seen)],
    )
    window = Window(monkeypatch, lifecycle, "reassign")
    reassigned, saved = window.interleave(app, reassign, attempt)
    assert saved.status_code == 303
    assert reassigned.status_code == 409
    document = HTMLParser(reassigned.get_data(as_text=True))
    assert "Er is niets toegewezen" in document.css_first(".notice").text()
    ticked = {i.attributes["value"] for i in document.css('input[name="referral"][checked]')}
    assert ticked == {str(r.id) for r in files}
    db.session.expire_all()
    assert {db.session.get(Referral, r.id).owner_id for r in files} == {world.toeleider.id}


def intake_form_token(client: Browserless) -> str:
    return field_value(client.get("/desk/").get_data(as_text=True), "form_token")


def test_an_intake_saved_twice_registers_one_referral_and_shows_its_slip(app, world):
    desk = logged_in(app, world.desk.email)
    token = intake_form_token(desk)
    assert token != intake_form_token(desk)  # every form its own: two tabs, two people
    form = {**valid_intake(world), "form_token": token}
    first = desk.post("/desk/", form)
    again = desk.post("/desk/", {**form, "note": "Teruggekeerd en opnieuw bewaard"})
    assert first.status_code == again.status_code == 303
    assert again.headers["Location"] == first.headers["Location"]  # the same slip
    assert flashed(desk, again.headers["Location"]) == [
        "Deze doorverwijzing was al bewaard; er is geen tweede gemaakt."
    ]
    db.session.expire_all()
    (referral,) = db.session.scalars(select(Referral)).all()
    assert referral.note == "Komt met zus als tolk."


def test_an_intake_sent_twice_at_once_registers_one_referral(app, world):
    clicks = [logged_in(app, world.desk.email) for _ in range(2)]
    token = intake_form_token(clicks[0])
    pairs = list({**valid_intake(world), "form_token": token}.items())
    responses = at_once(app, [posting(c, "/desk/", pairs) for c in clicks])
    assert [r.status_code for r in responses] == [303, 303]
    assert responses[0].headers["Location"] == responses[1].headers["Location"]
    db.session.expire_all()
    assert len(db.session.scalars(select(Referral)).all()) == 1


def test_an_intake_token_of_another_desk_worker_shows_nothing_of_their_referral(app, world):
    desk, colleague = logged_in(app, world.desk.email), logged_in(app, world.other_desk.email)
    token = intake_form_token(desk)
    assert desk.post("/desk/", {**valid_intake(world), "form_token": token}).status_code == 303
    form = {**valid_intake(world, full_name="Samir Haddad"), "form_token": token}
    refused = colleague.post("/desk/", form)
    assert refused.status_code == 409
    document = HTMLParser(refused.get_data(as_text=True))
    assert document.css_first(".notice").text() == (
        "Dit formulier was al gebruikt. Controleer de gegevens en bewaar opnieuw."
    )
    assert document.css_first("#full_name").attributes["value"] == "Samir Haddad"
    assert field_value(refused.get_data(as_text=True), "form_token") != token  # a fresh one
    db.session.expire_all()
    assert len(db.session.scalars(select(Referral)).all()) == 1


def test_a_save_that_loses_a_race_on_any_other_route_is_answered_in_dutch(app, world, monkeypatch):
    colleague = add_user(db.session, "admin2@lindeveld.be", [Role.ADMIN], [])
    db.session.commit()
    path = f"/admin/users/{world.desk.id}/password"
    admins = [logged_in(app, world.admin.email), logged_in(app, colleague.email)]
    first, meanwhile = (
        posting(admin, path, [("password", word)])
        for admin, word in zip(admins, ("eerste-wachtwoord-1", "tweede-wachtwoord-2"), strict=True)
    )
    window = Window(monkeypatch, admin_views, "end_all_logins")
    late, quick = window.interleave(app, first, meanwhile)
    assert quick.status_code == 303
    assert late.status_code == 409
    assert HTMLParser(late.get_data(as_text=True)).css_first("h1").text() == (
        "Iemand anders wijzigde dit intussen. Er is niets bewaard: herlaad de pagina en "
        "probeer opnieuw."
    )
    db.session.expire_all()
    stored = db.session.get(User, world.desk.id).password_hash
    assert verify_password(stored, "tweede-wachtwoord-2")  # the quick one's stands


def toggle_version(client: Browserless, person: User) -> str:
    """The version the users page put in this person's active/inactive button."""
    document = HTMLParser(client.get("/admin/users/").get_data(as_text=True))
    form = document.css_first(f'form[action="/admin/users/{person.id}/active"]')
    return form.css_first('input[name="version"]').attributes["value"]


STALE_TOGGLE = "Iemand anders wijzigde deze gebruiker intussen. Er is niets gewijzigd"


def test_a_toggle_from_a_page_read_before_a_colleagues_deactivation_changes_nothing(app, world):
    colleague = add_user(db.session, "admin2@lindeveld.be", [Role.ADMIN], [])
    db.session.commit()
    path = f"/admin/users/{world.desk.id}/active"
    admin, other = logged_in(app, world.admin.email), logged_in(app, colleague.email)
    seen = toggle_version(other, world.desk)  # the page still says "Deactiveren"
    assert admin.post(path, {"version": toggle_version(admin, world.desk)}).status_code == 303
    stale = other.post(path, {"version": seen})
    assert stale.status_code == 409
    document = HTMLParser(stale.get_data(as_text=True))
    assert STALE_TOGGLE in document.css_first(".notice").text()
    row = document.css_first(f'form[action="/admin/users/{world.desk.id}/active"] button')
    assert row.text().startswith("Activeren")  # the page now shows what is stored
    db.session.expire_all()
    assert db.session.get(User, world.desk.id).active is False  # not silently reactivated


def test_two_toggles_of_one_account_at_once_change_it_once(app, world, monkeypatch):
    colleague = add_user(db.session, "admin2@lindeveld.be", [Role.ADMIN], [])
    db.session.commit()
    path = f"/admin/users/{world.desk.id}/active"
    admins = [logged_in(app, world.admin.email), logged_in(app, colleague.email)]
    first, meanwhile = (
        posting(admin, path, [("version", toggle_version(admin, world.desk))]) for admin in admins
    )
    window = Window(monkeypatch, admin_views, "begin_account_change")
    late, quick = window.interleave(app, first, meanwhile)
    assert quick.status_code == 303
    assert late.status_code == 409
    assert STALE_TOGGLE in HTMLParser(late.get_data(as_text=True)).css_first(".notice").text()
    db.session.expire_all()
    assert db.session.get(User, world.desk.id).active is False  # deactivated once, not undone


@pytest.fixture
def task(world):
    referral, _theme = in_follow_up(world)
    item = followup.add_task(
        db.session, referral, world.toeleider, "Attest vragen", date(2026, 12, 1), NOW
    )
    db.session.commit()
    return item


def task_done_events(referral_id: int) -> list[TimelineEvent]:
    return db.session.scalars(
        select(TimelineEvent).where(
            TimelineEvent.referral_id == referral_id, TimelineEvent.kind == "task_done"
        )
    ).all()


def marking_done(client: Browserless, task: FollowUpTask):
    page = f"/referrals/{task.referral_id}"
    seen = field_value(client.get(page).get_data(as_text=True), "appointment-version")
    return posting(client, f"{page}/tasks/{task.id}/done", [("appointment-version", seen)])


def test_a_task_marked_done_by_two_people_at_once_is_done_once(app, world, task):
    before = task.referral.version
    clicks = [marking_done(logged_in(app, u.email), task) for u in (world.toeleider, world.lead)]
    responses = at_once(app, clicks)
    assert sorted(r.status_code for r in responses) == [303, 409]
    refused = next(r for r in responses if r.status_code == 409)
    told = HTMLParser(refused.get_data(as_text=True)).body.text()
    # Told at the UPDATE, or before it if the other's save had already moved the version on.
    assert "Deze taak is al afgewerkt." in told or CONFLICT in told
    db.session.expire_all()
    assert len(task_done_events(task.referral_id)) == 1
    assert db.session.get(Referral, task.referral_id).version == before + 1


def test_a_task_marked_done_between_a_colleagues_reading_and_saving_is_done_once(
    app, world, task, monkeypatch
):
    late = marking_done(logged_in(app, world.toeleider.email), task)
    quick = marking_done(logged_in(app, world.lead.email), task)
    before = task.referral.version
    window = Window(monkeypatch, followup, "complete_task")
    refused, saved = window.interleave(app, late, quick)
    assert saved.status_code == 303
    assert refused.status_code == 409
    assert "Deze taak is al afgewerkt." in HTMLParser(refused.get_data(as_text=True)).body.text()
    db.session.expire_all()
    assert db.session.get(FollowUpTask, task.id).done_at is not None
    assert len(task_done_events(task.referral_id)) == 1
    assert db.session.get(Referral, task.referral_id).version == before + 1


TAKEN = "Er is al een gebruiker met dit e-mailadres."


def giving_email(app, admin_email: str, person: User, email: str, service_id: int):
    """An admin's save of this person's form with a new e-mail address, read now."""
    admin = logged_in(app, admin_email)
    path = f"/admin/users/{person.id}"
    seen = field_value(admin.get(path).get_data(as_text=True), "version")
    return posting(
        admin,
        path,
        [
            ("email", email),
            ("full_name", person.full_name),
            ("roles", "toeleider"),
            ("municipalities", str(person.municipalities[0].id)),
            ("service", str(service_id)),
            ("version", seen),
        ],
    )


def two_toeleiders(world) -> tuple[list[User], list[str]]:
    colleague = add_user(db.session, "admin2@lindeveld.be", [Role.ADMIN], [])
    yonas = add_user(
        db.session, "yonas@lindeveld.be", [Role.TOELEIDER], [world.municipality], name="Yonas"
    )
    db.session.commit()
    return [world.toeleider, yonas], [world.admin.email, colleague.email]


def refused_for_the_email(response, typed: str) -> None:
    assert response.status_code == 422
    document = HTMLParser(response.get_data(as_text=True))
    assert TAKEN in document.body.text()
    assert document.css_first("#email").attributes["value"] == typed  # the typed form is kept


def test_two_admins_giving_one_new_address_to_two_users_at_once_keep_one(app, world):
    people, admins = two_toeleiders(world)
    new = "onthaal@lindeveld.be"
    saves = [
        giving_email(app, a, p, new, world.toeleider.service_id)
        for a, p in zip(admins, people, strict=True)
    ]
    responses = at_once(app, saves)
    statuses = [r.status_code for r in responses]
    assert sorted(statuses) == [303, 422]
    refused_for_the_email(responses[statuses.index(422)], new)
    db.session.expire_all()
    assert [db.session.get(User, p.id).email for p in people].count(new) == 1


def test_an_address_a_colleague_gave_after_the_check_is_told_next_to_the_field(
    app, world, monkeypatch
):
    people, admins = two_toeleiders(world)
    new = "onthaal@lindeveld.be"
    first, second = (
        giving_email(app, a, p, new, world.toeleider.service_id)
        for a, p in zip(admins, people, strict=True)
    )
    assert first().status_code == 303
    refused_for_the_email(second(), new)  # the check before saving
    # The check read before the colleague's save committed: the unique index decides.
    monkeypatch.setattr(admin_views, "email_taken", lambda *args, **kwargs: False)
    refused_for_the_email(
        giving_email(app, admins[1], people[1], new, world.toeleider.service_id)(), new
    )
    db.session.expire_all()
    assert db.session.get(User, people[1].id).email == "yonas@lindeveld.be"


def test_two_admins_creating_one_address_at_once_one_is_told_next_to_the_field(
    app, world, monkeypatch
):
    colleague = add_user(db.session, "admin2@lindeveld.be", [Role.ADMIN], [])
    db.session.commit()
    path = "/admin/users/new"
    admins = [logged_in(app, world.admin.email), logged_in(app, colleague.email)]
    first, meanwhile = (
        posting(
            admin,
            path,
            [("email", "nieuw@lindeveld.be"), ("full_name", name), ("roles", "desk")]
            + [("password", "een-lang-wachtwoord"), ("service", str(world.desk_service.id))]
            + [("municipalities", str(world.municipality.id))],
        )
        for admin, name in zip(admins, ("Nadia Eerst", "Nadia Tweede"), strict=True)
    )
    # Between the check that the address is free and the insert.
    window = Window(monkeypatch, accounts, "hash_password")
    late, quick = window.interleave(app, first, meanwhile)
    assert quick.status_code == 303
    assert late.status_code == 422
    document = HTMLParser(late.get_data(as_text=True))
    email_errors = document.css_first("#email").parent.text()
    assert "Er is al een gebruiker met dit e-mailadres." in email_errors
    assert document.css_first("#full_name").attributes["value"] == "Nadia Eerst"  # kept
    db.session.expire_all()
    created = db.session.scalars(select(User).where(User.email == "nieuw@lindeveld.be")).all()
    assert [u.full_name for u in created] == ["Nadia Tweede"]
