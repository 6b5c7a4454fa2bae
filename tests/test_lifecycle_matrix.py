"""The lifecycle's table of transitions against every role and every state.

The cases come from `lifecycle.TRANSITIONS`: a row added to the table is tested here at once,
and an action without a way to perform it below fails the first test.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from portal.access import Who
from portal.extensions import db
from portal.models import (
    AgiiStatus,
    Appointment,
    AppointmentStatus,
    ClosingOutcome,
    ContactChannel,
    ContactOutcome,
    HouseholdChild,
    PartnerReferral,
    PartnerReferralStatus,
    Programme,
    ReferralState,
    Role,
    SchoolItem,
    SchoolItemKind,
    SchoolItemStatus,
    Theme,
)
from portal.referrals import agii, followup, lifecycle, moments, programmes, school
from portal.referrals.lifecycle import TRANSITIONS, Action, TransitionRefused

from .factories import add_partner_referral, add_referral, add_user

S = ReferralState
NOW = datetime(2026, 11, 26, 10, 15)
MONDAY_TEN = datetime(2026, 11, 30, 10, 0)
ACTORS = ["desk", "owner", "other_toeleider", "lead", "admin", "outsider"]
# Who each rule of the access policy admits among the people below, on a file that "owner"
# has picked up (on a new file nobody owns it yet).
ADMITS = {
    Who.TOELEIDER_HERE: {"owner", "other_toeleider"},
    Who.WORKER: {"owner", "lead"},
    Who.LEAD: {"lead"},
    Who.DESK_OR_LEAD: {"desk", "lead"},
}
ORDER = list(S)


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


def _theme():
    theme = db.session.scalar(select(Theme)) or Theme(name="Nederlands leren", position=1)
    db.session.add(theme)
    db.session.flush()
    return theme


def in_state(world, state: ReferralState):
    """A long-term resident's file brought to `state` through the lifecycle itself."""
    referral = add_referral(db.session, world, registered_on=date(2015, 3, 1))
    if state is S.NEW:
        return referral
    toeleider = world.toeleider
    lifecycle.claim(db.session, referral.id, toeleider, NOW)
    if state is S.CLAIMED:
        db.session.commit()
        return referral
    if state is S.CLOSED:
        referral = in_state(world, S.FOLLOWING_UP)
        add_partner_referral(
            db.session, referral, world.partner, _theme(), date(2026, 11, 26), toeleider
        )
        lifecycle.close(db.session, referral, toeleider, ClosingOutcome.COMPLETED, None, NOW)
        db.session.commit()
        return referral
    lifecycle.log_contact_attempt(
        db.session, referral, toeleider, ContactChannel.PHONE, ContactOutcome.REACHED, None, NOW
    )
    if state is not S.CONTACTED:
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
        if state is not S.SCHEDULED:
            lifecycle.conversation_held(
                db.session, appointment, toeleider, datetime(2026, 11, 26, 12)
            )
            if state is S.FOLLOWING_UP:
                _record(referral, toeleider)
    db.session.commit()
    assert referral.state == state
    return referral


def _record(referral, actor):
    return lifecycle.record_conversation(
        db.session,
        referral,
        actor,
        held_on=NOW.date(),
        themes=[_theme()],
        answers={},
        needs=[],
        signals=[],
        notes=None,
        at=datetime(2026, 11, 26, 13),
    )


def _planned(referral, world):
    found = db.session.scalar(
        select(Appointment).where(
            Appointment.referral_id == referral.id,
            Appointment.status == AppointmentStatus.PLANNED.value,
        )
    )
    if found is None:
        found = Appointment(
            referral_id=referral.id,
            toeleider_id=world.toeleider.id,
            kind="integration",
            starts_at=MONDAY_TEN,
            ends_at=MONDAY_TEN.replace(hour=11),
            place="Onthaal",
            status="planned",
            created_by_id=world.toeleider.id,
            created_at=NOW,
        )
        db.session.add(found)
        db.session.flush()
    return found


def _partner_referral(referral, world):
    found = db.session.scalar(
        select(PartnerReferral).where(PartnerReferral.referral_id == referral.id)
    )
    if found is None:
        found = add_partner_referral(
            db.session, referral, world.partner, _theme(), date(2026, 11, 26), world.toeleider
        )
        db.session.flush()
    return found


def _letter(referral, actor, world):
    referral.needs_letter = True
    db.session.flush()
    lifecycle.mark_letter_sent(db.session, referral, actor, NOW)


def _programme(referral, actor, world):
    programme = Programme(partner_id=world.partner.id, name="NT2 avondles", capacity=2)
    db.session.add(programme)
    db.session.flush()
    programmes.sign_up(db.session, programme, referral, actor, NOW)


def _school(referral, actor, world):
    # The matrix's files are long-term residents': give one a child's item straight away.
    child = HouseholdChild(referral_id=referral.id, birth_year=2016)
    db.session.add(child)
    db.session.flush()
    item = SchoolItem(
        referral_id=referral.id,
        child_id=child.id,
        kind=SchoolItemKind.ENROLMENT,
        due_on=date(2026, 12, 26),
        created_at=NOW,
        updated_by_id=actor.id,
        updated_at=NOW,
    )
    db.session.add(item)
    db.session.flush()
    school.update_item(
        db.session,
        item,
        referral,
        actor,
        NOW,
        status=SchoolItemStatus.ENROLLED,
        school_name="Basisschool De Brug",
        note=None,
    )


def _agii(referral, actor, world):
    details = agii.AgiiDetails(
        obliged=True, parts=frozenset({"dutch_course"}), status=AgiiStatus.REFERRED
    )
    agii.save(db.session, referral, actor, NOW, details)


# How to make each move, given a file, the one who tries and the world.
PERFORM = {
    Action.CLAIM: lambda r, a, w: lifecycle.claim(db.session, r.id, a, NOW),
    Action.UNCLAIM: lambda r, a, w: lifecycle.unclaim(db.session, r, a, "reden", NOW),
    Action.REASSIGN: lambda r, a, w: lifecycle.reassign(
        db.session, r, a, w.toeleider, "verlof", NOW
    ),
    Action.CONTACT_ATTEMPT: lambda r, a, w: lifecycle.log_contact_attempt(
        db.session, r, a, ContactChannel.PHONE, ContactOutcome.REACHED, None, NOW
    ),
    Action.ANSWER_OFFER: lambda r, a, w: lifecycle.record_answer_to_offer(
        db.session, r, a, True, NOW
    ),
    Action.LETTER_SENT: _letter,
    Action.SCHEDULE: lambda r, a, w: lifecycle.schedule_conversation(
        db.session, r, a, w.toeleider, MONDAY_TEN, 60, "Gemeentehuis", None, NOW
    ),
    Action.DESK_BOOKING: lambda r, a, w: lifecycle.schedule_conversation(
        db.session, r, a, w.toeleider, MONDAY_TEN, 60, "Onthaal", None, NOW
    ),
    Action.APPOINTMENT_OUTCOME: lambda r, a, w: lifecycle.no_show(
        db.session, _planned(r, w), a, NOW
    ),
    Action.CHANGE_APPOINTMENT: lambda r, a, w: lifecycle.cancel_appointment(
        db.session, _planned(r, w), a, "ziek", NOW
    ),
    Action.RECORD_CONVERSATION: lambda r, a, w: _record(r, a),
    Action.REFER_TO_PARTNER: lambda r, a, w: followup.refer_to_partner(
        db.session, r, a, w.partner, _theme(), NOW.date(), NOW
    ),
    Action.PARTNER_FEEDBACK: lambda r, a, w: followup.follow_up_partner_referral(
        db.session, _partner_referral(r, w), r, a, PartnerReferralStatus.ARRIVED, "Start", NOW
    ),
    Action.TASK: lambda r, a, w: followup.add_task(
        db.session, r, a, "Bellen", date(2026, 12, 3), NOW
    ),
    Action.MILESTONE: lambda r, a, w: followup.add_milestone(
        db.session, r, a, "Inschrijven NT2", 1, date(2027, 1, 31), NOW
    ),
    Action.PROGRAMME: _programme,
    Action.CLOSE: lambda r, a, w: lifecycle.close(
        db.session, r, a, ClosingOutcome.COMPLETED, None, NOW
    ),
    Action.REOPEN: lambda r, a, w: lifecycle.reopen(db.session, r, a, "Nieuwe vraag", NOW),
    Action.WALK_IN: lambda r, a, w: moments.record_walk_in(
        db.session,
        r,
        a,
        happened_at=NOW - timedelta(minutes=30),
        minutes=30,
        place="Permanentie",
        themes=[_theme()],
        answers={},
        needs=[],
        signals=[],
        notes=None,
        at=NOW,
    ),
    Action.SCHOOL: _school,
    Action.AGII: _agii,
}
# Moves made by one call, which the table keeps apart by state: planning a conversation is
# a desk booking while the file is new.
SAME_CALL = {Action.SCHEDULE: Action.DESK_BOOKING, Action.DESK_BOOKING: Action.SCHEDULE}


def admitted(row: lifecycle.Transition, state: ReferralState) -> set[str]:
    people = set(ADMITS[row.who])
    if state is S.NEW and row.who is Who.WORKER:
        people.discard("owner")
    return people


def states_of(action: Action) -> frozenset[ReferralState]:
    states = frozenset().union(*(t.states for t in TRANSITIONS if t.action is action))
    if action in SAME_CALL:
        states |= frozenset().union(
            *(t.states for t in TRANSITIONS if t.action is SAME_CALL[action])
        )
    return states


def _attempt(referral, actor, world, action, allowed):
    before = (referral.state, referral.owner_id, len(lifecycle.timeline(db.session, referral)))
    if allowed:
        PERFORM[action](referral, actor, world)
        db.session.commit()
        assert len(lifecycle.timeline(db.session, referral)) > before[2]
    else:
        with pytest.raises(TransitionRefused):
            PERFORM[action](referral, actor, world)
        db.session.rollback()
        db.session.refresh(referral)
        assert (referral.state, referral.owner_id) == before[:2]
        assert len(lifecycle.timeline(db.session, referral)) == before[2]


def test_every_action_of_the_table_is_tested_here():
    assert set(PERFORM) == set(Action) == {t.action for t in TRANSITIONS}


ROWS = [(row, min(row.states, key=ORDER.index), actor) for row in TRANSITIONS for actor in ACTORS]


@pytest.mark.parametrize(
    ("row", "state", "actor_name"),
    ROWS,
    ids=[f"{r.action}-{s}-{a}" for r, s, a in ROWS],
)
def test_each_row_admits_exactly_its_people(app, world, row, state, actor_name):
    actor = _people(world)[actor_name]
    referral = in_state(world, state)
    _attempt(referral, actor, world, row.action, actor_name in admitted(row, state))


STATES = [(action, state) for action in Action for state in S]


@pytest.mark.parametrize(("action", "state"), STATES, ids=[f"{a}-{s}" for a, s in STATES])
def test_each_action_is_possible_exactly_in_its_states(app, world, action, state):
    rows = [t for t in TRANSITIONS if t.action is action and state in t.states]
    people = _people(world)
    # Someone the table admits when the state is right; a lead where the rule allows one.
    who = rows[0].who if rows else next(t.who for t in TRANSITIONS if t.action is action)
    actor = people["other_toeleider" if who is Who.TOELEIDER_HERE else "lead"]
    referral = in_state(world, state)
    _attempt(referral, actor, world, action, state in states_of(action))


def test_allowed_actions_offers_what_the_table_allows(app, world):
    referral = in_state(world, S.FOLLOWING_UP)
    people = _people(world)
    assert lifecycle.allowed_actions(referral, people["owner"]) >= {
        Action.REFER_TO_PARTNER,
        Action.CLOSE,
        Action.TASK,
    }
    assert Action.REASSIGN not in lifecycle.allowed_actions(referral, people["owner"])
    assert lifecycle.allowed_actions(referral, people["other_toeleider"]) == frozenset()
    assert lifecycle.next_steps(referral, lifecycle.allowed_actions(referral, people["owner"])) == [
        Action.REFER_TO_PARTNER,
        Action.CLOSE,
    ]


TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def test_no_template_keeps_its_own_list_of_referral_states():
    states = "|".join(s.value for s in S)
    pattern = re.compile(rf"""\.state\s*(==|!=|in|not in)\s*[(\[]?\s*['"]({states})['"]""")
    offenders = [
        str(path.relative_to(TEMPLATES))
        for path in TEMPLATES.rglob("*.html")
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


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
