"""Every transition of the lifecycle, legal and illegal, for every role."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import (
    ClosingOutcome,
    ContactChannel,
    ContactOutcome,
    ReferralState,
    Role,
    TimelineEvent,
)
from portal.referrals import lifecycle
from portal.referrals.lifecycle import AlreadyClaimed, TransitionRefused
from portal.settings import QueueWeights, set_int

from .factories import add_referral, add_user

AT = datetime(2026, 11, 26, 11, 0)


def kinds(referral) -> list[str]:
    return [e.kind for e in lifecycle.timeline(db.session, referral)]


def claimed(world, by=None):
    referral = add_referral(db.session, world)
    lifecycle.claim(db.session, referral.id, by or world.toeleider, AT)
    db.session.commit()
    return referral


def test_intake_starts_the_timeline(app, world):
    referral = add_referral(db.session, world)
    event = db.session.scalars(select(TimelineEvent)).one()
    assert (event.kind, event.actor_id, event.to_state) == ("registered", world.desk.id, "new")
    assert referral.state == ReferralState.NEW


def test_toeleider_claims_a_new_referral(app, world):
    referral = claimed(world)
    assert (referral.state, referral.owner_id, referral.claimed_at) == (
        "claimed",
        world.toeleider.id,
        AT,
    )
    assert kinds(referral) == ["registered", "claimed"]


@pytest.mark.parametrize("who", ["desk", "admin", "outsider"])
def test_only_toeleiders_of_the_municipality_can_claim(app, world, who):
    referral = add_referral(db.session, world)
    with pytest.raises(TransitionRefused):
        lifecycle.claim(db.session, referral.id, getattr(world, who), AT)
    db.session.refresh(referral)
    assert referral.state == ReferralState.NEW


def test_second_claim_is_refused_with_owner_name(app, world):
    referral = claimed(world)
    other = add_user(db.session, "t2@lindeveld.be", [Role.TOELEIDER], [world.municipality])
    db.session.commit()
    with pytest.raises(AlreadyClaimed) as refused:
        lifecycle.claim(db.session, referral.id, other, AT)
    assert refused.value.message == "Toeleider heeft deze persoon al opgenomen."


def test_unclaim_needs_a_reason_and_returns_the_referral_to_the_queue(app, world):
    referral = claimed(world)
    with pytest.raises(TransitionRefused, match="Geef een reden"):
        lifecycle.unclaim(db.session, referral, world.toeleider, "  ", AT)
    lifecycle.unclaim(db.session, referral, world.toeleider, "Spreekt eigenlijk Tigrinya", AT)
    assert (referral.state, referral.owner_id) == ("new", None)
    assert kinds(referral)[-1] == "unclaimed"


def test_another_toeleider_cannot_unclaim_or_log_on_someone_elses_file(app, world):
    referral = claimed(world)
    other = add_user(db.session, "t2@lindeveld.be", [Role.TOELEIDER], [world.municipality])
    with pytest.raises(TransitionRefused, match="Alleen de toeleider"):
        lifecycle.unclaim(db.session, referral, other, "reden", AT)
    with pytest.raises(TransitionRefused):
        lifecycle.log_contact_attempt(
            db.session, referral, other, ContactChannel.PHONE, ContactOutcome.REACHED, None, AT
        )


def test_reached_attempt_moves_claimed_to_contacted(app, world):
    referral = claimed(world)
    lifecycle.log_contact_attempt(
        db.session,
        referral,
        world.toeleider,
        ContactChannel.PHONE,
        ContactOutcome.NO_ANSWER,
        "",
        AT,
    )
    assert referral.state == ReferralState.CLAIMED
    lifecycle.log_contact_attempt(
        db.session, referral, world.toeleider, ContactChannel.PHONE, ContactOutcome.REACHED, "", AT
    )
    assert referral.state == ReferralState.CONTACTED
    assert kinds(referral)[-2:] == ["contact_attempt", "contact_attempt"]


def test_third_unreached_attempt_marks_the_referral_for_a_letter(app, world):
    referral = claimed(world)
    for n in range(3):
        assert referral.needs_letter is False
        lifecycle.log_contact_attempt(
            db.session,
            referral,
            world.toeleider,
            ContactChannel.PHONE,
            ContactOutcome.NO_ANSWER if n % 2 == 0 else ContactOutcome.WRONG_NUMBER,
            None,
            AT + timedelta(hours=n),
        )
    assert referral.needs_letter is True
    assert kinds(referral)[-1] == "letter_needed"
    lifecycle.mark_letter_sent(db.session, referral, world.toeleider, AT + timedelta(days=1))
    assert referral.needs_letter is False
    assert kinds(referral)[-1] == "letter_sent"


def test_letter_threshold_is_a_setting(app, world):
    set_int(db.session, "letter_after_unreached_attempts", 1)
    referral = claimed(world)
    lifecycle.log_contact_attempt(
        db.session,
        referral,
        world.toeleider,
        ContactChannel.SMS,
        ContactOutcome.NO_ANSWER,
        None,
        AT,
    )
    assert referral.needs_letter is True


def test_call_back_later_does_not_count_as_unreached(app, world):
    referral = claimed(world)
    for _ in range(3):
        lifecycle.log_contact_attempt(
            db.session,
            referral,
            world.toeleider,
            ContactChannel.PHONE,
            ContactOutcome.CALL_BACK,
            None,
            AT,
        )
    assert (referral.unreached_attempts, referral.needs_letter) == (0, False)


def test_declining_is_recorded_and_the_file_closes_as_declined(app, world):
    referral = claimed(world)
    lifecycle.log_contact_attempt(
        db.session,
        referral,
        world.toeleider,
        ContactChannel.PHONE,
        ContactOutcome.DECLINED,
        None,
        AT,
    )
    assert referral.conversation_accepted is False
    lifecycle.close(
        db.session, referral, world.toeleider, ClosingOutcome.DECLINED, "Geen interesse", AT
    )
    assert (referral.state, referral.outcome, referral.closed_at) == ("closed", "declined", AT)


def test_acceptance_of_the_offer_is_recorded(app, world):
    referral = claimed(world)
    lifecycle.record_answer_to_offer(db.session, referral, world.toeleider, True, AT)
    assert referral.conversation_accepted is True
    assert kinds(referral)[-1] == "offer_accepted"


def test_closing_requires_an_outcome_and_cannot_happen_twice(app, world):
    referral = claimed(world)
    with pytest.raises(TransitionRefused, match="Kies een resultaat"):
        lifecycle.close(db.session, referral, world.toeleider, None, None, AT)
    lifecycle.close(db.session, referral, world.toeleider, ClosingOutcome.MOVED_AWAY, None, AT)
    with pytest.raises(TransitionRefused, match="al afgesloten"):
        lifecycle.close(db.session, referral, world.toeleider, ClosingOutcome.COMPLETED, None, AT)
    with pytest.raises(TransitionRefused, match="afgesloten"):
        lifecycle.log_contact_attempt(
            db.session,
            referral,
            world.toeleider,
            ContactChannel.PHONE,
            ContactOutcome.REACHED,
            None,
            AT,
        )


def test_a_new_referral_is_closed_only_by_a_lead(app, world):
    referral = add_referral(db.session, world)
    with pytest.raises(TransitionRefused, match="Neem de persoon eerst op"):
        lifecycle.close(db.session, referral, world.toeleider, ClosingOutcome.MOVED_AWAY, None, AT)
    lifecycle.close(
        db.session, referral, world.lead, ClosingOutcome.MOVED_AWAY, "Verhuisd naar Gent", AT
    )
    assert referral.state == ReferralState.CLOSED


def test_lead_reassigns_with_a_reason_on_the_timeline(app, world):
    referral = claimed(world)
    other = add_user(
        db.session, "t2@lindeveld.be", [Role.TOELEIDER], [world.municipality], name="Yonas"
    )
    db.session.commit()
    with pytest.raises(TransitionRefused, match="teamverantwoordelijke"):
        lifecycle.reassign(db.session, referral, world.toeleider, other, "ziek", AT)
    with pytest.raises(TransitionRefused, match="actieve toeleider"):
        lifecycle.reassign(db.session, referral, world.lead, world.desk, "ziek", AT)
    lifecycle.reassign(db.session, referral, world.lead, other, "Toeleider is ziek", AT)
    assert referral.owner_id == other.id
    last = lifecycle.timeline(db.session, referral)[-1]
    assert (last.kind, last.actor_id) == ("reassigned", world.lead.id)
    assert "Yonas" in last.detail and "Toeleider is ziek" in last.detail


def test_priority_moves_registration_earlier_per_weighing_indicator(app, world):
    referral = add_referral(
        db.session, world, dutch_difficult=True, has_work=False, has_children=True
    )
    weights = QueueWeights(dutch_difficult_days=14, no_work_days=7, children_days=3)
    assert lifecycle.priority_at(AT, referral, weights) == AT - timedelta(days=24)
    referral.has_work = True
    assert lifecycle.priority_at(AT, referral, weights) == AT - timedelta(days=17)
