"""Partners and offers shared by the municipalities of a cooperation: a partner or a programme
without a municipality of its own is there for every municipality of the installation."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from selectolax.parser import HTMLParser
from sqlalchemy import select

from portal.extensions import db
from portal.models import (
    ContactChannel,
    ContactOutcome,
    Language,
    PartnerReferral,
    Programme,
    Role,
    Service,
    Theme,
)
from portal.referrals import lifecycle, page, programmes
from portal.referrals.lifecycle import Action, TransitionRefused

from .factories import add_referral, add_user

NOW = datetime(2026, 11, 26, 10, 15)


def _options(document: HTMLParser, select_id: str) -> list[tuple[str, str, bool]]:
    return [
        (o.attributes["value"], o.text(), "selected" in o.attributes)
        for o in document.css(f"select#{select_id} option")
    ]


def test_the_admin_shares_a_partner_and_an_offer_with_every_municipality(client, world):
    client.login(world.admin.email)
    form = HTMLParser(client.get("/admin/c/services/new").get_data(as_text=True))
    assert _options(form, "municipality_id")[:3] == [
        ("0", "Gedeeld door alle gemeenten", False),
        (str(world.other_municipality.id), "Beekmere", False),
        (str(world.municipality.id), "Lindeveld", False),
    ]
    assert "Gedeeld door alle gemeenten: de toeleiders" in form.body.text()
    response = client.post(
        "/admin/c/services/new",
        {"name": "VDAB", "is_partner": "y", "municipality_id": "0", "active": "y"},
    )
    assert response.status_code == 303
    vdab = db.session.scalar(select(Service).where(Service.name == "VDAB"))
    assert vdab.municipality_id is None
    listing = HTMLParser(client.get("/admin/c/services/").get_data(as_text=True))
    row = next(tr for tr in listing.css("tbody tr") if "VDAB" in tr.text())
    assert "gedeeld door alle gemeenten" in row.text()
    edit = HTMLParser(client.get(f"/admin/c/services/{vdab.id}").get_data(as_text=True))
    assert ("0", "Gedeeld door alle gemeenten", True) in _options(edit, "municipality_id")

    response = client.post(
        "/admin/c/programmes/new",
        {
            "name": "NT2 avondles",
            "partner_id": str(vdab.id),
            "capacity": "12",
            "municipality_id": "0",
            "active": "y",
        },
    )
    assert response.status_code == 303
    offer = db.session.scalar(select(Programme).where(Programme.name == "NT2 avondles"))
    assert offer.municipality_id is None
    listing = HTMLParser(client.get("/admin/c/programmes/").get_data(as_text=True))
    row = next(tr for tr in listing.css("tbody tr") if "NT2 avondles" in tr.text())
    assert "gedeeld door alle gemeenten" in row.text()
    # A KPI without a municipality counts over all of them: that is no sharing.
    kpi = HTMLParser(client.get("/admin/c/kpis/new").get_data(as_text=True))
    assert _options(kpi, "municipality_id")[0][1] == "Alle gemeenten"


@pytest.fixture
def cooperation(app, world):
    """A shared partner and offer, and a partner and an offer of each municipality alone."""
    arabic = db.session.get(Language, "ar")
    beek_toeleider = add_user(
        db.session,
        "toeleider@beekmere.be",
        [Role.TOELEIDER],
        [world.other_municipality],
        world.other_service,
        [arabic],
    )
    own_here = Service(name="OCMW Lindeveld", is_partner=True, municipality=world.municipality)
    own_there = Service(
        name="OCMW Beekmere", is_partner=True, municipality=world.other_municipality
    )
    db.session.add_all([own_here, own_there, Theme(name="Werk")])
    db.session.flush()
    shared_offer = Programme(partner_id=world.partner.id, name="NT2 samen", capacity=1)
    there_offer = Programme(
        partner_id=own_there.id,
        name="Sport Beekmere",
        capacity=5,
        municipality_id=world.other_municipality.id,
    )
    db.session.add_all([shared_offer, there_offer])
    db.session.commit()
    here = _reached(world, world.toeleider)
    there = _reached(
        world,
        beek_toeleider,
        by=world.outsider,
        municipality_id=world.other_municipality.id,
        source_service_id=world.other_service.id,
        full_name="Beek Persoon",
        phone="+32470999888",
    )
    return dict(
        here=here,
        there=there,
        beek_toeleider=beek_toeleider,
        own_here=own_here,
        own_there=own_there,
        shared_offer=shared_offer,
        there_offer=there_offer,
    )


def _reached(world, toeleider, **changes):
    referral = add_referral(db.session, world, **changes)
    lifecycle.claim(db.session, referral.id, toeleider, NOW)
    lifecycle.log_contact_attempt(
        db.session, referral, toeleider, ContactChannel.PHONE, ContactOutcome.REACHED, None, NOW
    )
    db.session.commit()
    return referral


def test_toeleiders_of_each_municipality_are_offered_the_shared_partner_and_offer(
    cooperation, world
):
    wanted = {Action.REFER_TO_PARTNER, Action.PROGRAMME}
    here = page.menus(db.session, cooperation["here"], wanted)
    there = page.menus(db.session, cooperation["there"], wanted)
    assert [name for _id, name in here.partners] == ["Huis van het Nederlands", "OCMW Lindeveld"]
    assert [name for _id, name in there.partners] == ["Huis van het Nederlands", "OCMW Beekmere"]
    assert [name for _id, name in here.programmes] == ["NT2 samen (Huis van het Nederlands)"]
    assert [name for _id, name in there.programmes] == [
        "NT2 samen (Huis van het Nederlands)",
        "Sport Beekmere (OCMW Beekmere)",
    ]


def test_one_place_of_a_shared_offer_serves_both_municipalities_in_one_line(cooperation, world):
    shared = cooperation["shared_offer"]
    first = programmes.sign_up(
        db.session, shared, cooperation["there"], cooperation["beek_toeleider"], NOW
    )
    second = programmes.sign_up(db.session, shared, cooperation["here"], world.toeleider, NOW)
    db.session.commit()
    # One place: Beekmere's resident has it, Lindeveld's waits behind them.
    assert first.enrolled_at is not None and second.enrolled_at is None
    with pytest.raises(TransitionRefused, match="niet voor deze gemeente"):
        programmes.sign_up(
            db.session, cooperation["there_offer"], cooperation["here"], world.toeleider, NOW
        )


def test_a_partner_of_another_municipality_cannot_be_posted_on_a_file(client, cooperation, world):
    referral = cooperation["here"]
    client.login(world.toeleider.email)
    html = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    version = re.search(r'name="partner-version" type="hidden" value="(\d+)"', html).group(1)
    theme = db.session.scalar(select(Theme).where(Theme.name == "Werk"))

    def post(partner: Service):
        return client.post(
            f"/referrals/{referral.id}/partner-referrals",
            {
                "partner-version": version,
                "partner-partner": str(partner.id),
                "partner-theme": str(theme.id),
                "partner-referred_on": "2026-11-26",
            },
        )

    assert post(cooperation["own_there"]).status_code == 422
    assert db.session.scalars(select(PartnerReferral)).all() == []
    assert post(world.partner).status_code == 303
    assert db.session.scalar(select(PartnerReferral)).partner_id == world.partner.id


def test_a_second_shared_partner_of_the_same_name_is_refused_next_to_the_name(client, world):
    client.login(world.admin.email)
    form = {"name": "Huis van het Nederlands", "is_partner": "y", "active": "y"}
    refused = client.post("/admin/c/services/new", {**form, "municipality_id": "0"})
    assert refused.status_code == 422
    document = HTMLParser(refused.get_data(as_text=True))
    error = document.css_first("#name-error")
    assert error.text() == "Er is al een gedeelde dienst of partner met deze naam."
    assert document.css_first("#name").attributes["value"] == "Huis van het Nederlands"
    # A municipality may have a partner of that name of its own; the shared one keeps its own.
    own = {**form, "municipality_id": str(world.municipality.id)}
    assert client.post("/admin/c/services/new", own).status_code == 303
    shared = world.partner
    kept = {**form, "municipality_id": "0", "is_partner": "y"}
    assert client.post(f"/admin/c/services/{shared.id}", kept).status_code == 303
    names = db.session.scalars(
        select(Service.municipality_id).where(Service.name == "Huis van het Nederlands")
    ).all()
    assert sorted(names, key=str) == sorted([None, world.municipality.id], key=str)
