"""The first reach kept on the referral follows every change of its contact attempts."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from portal.extensions import db
from portal.models import ContactAttempt, ContactChannel, ContactOutcome, Referral, TimelineEvent
from portal.referrals.corrections import strike_event
from portal.referrals.lifecycle import claim, log_contact_attempt
from portal.referrals.reach import refresh_all
from portal.reports.counting import reached_between

from .factories import add_referral

NOW = datetime(2026, 11, 27, 15, 0)


def _claimed(world):
    referral = add_referral(db.session, world)
    claim(db.session, referral.id, world.toeleider, datetime(2026, 11, 26, 10, 0))
    db.session.commit()
    return referral


def _log(referral, world, channel, outcome, happened_at=None, at=NOW):
    attempt = log_contact_attempt(
        db.session, referral, world.toeleider, channel, outcome, None, at, happened_at
    )
    db.session.commit()
    return attempt


def _reach(referral):
    return referral.reached_at, referral.reached_via, referral.reached_attempt_id


def _reached_in_november(world):
    return reached_between(
        db.session, [world.municipality.id], date(2026, 11, 1), date(2026, 12, 1)
    )


def test_a_referral_reached_by_phone_carries_that_moment(app, world):
    referral = _claimed(world)
    _log(referral, world, ContactChannel.PHONE, ContactOutcome.NO_ANSWER)
    assert _reach(referral) == (None, None, None)
    attempt = _log(referral, world, ContactChannel.PHONE, ContactOutcome.REACHED)
    assert _reach(referral) == (NOW, "other", attempt.id)
    assert _reached_in_november(world) == 1


def test_an_earlier_reach_recorded_afterwards_becomes_the_first(app, world):
    referral = _claimed(world)
    later = datetime(2026, 11, 27, 14, 0)
    _log(referral, world, ContactChannel.PHONE, ContactOutcome.REACHED, happened_at=later)
    earlier = datetime(2026, 11, 26, 16, 0)
    desk = _log(referral, world, ContactChannel.DESK, ContactOutcome.REACHED, happened_at=earlier)
    assert _reach(referral) == (earlier, "desk", desk.id)


def test_striking_the_reaching_attempt_falls_back_to_the_next_one_and_then_to_none(app, world):
    referral = _claimed(world)
    first = _log(
        referral, world, ContactChannel.PHONE, ContactOutcome.REACHED, datetime(2026, 11, 26, 11)
    )
    second = _log(
        referral, world, ContactChannel.EMAIL, ContactOutcome.REACHED, datetime(2026, 11, 27, 11)
    )
    assert referral.reached_attempt_id == first.id

    def strike(attempt):
        event = db.session.scalars(
            select(TimelineEvent).where(TimelineEvent.contact_attempt_id == attempt.id)
        ).one()
        strike_event(db.session, referral, event, world.toeleider, reason="verkeerd", at=NOW)
        db.session.commit()

    strike(first)
    assert _reach(referral) == (datetime(2026, 11, 27, 11), "other", second.id)
    strike(second)
    assert _reach(referral) == (None, None, None)
    assert _reached_in_november(world) == 0


def test_reached_after_an_invitation_letter_counts_as_by_letter(app, world):
    referral = _claimed(world)
    _log(
        referral, world, ContactChannel.LETTER, ContactOutcome.CALL_BACK, datetime(2026, 11, 26, 12)
    )
    _log(referral, world, ContactChannel.PHONE, ContactOutcome.REACHED, datetime(2026, 11, 27, 9))
    assert referral.reached_via == "letter"


def test_a_letter_sent_after_the_reach_does_not_change_how(app, world):
    referral = _claimed(world)
    _log(referral, world, ContactChannel.PHONE, ContactOutcome.REACHED, datetime(2026, 11, 26, 12))
    _log(
        referral, world, ContactChannel.LETTER, ContactOutcome.CALL_BACK, datetime(2026, 11, 27, 9)
    )
    assert referral.reached_via == "other"


def test_removing_an_attempt_removes_the_reach(app, world):
    referral = _claimed(world)
    attempt = _log(referral, world, ContactChannel.PHONE, ContactOutcome.REACHED)
    db.session.execute(
        TimelineEvent.__table__.update()
        .where(TimelineEvent.contact_attempt_id == attempt.id)
        .values(contact_attempt_id=None)
    )
    db.session.delete(attempt)
    db.session.commit()
    assert db.session.get(Referral, referral.id).reached_at is None
    assert db.session.scalar(select(ContactAttempt.id)) is None


def test_a_call_back_waits_until_a_later_attempt_and_returns_when_that_one_is_struck(app, world):
    referral = _claimed(world)
    asked = datetime(2026, 11, 26, 14)
    _log(referral, world, ContactChannel.PHONE, ContactOutcome.CALL_BACK, asked)
    assert referral.call_back_since == asked
    reached = _log(
        referral, world, ContactChannel.PHONE, ContactOutcome.REACHED, datetime(2026, 11, 27, 9)
    )
    assert referral.call_back_since is None
    event = db.session.scalars(
        select(TimelineEvent).where(TimelineEvent.contact_attempt_id == reached.id)
    ).one()
    strike_event(db.session, referral, event, world.toeleider, reason="verkeerd dossier", at=NOW)
    db.session.commit()
    assert referral.call_back_since == asked


def test_a_letter_asks_the_resident_to_call_not_the_toeleider(app, world):
    referral = _claimed(world)
    _log(referral, world, ContactChannel.LETTER, ContactOutcome.CALL_BACK)
    assert referral.call_back_since is None


def test_a_bulk_refresh_gives_what_the_flushes_gave(app, world):
    """Loads that pass the ORM by derive the same values in one pass (refresh_all)."""
    referral = _claimed(world)
    _log(
        referral, world, ContactChannel.LETTER, ContactOutcome.CALL_BACK, datetime(2026, 11, 26, 10)
    )
    _log(referral, world, ContactChannel.PHONE, ContactOutcome.REACHED, datetime(2026, 11, 26, 11))
    other = _claimed(world)
    _log(other, world, ContactChannel.PHONE, ContactOutcome.CALL_BACK, datetime(2026, 11, 26, 12))
    flushed = {r.id: _reach(r) + (r.call_back_since,) for r in (referral, other)}
    db.session.execute(
        Referral.__table__.update().values(
            reached_at=None, reached_via=None, reached_attempt_id=None, call_back_since=None
        )
    )
    db.session.commit()
    with db.engine.begin() as connection:
        assert refresh_all(connection) == 2
    db.session.expire_all()
    refreshed = {
        r.id: _reach(r) + (r.call_back_since,)
        for r in db.session.scalars(select(Referral).where(Referral.id.in_(flushed)))
    }
    assert refreshed == flushed
    assert flushed[referral.id][1] == "letter" and flushed[other.id][3] is not None
