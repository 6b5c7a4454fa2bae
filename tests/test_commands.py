"""The command-line tasks behind `make run`."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from portal import clock
from portal.extensions import db
from portal.models import (
    AgiiReferral,
    Appointment,
    ContactAttempt,
    Municipality,
    Referral,
    ReferralState,
    Role,
    SchoolItem,
    User,
)
from portal.referrals import agii, school
from portal.reports.counting import monthly_figures


def test_seed_demo_loads_once_and_covers_every_state(app):
    runner = app.test_cli_runner()
    assert "Demo data loaded." in runner.invoke(args=["seed-demo"]).output
    assert "already loaded" in runner.invoke(args=["seed-demo"]).output
    assert db.session.scalar(select(func.count()).select_from(Referral)) == 300
    states = set(db.session.scalars(select(Referral.state).distinct()))
    assert states == {s.value for s in ReferralState}
    assert db.session.scalar(select(func.count()).select_from(Municipality)) == 2
    roles = set().union(*(u.roles for u in db.session.scalars(select(User))))
    assert roles == set(Role)
    oldest = db.session.scalar(select(func.min(Referral.created_at)))
    newest = db.session.scalar(select(func.max(Referral.created_at)))
    assert (app_today() - oldest.date()).days <= 183
    assert newest.date() == app_today()
    assert newest <= clock.now()
    languages = db.session.scalar(select(func.count(Referral.contact_language_code.distinct())))
    assert languages >= 10
    # Everyone who had a conversation was reached first, and the figures show each route.
    reached = set(
        db.session.scalars(
            select(ContactAttempt.referral_id).where(ContactAttempt.outcome == "reached")
        )
    )
    held = set(
        db.session.scalars(select(Appointment.referral_id).where(Appointment.status == "held"))
    )
    assert held and held <= reached
    totals = monthly_figures(
        db.session, [m.id for m in db.session.scalars(select(Municipality))], 2026
    ).totals
    assert all(totals.reached[how] > 0 for how in ("desk", "letter", "phone"))


def app_today():
    return clock.today()


def test_seed_demo_if_empty_leaves_a_real_database_alone(app, world):
    output = app.test_cli_runner().invoke(args=["seed-demo", "--if-empty"]).output
    assert "not loaded" in output
    assert db.session.scalar(select(func.count()).select_from(Referral)) == 0


def test_demo_logins_are_printed_only_while_demo_data_is_loaded(app):
    runner = app.test_cli_runner()
    assert "Demo logins" not in runner.invoke(args=["demo-info"]).output
    runner.invoke(args=["seed-demo"])
    output = runner.invoke(args=["demo-info", "--url", "http://127.0.0.1:5001"]).output
    assert "http://127.0.0.1:5001" in output
    assert "loket@lindeveld.be" in output and "demo-wachtwoord" in output


def test_demo_users_can_log_in(app, client):
    app.test_cli_runner().invoke(args=["seed-demo"])
    assert client.login("loket@lindeveld.be", "demo-wachtwoord").status_code == 303


def test_create_user(app, world):
    result = app.test_cli_runner().invoke(
        args=[
            "create-user",
            "--email",
            "cli@lindeveld.be",
            "--name",
            "Cli Gebruiker",
            "--role",
            "lead",
            "--municipality",
            "99991",
            "--language",
            "ar",
        ],
        input="cli-wachtwoord\ncli-wachtwoord\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "cli@lindeveld.be"))
    assert user.roles == {Role.LEAD}
    assert [m.nis_code for m in user.municipalities] == ["99991"]


def test_create_user_refuses_an_unknown_municipality(app, world):
    result = app.test_cli_runner().invoke(
        args=[
            "create-user",
            "--email",
            "x@lindeveld.be",
            "--name",
            "X",
            "--role",
            "desk",
            "--municipality",
            "00000",
        ],
        input="cli-wachtwoord\ncli-wachtwoord\n",
    )
    assert result.exit_code != 0
    assert "Unknown municipality" in result.output


def test_the_demo_has_interpreters_asked_for_and_confirmed(app):
    from portal.models import InterpreterRequest, InterpreterStatus

    app.test_cli_runner().invoke(args=["seed-demo"])
    statuses = set(db.session.scalars(select(InterpreterRequest.status).distinct()))
    assert statuses == {InterpreterStatus.REQUESTED, InterpreterStatus.CONFIRMED}
    # Each for someone who speaks little Dutch, in their contact language.
    rows = db.session.execute(
        select(
            Referral.dutch_difficult,
            Referral.contact_language_code,
            InterpreterRequest,
            Appointment.starts_at,
        )
        .join(Appointment, Appointment.referral_id == Referral.id)
        .join(InterpreterRequest, InterpreterRequest.appointment_id == Appointment.id)
    ).all()
    assert all(d and code == r.language_code != "nl" for d, code, r, _at in rows)
    # The lead's interpreter report counts them, with their hours.
    from portal.reports.interpreters import interpreter_figures

    ids = [m.id for m in db.session.scalars(select(Municipality))]
    years = {at.year for _d, _c, _r, at in rows}
    figures = [interpreter_figures(db.session, ids, year) for year in years]
    assert sum(f.total.requests for f in figures) == len(rows)
    assert sum(f.total.minutes for f in figures) > 0


def test_the_demo_shows_school_follow_up_and_referrals_to_agii(app):
    app.test_cli_runner().invoke(args=["seed-demo"])
    statuses = set(db.session.scalars(select(SchoolItem.status).distinct()))
    assert {"open", "enrolled", "informed"} <= statuses
    everywhere = [m.id for m in db.session.scalars(select(Municipality))]
    unknown = school.children_without_school(db.session, everywhere, app_today(), 1, 1000).items
    assert any(row.overdue for row in unknown) and not all(row.overdue for row in unknown)
    handed = list(
        db.session.scalars(
            agii.export_statement(everywhere, app_today() - timedelta(days=90), app_today())
        )
    )
    assert len(handed) >= 5
    assert set(db.session.scalars(select(AgiiReferral.status).distinct())) >= {
        "to_refer",
        "referred",
        "started",
    }
