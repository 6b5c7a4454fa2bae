"""The privacy notice on the slip, and the legal basis recorded at intake."""

from __future__ import annotations

import json

from sqlalchemy import select

from portal.extensions import db
from portal.models import AdminLogEntry, Referral

from .factories import add_referral
from .test_intake import error_of, valid_intake


def test_the_admins_privacy_notice_is_printed_on_every_slip(client, world):
    client.login(world.admin.email)
    notice = "De gemeente Lindeveld verwerkt uw gegevens om u een onthaalgesprek aan te bieden."
    response = client.post("/admin/privacy-notice", {"privacy_notice": notice})
    assert response.status_code == 303
    [entry] = db.session.scalars(select(AdminLogEntry)).all()
    assert json.loads(entry.changes) == [["privacy_notice", "", notice]]
    client.post("/logout", {})
    referral = add_referral(db.session, world)
    client.login(world.desk.email)
    slip = client.get(f"/desk/referrals/{referral.id}/slip").get_data(as_text=True)
    assert "Uw gegevens" in slip and notice in slip


def test_a_privacy_notice_has_a_length_limit(client, world):
    client.login(world.admin.email)
    response = client.post("/admin/privacy-notice", {"privacy_notice": "x" * 4001})
    assert response.status_code == 422
    assert error_of(response.get_data(as_text=True), "privacy_notice") == "Hoogstens 4000 tekens."


def test_the_intake_records_the_legal_basis_beside_the_agreement(as_desk, world):
    as_desk.post("/desk/", valid_intake(world, legal_basis="public_task"))
    referral = db.session.scalars(select(Referral)).one()
    assert referral.legal_basis == "public_task"
    as_desk.post("/logout", {})
    as_desk.login(world.lead.email)
    page = as_desk.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert "Taak van algemeen belang van de gemeente" in page


def test_consent_is_the_legal_basis_unless_the_desk_says_otherwise(as_desk, world):
    as_desk.post("/desk/", valid_intake(world))
    assert db.session.scalars(select(Referral.legal_basis)).one() == "consent"
    response = as_desk.post("/desk/", valid_intake(world, legal_basis="whim"))
    assert response.status_code == 422
    assert error_of(response.get_data(as_text=True), "legal_basis") == "Ongeldige keuze."
