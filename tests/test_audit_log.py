"""The access log: every page that shows residents is on record, and leads and admins read it."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal import clock
from portal.extensions import db
from portal.models import AccessLogEntry, ReferralState

from .factories import add_held_appointment, add_referral, csv_rows


def _entries(**where) -> list[AccessLogEntry]:
    stmt = select(AccessLogEntry).order_by(AccessLogEntry.id)
    for name, value in where.items():
        stmt = stmt.where(getattr(AccessLogEntry, name) == value)
    return list(db.session.scalars(stmt))


def _owned(world, **changes):
    referral = add_referral(db.session, world, **changes)
    referral.state, referral.owner_id = ReferralState.CONTACTED.value, world.toeleider.id
    db.session.commit()
    return referral


def test_the_queue_logs_each_person_shown_once_per_quarter_hour(client, world, monkeypatch):
    first = add_referral(db.session, world)
    second = add_referral(db.session, world, full_name="Olena Koval", phone="+32470999888")
    client.login(world.toeleider.email)
    client.get("/queue/")
    client.get("/queue/", headers={"HX-Request": "true", "HX-Target": "queue-list"})  # a poll
    shown = _entries(action="queue")
    assert sorted(e.referral_id for e in shown) == sorted([first.id, second.id])
    assert {e.user_id for e in shown} == {world.toeleider.id}
    assert {e.address for e in shown} == {"127.0.0.1"}
    later = clock.now() + timedelta(minutes=16)
    monkeypatch.setattr(clock, "now", lambda: later)
    client.get("/queue/")
    assert len(_entries(action="queue")) == 4


def test_a_search_is_logged_with_what_it_found_even_when_it_found_nobody(client, world):
    found = add_referral(db.session, world)
    client.login(world.toeleider.email)
    client.get("/queue/?q=Haddad")
    client.get("/queue/?q=Nobody+Here")
    searches = _entries(action="queue_search")
    assert [e.referral_id for e in searches] == [found.id, None]


def test_lists_with_names_are_logged(client, world):
    mine = _owned(world, full_name="Mijn Dossier", address="Kerkstraat 1, 9999 Lindeveld")
    mine.needs_letter = True
    add_held_appointment(db.session, mine, world.toeleider, datetime(2026, 11, 26, 14, 0))
    db.session.commit()
    client.login(world.toeleider.email)
    for path, action in [
        ("/queue/mine", "my_files"),
        ("/queue/letters", "letters"),
        ("/agenda/?day=2026-11-26", "agenda"),
        (f"/queue/letters/print?id={mine.id}", "letter"),
    ]:
        assert client.get(path).status_code == 200
        assert [e.referral_id for e in _entries(action=action)] == [mine.id], path
    client.post("/logout", {})
    client.login(world.lead.email)
    client.get("/lead/")
    client.get(f"/lead/toeleiders/{world.toeleider.id}")
    assert [e.referral_id for e in _entries(action="today")] == [mine.id]
    assert [e.referral_id for e in _entries(action="toeleider_files")] == [mine.id]


def test_the_calendar_feed_is_logged_as_its_owner(client, world):
    mine = _owned(world)
    add_held_appointment(db.session, mine, world.toeleider, datetime(2026, 11, 20, 10, 0))
    db.session.commit()
    client.login(world.toeleider.email)
    client.post("/agenda/feed", {})
    db.session.refresh(world.toeleider)
    client.post("/logout", {})
    client.get(f"/agenda/feed/{world.toeleider.calendar_token}.ics")
    [entry] = _entries(action="calendar_feed")
    assert (entry.user_id, entry.referral_id) == (world.toeleider.id, mine.id)


def test_a_lead_reads_one_persons_log_and_exports_it(client, world):
    seen = _owned(world)
    other = add_referral(db.session, world, full_name="Ander Persoon", phone="+32470111222")
    client.login(world.toeleider.email)
    client.get(f"/referrals/{seen.id}")
    client.get(f"/referrals/{other.id}")
    client.post("/logout", {})
    client.login(world.lead.email)
    html = client.get(f"/privacy/access-log?reference={seen.reference}").get_data(as_text=True)
    rows = re.findall(r"<tr><td>.*?</tr>", html, re.S)
    assert len(rows) == 1
    assert seen.reference in rows[0] and "dossier geopend" in rows[0]
    assert world.toeleider.full_name in rows[0]
    assert other.reference not in html
    exported = csv_rows(client.get(f"/privacy/access-log.csv?reference={seen.reference}"))
    assert exported[0][:4] == ["Moment", "Gebruiker", "Wat", "Dossier"]
    assert [row[3] for row in exported[1:]] == [seen.reference]


def test_a_lead_filters_by_user_and_period(client, world):
    seen = _owned(world)
    client.login(world.toeleider.email)
    client.get(f"/referrals/{seen.id}")
    client.post("/logout", {})
    client.login(world.lead.email)
    by_desk = client.get(f"/privacy/access-log?user={world.desk.id}").get_data(as_text=True)
    assert seen.reference not in by_desk
    today = clock.today()
    tomorrow = (today + timedelta(days=1)).isoformat()
    in_period = client.get(f"/privacy/access-log?first_day={today.isoformat()}")
    assert seen.reference in in_period.get_data(as_text=True)
    after = client.get(f"/privacy/access-log?first_day={tomorrow}").get_data(as_text=True)
    assert seen.reference not in after


def test_a_lead_does_not_read_the_log_of_another_municipality(client, world):
    elsewhere = add_referral(
        db.session,
        world,
        by=world.outsider,
        municipality_id=world.other_municipality.id,
        source_service_id=world.other_service.id,
    )
    world.lead.municipalities = [world.municipality]
    db.session.commit()
    client.login(world.outsider.email)
    client.get(f"/desk/referrals/{elsewhere.id}/slip")
    client.post("/logout", {})
    client.login(world.lead.email)
    html = client.get(f"/privacy/access-log?reference={elsewhere.reference}").get_data(as_text=True)
    assert re.findall(r"<tr><td>.*?</tr>", html, re.S) == []
    assert "Niets gevonden voor deze keuze." in html


@pytest.mark.parametrize("who", ["desk", "toeleider"])
def test_desk_workers_and_toeleiders_do_not_read_the_log(client, world, who):
    client.login(getattr(world, who).email)
    assert client.get("/privacy/access-log").status_code == 403
    assert client.get("/privacy/admin-log").status_code == 403


def test_an_admin_reads_both_logs_by_reference_only(client, world):
    seen = _owned(world)
    client.login(world.toeleider.email)
    client.get(f"/referrals/{seen.id}")
    client.post("/logout", {})
    client.login(world.admin.email)
    client.post("/admin/c/themes/new", {"name": "Mobiliteit", "position": "4"})
    access = client.get("/privacy/access-log").get_data(as_text=True)
    assert seen.reference in access and seen.person.full_name not in access
    admin = client.get("/privacy/admin-log").get_data(as_text=True)
    assert "toegevoegd aan een lijst" in admin and "Mobiliteit" in admin
    assert csv_rows(client.get("/privacy/admin-log.csv"))[1][2] == "toegevoegd aan een lijst"


def test_a_bad_filter_shows_the_error_not_a_failure(client, world):
    client.login(world.lead.email)
    response = client.get("/privacy/access-log?first_day=31/02/2026&user=abc")
    assert response.status_code == 200
    assert "Geen geldige datum" in response.get_data(as_text=True)


def test_only_the_audit_module_writes_the_logs():
    """Append-only: no view, command or other module adds, changes or deletes entries."""
    portal = Path(__file__).resolve().parent.parent / "portal"
    writers = [
        path.relative_to(portal).as_posix()
        for path in portal.rglob("*.py")
        if "migrations" not in path.parts
        and re.search(r"\b(AccessLogEntry|AdminLogEntry)\b", path.read_text())
    ]
    assert sorted(writers) == ["audit.py", "models.py"]


def test_entries_survive_as_long_as_the_file(world):
    referral = add_referral(db.session, world)
    from portal.audit import log_access

    log_access(db.session, world.toeleider, referral, "view", clock.now())
    db.session.commit()
    count = db.session.scalar(select(func.count()).select_from(AccessLogEntry))
    assert count == 1
    db.session.delete(referral)
    with pytest.raises(Exception):  # noqa: B017 - the database refuses, whichever error it raises
        db.session.commit()
    db.session.rollback()


def test_the_admin_log_names_changed_settings_in_dutch(client, world):
    client.login(world.admin.email)
    client.post("/admin/privacy-notice", {"privacy_notice": "Tekst"})
    html = client.get("/privacy/admin-log").get_data(as_text=True)
    changes = re.search(r'<ul class="changes">(.*?)</ul>', html, re.S).group(1)
    assert "privacyverklaring: — → Tekst" in changes
    assert "privacy_notice" not in html
