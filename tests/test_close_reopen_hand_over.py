"""Closing settles everything still open, a lead reopens with a reason, reassigning takes the
future appointments along: nothing stays stranded on a closed file or with the old owner."""

from __future__ import annotations

import re
from datetime import date, datetime

import icalendar
import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import (
    Absence,
    Appointment,
    AppointmentStatus,
    ClosingOutcome,
    FollowUpTask,
    Milestone,
    PartnerReferral,
    PartnerReferralStatus,
    PlaceStatus,
    Programme,
    ProgrammePlace,
    ReferralState,
    Role,
    Theme,
)
from portal.referrals import followup, lifecycle, programmes
from portal.referrals.lifecycle import Settle, TransitionRefused

from .factories import add_partner_referral, add_referral, add_user

NOW = datetime(2026, 11, 26, 10, 15)
MONDAY_TEN = datetime(2026, 11, 30, 10, 0)


def following_up(world, **changes):
    """A long-term resident's file after the conversation, with one of every open item."""
    referral = add_referral(db.session, world, registered_on=date(2015, 3, 1), **changes)
    toeleider = world.toeleider
    lifecycle.claim(db.session, referral.id, toeleider, NOW)
    appointment = lifecycle.schedule_conversation(
        db.session,
        referral,
        toeleider,
        toeleider,
        datetime(2026, 11, 26, 11),
        60,
        "Gemeentehuis",
        None,
        NOW,
    )
    lifecycle.conversation_held(db.session, appointment, toeleider, datetime(2026, 11, 26, 12))
    theme = Theme(name="Nederlands leren", position=1)
    db.session.add(theme)
    lifecycle.record_conversation(
        db.session,
        referral,
        toeleider,
        held_on=NOW.date(),
        themes=[theme],
        answers={},
        needs=[],
        signals=[],
        notes=None,
        at=datetime(2026, 11, 26, 13),
    )
    db.session.commit()
    return referral


def with_open_items(world, referral):
    theme = db.session.scalar(select(Theme))
    arrived_later = add_partner_referral(
        db.session, referral, world.partner, theme, date(2026, 11, 26), world.toeleider
    )
    vdab = add_partner_referral(
        db.session, referral, world.partner, theme, date(2026, 11, 20), world.toeleider
    )
    done = followup.add_task(
        db.session, referral, world.toeleider, "Attest", date(2026, 12, 1), NOW
    )
    dropped = followup.add_task(
        db.session, referral, world.toeleider, "Bellen", date(2026, 12, 2), NOW
    )
    achieved = followup.add_milestone(
        db.session, referral, world.toeleider, "NT2", 1, date(2027, 1, 31), NOW
    )
    stopped = followup.add_milestone(
        db.session, referral, world.toeleider, "Werk", 2, date(2027, 3, 31), NOW
    )
    appointment = Appointment(
        referral_id=referral.id,
        toeleider_id=world.toeleider.id,
        kind="integration",
        starts_at=MONDAY_TEN,
        ends_at=MONDAY_TEN.replace(hour=11),
        place="Bib",
        status="planned",
        created_by_id=world.toeleider.id,
        created_at=NOW,
    )
    programme = Programme(partner_id=world.partner.id, name="NT2 avondles", capacity=1)
    db.session.add_all([appointment, programme])
    db.session.flush()
    place = programmes.sign_up(db.session, programme, referral, world.toeleider, NOW)
    db.session.commit()
    return {
        "arrived_later": arrived_later,
        "vdab": vdab,
        "done": done,
        "dropped": dropped,
        "achieved": achieved,
        "stopped": stopped,
        "appointment": appointment,
        "place": place,
    }


def test_closing_settles_every_open_item_as_chosen(app, world):
    referral = following_up(world)
    items = with_open_items(world, referral)
    result = lifecycle.close(
        db.session,
        referral,
        world.toeleider,
        ClosingOutcome.COMPLETED,
        None,
        NOW,
        settle={
            ("partner", items["vdab"].id): Settle.NOT_ARRIVED,
            ("task", items["done"].id): Settle.DONE,
            ("milestone", items["achieved"].id): Settle.DONE,
        },
    )
    db.session.commit()
    db.session.expire_all()
    get = db.session.get
    assert get(PartnerReferral, items["arrived_later"].id).status == "proposed"
    assert get(PartnerReferral, items["vdab"].id).status == PartnerReferralStatus.NOT_ARRIVED
    assert all(get(FollowUpTask, items[k].id).done_at == NOW for k in ("done", "dropped"))
    assert get(Milestone, items["achieved"].id).status == "achieved"
    assert get(Milestone, items["stopped"].id).status == "stopped"
    assert get(Appointment, items["appointment"].id).status == AppointmentStatus.CANCELLED
    assert get(ProgrammePlace, items["place"].id).status == PlaceStatus.LEFT
    assert lifecycle.open_items(db.session, referral).partner_referrals == [
        get(PartnerReferral, items["arrived_later"].id)
    ]
    assert (result.places_freed, result.appointments_cancelled, result.partners_awaited) == (
        1,
        1,
        1,
    )
    kinds = [e.kind for e in lifecycle.timeline(db.session, referral)]
    assert {"task_done", "task_dropped", "milestone_status", "appointment_cancelled"} <= set(kinds)
    assert followup.open_tasks_of(db.session, world.toeleider) == []


def test_an_unknown_choice_for_an_open_item_is_refused(app, world):
    referral = following_up(world)
    items = with_open_items(world, referral)
    with pytest.raises(TransitionRefused, match="open punt"):
        lifecycle.close(
            db.session,
            referral,
            world.toeleider,
            ClosingOutcome.COMPLETED,
            None,
            NOW,
            settle={("task", items["done"].id): Settle.NOT_ARRIVED},
        )


def test_the_closing_form_lists_what_is_open_and_offers_a_choice_for_each(client, world):
    referral = following_up(world)
    items = with_open_items(world, referral)
    client.login(world.toeleider.email)
    html = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    close_form = re.search(r'<form[^>]*action="[^"]*/close".*?</form>', html, re.S).group(0)
    for kind, key in [("partner", "vdab"), ("task", "dropped"), ("milestone", "stopped")]:
        assert f'name="close-settle-{kind}-{items[key].id}"' in close_form
    assert "wordt geannuleerd" in close_form
    assert "NT2 avondles: de plaats of wachtlijstplek komt vrij" in close_form
    version = re.search(r'name="close-version" type="hidden" value="(\d+)"', html).group(1)
    response = client.post(
        f"/referrals/{referral.id}/close",
        {
            "close-version": version,
            "close-outcome": "completed",
            f"close-settle-task-{items['done'].id}": "done",
            f"close-settle-partner-{items['vdab'].id}": "not_arrived",
        },
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "Afgesloten. Een geplande afspraak is geannuleerd." in page
    assert "De terugkoppeling van een partner kan nog genoteerd worden." in page
    db.session.expire_all()
    assert db.session.get(PartnerReferral, items["vdab"].id).status == "not_arrived"


def test_partner_feedback_is_still_recorded_on_a_closed_file(client, world):
    referral = following_up(world)
    item = add_partner_referral(
        db.session,
        referral,
        world.partner,
        db.session.scalar(select(Theme)),
        NOW.date(),
        world.toeleider,
    )
    lifecycle.close(db.session, referral, world.toeleider, ClosingOutcome.COMPLETED, None, NOW)
    db.session.commit()
    client.login(world.toeleider.email)
    html = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert f'action="/referrals/{referral.id}/partner-referrals/{item.id}"' in html
    response = client.post(
        f"/referrals/{referral.id}/partner-referrals/{item.id}",
        {
            "partner_status-version": str(referral.version),
            "partner_status-status": "arrived",
            "partner_status-feedback": "Kwam op 3/12",
        },
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(PartnerReferral, item.id).status == "arrived"


FOLLOW_UP_ON_CLOSED = [
    (
        "task",
        lambda w, r: followup.add_task(db.session, r, w.toeleider, "x", date(2026, 12, 1), NOW),
    ),
    (
        "milestone",
        lambda w, r: followup.add_milestone(
            db.session, r, w.toeleider, "x", 1, date(2027, 1, 1), NOW
        ),
    ),
    (
        "partner referral",
        lambda w, r: followup.refer_to_partner(
            db.session, r, w.toeleider, w.partner, db.session.scalar(select(Theme)), NOW.date(), NOW
        ),
    ),
    (
        "contact attempt",
        lambda w, r: lifecycle.log_contact_attempt(
            db.session,
            r,
            w.toeleider,
            lifecycle.ContactChannel.PHONE,
            lifecycle.ContactOutcome.REACHED,
            None,
            NOW,
        ),
    ),
]


@pytest.mark.parametrize(
    ("what", "perform"), FOLLOW_UP_ON_CLOSED, ids=[w for w, _ in FOLLOW_UP_ON_CLOSED]
)
def test_follow_up_on_a_closed_file_is_refused_with_a_message(app, world, what, perform):
    referral = following_up(world)
    lifecycle.close(db.session, referral, world.toeleider, ClosingOutcome.COMPLETED, None, NOW)
    db.session.commit()
    with pytest.raises(TransitionRefused) as refused:
        perform(world, referral)
    assert "afgesloten" in refused.value.message
    assert "terugkoppeling van een partner" in refused.value.message


def test_a_task_posted_on_a_closed_file_is_refused_on_the_page(client, world):
    referral = following_up(world)
    lifecycle.close(db.session, referral, world.toeleider, ClosingOutcome.COMPLETED, None, NOW)
    db.session.commit()
    client.login(world.toeleider.email)
    response = client.post(
        f"/referrals/{referral.id}/tasks",
        {
            "task-version": str(referral.version),
            "task-description": "Bellen",
            "task-due_on": "2026-12-03",
        },
    )
    assert response.status_code == 409
    notice = re.search(
        r'<p class="notice" role="alert"[^>]*>([^<]+)</p>', response.get_data(as_text=True)
    )
    assert "afgesloten" in notice.group(1)


def test_a_lead_reopens_a_closed_file_with_a_reason(client, world):
    referral = following_up(world)
    lifecycle.close(db.session, referral, world.toeleider, ClosingOutcome.COMPLETED, None, NOW)
    db.session.commit()
    with pytest.raises(TransitionRefused, match="Geef een reden"):
        lifecycle.reopen(db.session, referral, world.lead, "  ", NOW)
    client.login(world.lead.email)
    html = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    version = re.search(r'name="reopen-version" type="hidden" value="(\d+)"', html).group(1)
    response = client.post(
        f"/referrals/{referral.id}/reopen",
        {"reopen-version": version, "reopen-reason": "Nieuwe vraag over huisvesting"},
    )
    assert response.status_code == 303
    db.session.expire_all()
    reopened = db.session.get(type(referral), referral.id)
    assert (reopened.state, reopened.outcome, reopened.closed_at) == (
        ReferralState.FOLLOWING_UP,
        None,
        None,
    )
    [event] = [e for e in lifecycle.timeline(db.session, reopened) if e.kind == "reopened"]
    assert (event.detail, event.actor_id, event.from_state) == (
        "Nieuwe vraag over huisvesting",
        world.lead.id,
        "closed",
    )
    followup.add_task(db.session, reopened, world.toeleider, "Bellen", date(2026, 12, 3), NOW)


def test_a_toeleider_cannot_reopen_a_file(client, world):
    referral = following_up(world)
    lifecycle.close(db.session, referral, world.toeleider, ClosingOutcome.COMPLETED, None, NOW)
    db.session.commit()
    with pytest.raises(TransitionRefused, match="teamverantwoordelijke"):
        lifecycle.reopen(db.session, referral, world.toeleider, "Toch nog iets", NOW)
    client.login(world.toeleider.email)
    html = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert "/reopen" not in html
    response = client.post(
        f"/referrals/{referral.id}/reopen",
        {"reopen-version": str(referral.version), "reopen-reason": "Toch nog iets"},
    )
    assert response.status_code == 403


def _feed_events(client, user) -> list[tuple[str, str]]:
    """(summary, status) of each event in the user's calendar feed."""
    client.login(user.email)
    client.post("/agenda/feed", {})
    db.session.refresh(user)
    token = user.calendar_token
    client.post("/logout", {})
    calendar = icalendar.Calendar.from_ical(client.get(f"/agenda/feed/{token}.ics").data)
    return [(str(e["summary"]), str(e["status"])) for e in calendar.walk("VEVENT")]


def _feed_summaries(client, user) -> list[str]:
    """The events a subscribed calendar shows: those not cancelled."""
    return [summary for summary, status in _feed_events(client, user) if status != "CANCELLED"]


def scheduled_for_monday(world):
    referral = add_referral(db.session, world)
    lifecycle.claim(db.session, referral.id, world.toeleider, NOW)
    appointment = lifecycle.schedule_conversation(
        db.session, referral, world.toeleider, world.toeleider, MONDAY_TEN, 60, "Bib", None, NOW
    )
    db.session.commit()
    return referral, appointment


@pytest.fixture
def colleague(world):
    person = add_user(
        db.session, "yonas@lindeveld.be", [Role.TOELEIDER], [world.municipality], name="Yonas"
    )
    db.session.commit()
    return person


def test_reassigning_moves_future_appointments_to_the_new_toeleider(client, world, colleague):
    referral, appointment = scheduled_for_monday(world)
    task = followup.add_task(
        db.session, referral, world.toeleider, "Bellen", date(2026, 12, 3), NOW
    )
    db.session.commit()
    assert _feed_summaries(client, world.toeleider) == [f"Onthaalgesprek {referral.reference}"]
    client.login(world.lead.email)
    html = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert "1 geplande afspraak" in html
    version = re.search(r'name="reassign-version" type="hidden" value="(\d+)"', html).group(1)
    response = client.post(
        f"/referrals/{referral.id}/reassign",
        {
            "reassign-owner": str(colleague.id),
            "reassign-reason": "Verlof",
            "reassign-version": version,
            "reassign-appointments": "move",
        },
        follow_redirects=True,
    )
    assert "Een afspraak staat nu in de agenda van de nieuwe toeleider." in response.get_data(
        as_text=True
    )
    client.post("/logout", {})
    db.session.expire_all()
    assert db.session.get(Appointment, appointment.id).toeleider_id == colleague.id
    assert db.session.get(FollowUpTask, task.id).owner_id == colleague.id
    assert _feed_summaries(client, world.toeleider) == []
    assert _feed_summaries(client, colleague) == [f"Onthaalgesprek {referral.reference}"]
    client.login(world.toeleider.email)
    agenda = client.get("/agenda/?day=2026-11-30").get_data(as_text=True)
    assert referral.person.full_name not in agenda


def test_reassigning_can_cancel_the_appointments_instead(client, world, colleague):
    referral, appointment = scheduled_for_monday(world)
    client.login(world.lead.email)
    html = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    version = re.search(r'name="reassign-version" type="hidden" value="(\d+)"', html).group(1)
    response = client.post(
        f"/referrals/{referral.id}/reassign",
        {
            "reassign-owner": str(colleague.id),
            "reassign-reason": "Verlof",
            "reassign-version": version,
            "reassign-appointments": "cancel",
        },
        follow_redirects=True,
    )
    assert "Een afspraak is geannuleerd." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Appointment, appointment.id).status == AppointmentStatus.CANCELLED
    assert db.session.get(type(referral), referral.id).state == ReferralState.CONTACTED
    client.post("/logout", {})
    # Still in the feed, cancelled, so that subscribed calendars drop it.
    assert _feed_events(client, world.toeleider) == [
        (f"Onthaalgesprek {referral.reference}", "CANCELLED")
    ]
    assert _feed_summaries(client, colleague) == []


def test_an_appointment_the_new_toeleider_cannot_take_is_cancelled_and_said(app, world, colleague):
    referral, appointment = scheduled_for_monday(world)
    db.session.add(
        Absence(user_id=colleague.id, first_day=MONDAY_TEN.date(), last_day=MONDAY_TEN.date())
    )
    db.session.commit()
    result = lifecycle.reassign(db.session, referral, world.lead, colleague, "Verlof", NOW)
    assert (result.appointments_moved, result.appointments_cancelled) == (0, 1)
    assert appointment.status == AppointmentStatus.CANCELLED
    assert appointment.toeleider_id == world.toeleider.id
