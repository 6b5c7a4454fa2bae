"""The evaluation report from the months' tallies gives exactly what counting every file gives,
after any change by any path (the forms' functions, bulk statements, a cascade), at once."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select, update

from portal.extensions import db
from portal.models import (
    Appointment,
    ClosingOutcome,
    ContactAttempt,
    ContactChannel,
    ContactOutcome,
    Conversation,
    Language,
    Need,
    NeedCategory,
    PartnerReferral,
    PartnerReferralStatus,
    Referral,
    ReportMonth,
    ReportTally,
    Service,
    Signal,
    Theme,
)
from portal.referrals import corrections, followup, lifecycle
from portal.reports import tallies
from portal.reports.counting import monthly_figures
from portal.reports.evaluation import Period, evaluation_tables, work_year_period
from portal.reports.marks import installed_triggers, trigger_names

from .concurrency import at_once
from .factories import add_held_appointment, add_partner_referral, add_referral
from .test_intake import valid_intake
from .test_races import intake_form_token, logged_in, posting

START = datetime(2025, 12, 1, 9)
NOW = datetime(2026, 11, 26, 10, 15)
REGISTERED = date(2025, 6, 1)  # in the municipality since
# Whole work years, half a year, a picked period with parts of months at both ends, and one
# within a single month.
PERIODS = [
    work_year_period(2026, "final"),
    work_year_period(2026, "interim"),
    work_year_period(2025, "final"),
    Period(date(2026, 2, 10), date(2026, 11, 27)),
    Period(date(2026, 3, 3), date(2026, 3, 20)),
]


def tables(ids, period, from_files=False):
    return [
        (t.key, t.columns, t.rows, t.totals)
        for t in evaluation_tables(db.session, ids, period, from_files=from_files)
    ]


def assert_agree(world, periods=PERIODS, all_ids=True):
    """Every table, from the tallies (counted and stored, then read back), equals the count
    of every file, for each municipality and both together."""
    db.session.commit()
    home, other = world.municipality.id, world.other_municipality.id
    for ids in ([home], [other], [home, other]) if all_ids else ([home, other],):
        for period in periods:
            counted = tables(ids, period, from_files=True)
            assert tables(ids, period) == counted, (ids, period)
            assert tables(ids, period) == counted, (ids, period, "stored")
        # The monthly figures add up the same tallies.
        for year in (2025, 2026):
            counted_year = monthly_figures(db.session, ids, year, from_files=True)
            assert monthly_figures(db.session, ids, year) == counted_year, (ids, year)


@pytest.fixture
def setting(app, world):
    """Themes (one that counts as Dutch learning), need categories, a second partner."""
    dutch = Theme(name="Nederlands", is_dutch_learning=True)
    work = Theme(name="Werk")
    housing, health = NeedCategory(name="Wonen"), NeedCategory(name="Gezondheid")
    other_partner = Service(name="CVO", is_partner=True)
    db.session.add_all([dutch, work, housing, health, other_partner])
    db.session.commit()
    return {
        "themes": [dutch, work],
        "categories": [housing, health],
        "partners": [world.partner, other_partner],
    }


def _referral(world, n):
    other = n % 3 == 2
    return add_referral(
        db.session,
        world,
        by=world.outsider if other else None,
        at=START + timedelta(days=37 * n),
        registered_on=REGISTERED,
        full_name=f"Persoon {chr(65 + n)}",
        contact_language_code=("ar", "uk", "fr")[n % 3],
        municipality_id=(world.other_municipality if other else world.municipality).id,
        source_service_id=(world.other_service if other else world.desk_service).id,
        dutch_difficult=(True, False, None)[n % 3],
        has_work=(False, None, True)[n % 3],
        has_children=(None, True, False)[n % 3],
    )


def _day(offset):
    return START + timedelta(days=offset)


def _apply(step, referrals, world, setting):
    """One change, by the code path it names; a referral removed meanwhile is left alone."""
    kind, who, day, choice = step
    referral = db.session.get(Referral, referrals[who % len(referrals)])
    if referral is None:
        return
    moment = _day(day)
    if kind == "attempt":
        channel = list(ContactChannel)[choice % len(ContactChannel)]
        outcome = list(ContactOutcome)[choice % len(ContactOutcome)]
        if choice % 2 == 0:
            outcome = ContactOutcome.REACHED
        try:
            lifecycle.log_contact_attempt(
                db.session,
                referral,
                world.toeleider,
                channel,
                outcome,
                None,
                NOW,
                happened_at=moment,
            )
        except lifecycle.TransitionRefused:  # a closed file: written as an import would
            db.session.rollback()
            db.session.add(
                ContactAttempt(
                    referral_id=referral.id,
                    at=moment,
                    actor_id=world.toeleider.id,
                    channel=channel,
                    outcome=outcome,
                )
            )
    elif kind == "strike":
        attempt = db.session.scalars(
            select(ContactAttempt)
            .where(ContactAttempt.referral_id == referral.id, ContactAttempt.struck_at.is_(None))
            .order_by(ContactAttempt.at)
        ).first()
        if attempt is not None:
            attempt.struck_at = NOW
    elif kind == "held":
        add_held_appointment(db.session, referral, world.toeleider, moment)
    elif kind == "appointment":  # moved, or no longer held: a bulk statement
        first = db.session.scalar(
            select(func.min(Appointment.id)).where(Appointment.referral_id == referral.id)
        )
        values = {"starts_at": moment} if choice % 2 else {"status": "no_show"}
        db.session.execute(update(Appointment).where(Appointment.id == first).values(**values))
    elif kind == "conversation":
        conversation = Conversation(
            referral_id=referral.id,
            held_on=moment.date(),
            recorded_by_id=world.toeleider.id,
            recorded_at=moment,
        )
        conversation.needs = [
            Need(category_id=setting["categories"][(choice + i) % 2].id, description="x")
            for i in range(1 + choice % 2)
        ]
        db.session.add(conversation)
    elif kind == "conversation date":  # a bulk statement
        db.session.execute(
            update(Conversation)
            .where(Conversation.referral_id == referral.id)
            .values(held_on=moment.date())
        )
    elif kind == "need removed":
        need = db.session.scalars(
            select(Need).join(Conversation).where(Conversation.referral_id == referral.id)
        ).first()
        if need is not None:
            db.session.delete(need)
    elif kind == "partner":
        add_partner_referral(
            db.session,
            referral,
            setting["partners"][choice % 2],
            setting["themes"][choice % 2],
            moment.date(),
            world.toeleider,
            ("proposed", "arrived", "not_arrived")[choice % 3],
        )
    elif kind == "partner status":
        item = db.session.scalars(
            select(PartnerReferral).where(PartnerReferral.referral_id == referral.id)
        ).first()
        if item is not None:
            item.status = PartnerReferralStatus.ARRIVED if choice % 2 else "proposed"
            item.referred_on = moment.date() if choice % 3 == 0 else item.referred_on
            item.theme_id = setting["themes"][choice % 2].id if choice % 4 == 1 else item.theme_id
    elif kind == "partner removed":  # a bulk statement
        db.session.execute(
            delete(PartnerReferral).where(PartnerReferral.referral_id == referral.id)
        )
    elif kind == "dutch theme":  # an administrator's choice of what counts as Dutch learning
        theme = setting["themes"][choice % 2]
        theme.is_dutch_learning = not theme.is_dutch_learning
    elif kind == "closed":  # a bulk statement
        db.session.execute(
            update(Referral)
            .where(Referral.id == referral.id)
            .values(
                state="closed",
                closed_at=moment,
                outcome=list(ClosingOutcome)[choice % len(ClosingOutcome)],
            )
        )
    elif kind == "reopened":
        referral.closed_at, referral.outcome = None, None
    elif kind == "municipality":  # a bulk statement
        municipality = (
            world.other_municipality
            if referral.municipality_id == world.municipality.id
            else world.municipality
        )
        db.session.execute(
            update(Referral)
            .where(Referral.id == referral.id)
            .values(municipality_id=municipality.id)
        )
    elif kind == "source":
        services = [world.desk_service, world.partner, world.other_service]
        referral.source_service_id = services[choice % 3].id
        referral.contact_language_code = ("ar", "uk", "fr", "nl")[choice % 4]
        referral.is_newcomer = not referral.is_newcomer
        referral.has_work = (True, False, None)[choice % 3]
    elif kind == "answer":
        referral.conversation_accepted = (True, False, None)[choice % 3]
    elif kind == "registered":  # a correction of when it was registered: a bulk statement
        db.session.execute(
            update(Referral).where(Referral.id == referral.id).values(created_at=moment)
        )
    elif kind == "signal":
        db.session.add(
            Signal(
                referral_id=referral.id,
                municipality_id=referral.municipality_id,
                theme_id=setting["themes"][choice % 2].id,
                description="x",
                created_by_id=world.toeleider.id,
                created_at=moment,
            )
        )
    elif kind == "signal removed":  # a bulk statement
        db.session.execute(delete(Signal).where(Signal.referral_id == referral.id))
    elif kind == "removed":  # the file and, by the cascade, its rows: a bulk statement
        db.session.execute(delete(Referral).where(Referral.id == referral.id))
    elif kind == "names":  # names and the partner flag are read when the report is made
        setting["partners"][1].name = ("CVO", "Huis van het Nederlands")[choice % 2]
        world.desk_service.is_partner = bool(choice % 2)
        setting["categories"][1].name = f"Gezondheid {choice}"
        db.session.get(Language, "uk").name = f"Oekraïens {choice}"
    db.session.commit()


KINDS = [
    "attempt",
    "strike",
    "held",
    "appointment",
    "conversation",
    "conversation date",
    "need removed",
    "partner",
    "partner status",
    "partner removed",
    "dutch theme",
    "closed",
    "reopened",
    "municipality",
    "source",
    "answer",
    "registered",
    "signal",
    "signal removed",
    "removed",
    "names",
]
steps = st.lists(
    st.tuples(
        st.sampled_from(KINDS),
        st.integers(0, 5),  # which referral
        st.integers(0, 400),  # day from 1 December 2025
        st.integers(0, 11),  # a choice among the step's options
    ),
    min_size=1,
    max_size=12,
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=steps)
# A person with conversations in two months, led to Dutch, one conversation moved, the theme
# no longer counting as Dutch, the partner referral moved.
@example(
    data=[
        ("held", 0, 70, 0),
        ("held", 0, 200, 0),
        ("partner", 0, 100, 0),
        ("appointment", 0, 30, 1),
        ("dutch theme", 0, 0, 0),
        ("partner status", 0, 150, 1),
        ("dutch theme", 0, 0, 0),
    ]
)
def test_tallies_give_the_figures_of_counting_every_file_after_any_change(
    app, world, setting, data
):
    db.session.execute(delete(Referral))
    db.session.execute(delete(Signal))
    db.session.execute(delete(ReportTally))
    db.session.commit()
    referrals = [_referral(world, n).id for n in range(6)]
    for n, rid in enumerate(referrals):
        if n % 3 != 2:  # the toeleider's municipality
            lifecycle.claim(db.session, rid, world.toeleider, NOW)
    db.session.commit()
    # Counted and stored before the changes: each change must make its months count again.
    assert_agree(world, PERIODS[:1], all_ids=False)
    for step in data:
        _apply(step, referrals, world, setting)
        assert_agree(world, [PERIODS[0], PERIODS[3]], all_ids=False)
    assert_agree(world)


def reached_in(table_rows, month):
    """The 'Bereikt' cell of one month's row (1-12) of the first table."""
    return table_rows[month - 1][-2]


def test_a_change_to_an_old_month_shows_in_the_next_report(app, world, setting):
    early = add_referral(db.session, world, registered_on=REGISTERED, at=datetime(2026, 1, 20, 9))
    final = work_year_period(2026, "final")
    ids = [world.municipality.id]
    first = evaluation_tables(db.session, ids, final)[0]
    assert reached_in(first.rows, 10) == 0
    assert db.session.scalar(select(func.count()).select_from(ReportTally)) == 12
    lifecycle.claim(db.session, early.id, world.toeleider, NOW)
    # Reached in October, recorded in November.
    lifecycle.log_contact_attempt(
        db.session,
        early,
        world.toeleider,
        ContactChannel.PHONE,
        ContactOutcome.REACHED,
        None,
        NOW,
        happened_at=datetime(2026, 10, 30, 10),
    )
    db.session.commit()
    assert reached_in(evaluation_tables(db.session, ids, final)[0].rows, 10) == 1
    # Struck: October has nobody again.
    event = next(e for e in lifecycle.timeline(db.session, early) if e.contact_attempt_id)
    corrections.strike_event(db.session, early, event, world.lead, reason="Vergissing", at=NOW)
    db.session.commit()
    assert reached_in(evaluation_tables(db.session, ids, final)[0].rows, 10) == 0
    assert_agree(world)


def test_the_forms_paths_keep_the_tallies_right(app, world, setting):
    """Intake, attempts, a conversation booked and held, its record with needs and signals, a
    partner referral followed up, closing, reopening, a corrected conversation date and a
    reassignment: after each, the report agrees with counting every file."""
    referral = add_referral(db.session, world, registered_on=REGISTERED, at=datetime(2026, 3, 2, 9))
    assert_agree(world, PERIODS[:2])
    lifecycle.claim(db.session, referral.id, world.toeleider, datetime(2026, 3, 3, 9))
    lifecycle.log_contact_attempt(
        db.session,
        referral,
        world.toeleider,
        ContactChannel.PHONE,
        ContactOutcome.REACHED,
        None,
        datetime(2026, 3, 4, 9),
    )
    db.session.commit()
    assert_agree(world, PERIODS[:2])
    lifecycle.record_answer_to_offer(
        db.session, referral, world.toeleider, True, datetime(2026, 3, 4, 9)
    )
    appointment = lifecycle.schedule_conversation(
        db.session,
        referral,
        world.toeleider,
        world.toeleider,
        datetime(2026, 3, 10, 10),
        60,
        "Onthaal",
        None,
        datetime(2026, 3, 4, 9),
    )
    db.session.commit()
    lifecycle.conversation_held(db.session, appointment, world.toeleider, datetime(2026, 3, 10, 11))
    conversation = lifecycle.record_conversation(
        db.session,
        referral,
        world.toeleider,
        held_on=date(2026, 3, 10),
        themes=[setting["themes"][1]],
        answers={},
        needs=[(setting["categories"][0].id, "Zoekt woning")],
        signals=[(setting["themes"][1].id, "Geen avondcursus")],
        notes=None,
        at=datetime(2026, 3, 10, 12),
    )
    db.session.commit()
    assert_agree(world, PERIODS[:2])
    item = followup.refer_to_partner(
        db.session,
        referral,
        world.toeleider,
        world.partner,
        setting["themes"][0],
        date(2026, 3, 12),
        datetime(2026, 3, 12, 9),
    )
    db.session.commit()
    followup.follow_up_partner_referral(
        db.session,
        item,
        referral,
        world.toeleider,
        PartnerReferralStatus.ARRIVED,
        None,
        datetime(2026, 4, 2, 9),
    )
    db.session.commit()
    assert_agree(world, PERIODS[:2])
    corrections.correct_conversation(
        db.session,
        referral,
        conversation,
        world.toeleider,
        held_on=date(2026, 4, 1),
        themes=[setting["themes"][1]],
        notes=None,
        at=datetime(2026, 4, 3, 9),
    )
    db.session.commit()
    assert_agree(world, PERIODS[:2])
    lifecycle.close(
        db.session,
        referral,
        world.toeleider,
        ClosingOutcome.COMPLETED,
        None,
        datetime(2026, 5, 5, 9),
    )
    db.session.commit()
    assert_agree(world, PERIODS[:2])
    lifecycle.reopen(db.session, referral, world.lead, "Nog een vraag", datetime(2026, 6, 1, 9))
    db.session.commit()
    assert_agree(world)


def test_the_triggers_are_in_place(app):
    with db.engine.connect() as connection:
        assert installed_triggers(connection) == trigger_names()


def test_two_reports_counting_one_changed_month_at_once_both_answer_it_right(app, world):
    """Both count the month (it changed) and store it; neither fails, nothing counts twice."""
    for n in range(4):
        add_referral(
            db.session,
            world,
            registered_on=REGISTERED,
            at=datetime(2026, 3, 2 + n, 9),
            full_name=f"P {n}",
        )
    final = work_year_period(2026, "final")
    ids = [world.municipality.id, world.other_municipality.id]
    expected = tables(ids, final, from_files=True)
    db.session.commit()

    def report():
        return tables(ids, final)

    outcomes = at_once(app, [report, report, report])
    assert outcomes == [expected, expected, expected]
    assert tables(ids, final) == expected
    # One stored row per municipality and month.
    assert db.session.scalar(select(func.count()).select_from(ReportTally)) == 24


def test_a_change_committed_while_a_report_counts_is_in_the_next_report(app, world, monkeypatch):
    """The report counted the month, then a colleague's intake in it was committed, then the
    report stored its count: the next report counts the month again."""
    add_referral(
        db.session, world, registered_on=REGISTERED, at=datetime(2026, 3, 2, 9), full_name="P 1"
    )
    final = work_year_period(2026, "final")
    ids = [world.municipality.id]
    real_store = tallies._store

    def store_after_a_change(session, rows):
        with app.app_context():
            add_referral(
                db.session,
                world,
                registered_on=REGISTERED,
                at=datetime(2026, 3, 5, 9),
                full_name="P 2",
            )
            db.session.remove()
        real_store(session, rows)

    monkeypatch.setattr(tallies, "_store", store_after_a_change)
    assert registered(ids, final) == 1
    monkeypatch.setattr(tallies, "_store", real_store)
    assert registered(ids, final) == 2
    assert tables(ids, final) == tables(ids, final, from_files=True)


def registered(ids, period):
    """The total of the table of referrals by source."""
    found = evaluation_tables(db.session, ids, period)
    return next(t for t in found if t.key == "bronnen").totals[1]


def test_a_session_with_changes_not_committed_stores_nothing(app, world):
    add_referral(db.session, world, registered_on=REGISTERED, at=datetime(2026, 3, 2, 9))
    referral = db.session.scalars(select(Referral)).one()
    referral.created_at = datetime(2026, 4, 2, 9)
    db.session.flush()
    assert registered([world.municipality.id], work_year_period(2026, "final")) == 1
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(ReportTally)) == 0
    assert db.session.scalar(select(func.count()).select_from(ReportMonth)) >= 1


def test_two_intakes_at_once_in_one_month_are_both_saved_and_counted(app, world):
    """Both mark the same month: one waits for the other, neither fails."""
    final = work_year_period(2026, "final")
    ids = [world.municipality.id]
    assert registered(ids, final) == 0  # November counted and stored: the intakes change it
    desks = [logged_in(app, world.desk.email), logged_in(app, world.other_desk.email)]
    posts = []
    for n, desk in enumerate(desks):
        form = {
            **valid_intake(world, full_name=f"Persoon {'AB'[n]}", phone=f"0470 12 34 5{n}"),
            "form_token": intake_form_token(desk),
        }
        posts.append(posting(desk, "/desk/", list(form.items())))
    responses = at_once(app, posts)
    assert [r.status_code for r in responses] == [303, 303]
    db.session.expire_all()
    assert registered(ids, final) == 2
    assert tables(ids, final) == tables(ids, final, from_files=True)
