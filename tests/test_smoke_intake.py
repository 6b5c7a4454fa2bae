from portal.extensions import db
from portal.models import Referral


def test_desk_worker_registers_referral(as_desk, world):
    page = as_desk.get("/desk/")
    assert page.status_code == 200
    response = as_desk.post(
        "/desk/",
        {
            "consent": "y",
            "dutch_difficult": "ja",
            "has_work": "nee",
            "has_children": "ja",
            "contact_language": "Arabisch",
            "full_name": "Rania Haddad",
            "phone": "0470 12 34 56",
            "registered_on": "2026-05-04",
            "municipality": str(world.municipality.id),
            "source_service": str(world.desk_service.id),
            "adults": "1",
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    referral = db.session.scalars(db.select(Referral)).one()
    assert referral.phone == "+32470123456"
