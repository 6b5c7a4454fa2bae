"""Notifications in the portal: who is told what, the header's counter, opening one."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from selectolax.parser import HTMLParser
from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.lead.signals import update_signal
from portal.models import (
    ClosingOutcome,
    LoginSession,
    Notification,
    NotificationKind,
    Programme,
    Role,
    Signal,
    SignalStatus,
    Theme,
)
from portal.notifications import records
from portal.referrals import followup, lifecycle, programmes

from .conftest import NOW
from .factories import add_referral, add_user

K = NotificationKind
LATER = datetime(2026, 11, 27, 10, 0)


def _kinds(user) -> list[tuple[NotificationKind, int]]:
    return [
        (n.kind, n.referral_id)
        for n in db.session.scalars(
            select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
        )
    ]


def _colleague(world, email="collega@lindeveld.be", languages=("ar",), municipality=None):
    from portal.models import Language

    user = add_user(
        db.session,
        email,
        [Role.TOELEIDER],
        [municipality or world.municipality],
        languages=[db.session.get(Language, code) for code in languages],
    )
    db.session.commit()
    return user


def _claimed(world, owner=None, **changes):
    referral = add_referral(db.session, world, **changes)
    lifecycle.claim(db.session, referral.id, owner or world.toeleider, NOW)
    db.session.commit()
    return referral


# Who is told ---------------------------------------------------------------------------


def test_a_new_referral_tells_the_toeleiders_of_its_municipality_who_speak_its_language(world):
    elsewhere = _colleague(world, "ander@beekmere.be", municipality=world.other_municipality)
    french = _colleague(world, "frans@lindeveld.be", languages=("fr",))
    referral = add_referral(db.session, world)
    assert _kinds(world.toeleider) == [(K.NEW_REFERRAL, referral.id)]
    for not_told in (elsewhere, french, world.lead, world.desk, world.admin):
        assert _kinds(not_told) == []


def test_once_someone_claims_it_the_news_of_a_new_referral_is_settled_for_the_others(world):
    colleague = _colleague(world)
    referral = add_referral(db.session, world)
    assert records.unread_count(db.session, colleague.id) == 1
    lifecycle.claim(db.session, referral.id, world.toeleider, NOW)
    db.session.commit()
    assert records.unread_count(db.session, colleague.id) == 0
    assert records.unread_count(db.session, world.toeleider.id) == 0


def test_an_appointment_booked_at_the_desk_tells_the_toeleider_it_is_booked_for(world):
    colleague = _colleague(world, languages=("fr",))
    referral = add_referral(db.session, world, contact_language_code="fr")
    records.mark_all_read(db.session, colleague, NOW)
    lifecycle.schedule_conversation(
        db.session, referral, world.desk, colleague, LATER, 60, "Onthaal", None, NOW
    )
    db.session.commit()
    assert _kinds(colleague)[-1] == (K.APPOINTMENT_BOOKED, referral.id)
    assert records.unread_count(db.session, colleague.id) == 1
    assert all(kind is not K.APPOINTMENT_BOOKED for kind, _ in _kinds(world.toeleider))
    assert _kinds(world.desk) == []


def test_planning_ones_own_conversation_tells_nobody(world):
    referral = _claimed(world)
    before = _kinds(world.toeleider)
    lifecycle.schedule_conversation(
        db.session, referral, world.toeleider, world.toeleider, LATER, 60, "Onthaal", None, NOW
    )
    db.session.commit()
    assert _kinds(world.toeleider) == before


def test_a_file_reassigned_by_a_lead_tells_the_new_toeleider_only(world):
    colleague = _colleague(world)
    referral = _claimed(world)
    lifecycle.reassign(db.session, referral, world.lead, colleague, "Verlof", NOW)
    db.session.commit()
    assert _kinds(colleague)[-1] == (K.REASSIGNED, referral.id)
    assert all(kind is not K.REASSIGNED for kind, _ in _kinds(world.toeleider))
    assert _kinds(world.lead) == []


def test_an_answer_to_a_signal_tells_whoever_raised_it(world):
    referral = _claimed(world)
    theme = Theme(name="Wonen", position=1)
    db.session.add(theme)
    signal = Signal(
        referral_id=referral.id,
        municipality_id=world.municipality.id,
        theme=theme,
        description="Te weinig sociale woningen",
        created_by_id=world.toeleider.id,
        created_at=NOW,
    )
    db.session.add(signal)
    db.session.commit()
    update_signal(db.session, signal, world.lead, SignalStatus.BROUGHT_TO_BOARD, None, NOW)
    db.session.commit()
    assert all(kind is not K.SIGNAL_ANSWERED for kind, _ in _kinds(world.toeleider))
    update_signal(db.session, signal, world.lead, SignalStatus.ANSWERED, "Er komen er 20.", NOW)
    db.session.commit()
    assert _kinds(world.toeleider)[-1] == (K.SIGNAL_ANSWERED, referral.id)
    # Saved again with the same answer: no second notification.
    update_signal(db.session, signal, world.lead, SignalStatus.ANSWERED, "Er komen er 20.", NOW)
    db.session.commit()
    assert [k for k, _ in _kinds(world.toeleider)].count(K.SIGNAL_ANSWERED) == 1
    assert _kinds(world.lead) == []


def test_a_place_freed_in_a_programme_tells_the_toeleider_of_the_first_in_line(world):
    colleague = _colleague(world)
    enrolled = _claimed(world, owner=colleague)
    first = _claimed(world)
    second = _claimed(world, owner=colleague)
    programme = Programme(partner_id=world.partner.id, name="Taalcafé", capacity=1)
    db.session.add(programme)
    db.session.flush()
    held = programmes.sign_up(db.session, programme, enrolled, colleague, NOW)
    programmes.sign_up(db.session, programme, first, world.toeleider, NOW)
    programmes.sign_up(db.session, programme, second, colleague, NOW + timedelta(minutes=1))
    db.session.commit()
    programmes.leave(db.session, held, enrolled, colleague, NOW)
    db.session.commit()
    assert _kinds(world.toeleider)[-1] == (K.PLACE_FREED, first.id)
    assert all(kind is not K.PLACE_FREED for kind, _ in _kinds(colleague))


def _full_programme_with_one_waiting(world, colleague):
    """A programme of one place, held by the colleague's person; the toeleider's waits."""
    holder = _claimed(world, owner=colleague)
    waiting = _claimed(world)
    programme = Programme(partner_id=world.partner.id, name="Taalcafé", capacity=1)
    db.session.add(programme)
    db.session.flush()
    programmes.sign_up(db.session, programme, holder, colleague, NOW)
    programmes.sign_up(db.session, programme, waiting, world.toeleider, NOW)
    db.session.commit()
    return programme, holder, waiting


def test_closing_a_file_that_held_a_place_tells_the_first_in_line(world):
    colleague = _colleague(world)
    _programme, holder, waiting = _full_programme_with_one_waiting(world, colleague)
    lifecycle.close(db.session, holder, colleague, ClosingOutcome.MOVED_AWAY, None, NOW)
    db.session.commit()
    assert _kinds(world.toeleider)[-1] == (K.PLACE_FREED, waiting.id)
    # Told once per spot in line, however often the line is looked at again.
    programmes.offer_free_place(db.session, _programme, colleague, NOW)
    db.session.commit()
    assert [k for k, _ in _kinds(world.toeleider)].count(K.PLACE_FREED) == 1


def test_an_admin_adding_places_tells_the_first_in_line(client, world):
    colleague = _colleague(world)
    programme, _holder, waiting = _full_programme_with_one_waiting(world, colleague)
    client.login(world.admin.email)
    form = {
        "name": "Taalcafé",
        "partner_id": str(world.partner.id),
        "capacity": "2",
        "municipality_id": "0",
        "active": "y",
    }
    assert client.post(f"/admin/c/programmes/{programme.id}", form).status_code == 303
    assert _kinds(world.toeleider)[-1] == (K.PLACE_FREED, waiting.id)


def test_a_task_due_today_is_told_once_to_its_owner(world):
    referral = _claimed(world)
    colleague = _colleague(world)
    other = _claimed(world, owner=colleague)
    followup.add_task(db.session, referral, world.toeleider, "Bellen", NOW.date(), NOW)
    followup.add_task(db.session, referral, world.toeleider, "Later", date(2026, 11, 30), NOW)
    followup.add_task(db.session, other, colleague, "Collega", date(2026, 11, 30), NOW)
    db.session.commit()
    assert records.tasks_due(db.session, NOW) == 1
    assert records.tasks_due(db.session, NOW, world.toeleider) == 0
    db.session.commit()
    assert [k for k, _ in _kinds(world.toeleider)].count(K.TASK_DUE) == 1
    assert all(kind is not K.TASK_DUE for kind, _ in _kinds(colleague))


def test_the_notifications_page_makes_todays_task_notifications_itself(client, world):
    referral = _claimed(world)
    followup.add_task(db.session, referral, world.toeleider, "Bellen", NOW.date(), NOW)
    db.session.commit()
    client.login(world.toeleider.email)
    page = HTMLParser(client.get("/notifications/").get_data(as_text=True))
    items = [li.text(strip=True) for li in page.css("ul.notifications li")]
    assert any("Opvolgtaak voor vandaag" in text and referral.reference in text for text in items)
    # The page names files by their number, never the resident.
    assert "Rania" not in page.css_first("main").text()


# The counter, opening, privacy ----------------------------------------------------------


def _header_count(client, path="/today/") -> str:
    page = HTMLParser(client.get(path, follow_redirects=True).get_data(as_text=True))
    return page.css_first("#notification-count").text(strip=True)


def test_the_header_counts_the_unread_notifications_for_screen_readers_too(client, world):
    add_referral(db.session, world)
    add_referral(db.session, world)
    client.login(world.toeleider.email)
    page = HTMLParser(client.get("/today/").get_data(as_text=True))
    counter = page.css_first("#notification-count")
    assert counter.css_first(".badge").text() == "2"
    assert counter.css_first(".visually-hidden").text() == "(2 nieuwe meldingen)"
    link = page.css_first("a.notifications-link")
    assert link.attributes["href"] == "/notifications/"
    refreshed = client.get("/notifications/count", headers={"HX-Request": "true"})
    assert "2 nieuwe meldingen" in refreshed.get_data(as_text=True)


def test_the_counter_answers_only_when_its_number_changed(client, world):
    """Its live region would otherwise be read out every minute, changed or not."""
    add_referral(db.session, world)
    client.login(world.toeleider.email)
    page = HTMLParser(client.get("/today/").get_data(as_text=True))
    counter = page.css_first("#notification-count")
    assert counter.parent.attributes["aria-live"] == "polite"  # a region that stays
    asked = counter.attributes["hx-get"]
    assert asked.endswith("shown=1")
    unchanged = client.get(asked, headers={"HX-Request": "true"})
    assert unchanged.status_code == 204 and unchanged.get_data() == b""
    add_referral(db.session, world)
    changed = client.get(asked, headers={"HX-Request": "true"})
    html = changed.get_data(as_text=True)
    assert changed.status_code == 200 and "2 nieuwe meldingen" in html
    assert 'shown=2"' in html  # the next question is about the new number


def test_opening_a_notification_marks_it_read_and_goes_to_its_file(client, world):
    referral = add_referral(db.session, world)
    add_referral(db.session, world)
    notice = db.session.scalars(
        select(Notification).where(Notification.referral_id == referral.id)
    ).one()
    client.login(world.toeleider.email)
    response = client.get(f"/notifications/{notice.id}")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/referrals/{referral.id}"
    db.session.expire_all()
    assert db.session.get(Notification, notice.id).read_at == NOW
    assert "(1 nieuwe melding)" in _header_count(client)


def test_opening_the_file_marks_its_notifications_read(client, world):
    referral = add_referral(db.session, world)
    client.login(world.toeleider.email)
    assert client.get(f"/referrals/{referral.id}").status_code == 200
    assert _header_count(client) == ""
    assert records.unread_count(db.session, world.toeleider.id) == 0


def test_nobody_opens_another_users_notification(client, world):
    colleague = _colleague(world)
    add_referral(db.session, world)
    theirs = db.session.scalars(
        select(Notification).where(Notification.user_id == colleague.id)
    ).one()
    client.login(world.toeleider.email)
    assert client.get(f"/notifications/{theirs.id}").status_code == 404
    db.session.expire_all()
    assert db.session.get(Notification, theirs.id).read_at is None
    assert client.get("/notifications/999999").status_code == 404


def test_a_notification_of_a_file_no_longer_mine_to_see_says_so(client, world):
    referral = add_referral(db.session, world)
    notice = db.session.scalars(select(Notification)).one()
    world.toeleider.municipalities = [world.other_municipality]
    db.session.commit()
    client.login(world.toeleider.email)
    response = client.get(f"/notifications/{notice.id}", follow_redirects=True)
    assert "Dit dossier kunt u niet meer openen." in response.get_data(as_text=True)
    assert f"/referrals/{referral.id}" not in response.request.path


def test_marking_all_read_empties_the_counter(client, world):
    add_referral(db.session, world)
    client.login(world.toeleider.email)
    response = client.post("/notifications/read", {})
    assert response.status_code == 303
    assert _header_count(client) == ""


@pytest.mark.parametrize("who", ["desk", "admin"])
def test_desk_workers_and_admins_have_no_notifications(client, world, who):
    client.login(getattr(world, who).email)
    page = HTMLParser(client.get("/", follow_redirects=True).get_data(as_text=True))
    assert page.css_first("#notification-count") is None
    assert client.get("/notifications/").status_code == 403


def test_the_counter_refreshing_itself_is_not_activity(client, world, monkeypatch):
    client.login(world.toeleider.email)
    login = db.session.scalars(select(LoginSession)).one()
    seen = login.last_seen_at
    moment = NOW + timedelta(minutes=40)
    monkeypatch.setattr(clock, "now", lambda: moment)
    poll = {
        "HX-Request": "true",
        "X-Portal-Poll": "notification-count",
        "HX-Trigger": "notification-count",
    }
    assert client.get("/notifications/count", headers=poll).status_code == 200
    db.session.expire_all()
    assert db.session.get(LoginSession, login.id).last_seen_at == seen
