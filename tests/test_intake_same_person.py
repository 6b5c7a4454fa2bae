"""At the desk: "were you here before?" — the same person, or a different one."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from portal.extensions import db
from portal.models import AccessLogEntry, ClosingOutcome, PersonJoin, Referral, Role
from portal.referrals import lifecycle

from .factories import add_referral, add_user
from .test_intake import valid_intake


def _earlier_closed_file_elsewhere(world):
    """A closed file from last year, in the municipality this desk does not work for."""
    toeleider = add_user(
        db.session, "tom@beekmere.be", [Role.TOELEIDER], [world.other_municipality]
    )
    db.session.commit()
    earlier = add_referral(
        db.session,
        world,
        by=world.outsider,
        at=datetime(2025, 6, 2, 9, 0),
        registered_on=date(2025, 5, 1),
        municipality_id=world.other_municipality.id,
        address="Dorpsplein 3, 9998 Beekmere",
    )
    lifecycle.claim(db.session, earlier.id, toeleider, datetime(2025, 6, 2, 10, 0))
    lifecycle.close(
        db.session, earlier, toeleider, ClosingOutcome.COMPLETED, None, datetime(2025, 9, 1, 9, 0)
    )
    db.session.commit()
    return earlier


def test_the_desk_sees_initials_birth_year_and_reference_of_earlier_files_only(as_desk, world):
    earlier = _earlier_closed_file_elsewhere(world)
    html = as_desk.post(
        "/desk/duplicates", {"phone": "", "full_name": "rania haddad", "birth_year": "1990"}
    ).get_data(as_text=True)
    assert "Mogelijk al doorverwezen" in html
    assert "R. H." in html and "geboren in 1990" in html and earlier.reference in html
    for detail in ("Rania", "Haddad", "Dorpsplein", "Beekmere", "2025", "+32"):
        assert detail not in html.replace(earlier.reference, ""), detail
    assert f"/referrals/{earlier.id}" not in html
    entry = db.session.scalars(select(AccessLogEntry)).one()
    assert (entry.user_id, entry.referral_id, entry.action) == (
        world.desk.id,
        earlier.id,
        "duplicate_warning",
    )


def test_choosing_the_same_person_adds_the_referral_to_that_person(client, world):
    earlier = _earlier_closed_file_elsewhere(world)
    client.login(world.desk.email)
    response = client.post(
        "/desk/",
        {
            **valid_intake(world, address="Nieuwstraat 9, 9999 Lindeveld"),
            "duplicates_shown": str(earlier.id),
            "same_person": str(earlier.id),
        },
    )
    assert response.status_code == 303
    db.session.expire_all()
    new = db.session.scalars(select(Referral).order_by(Referral.id.desc())).first()
    earlier = db.session.get(Referral, earlier.id)
    assert new.person_id == earlier.person_id
    # What the desk typed today is the newest and stays; the earlier record is kept for undo.
    assert new.person.address == "Nieuwstraat 9, 9999 Lindeveld"
    join = db.session.scalars(select(PersonJoin)).one()
    assert join.actor_id == world.desk.id and join.kept_id == new.person_id

    # On the new file the earlier one is listed: a link for the lead of both municipalities,
    # its reference alone for a toeleider who does not work for the other one.
    lifecycle.claim(db.session, new.id, world.toeleider, datetime(2026, 11, 26, 11, 0))
    db.session.commit()
    client.login(world.lead.email)
    page = client.get(f"/referrals/{new.id}").get_data(as_text=True)
    assert f'<a href="/referrals/{earlier.id}">{earlier.reference}</a>' in page
    client.login(world.toeleider.email)
    page = client.get(f"/referrals/{new.id}").get_data(as_text=True)
    section = page[page.index('id="h-person-record"') :]
    assert earlier.reference in section and f"/referrals/{earlier.id}" not in section

    # The desk was wrong: the toeleider of the new file separates the two again.
    undone = client.post(f"/referrals/{new.id}/person/joins/{join.id}/undo", {})
    assert undone.status_code == 303
    db.session.expire_all()
    earlier = db.session.get(Referral, earlier.id)
    assert earlier.person_id != new.person_id
    assert earlier.person.address == "Dorpsplein 3, 9998 Beekmere"


def test_without_javascript_the_intake_asks_before_saving_when_a_match_exists(client, world):
    earlier = _earlier_closed_file_elsewhere(world)
    client.login(world.desk.email)
    asked = client.post("/desk/", valid_intake(world, note="Eerste keer hier?"))
    assert asked.status_code == 200
    html = asked.get_data(as_text=True)
    assert "Misschien was deze persoon hier al" in html
    assert f'name="same_person" value="{earlier.id}"' in html
    assert 'name="same_person" value="" checked' in html
    assert "Eerste keer hier?" in html  # nothing typed is lost
    assert db.session.scalar(select(Referral).where(Referral.id != earlier.id)) is None

    answer = {**valid_intake(world), "duplicates_shown": str(earlier.id), "same_person": ""}
    assert client.post("/desk/", answer).status_code == 303
    new = db.session.scalars(select(Referral).where(Referral.id != earlier.id)).one()
    assert new.person_id != earlier.person_id


def test_a_chosen_person_who_does_not_match_the_typed_details_is_refused(client, world):
    earlier = _earlier_closed_file_elsewhere(world)
    other = add_referral(db.session, world, phone="+32499000000", full_name="Omar Said")
    client.login(world.desk.email)
    response = client.post(
        "/desk/",
        {**valid_intake(world), "duplicates_shown": str(earlier.id), "same_person": str(other.id)},
    )
    assert response.status_code == 422
    assert "past niet bij de ingevulde gegevens" in response.get_data(as_text=True)
    assert db.session.scalars(select(Referral).order_by(Referral.id)).all() == [earlier, other]


def test_the_check_is_limited_per_user(as_desk, world, app, monkeypatch):
    _earlier_closed_file_elsewhere(world)
    monkeypatch.setitem(app.config, "PORTAL_DUPLICATE_CHECK_LIMIT", "2 per minute")
    asked = {"phone": "0470 12 34 56", "full_name": "", "birth_year": ""}
    for _attempt in range(2):
        assert "Mogelijk al doorverwezen" in as_desk.post("/desk/duplicates", asked).get_data(
            as_text=True
        )
    third = as_desk.post("/desk/duplicates", asked).get_data(as_text=True)
    assert "Te veel controles" in third and "Mogelijk al doorverwezen" not in third
    # Another desk worker still has their own allowance.
    as_desk.login(world.other_desk.email)
    assert "Mogelijk al doorverwezen" in as_desk.post("/desk/duplicates", asked).get_data(
        as_text=True
    )
