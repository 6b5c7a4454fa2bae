"""Work recorded afterwards with the moment it happened, and entries struck through."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import (
    Appointment,
    AppointmentStatus,
    ContactChannel,
    ContactOutcome,
    Conversation,
    ReferralState,
    Theme,
    TimelineEvent,
)
from portal.referrals import corrections, followup, lifecycle, moments
from portal.referrals.lifecycle import TransitionRefused
from portal.reports.counting import held_statement, monthly_figures, reached_statement
from portal.settings import set_int

from .conftest import NOW
from .factories import add_referral

YESTERDAY = NOW - timedelta(days=1)
WALKED_IN = YESTERDAY.replace(hour=11, minute=0)


def _theme() -> Theme:
    theme = Theme(name="Nederlands leren", position=1)
    db.session.add(theme)
    db.session.commit()
    return theme


def _referral(world, at=datetime(2026, 10, 20, 9, 0)):
    return add_referral(db.session, world, at=at)


def _claimed(world, at=datetime(2026, 10, 20, 9, 0)):
    referral = _referral(world, at)
    lifecycle.claim(db.session, referral.id, world.toeleider, at + timedelta(hours=1))
    db.session.commit()
    return referral


def _walk_in(referral, world, happened_at=WALKED_IN, **changes):
    values = dict(
        happened_at=happened_at,
        minutes=30,
        place="Permanentie onthaal",
        themes=[_theme()],
        answers={},
        needs=[],
        signals=[],
        notes="Kwam spontaan langs aan het loket.",
        at=NOW,
    )
    values.update(changes)
    conversation = moments.record_walk_in(db.session, referral, world.toeleider, **values)
    db.session.commit()
    return conversation


def _month(world, month: int):
    return monthly_figures(db.session, [world.municipality.id], 2026).rows[month - 1]


def _day_figures(world, day: date) -> tuple[int, int]:
    """(reached, conversations) counted on one day, by the reports' own statements."""
    start = datetime.combine(day, datetime.min.time())
    end = start + timedelta(days=1)
    ids = [world.municipality.id]
    reached = sum(n for _m, _how, n in db.session.execute(reached_statement(ids, start, end)))
    held = sum(n for _y, _m, n in db.session.execute(held_statement(ids, start, end)))
    return reached, held


def test_a_walk_in_held_yesterday_is_counted_on_yesterday(app, world):
    referral = _claimed(world)
    conversation = _walk_in(referral, world)

    assert referral.state == ReferralState.FOLLOWING_UP
    assert conversation.walk_in and conversation.held_on == YESTERDAY.date()
    assert _day_figures(world, YESTERDAY.date()) == (1, 1)
    assert _day_figures(world, NOW.date()) == (0, 0)
    november = _month(world, 11)
    assert november.reached["desk"] == 1 and november.conversations == 1


def test_the_walk_in_timeline_shows_when_it_happened_and_when_it_was_recorded(app, world):
    referral = _claimed(world)
    _walk_in(referral, world)
    event = db.session.scalars(
        select(TimelineEvent).where(
            TimelineEvent.referral_id == referral.id, TimelineEvent.kind == "walk_in_held"
        )
    ).one()
    assert event.at == NOW
    assert event.happened_at == WALKED_IN


def test_a_walk_in_on_a_new_file_takes_it_from_the_queue(app, world):
    referral = _referral(world)
    _walk_in(referral, world)
    assert referral.owner_id == world.toeleider.id
    assert referral.state == ReferralState.FOLLOWING_UP


def test_a_walk_in_is_refused_once_a_conversation_is_planned(app, world):
    referral = _claimed(world)
    referral.state = ReferralState.SCHEDULED.value
    db.session.commit()
    with pytest.raises(TransitionRefused, match="zonder afspraak"):
        _walk_in(referral, world)


@pytest.mark.parametrize(
    ("happened_at", "message"),
    [
        (NOW + timedelta(minutes=5), "in de toekomst"),
        (datetime(2026, 10, 20, 8, 0), "vóór de registratie"),
        (NOW - timedelta(days=31), "hoogstens 30 dagen terug"),
    ],
    ids=["future", "before-the-referral", "too-far-back"],
)
def test_a_moment_in_the_future_before_the_referral_or_too_far_back_is_refused(
    app, world, happened_at, message
):
    referral = _claimed(world, at=datetime(2026, 10, 20, 9, 0))
    with pytest.raises(TransitionRefused, match=message):
        _walk_in(referral, world, happened_at=happened_at)
    db.session.rollback()
    assert db.session.scalars(select(Appointment)).all() == []


def test_how_far_back_is_a_setting(app, world):
    referral = _claimed(world)
    set_int(db.session, "backdating_max_days", 40)
    db.session.commit()
    _walk_in(referral, world, happened_at=NOW - timedelta(days=35))
    assert (
        db.session.scalars(select(Conversation)).one().held_on == (NOW - timedelta(days=35)).date()
    )


def test_an_attempt_recorded_afterwards_counts_on_its_moment(app, world):
    referral = _claimed(world)
    attempt = lifecycle.log_contact_attempt(
        db.session,
        referral,
        world.toeleider,
        ContactChannel.PHONE,
        ContactOutcome.REACHED,
        None,
        NOW,
        happened_at=datetime(2026, 10, 31, 16, 0),
    )
    db.session.commit()
    assert (attempt.at, attempt.recorded_at) == (datetime(2026, 10, 31, 16, 0), NOW)
    assert _month(world, 10).reached["phone"] == 1
    assert _month(world, 11).reached_total == 0


def test_the_first_reached_attempt_is_the_first_by_moment_not_by_recording(app, world):
    referral = _claimed(world)
    for happened_at, channel in ((None, ContactChannel.PHONE), (YESTERDAY, ContactChannel.DESK)):
        lifecycle.log_contact_attempt(
            db.session,
            referral,
            world.toeleider,
            channel,
            ContactOutcome.REACHED,
            None,
            NOW,
            happened_at=happened_at,
        )
    db.session.commit()
    assert _day_figures(world, YESTERDAY.date()) == (1, 0)
    assert _day_figures(world, NOW.date()) == (0, 0)
    assert _month(world, 11).reached == {"desk": 1, "letter": 0, "partner": 0, "phone": 0}


def _attempt_event(referral, outcome=ContactOutcome.REACHED, channel=ContactChannel.PHONE):
    lifecycle.log_contact_attempt(
        db.session, referral, referral.owner, channel, outcome, None, NOW - timedelta(hours=1)
    )
    db.session.commit()
    return db.session.scalars(
        select(TimelineEvent)
        .where(TimelineEvent.referral_id == referral.id, TimelineEvent.kind == "contact_attempt")
        .order_by(TimelineEvent.id.desc())
    ).first()


def test_a_struck_attempt_is_no_longer_counted_and_the_figures_still_add_up(app, world):
    first, second = _claimed(world), _claimed(world)
    mistake = _attempt_event(first)
    _attempt_event(second)
    before = _month(world, 11)
    assert before.reached["phone"] == 2 and before.reached_total == 2

    corrections.strike_event(
        db.session, first, mistake, world.toeleider, reason="Verkeerd dossier", at=NOW
    )
    db.session.commit()

    after = monthly_figures(db.session, [world.municipality.id], 2026)
    assert after.rows[10].reached["phone"] == 1
    assert after.totals.reached_total == sum(r.reached_total for r in after.rows) == 1
    assert mistake.struck_reason == "Verkeerd dossier" and mistake.contact_attempt.struck_at == NOW
    assert db.session.get(TimelineEvent, mistake.id) is not None  # struck, never deleted


def test_striking_the_first_reached_attempt_counts_the_next_one(app, world):
    referral = _claimed(world)
    mistake = _attempt_event(referral)
    lifecycle.log_contact_attempt(
        db.session,
        referral,
        world.toeleider,
        ContactChannel.DESK,
        ContactOutcome.REACHED,
        None,
        NOW,
    )
    db.session.commit()
    assert _month(world, 11).reached == {"desk": 0, "letter": 0, "partner": 0, "phone": 1}
    corrections.strike_event(db.session, referral, mistake, world.toeleider, reason="Fout", at=NOW)
    db.session.commit()
    assert _month(world, 11).reached == {"desk": 1, "letter": 0, "partner": 0, "phone": 0}


def test_a_struck_unreached_attempt_no_longer_counts_towards_the_letter(app, world):
    referral = _claimed(world)
    event = _attempt_event(referral, ContactOutcome.NO_ANSWER)
    assert referral.unreached_attempts == 1
    corrections.strike_event(db.session, referral, event, world.toeleider, reason="Fout", at=NOW)
    db.session.commit()
    assert referral.unreached_attempts == 0


def test_a_strike_needs_a_reason_the_worker_and_a_strikable_entry(app, world):
    referral = _claimed(world)
    event = _attempt_event(referral)
    with pytest.raises(TransitionRefused, match="reden"):
        corrections.strike_event(db.session, referral, event, world.toeleider, reason=" ", at=NOW)
    with pytest.raises(TransitionRefused, match="toeleider van deze persoon"):
        corrections.strike_event(db.session, referral, event, world.desk, reason="x", at=NOW)
    claimed = db.session.scalars(
        select(TimelineEvent).where(
            TimelineEvent.referral_id == referral.id, TimelineEvent.kind == "claimed"
        )
    ).one()
    with pytest.raises(TransitionRefused, match="niet doorgehaald"):
        corrections.strike_event(db.session, referral, claimed, world.toeleider, reason="x", at=NOW)
    corrections.strike_event(db.session, referral, event, world.toeleider, reason="x", at=NOW)
    with pytest.raises(TransitionRefused, match="al doorgehaald"):
        corrections.strike_event(db.session, referral, event, world.toeleider, reason="x", at=NOW)


def test_a_corrected_conversation_keeps_its_earlier_version(app, world):
    referral = _claimed(world)
    conversation = _walk_in(referral, world)
    other = Theme(name="Werk", position=2)
    db.session.add(other)
    db.session.commit()
    changed = corrections.correct_conversation(
        db.session,
        referral,
        conversation,
        world.toeleider,
        held_on=(NOW - timedelta(days=2)).date(),
        themes=[other],
        notes="Kwam langs met haar zus.",
        at=NOW + timedelta(hours=1),
    )
    db.session.commit()
    assert changed
    (earlier,) = conversation.revisions
    assert earlier.notes == "Kwam spontaan langs aan het loket."
    assert earlier.themes_text == "Nederlands leren"
    assert earlier.held_on == YESTERDAY.date()
    assert conversation.corrected_by_id == world.toeleider.id
    # The walk-in's conversation moves to the corrected day in the reports too.
    assert _day_figures(world, (NOW - timedelta(days=2)).date())[1] == 1
    assert _day_figures(world, YESTERDAY.date())[1] == 0
    held = db.session.scalars(select(Appointment)).one()
    assert held.status == AppointmentStatus.HELD.value


def test_a_partner_referral_is_not_dated_in_the_future_or_too_far_back(app, world):
    referral = _claimed(world)
    _walk_in(referral, world)
    theme = db.session.scalars(select(Theme)).first()
    for day, message in (
        (NOW.date() + timedelta(days=1), "in de toekomst"),
        (NOW.date() - timedelta(days=31), "hoogstens 30 dagen"),
    ):
        with pytest.raises(TransitionRefused, match=message):
            followup.refer_to_partner(
                db.session, referral, world.toeleider, world.partner, theme, day, NOW
            )
    item = followup.refer_to_partner(
        db.session, referral, world.toeleider, world.partner, theme, YESTERDAY.date(), NOW
    )
    db.session.commit()
    assert item.referred_on == YESTERDAY.date()
    event = db.session.scalars(
        select(TimelineEvent).where(TimelineEvent.kind == "partner_referral")
    ).one()
    assert event.happened_at.date() == YESTERDAY.date()
