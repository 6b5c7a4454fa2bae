"""Retention and the resident's rights: anonymised in time with the figures kept, exported,
erased and left alone on request."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from portal import clock
from portal.extensions import db
from portal.models import (
    AccessLogEntry,
    AdminLogEntry,
    ContactAttempt,
    Need,
    PartnerReferral,
    Person,
    Referral,
    ReferralState,
    TimelineEvent,
)
from portal.privacy.retention import due_for_anonymisation, purge
from portal.reports.counting import monthly_figures

from .factories import add_referral
from .test_evaluation import half_year, tables_of  # noqa: F401 - the hand-built year

LATER = datetime(2028, 6, 1, 3, 0)


def _from_2024(world):
    return add_referral(
        db.session, world, at=datetime(2024, 1, 5, 9), registered_on=date(2023, 9, 1)
    )


def figures(world) -> dict:
    both = [world.municipality.id, world.other_municipality.id]
    tables = tables_of(world, both, "final")
    return {
        "evaluation": {k: (t.rows, t.totals) for k, t in tables.items()},
        "monthly": asdict(monthly_figures(db.session, both, 2026)),
    }


def test_every_report_gives_the_same_figures_after_the_purge(half_year, world):  # noqa: F811
    before = figures(world)
    due = purge(db.session, actor=world.lead, at=LATER)
    db.session.commit()
    # Closed in April 2026; never reached since July 2026; the reached files stay as they are.
    assert due.closed == [half_year[1].id]
    assert due.never_reached == [half_year[3].id]
    assert figures(world) == before


def test_anonymising_removes_names_contact_data_notes_and_free_text(half_year, world):  # noqa: F811
    closed, reached = half_year[1], half_year[0]
    closed.note = "Belt liefst na 17 uur"
    db.session.add(
        ContactAttempt(
            referral_id=closed.id,
            at=datetime(2026, 3, 1, 10),
            actor_id=world.toeleider.id,
            channel="phone",
            outcome="no_answer",
            note="Voicemail van zijn broer",
        )
    )
    db.session.add(
        AccessLogEntry(
            user_id=world.toeleider.id,
            referral_id=closed.id,
            action="view",
            at=datetime(2026, 3, 1),
        )
    )
    db.session.commit()
    purge(db.session, actor=world.lead, at=LATER)
    db.session.commit()
    db.session.expire_all()
    gone = db.session.get(Referral, closed.id)
    assert gone.anonymised_at == LATER and gone.note is None
    assert (gone.person.full_name, gone.person.phone, gone.person.birth_year) == ("—", None, None)
    notes = db.session.scalars(
        select(ContactAttempt.note).where(ContactAttempt.referral_id == closed.id)
    ).all()
    assert set(notes) == {None}
    details = db.session.scalars(
        select(TimelineEvent.detail).where(
            TimelineEvent.referral_id == closed.id, TimelineEvent.kind != "anonymised"
        )
    ).all()
    assert set(details) == {None}
    # The reference and the access log stay, as a pseudonymous record.
    assert gone.reference == closed.reference
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(AccessLogEntry)
            .where(AccessLogEntry.referral_id == closed.id)
        )
        == 1
    )
    kept = db.session.get(Referral, reached.id)
    assert kept.person.full_name == "Een A" and kept.anonymised_at is None
    assert db.session.scalars(select(Need.description)).all() == ["Zoekt woning"]


def test_retention_periods_come_from_the_settings(world):
    closed = add_referral(
        db.session, world, at=datetime(2024, 1, 5, 9), registered_on=date(2023, 9, 1)
    )
    closed.state, closed.outcome = ReferralState.CLOSED.value, "completed"
    closed.closed_at = datetime(2024, 6, 1, 9)
    db.session.add(
        ContactAttempt(
            referral_id=closed.id,
            at=datetime(2024, 1, 6, 9),
            actor_id=world.toeleider.id,
            channel="phone",
            outcome="reached",
        )
    )
    unreached = add_referral(
        db.session,
        world,
        at=datetime(2025, 11, 1, 9),
        phone="+32470999000",
        registered_on=date(2025, 9, 1),
    )
    db.session.commit()
    # 23 months after closing and 12 months and some days after the intake.
    due = due_for_anonymisation(db.session, datetime(2026, 5, 2))
    assert (due.closed, due.never_reached) == ([], [])
    due = due_for_anonymisation(db.session, datetime(2026, 11, 20))
    assert (due.closed, due.never_reached) == ([closed.id], [unreached.id])


def test_a_person_with_a_file_in_use_keeps_their_data(world):
    old = add_referral(
        db.session, world, at=datetime(2024, 1, 5, 9), registered_on=date(2023, 9, 1)
    )
    old.state, old.outcome, old.closed_at = "closed", "completed", datetime(2024, 2, 1)
    new = add_referral(db.session, world, person=old.person)
    db.session.commit()
    purge(db.session, actor=world.lead, at=datetime(2026, 11, 26))
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Referral, new.id).person.full_name == "Rania Haddad"
    moved = db.session.get(Referral, old.id)
    assert moved.person_id != new.person_id and moved.person.full_name == "—"


def test_the_purge_command_has_a_dry_run(app, half_year):  # noqa: F811
    result = app.test_cli_runner().invoke(args=["purge", "--dry-run"])
    assert result.exit_code == 0, result.output
    # The test clock is 26 November 2026: nothing of 2026 is due yet.
    assert "Would anonymise 0 files" in result.output


def test_purge_command_anonymises_what_is_due(app, world, monkeypatch):
    _from_2024(world)
    result = app.test_cli_runner().invoke(args=["purge", "--dry-run"])
    assert "Would anonymise 1 files: 0 closed past the retention period, 1 never reached" in (
        result.output
    )
    assert (
        db.session.scalar(
            select(func.count()).select_from(Referral).where(Referral.anonymised_at.isnot(None))
        )
        == 0
    )
    result = app.test_cli_runner().invoke(args=["purge"])
    assert "Anonymised 1 files" in result.output
    db.session.expire_all()
    assert db.session.scalar(select(Person.full_name)) == "—"


def _owned(world, **changes):
    referral = add_referral(db.session, world, **changes)
    referral.state, referral.owner_id = ReferralState.CONTACTED.value, world.toeleider.id
    db.session.commit()
    return referral


def test_the_owner_exports_everything_held_about_the_person(client, world):
    first = _owned(world, note="Spreekt ook Frans")
    second = add_referral(db.session, world, person=first.person)
    client.login(world.toeleider.email)
    response = client.get(f"/privacy/files/{first.id}/export.json")
    assert response.status_code == 200
    data = json.loads(response.get_data(as_text=True))
    assert data["persoon"]["naam"] == "Rania Haddad"
    assert [f["nummer"] for f in data["dossiers"]] == [first.reference, second.reference]
    assert data["dossiers"][0]["notitie"] == "Spreekt ook Frans"
    page = client.get(f"/privacy/files/{first.id}/export").get_data(as_text=True)
    assert "Spreekt ook Frans" in page and second.reference in page
    logged = db.session.scalars(
        select(AccessLogEntry.referral_id).where(AccessLogEntry.action == "export")
    ).all()
    assert sorted(logged) == sorted([first.id, second.id])


def test_a_colleague_who_does_not_own_the_file_cannot_export_it(client, world):
    referral = add_referral(db.session, world)
    client.login(world.toeleider.email)
    assert client.get(f"/privacy/files/{referral.id}/export.json").status_code == 403
    client.post("/logout", {})
    client.login(world.desk.email)
    assert client.get(f"/privacy/files/{referral.id}/export.json").status_code == 403


def test_a_lead_erases_a_person_on_request_and_the_figures_stay(client, half_year, world):  # noqa: F811
    before = figures(world)
    person = half_year[0]
    client.login(world.lead.email)
    wrong = client.post(f"/privacy/files/{person.id}/erase", {"reference": "2026-999999"})
    assert wrong.status_code == 422
    assert db.session.get(Referral, person.id).anonymised_at is None
    done = client.post(f"/privacy/files/{person.id}/erase", {"reference": person.reference})
    assert done.status_code == 303
    db.session.expire_all()
    erased = db.session.get(Referral, person.id)
    assert erased.person.full_name == "—" and erased.state == ReferralState.CLOSED.value
    assert db.session.scalars(select(PartnerReferral.feedback)).all() == [None, None]
    [entry] = db.session.scalars(
        select(AdminLogEntry).where(AdminLogEntry.action == "person.erase")
    ).all()
    assert entry.target_label == person.reference and entry.actor_id == world.lead.id
    after = figures(world)
    # Erasing closes the open file today, which the 2026 outcome table counts: all else is equal.
    before["evaluation"].pop("resultaten")
    after["evaluation"].pop("resultaten")
    assert after == before


@pytest.mark.parametrize("who", ["toeleider", "desk"])
def test_only_a_lead_erases(client, world, who):
    referral = _owned(world)
    client.login(getattr(world, who).email)
    response = client.post(f"/privacy/files/{referral.id}/erase", {"reference": referral.reference})
    assert response.status_code == 403
    assert db.session.get(Referral, referral.id).anonymised_at is None


def test_a_withdrawal_takes_the_person_out_of_the_queue_and_the_letters(client, world):
    waiting = add_referral(db.session, world)
    owned = _owned(world, phone="+32470999111", full_name="Olena Koval")
    owned.needs_letter = True
    db.session.commit()
    client.login(world.lead.email)
    client.post(f"/privacy/files/{waiting.id}/withdraw", {})
    client.post("/logout", {})
    client.login(world.toeleider.email)
    client.post(f"/privacy/files/{owned.id}/withdraw", {})
    db.session.expire_all()
    assert db.session.get(Referral, waiting.id).state == ReferralState.CLOSED.value
    assert db.session.get(Referral, waiting.id).outcome == "declined"
    assert db.session.get(Referral, owned.id).consent_withdrawn_at == clock.now()
    assert waiting.reference not in client.get("/queue/").get_data(as_text=True)
    assert owned.reference not in client.get("/queue/letters").get_data(as_text=True)
    page = client.get(f"/referrals/{owned.id}").get_data(as_text=True)
    assert "Wil niet meer gecontacteerd worden (sinds" in page
