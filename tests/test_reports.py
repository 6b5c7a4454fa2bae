"""Monthly figures: a hand-built month where every number is known, and sums that add up."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from portal.extensions import db
from portal.models import ContactAttempt, Referral
from portal.reports.counting import REACHED_HOW, monthly_figures, reached_between

from .factories import add_held_appointment, add_referral, csv_rows


def attempt(referral, at, channel, outcome, world):
    db.session.add(
        ContactAttempt(
            referral_id=referral.id,
            at=at,
            actor_id=world.toeleider.id,
            channel=channel,
            outcome=outcome,
        )
    )


def held_conversation(referral, at, world):
    add_held_appointment(db.session, referral, world.toeleider, at)


def known_year(world):
    """March: 1 at the desk, 1 after a letter, 1 partner, 2 by phone; April: 1 by phone."""
    r = [
        add_referral(
            db.session,
            world,
            at=datetime(2026, 2, 1, 9),
            full_name=f"Persoon {c}",
            registered_on=date(2025, 6, 1),
        )
        for c in "ABCDEFG"
    ]
    attempt(r[0], datetime(2026, 3, 2, 10), "desk", "reached", world)
    attempt(r[1], datetime(2026, 2, 20, 10), "phone", "no_answer", world)
    attempt(r[1], datetime(2026, 3, 1, 10), "letter", "call_back", world)
    attempt(r[1], datetime(2026, 3, 9, 10), "phone", "reached", world)
    r[2].source_service_id = world.partner.id
    attempt(r[2], datetime(2026, 3, 10, 10), "phone", "reached", world)
    attempt(r[3], datetime(2026, 3, 11, 10), "sms", "reached", world)
    attempt(r[4], datetime(2026, 3, 31, 23, 59), "phone", "reached", world)
    attempt(r[4], datetime(2026, 4, 2, 10), "phone", "reached", world)  # counted once, in March
    attempt(r[5], datetime(2026, 4, 1, 0, 0), "email", "reached", world)
    attempt(r[6], datetime(2026, 3, 5, 10), "phone", "no_answer", world)  # never reached
    held_conversation(r[0], datetime(2026, 3, 16, 10), world)
    held_conversation(r[1], datetime(2026, 4, 16, 10), world)
    db.session.commit()


def test_monthly_figures_of_a_known_year(app, world):
    known_year(world)
    figures = monthly_figures(db.session, [world.municipality.id], 2026)
    march, april = figures.rows[2], figures.rows[3]
    assert march.reached == {"desk": 1, "letter": 1, "partner": 1, "phone": 2}
    assert april.reached == {"desk": 0, "letter": 0, "partner": 0, "phone": 1}
    assert (march.conversations, april.conversations) == (1, 1)
    assert figures.totals.reached_total == 6
    assert (
        reached_between(db.session, [world.municipality.id], date(2026, 3, 1), date(2026, 4, 1))
        == 5
    )
    assert (
        monthly_figures(db.session, [world.other_municipality.id], 2026).totals.reached_total == 0
    )


def test_monthly_page_csv_and_chart_show_the_same_numbers(client, world):
    known_year(world)
    client.login(world.lead.email)
    html = client.get("/reports/monthly?year=2026").get_data(as_text=True)
    assert (
        '<th scope="row">mrt</th><td>1</td><td>1</td><td>1</td><td>2</td><td>5</td><td>1</td>'
        in html
    )
    assert "Zo wordt geteld" in html and "in de maand van het eerste contact" in html
    assert "mrt: 2 telefonisch, per sms of e-mail" in html  # the chart's text alternative
    rows = csv_rows(client.get("/reports/monthly.csv?year=2026"))
    assert rows[3] == ["2026-03", "1", "1", "1", "2", "5", "1"]
    assert rows[-1] == ["Totaal", "1", "1", "1", "3", "6", "2"]


def test_desk_booking_counts_as_reached_at_the_desk(app, world):
    from portal.referrals import lifecycle

    referral = add_referral(db.session, world)
    lifecycle.schedule_conversation(
        db.session,
        referral,
        world.desk,
        world.toeleider,
        datetime(2026, 11, 30, 10),
        60,
        "Onthaal",
        None,
        datetime(2026, 11, 26, 10, 15),
    )
    db.session.commit()
    november = monthly_figures(db.session, [world.municipality.id], 2026).rows[10]
    assert november.reached["desk"] == 1


attempts = st.lists(
    st.tuples(
        st.integers(0, 5),  # which referral
        st.integers(0, 400),  # day offset from 1 Dec 2025
        st.sampled_from(["phone", "sms", "email", "letter", "desk"]),
        st.sampled_from(["reached", "no_answer", "wrong_number", "call_back", "declined"]),
    ),
    max_size=25,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=attempts)
# Recorded second but happened first: the earlier moment is the one counted.
@example(data=[(0, 31, "phone", "reached"), (0, 0, "phone", "reached")])
def test_totals_equal_the_sums_of_their_breakdowns(app, world, data):
    db.session.query(ContactAttempt).delete()
    db.session.query(Referral).delete()
    db.session.commit()
    referrals = [
        add_referral(db.session, world, full_name=f"Persoon {chr(65 + i)}") for i in range(6)
    ]
    referrals[1].source_service_id = world.partner.id
    for n, (who, day, channel, outcome) in enumerate(data):
        attempt(
            referrals[who],
            datetime(2025, 12, 1, 9) + timedelta(days=day, minutes=n),
            channel,
            outcome,
            world,
        )
    db.session.commit()
    figures = monthly_figures(db.session, [world.municipality.id], 2026)
    totals = figures.totals
    for how in REACHED_HOW:
        assert totals.reached[how] == sum(row.reached[how] for row in figures.rows)
    assert totals.reached_total == sum(row.reached_total for row in figures.rows)
    # A referral counts once, in the year of its first 'reached' attempt by the moment it
    # happened (an attempt recorded later may have happened earlier).
    firsts = {}
    for n, (who, day, _channel, outcome) in enumerate(data):
        moment = datetime(2025, 12, 1, 9) + timedelta(days=day, minutes=n)
        if outcome == "reached" and (who not in firsts or moment < firsts[who]):
            firsts[who] = moment
    assert totals.reached_total == sum(1 for at in firsts.values() if at.year == 2026)
    assert totals.reached_total == reached_between(
        db.session, [world.municipality.id], date(2026, 1, 1), date(2027, 1, 1)
    )


def test_sources_over_time_flag_a_partner_that_stopped_referring(client, world):
    from portal.reports.sources import referrals_by_source

    for day in (20, 35, 60, 80):  # a steady flow from the partner, then silence
        add_referral(
            db.session,
            world,
            at=datetime(2026, 10, 25, 9) - timedelta(days=day),
            source_service_id=world.partner.id,
            registered_on=date(2025, 1, 1),
        )
    for day in (2, 40):
        add_referral(
            db.session,
            world,
            at=datetime(2026, 11, 26, 9) - timedelta(days=day),
            registered_on=date(2025, 1, 1),
        )
    rows = {
        r.service.name: r
        for r in referrals_by_source(db.session, [world.municipality.id], date(2026, 11, 26))
    }
    partner, desk = rows["Huis van het Nederlands"], rows["Onthaal"]
    assert (partner.recent, partner.before, partner.stopped) == (0, 4, True)
    assert (desk.recent, desk.stopped) == (1, False)
    assert partner.total == 4 and sum(partner.per_month) == partner.total
    client.login(world.lead.email)
    html = client.get("/reports/sources").get_data(as_text=True)
    assert '<tr class="stopped"><th scope="row">Huis van het Nederlands' in html
    assert "Gestopt: geen enkele doorverwijzing in de laatste 30 dagen" in html
    total_row = html.split('<th scope="row">Totaal</th>')[1].split("</tr>")[0]
    assert total_row.count("<td>") == 8 and "<td>6</td>" in total_row  # 6 months, total, flag
