"""Group activities and the programmes' waiting lists."""

from __future__ import annotations

import re
import threading
from datetime import datetime

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import (
    Activity,
    Channel,
    PlaceStatus,
    Programme,
    ProgrammePlace,
    Role,
    TimelineEvent,
    User,
)
from portal.referrals import lifecycle, programmes
from portal.referrals.lifecycle import TransitionRefused

from .factories import add_referral, add_user

NOW = datetime(2026, 11, 26, 10, 15)


@pytest.fixture
def channel(app, world):
    item = Channel(name="Toeleiders")
    db.session.add(item)
    db.session.commit()
    return item


def activity_form(world, team, **changes):
    data = {
        "held_on": "20/11/2026",
        "kind": "conversation_table",
        "title": "Praattafel in de bib",
        "municipality": str(world.municipality.id),
        "channel": str(team.id),
        "partner": "0",
        "participants": "14",
        "young_participants": "4",
    }
    data.update(changes)
    return data


def test_toeleider_records_an_activity_and_sees_the_years_totals(client, world, channel):
    client.login(world.toeleider.email)
    response = client.post("/groupwork/activities", activity_form(world, channel))
    assert response.status_code == 303
    stored = db.session.scalars(select(Activity)).one()
    assert (stored.participants, stored.young_participants, stored.kind) == (
        14,
        4,
        "conversation_table",
    )
    assert stored.created_by_id == world.toeleider.id
    client.post(
        "/groupwork/activities",
        activity_form(world, channel, kind="sport", participants="6", young_participants="6"),
    )
    page = client.get("/groupwork/activities?year=2026").get_data(as_text=True)
    assert "Praattafel in de bib" in page and "conversatietafel" in page
    assert "<td>20</td><td>10</td>" in page  # the totals row


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"held_on": ""}, "held_on", "Vul een datum in."),
        ({"held_on": "31/02/2026"}, "held_on", "Geen geldige datum"),
        ({"title": ""}, "title", "Beschrijf de activiteit kort."),
        ({"channel": "0"}, "channel", "Kies een kanaal."),
        ({"participants": ""}, "participants", "Vul het aantal deelnemers in."),
        ({"participants": "veertien"}, "participants", "Vul een getal in."),
        ({"participants": "0"}, "participants", "Tussen 1 en"),
        ({"young_participants": "15"}, "young_participants", "meer dan het aantal deelnemers"),
        ({"held_on": "15/11/2062"}, "held_on", "in de toekomst"),
        ({"held_on": "15/11/2016"}, "held_on", "meer dan twee jaar terug"),
    ],
)
def test_bad_activity_input_gets_a_dutch_error_and_keeps_the_form(
    client, world, channel, changes, field, message
):
    client.login(world.toeleider.email)
    response = client.post("/groupwork/activities", activity_form(world, channel, **changes))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="{field}-error"' in html and message in html
    control = re.search(rf'<(?:input|select|textarea)[^>]*\bid="{field}"[^>]*>', html)
    assert control is not None and "autofocus" in control.group(0)  # the cursor is there
    assert 'class="error-summary"' in html
    if field != "title":
        assert 'value="Praattafel in de bib"' in html
    assert db.session.scalars(select(Activity)).all() == []


def test_activity_for_a_municipality_one_does_not_work_for_is_refused(client, world, channel):
    client.login(world.toeleider.email)
    response = client.post(
        "/groupwork/activities",
        activity_form(world, channel, municipality=str(world.other_municipality.id)),
    )
    assert response.status_code == 422
    assert db.session.scalars(select(Activity)).all() == []


def test_only_the_author_or_a_lead_removes_an_activity(client, world, channel):
    other = add_user(db.session, "t2@lindeveld.be", [Role.TOELEIDER], [world.municipality])
    db.session.commit()
    client.login(world.toeleider.email)
    client.post("/groupwork/activities", activity_form(world, channel))
    activity = db.session.scalars(select(Activity)).one()
    client.post("/logout", {})
    client.login(other.email)
    assert client.post(f"/groupwork/activities/{activity.id}/delete", {}).status_code == 403
    client.post("/logout", {})
    client.login(world.lead.email)
    assert client.post(f"/groupwork/activities/{activity.id}/delete", {}).status_code == 303
    assert db.session.scalars(select(Activity)).all() == []


def test_desk_workers_do_not_record_group_work(client, world):
    client.login(world.desk.email)
    assert client.get("/groupwork/activities").status_code == 403
    assert client.get("/groupwork/waiting-lists").status_code == 403


# Programmes ------------------------------------------------------------------------------


@pytest.fixture
def programme(app, world):
    item = Programme(partner_id=world.partner.id, name="NT2 avondles", capacity=2)
    db.session.add(item)
    db.session.commit()
    return item


def claimed(world, name):
    referral = add_referral(db.session, world, full_name=name)
    lifecycle.claim(db.session, referral.id, world.toeleider, NOW)
    db.session.commit()
    return referral


def test_people_get_a_place_until_the_programme_is_full_then_wait(world, programme):
    people = [claimed(world, n) for n in ("Een", "Twee", "Drie", "Vier")]
    for minute, person in enumerate(people):
        programmes.sign_up(
            db.session, programme, person, world.toeleider, NOW.replace(minute=minute)
        )
        db.session.commit()
    rows = [programmes.place_rows(db.session, p)[0] for p in people]
    assert [r.place.status for r in rows] == ["enrolled", "enrolled", "waiting", "waiting"]
    assert [r.position for r in rows] == [None, None, 1, 2]
    (wl,) = programmes.waiting_lists(db.session, [world.municipality.id])
    assert (wl.enrolled, wl.free, wl.waiting_total) == (2, 0, 2)
    assert [(n, p.referral.person.full_name) for n, p in wl.waiting] == [(1, "Drie"), (2, "Vier")]
    kinds = db.session.scalars(
        select(TimelineEvent.kind).where(TimelineEvent.referral_id == people[2].id)
    ).all()
    assert "programme_waiting" in kinds


def test_a_freed_place_can_be_granted_to_someone_waiting(world, programme):
    people = [claimed(world, n) for n in ("Een", "Twee", "Drie")]
    for person in people:
        programmes.sign_up(db.session, programme, person, world.toeleider, NOW)
        db.session.commit()
    waiting = programmes.place_rows(db.session, people[2])[0].place
    with pytest.raises(TransitionRefused, match="volzet"):
        programmes.grant_place(db.session, waiting, people[2], world.toeleider, NOW)
    db.session.rollback()
    first = programmes.place_rows(db.session, people[0])[0].place
    programmes.leave(db.session, first, people[0], world.toeleider, NOW)
    db.session.commit()
    programmes.grant_place(db.session, waiting, people[2], world.toeleider, NOW)
    db.session.commit()
    (wl,) = programmes.waiting_lists(db.session, [world.municipality.id])
    assert (wl.enrolled, wl.free, wl.waiting_total) == (2, 0, 0)


def test_nobody_is_signed_up_twice(world, programme):
    person = claimed(world, "Een")
    programmes.sign_up(db.session, programme, person, world.toeleider, NOW)
    db.session.commit()
    with pytest.raises(TransitionRefused, match="staat al"):
        programmes.sign_up(db.session, programme, person, world.toeleider, NOW)


def test_ten_workers_signing_up_at_once_never_overfill_the_programme(app, world, programme):
    workers = [
        add_user(db.session, f"w{n}@lindeveld.be", [Role.TOELEIDER], [world.municipality])
        for n in range(10)
    ]
    db.session.commit()
    people = []
    for n, worker in enumerate(workers):
        referral = add_referral(db.session, world, full_name=f"Persoon {n}")
        lifecycle.claim(db.session, referral.id, worker, NOW)
        db.session.commit()
        people.append((worker.id, referral.id))
    barrier = threading.Barrier(len(people))
    errors: list[BaseException] = []

    def sign_up(worker_id: int, referral_id: int) -> None:
        barrier.wait()
        with app.app_context():
            try:
                from portal.models import Referral

                programmes.sign_up(
                    db.session,
                    db.session.get(Programme, programme.id),
                    db.session.get(Referral, referral_id),
                    db.session.get(User, worker_id),
                    NOW,
                )
                db.session.commit()
            except BaseException as error:  # noqa: BLE001 - collected and asserted below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=sign_up, args=p) for p in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    statuses = db.session.scalars(select(ProgrammePlace.status)).all()
    assert statuses.count(PlaceStatus.ENROLLED.value) == 2
    assert statuses.count(PlaceStatus.WAITING.value) == 8


def test_signing_up_from_the_file_and_the_waiting_list_page(client, world, programme):
    first, second, third = (claimed(world, n) for n in ("Een", "Twee", "Drie"))
    client.login(world.toeleider.email)
    for person in (first, second, third):
        db.session.refresh(person)
        page = client.get(f"/referrals/{person.id}").get_data(as_text=True)
        assert "Aanmelden voor een programma" in page
        response = client.post(
            f"/referrals/{person.id}/programmes",
            {"programme-programme": str(programme.id), "programme-version": str(person.version)},
        )
        assert response.status_code == 303
    file = client.get(f"/referrals/{third.id}").get_data(as_text=True)
    assert "op de wachtlijst" in file
    assert "de persoon staat op de wachtlijst, als 1.e." in file
    listing = client.get("/groupwork/waiting-lists").get_data(as_text=True)
    assert "2</strong> van 2 plaatsen bezet" in listing
    assert "1</strong> persoon wacht" in listing
    assert "Drie" in listing


def test_choosing_no_programme_gets_a_dutch_error(client, world, programme):
    person = claimed(world, "Een")
    client.login(world.toeleider.email)
    response = client.post(
        f"/referrals/{person.id}/programmes",
        {"programme-programme": "0", "programme-version": str(person.version)},
    )
    assert response.status_code == 422
    assert "Kies een programma." in response.get_data(as_text=True)
    assert db.session.scalars(select(ProgrammePlace)).all() == []


def test_a_newcomer_does_not_take_a_freed_place_before_those_waiting(world, programme):
    people = [claimed(world, n) for n in ("Een", "Twee", "Drie", "Vier")]
    for minute, person in enumerate(people[:3]):
        programmes.sign_up(
            db.session, programme, person, world.toeleider, NOW.replace(minute=minute)
        )
        db.session.commit()
    first = programmes.place_rows(db.session, people[0])[0].place
    programmes.leave(db.session, first, people[0], world.toeleider, NOW)
    db.session.commit()
    late = programmes.sign_up(db.session, programme, people[3], world.toeleider, NOW)
    db.session.commit()
    assert late.status == "waiting"
    (drie,) = programmes.place_rows(db.session, people[2])
    (vier,) = programmes.place_rows(db.session, people[3])
    assert (drie.position, drie.grantable) == (1, True)
    assert (vier.position, vier.grantable) == (2, False)
    with pytest.raises(TransitionRefused, match="2.e op de wachtlijst"):
        programmes.grant_place(db.session, vier.place, people[3], world.toeleider, NOW)
    db.session.rollback()
    programmes.grant_place(db.session, drie.place, people[2], world.toeleider, NOW)
    db.session.commit()
    assert programmes.place_rows(db.session, people[2])[0].place.status == "enrolled"


def test_closing_a_file_gives_up_its_place_and_its_spot_in_line(world, programme):
    from portal.models import ClosingOutcome

    people = [claimed(world, n) for n in ("Een", "Twee", "Drie")]
    for minute, person in enumerate(people):
        programmes.sign_up(
            db.session, programme, person, world.toeleider, NOW.replace(minute=minute)
        )
        db.session.commit()
    lifecycle.close(db.session, people[0], world.toeleider, ClosingOutcome.MOVED_AWAY, None, NOW)
    db.session.commit()
    (wl,) = programmes.waiting_lists(db.session, [world.municipality.id])
    assert (wl.enrolled, wl.free, wl.waiting_total) == (1, 1, 1)
    assert programmes.place_rows(db.session, people[2])[0].grantable
    events = db.session.scalars(
        select(TimelineEvent.kind)
        .where(TimelineEvent.referral_id == people[0].id)
        .order_by(TimelineEvent.id)
    ).all()
    assert events[-1] == "programme_left"


def test_the_line_is_shared_by_all_municipalities(world, programme):
    here = [claimed(world, n) for n in ("Een", "Twee")]
    there = add_referral(
        db.session,
        world,
        by=world.outsider,
        full_name="Beek",
        municipality_id=world.other_municipality.id,
        source_service_id=world.other_service.id,
    )
    beek = add_user(db.session, "t@beekmere.be", [Role.TOELEIDER], [world.other_municipality])
    db.session.commit()
    lifecycle.claim(db.session, there.id, beek, NOW)
    mine = claimed(world, "Drie")
    db.session.commit()
    for minute, (person, worker) in enumerate(
        [
            (here[0], world.toeleider),
            (here[1], world.toeleider),
            (there, beek),
            (mine, world.toeleider),
        ]
    ):
        programmes.sign_up(db.session, programme, person, worker, NOW.replace(minute=minute))
        db.session.commit()
    (wl,) = programmes.waiting_lists(db.session, [world.municipality.id])
    assert wl.waiting_total == 2
    assert [(n, p.referral.person.full_name) for n, p in wl.waiting] == [(2, "Drie")]


def test_a_busy_year_is_shown_a_page_at_a_time_with_the_years_totals(client, world, channel):
    for n in range(55):
        db.session.add(
            Activity(
                municipality_id=world.municipality.id,
                held_on=datetime(2026, 1, 1).date(),
                channel_id=channel.id,
                kind="sport",
                title=f"Zwemmen {n}",
                participants=2,
                young_participants=1,
                created_by_id=world.toeleider.id,
                created_at=NOW,
            )
        )
    db.session.commit()
    client.login(world.toeleider.email)
    first = client.get("/groupwork/activities?year=2026").get_data(as_text=True)
    second = client.get("/groupwork/activities?year=2026&page=2").get_data(as_text=True)
    row = '<th scope="row">Zwemmen '
    assert first.count(row) == 50 and second.count(row) == 5
    assert "Pagina 1 van 2" in first
    for page in (first, second):
        assert "Totaal van 55 activiteiten" in page and "<td>110</td><td>55</td>" in page


def test_admin_cannot_give_a_programme_fewer_places_than_are_taken(client, world, programme):
    people = [claimed(world, n) for n in ("Een", "Twee")]
    for person in people:
        programmes.sign_up(db.session, programme, person, world.toeleider, NOW)
        db.session.commit()
    client.login(world.admin.email)
    form = {
        "name": "NT2 avondles",
        "partner_id": str(world.partner.id),
        "capacity": "1",
        "municipality_id": "0",
        "active": "y",
    }
    response = client.post(f"/admin/c/programmes/{programme.id}", form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="capacity-error"' in html and "2 personen hebben nu een plaats" in html
    db.session.expire_all()
    assert db.session.get(Programme, programme.id).capacity == 2
    form["capacity"] = "3"
    assert client.post(f"/admin/c/programmes/{programme.id}", form).status_code == 303


def test_the_first_in_line_gets_a_freed_place_from_the_waiting_list_page(client, world, programme):
    people = [claimed(world, n) for n in ("Een", "Twee", "Drie", "Vier")]
    for minute, person in enumerate(people):
        programmes.sign_up(
            db.session, programme, person, world.toeleider, NOW.replace(minute=minute)
        )
        db.session.commit()
    client.login(world.toeleider.email)
    full = client.get("/groupwork/waiting-lists").get_data(as_text=True)
    assert "Vrije plaats toekennen" not in full  # nothing is free yet
    first = programmes.place_rows(db.session, people[0])[0].place
    programmes.leave(db.session, first, people[0], world.toeleider, NOW)
    db.session.commit()
    page = client.get("/groupwork/waiting-lists").get_data(as_text=True)
    assert page.count("Vrije plaats toekennen") == 1
    form = re.search(r'<form method="post" action="([^"]+/grant)"[^>]*>(.*?)</form>', page, re.S)
    assert form is not None and f"/referrals/{people[2].id}/" in form.group(1)
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form.group(2)))
    response = client.client.post(form.group(1), data=fields)
    assert response.status_code == 303
    assert programmes.place_rows(db.session, people[2])[0].place.status == "enrolled"


def test_a_closed_file_is_not_signed_up(world, programme):
    from portal.models import ClosingOutcome

    person = claimed(world, "Een")
    lifecycle.close(db.session, person, world.toeleider, ClosingOutcome.COMPLETED, None, NOW)
    db.session.commit()
    with pytest.raises(TransitionRefused, match="afgesloten"):
        programmes.sign_up(db.session, programme, person, world.toeleider, NOW)


def test_someone_of_two_municipalities_chooses_one_for_an_activity(client, world, channel):
    client.login(world.lead.email)
    page = client.get("/groupwork/activities").get_data(as_text=True)
    select = re.search(r'<select[^>]*id="municipality"[^>]*>(.*?)</select>', page, re.S)
    assert select is not None
    assert select.group(1).lstrip().startswith('<option value="0">Kies een gemeente</option>')
    assert "selected" not in select.group(1)
    response = client.post("/groupwork/activities", activity_form(world, channel, municipality="0"))
    assert response.status_code == 422
    assert "Kies een gemeente." in response.get_data(as_text=True)


def test_closing_from_the_file_says_the_place_was_released(client, world, programme):
    person = claimed(world, "Een")
    programmes.sign_up(db.session, programme, person, world.toeleider, NOW)
    db.session.commit()
    db.session.refresh(person)
    client.login(world.toeleider.email)
    response = client.post(
        f"/referrals/{person.id}/close",
        {"close-outcome": "completed", "close-note": "", "close-version": str(person.version)},
    )
    assert response.status_code == 303
    page = client.get(f"/referrals/{person.id}").get_data(as_text=True)
    assert "Afgesloten. Een plaats of wachtlijstplek in een programma is vrijgegeven." in page
