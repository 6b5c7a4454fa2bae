"""Saves that cross: two people, or two clicks, at once; forms read before a colleague saved."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest
from selectolax.parser import HTMLParser
from werkzeug.datastructures import MultiDict

from portal.extensions import db
from portal.models import (
    Milestone,
    MilestoneStatus,
    PartnerReferral,
    Referral,
    Role,
    Theme,
    User,
)
from portal.referrals import followup, lifecycle

from .concurrency import at_once
from .conftest import Browserless, csrf_token
from .factories import add_partner_referral, add_referral, add_user

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
        False,
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
