"""The resident as a person of their own: referrals belong to a person."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import event, select

from portal.extensions import db
from portal.models import Person, Referral
from portal.referrals import lifecycle

from .factories import add_referral
from .test_intake import valid_intake

NOW = datetime(2026, 11, 26, 10, 15)


def test_intake_creates_a_person_with_the_identity_and_contact_details(as_desk, world):
    response = as_desk.post("/desk/", valid_intake(world, full_name="Ayşe  Yılmaz"))
    assert response.status_code == 303
    referral = db.session.scalars(select(Referral)).one()
    person = referral.person
    assert (person.full_name, person.name_key, person.birth_year) == (
        "Ayşe Yılmaz",
        "ayse yilmaz",
        1990,
    )
    assert (person.phone, person.email, person.address) == (
        "+32470123456",
        "rania@example.org",
        "Kerkstraat 1, 9999 Lindeveld",
    )
    # What one intake says and what the reports count stays on the referral.
    assert (referral.contact_language_code, referral.adults) == ("ar", 2)
    assert [c.birth_year for c in referral.children] == [2016, 2019]


def test_each_intake_is_a_new_person_unless_the_person_is_named(world):
    first = add_referral(db.session, world)
    second = add_referral(db.session, world)
    again = add_referral(db.session, world, person=first.person)
    assert second.person_id != first.person_id
    assert again.person_id == first.person_id
    assert [r.id for r in first.person.referrals] == [first.id, again.id]
    assert db.session.scalar(select(Person).where(Person.id == second.person_id)) is not None


def _statements(client, url: str) -> int:
    seen: list[str] = []

    def count(*_args: object) -> None:
        seen.append("statement")

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = client.get(url)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 200
    return len(seen)


LISTS = [
    ("/queue/", "toeleider", False),
    ("/queue/?q=had", "toeleider", False),
    ("/queue/mine", "toeleider", True),
    ("/lead/list/new_today", "lead", False),
    ("/lead/toeleiders/{toeleider}", "lead", True),
    ("/desk/", "desk", False),
]


@pytest.mark.parametrize(("url", "who", "claimed"), LISTS)
def test_lists_load_the_persons_without_a_query_per_row(client, world, url, who, claimed):
    names = iter(["Rania Haddad", "Omar Haddad", "Sara Haddad", "Yara Haddad", "Adam Haddad"])

    def add(n: int) -> None:
        for i in range(n):
            referral = add_referral(
                db.session, world, at=datetime(2026, 11, 26, 9, i), full_name=next(names)
            )
            if claimed:
                lifecycle.claim(db.session, referral.id, world.toeleider, NOW)
        db.session.commit()

    url = url.format(toeleider=world.toeleider.id)
    client.login(getattr(world, who).email)
    add(1)
    with_one = _statements(client, url)
    add(4)
    assert _statements(client, url) == with_one
    assert "Adam Haddad" in client.get(url).get_data(as_text=True)
