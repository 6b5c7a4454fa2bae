"""The toeleider's Vandaag: each list holds only their own files in their municipalities."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from selectolax.parser import HTMLParser

from portal import clock
from portal.extensions import db
from portal.models import (
    AccessLogEntry,
    ContactAttempt,
    FollowUpTask,
    Referral,
    ReferralState,
    Role,
)

from .factories import add_held_appointment, add_referral, add_user

NOW = datetime(2026, 11, 26, 10, 15)


def _owned(world, owner, name: str, phone: str, **changes) -> Referral:
    referral = add_referral(db.session, world, full_name=name, phone=phone, **changes)
    referral.state, referral.owner_id = ReferralState.CONTACTED.value, owner.id
    referral.claimed_at = datetime(2026, 11, 20, 9, 0)
    db.session.commit()
    return referral


def _section(html: str, section_id: str) -> list[str]:
    """The names a section of the Vandaag page lists."""
    node = HTMLParser(html).css_first(f"section#{section_id}")
    assert node is not None, section_id
    return [a.text(strip=True) for a in node.css("li a")]


def _heading(html: str, section_id: str) -> str:
    return HTMLParser(html).css_first(f"section#{section_id} h2").text(strip=True)


@pytest.fixture
def colleague(world):
    user = add_user(
        db.session,
        "collega@lindeveld.be",
        [Role.TOELEIDER],
        [world.municipality, world.other_municipality],
        languages=list(world.toeleider.languages),
    )
    db.session.commit()
    return user


@pytest.fixture
def elsewhere(world):
    """A file of the toeleider's in a municipality they no longer work for."""
    return _owned(
        world,
        world.toeleider,
        "Olena Elders",
        "+32470999001",
        municipality_id=world.other_municipality.id,
        source_service_id=world.other_service.id,
    )


def test_appointments_today_are_mine_only_and_only_of_my_municipalities(
    client, world, colleague, elsewhere
):
    mine = _owned(world, world.toeleider, "Rania Haddad", "+32470123456")
    theirs = _owned(world, colleague, "Karim Anders", "+32470123457")
    today_at = datetime(2026, 11, 26, 14, 0)
    add_held_appointment(db.session, mine, world.toeleider, today_at, status="planned")
    add_held_appointment(db.session, theirs, colleague, today_at, status="planned")
    add_held_appointment(db.session, elsewhere, world.toeleider, today_at, status="planned")
    add_held_appointment(
        db.session, mine, world.toeleider, today_at + timedelta(days=1), status="planned"
    )
    db.session.commit()
    client.login(world.toeleider.email)
    html = client.get("/today/").get_data(as_text=True)
    assert _section(html, "appointments") == ["Rania Haddad"]
    assert _heading(html, "appointments") == "1 afspraak vandaag"


def test_tasks_due_today_or_earlier_are_listed_not_later_or_done_ones(
    client, world, colleague, elsewhere
):
    mine = _owned(world, world.toeleider, "Rania Haddad", "+32470123456")
    later = _owned(world, world.toeleider, "Lina Later", "+32470123458")
    done = _owned(world, world.toeleider, "Dina Klaar", "+32470123459")
    theirs = _owned(world, colleague, "Karim Anders", "+32470123457")
    today = NOW.date()

    def task(referral, owner, due, done_at=None):
        db.session.add(
            FollowUpTask(
                referral_id=referral.id,
                owner_id=owner.id,
                description="Bellen over de school",
                due_on=due,
                done_at=done_at,
            )
        )

    task(mine, world.toeleider, today - timedelta(days=2))
    task(later, world.toeleider, today + timedelta(days=1))
    task(done, world.toeleider, today, done_at=NOW)
    task(theirs, colleague, today)
    task(elsewhere, world.toeleider, today)
    db.session.commit()
    client.login(world.toeleider.email)
    html = client.get("/today/").get_data(as_text=True)
    assert _section(html, "tasks") == ["Rania Haddad"]
    assert "te laat" in HTMLParser(html).css_first("section#tasks li").text()
    assert _heading(html, "tasks") == "1 opvolgtaak te doen"


def test_call_backs_follow_the_last_attempt(client, world, colleague, elsewhere):
    asked = _owned(world, world.toeleider, "Rania Haddad", "+32470123456")
    reached_since = _owned(world, world.toeleider, "Lina Bereikt", "+32470123458")
    by_letter = _owned(world, world.toeleider, "Dina Brief", "+32470123459")
    theirs = _owned(world, colleague, "Karim Anders", "+32470123457")

    def attempt(referral, outcome, channel="phone", hours=0):
        db.session.add(
            ContactAttempt(
                referral_id=referral.id,
                at=datetime(2026, 11, 25, 9, 0) + timedelta(hours=hours),
                actor_id=referral.owner_id,
                channel=channel,
                outcome=outcome,
            )
        )
        db.session.flush()

    attempt(asked, "no_answer")
    attempt(asked, "call_back", hours=1)
    attempt(reached_since, "call_back")
    attempt(reached_since, "reached", hours=1)
    attempt(by_letter, "call_back", channel="letter")
    attempt(theirs, "call_back")
    attempt(elsewhere, "call_back")
    db.session.commit()
    client.login(world.toeleider.email)
    html = client.get("/today/").get_data(as_text=True)
    assert _section(html, "call-backs") == ["Rania Haddad"]
    assert _heading(html, "call-backs") == "1 persoon terugbellen"


def test_letters_due_are_my_open_files_that_wait_for_one(client, world, colleague, elsewhere):
    waiting = _owned(world, world.toeleider, "Rania Haddad", "+32470123456")
    withdrawn = _owned(world, world.toeleider, "Lina Weg", "+32470123458")
    theirs = _owned(world, colleague, "Karim Anders", "+32470123457")
    for referral in (waiting, withdrawn, theirs, elsewhere):
        referral.needs_letter = True
    withdrawn.consent_withdrawn_at = datetime(2026, 11, 24, 9, 0)
    db.session.commit()
    client.login(world.toeleider.email)
    html = client.get("/today/").get_data(as_text=True)
    assert _section(html, "letters") == ["Rania Haddad"]
    assert _heading(html, "letters") == "1 brief te versturen"


def test_many_tasks_due_list_the_oldest_and_count_them_all(client, world, monkeypatch):
    monkeypatch.setattr("portal.today.overview.NEW_SHOWN", 1)
    for days, name in ((1, "Anna Recent"), (5, "Bart Oud")):
        referral = _owned(world, world.toeleider, name, f"+3247012340{days}")
        db.session.add(
            FollowUpTask(
                referral_id=referral.id,
                owner_id=world.toeleider.id,
                description="Bellen",
                due_on=NOW.date() - timedelta(days=days),
            )
        )
    db.session.commit()
    client.login(world.toeleider.email)
    html = client.get("/today/").get_data(as_text=True)
    assert _heading(html, "tasks") == "2 opvolgtaken te doen"
    assert _section(html, "tasks") == ["Bart Oud"]
    assert "Hierboven de 1 die het langst openstaan" in html


def test_many_letters_due_list_the_longest_waiting_and_count_them_all(client, world, monkeypatch):
    monkeypatch.setattr("portal.today.overview.NEW_SHOWN", 2)
    for n, name in enumerate(("Anna Eerst", "Bart Tweede", "Cora Derde")):
        referral = _owned(world, world.toeleider, name, f"+3247012345{n}")
        referral.claimed_at = datetime(2026, 11, 20 + n, 9, 0)
        referral.needs_letter = True
    db.session.commit()
    client.login(world.toeleider.email)
    html = client.get("/today/").get_data(as_text=True)
    assert _heading(html, "letters") == "3 brieven te versturen"
    assert _section(html, "letters") == ["Anna Eerst", "Bart Tweede"]
    assert "Hierboven de 2 die het langst wachten." in html


def test_new_referrals_are_those_in_my_languages_since_my_last_visit(client, world, monkeypatch):
    moment = {"now": NOW}
    monkeypatch.setattr(clock, "now", lambda: moment["now"])
    monkeypatch.setattr(clock, "today", lambda: moment["now"].date())
    add_referral(db.session, world, full_name="Oud Wachtend", at=datetime(2026, 11, 25, 9, 0))
    add_referral(
        db.session,
        world,
        full_name="Anders Talig",
        phone="+32470123458",
        contact_language_code="fr",
    )
    add_referral(
        db.session,
        world,
        full_name="Elders Wonend",
        phone="+32470123459",
        municipality_id=world.other_municipality.id,
        source_service_id=world.other_service.id,
    )
    client.login(world.toeleider.email)
    first = client.get("/today/").get_data(as_text=True)
    # On a first visit every referral that still waits in my languages counts as new.
    assert _section(first, "new") == ["Oud Wachtend"]

    moment["now"] = NOW + timedelta(minutes=45)
    add_referral(
        db.session,
        world,
        full_name="Nieuw Sindsdien",
        phone="+32470123460",
        at=NOW + timedelta(minutes=20),
    )
    second = client.get("/today/").get_data(as_text=True)
    assert _section(second, "new") == ["Nieuw Sindsdien"]
    assert _heading(second, "new") == "1 nieuwe doorverwijzing in mijn talen"
    # A reload in the same sitting keeps the list.
    moment["now"] = NOW + timedelta(minutes=50)
    assert _section(client.get("/today/").get_data(as_text=True), "new") == ["Nieuw Sindsdien"]

    moment["now"] = NOW + timedelta(minutes=95)
    third = client.get("/today/").get_data(as_text=True)
    assert _section(third, "new") == []
    assert _heading(third, "new") == "0 nieuwe doorverwijzingen in mijn talen"


def test_the_names_shown_on_vandaag_are_logged_once_each(client, world):
    mine = _owned(world, world.toeleider, "Rania Haddad", "+32470123456")
    mine.needs_letter = True
    add_held_appointment(db.session, mine, world.toeleider, datetime(2026, 11, 26, 14, 0))
    db.session.commit()
    client.login(world.toeleider.email)
    client.get("/today/")
    logged = db.session.scalars(
        db.select(AccessLogEntry.referral_id).where(
            AccessLogEntry.user_id == world.toeleider.id, AccessLogEntry.action == "my_day"
        )
    ).all()
    assert logged == [mine.id]


@pytest.mark.parametrize(
    ("roles", "landing"),
    [
        ([Role.TOELEIDER], "/today/"),
        ([Role.TOELEIDER, Role.DESK], "/today/"),
        ([Role.LEAD], "/lead/"),
        ([Role.LEAD, Role.TOELEIDER], "/lead/"),
        ([Role.DESK], "/desk/"),
        ([Role.ADMIN], "/admin/"),
    ],
)
def test_each_role_lands_on_its_main_page(client, world, roles, landing):
    user = add_user(db.session, "landing@lindeveld.be", roles, [world.municipality])
    db.session.commit()
    assert client.login(user.email).headers["Location"] == landing
    assert client.get("/").headers["Location"] == landing


def test_a_desk_worker_may_not_open_vandaag(as_desk):
    assert as_desk.get("/today/").status_code == 403


def test_dates_of_first_and_repeated_visits_are_kept_per_user(app, world):
    from portal.today.overview import note_visit

    assert note_visit(db.session, world.toeleider, "today", NOW) is None
    assert note_visit(db.session, world.lead, "today", NOW) is None
    later = NOW + timedelta(hours=1)
    assert note_visit(db.session, world.toeleider, "today", later) == NOW
    assert note_visit(db.session, world.toeleider, "today", later + timedelta(minutes=1)) == NOW
    assert date(2026, 11, 26) == later.date()
