"""Every transition against every role: who may make it, and that the others are refused."""

from __future__ import annotations

from datetime import datetime

import pytest

from portal.extensions import db
from portal.models import ClosingOutcome, ContactChannel, ContactOutcome, Role
from portal.referrals import lifecycle
from portal.referrals.lifecycle import TransitionRefused

from .factories import add_referral, add_user

NOW = datetime(2026, 11, 26, 10, 15)
MONDAY_TEN = datetime(2026, 11, 30, 10, 0)
ACTORS = ["desk", "owner", "other_toeleider", "lead", "admin", "outsider"]


def _people(world):
    other = add_user(db.session, "ander@lindeveld.be", [Role.TOELEIDER], [world.municipality])
    foreign = add_user(
        db.session, "t@beekmere.be", [Role.TOELEIDER, Role.LEAD], [world.other_municipality]
    )
    db.session.commit()
    return {
        "desk": world.desk,
        "owner": world.toeleider,
        "other_toeleider": other,
        "lead": world.lead,
        "admin": world.admin,
        "outsider": foreign,
    }


def _claimed(world):
    referral = add_referral(db.session, world)
    lifecycle.claim(db.session, referral.id, world.toeleider, NOW)
    db.session.commit()
    return referral


TRANSITIONS = {
    "claim": (
        lambda world: add_referral(db.session, world),
        lambda r, actor, world: lifecycle.claim(db.session, r.id, actor, NOW),
        {"owner", "other_toeleider"},
    ),
    "unclaim": (
        _claimed,
        lambda r, actor, world: lifecycle.unclaim(db.session, r, actor, "reden", NOW),
        {"owner", "lead"},
    ),
    "contact_attempt": (
        _claimed,
        lambda r, actor, world: lifecycle.log_contact_attempt(
            db.session, r, actor, ContactChannel.PHONE, ContactOutcome.REACHED, None, NOW
        ),
        {"owner", "lead"},
    ),
    "answer_to_offer": (
        _claimed,
        lambda r, actor, world: lifecycle.record_answer_to_offer(db.session, r, actor, True, NOW),
        {"owner", "lead"},
    ),
    "schedule": (
        _claimed,
        lambda r, actor, world: lifecycle.schedule_conversation(
            db.session, r, actor, world.toeleider, MONDAY_TEN, 60, "Gemeentehuis", False, NOW
        ),
        {"owner", "lead"},
    ),
    "close": (
        _claimed,
        lambda r, actor, world: lifecycle.close(
            db.session, r, actor, ClosingOutcome.COMPLETED, None, NOW
        ),
        {"owner", "lead"},
    ),
    "reassign": (
        _claimed,
        lambda r, actor, world: lifecycle.reassign(
            db.session, r, actor, world.toeleider, "verlof", NOW
        ),
        {"lead"},
    ),
    "desk_booking": (
        lambda world: add_referral(db.session, world),
        lambda r, actor, world: lifecycle.schedule_conversation(
            db.session, r, actor, world.toeleider, MONDAY_TEN, 60, "Onthaal", False, NOW
        ),
        {"desk", "lead"},
    ),
}


@pytest.mark.parametrize("actor_name", ACTORS)
@pytest.mark.parametrize("transition", sorted(TRANSITIONS))
def test_transition_is_allowed_exactly_for_its_roles(app, world, transition, actor_name):
    prepare, perform, allowed = TRANSITIONS[transition]
    actor = _people(world)[actor_name]
    referral = prepare(world)
    before = (referral.state, referral.owner_id, len(lifecycle.timeline(db.session, referral)))
    if actor_name in allowed:
        perform(referral, actor, world)
        db.session.commit()
        assert len(lifecycle.timeline(db.session, referral)) > before[2]
    else:
        with pytest.raises(TransitionRefused):
            perform(referral, actor, world)
        db.session.rollback()
        db.session.refresh(referral)
        assert (referral.state, referral.owner_id) == before[:2]
        assert len(lifecycle.timeline(db.session, referral)) == before[2]


ILLEGAL_FROM_STATE = [
    ("unclaim a new referral", lambda w, r: lifecycle.unclaim(db.session, r, w.lead, "x", NOW)),
    (
        "log an attempt on a new referral",
        lambda w, r: lifecycle.log_contact_attempt(
            db.session, r, w.lead, ContactChannel.PHONE, ContactOutcome.REACHED, None, NOW
        ),
    ),
    (
        "record a conversation that was not held",
        lambda w, r: lifecycle.record_conversation(
            db.session,
            r,
            w.lead,
            held_on=NOW.date(),
            themes=[],
            answers={},
            needs=[],
            signals=[],
            notes=None,
            at=NOW,
        ),
    ),
]


@pytest.mark.parametrize(
    ("what", "perform"), ILLEGAL_FROM_STATE, ids=[w for w, _ in ILLEGAL_FROM_STATE]
)
def test_illegal_transitions_from_the_current_state_are_refused_in_dutch(app, world, what, perform):
    referral = add_referral(db.session, world)
    with pytest.raises(TransitionRefused) as refused:
        perform(world, referral)
    assert refused.value.message == "Dit kan niet meer: de doorverwijzing is nu 'nieuw'."
