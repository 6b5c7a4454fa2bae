"""School obligation: the children of a newcomer household are followed up, one item each,
on the file page and in the lead's list of children without known school."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from selectolax.parser import HTMLParser
from sqlalchemy import select

from portal.extensions import db
from portal.models import (
    AccessLogEntry,
    HouseholdChild,
    Referral,
    Role,
    SchoolItem,
    SchoolItemKind,
    SchoolItemStatus,
    TimelineEvent,
)
from portal.persons.corrections import correct_person, details_of
from portal.privacy.retention import anonymise
from portal.referrals import lifecycle, school
from portal.referrals.lifecycle import TransitionRefused
from portal.referrals.school import Stage, school_stage
from portal.settings import set_int

from .conftest import NOW
from .factories import add_referral, add_user

TODAY = NOW.date()


@pytest.mark.parametrize(
    ("birth_year", "on", "stage"),
    [
        # The school year of the 5th birthday starts on 1 September of that year.
        (2021, date(2026, 8, 31), Stage.TODDLER),
        (2021, date(2026, 9, 1), Stage.COMPULSORY),
        (2021, date(2026, 12, 31), Stage.COMPULSORY),
        (2022, date(2026, 11, 26), Stage.TODDLER),
        (2026, date(2026, 11, 26), Stage.TODDLER),
        # It ends on 30 June of the year the child turns 18.
        (2008, date(2026, 6, 30), Stage.COMPULSORY),
        (2008, date(2026, 7, 1), Stage.BEYOND),
        (2009, date(2026, 11, 26), Stage.COMPULSORY),
        (2000, date(2026, 11, 26), Stage.BEYOND),
    ],
)
def test_compulsory_school_age_runs_from_the_school_year_of_five_to_june_of_eighteen(
    birth_year, on, stage
):
    assert school_stage(birth_year, on) is stage


def items_of(referral) -> list[tuple[int, str, str]]:
    db.session.expire_all()
    return [
        (item.child.birth_year, item.kind, item.status)
        for item in db.session.scalars(
            select(SchoolItem).where(SchoolItem.referral_id == referral.id).order_by(SchoolItem.id)
        )
    ]


def events(referral, prefix="school_") -> list[tuple[str, str]]:
    return [
        (e.kind, e.detail or "")
        for e in db.session.scalars(
            select(TimelineEvent)
            .where(TimelineEvent.referral_id == referral.id, TimelineEvent.kind.like(f"{prefix}%"))
            .order_by(TimelineEvent.id)
        )
    ]


def newcomer(world, at=NOW, **changes) -> Referral:
    """A newcomer's file (registered in May), claimed by the toeleider."""
    referral = add_referral(db.session, world, at=at, **changes)
    lifecycle.claim(db.session, referral.id, world.toeleider, NOW)
    db.session.commit()
    return referral


def test_the_intake_gives_each_child_of_school_age_an_enrolment_due_after_the_setting(world):
    set_int(db.session, "school_enrolment_days", 14)
    db.session.commit()
    referral = newcomer(world, children_birth_years=[2008, 2016, 2021, 2024])
    # 2008 is past the obligation since June; 2021 turned five this year; 2024 is a toddler.
    assert items_of(referral) == [
        (2016, "enrolment", "open"),
        (2021, "enrolment", "open"),
        (2024, "information", "open"),
    ]
    due = {i.due_on for i in db.session.scalars(select(SchoolItem))}
    assert due == {TODAY + timedelta(days=14)}
    # The intake is the one event: the items follow from the household it recorded.
    kinds = db.session.scalars(
        select(TimelineEvent.kind)
        .where(TimelineEvent.referral_id == referral.id)
        .order_by(TimelineEvent.id)
    ).all()
    assert kinds == ["registered", "claimed"]


def test_toddlers_of_a_family_speaking_dutch_at_home_get_no_information_item(world):
    dutch = newcomer(world, contact_language_code="nl", children_birth_years=[2023, 2016])
    assert items_of(dutch) == [(2016, "enrolment", "open")]
    # The home language counts, not the language the desk spoke with the parent.
    at_home = newcomer(
        world,
        full_name="Marta Nowak",
        phone="+32470000001",
        contact_language_code="fr",
        home_language_code="nl",
        children_birth_years=[2023],
    )
    assert items_of(at_home) == []


def test_a_long_term_residents_household_gets_no_school_items(world):
    referral = newcomer(world, registered_on=date(2015, 3, 1), children_birth_years=[2016, 2023])
    assert referral.is_newcomer is False
    assert items_of(referral) == []
    assert events(referral) == []


def _correct_children(world, referral, birth_years):
    shown = details_of(referral)
    correct_person(
        db.session,
        referral,
        world.toeleider,
        NOW,
        typed=replace(shown, children_birth_years=tuple(birth_years)),
        shown=shown,
        version=referral.person.version,
    )
    db.session.commit()


def test_correcting_the_household_adds_and_removes_items_and_keeps_the_others(world):
    referral = newcomer(world, children_birth_years=[2016, 2019])
    kept = db.session.scalars(select(SchoolItem).order_by(SchoolItem.id)).first()
    school.update_item(
        db.session,
        kept,
        referral,
        world.toeleider,
        NOW,
        status=SchoolItemStatus.ENROLLED,
        school_name="Basisschool De Brug",
        note=None,
    )
    db.session.commit()
    # The child of 2019 was a typing error for 2012; a baby was born.
    _correct_children(world, referral, [2016, 2012, 2026])
    assert sorted(items_of(referral)) == [
        (2012, "enrolment", "open"),
        (2016, "enrolment", "enrolled"),  # what was recorded for this child stays
        (2026, "information", "open"),
    ]
    assert [kind for kind, _detail in events(referral)] == [
        "school_item_updated",
        "school_items_removed",
    ]
    assert events(referral)[1][1] == "schoolinschrijving (2019)"
    # The removed child's row went with its item.
    assert sorted(db.session.scalars(select(HouseholdChild.birth_year))) == [2012, 2016, 2026]


def test_a_household_known_as_a_newcomers_after_a_correction_gets_its_items(world):
    referral = newcomer(world, registered_on=date(2015, 3, 1))
    assert items_of(referral) == []
    shown = details_of(referral)
    correct_person(
        db.session,
        referral,
        world.toeleider,
        NOW,
        typed=replace(shown, registered_on=date(2026, 9, 1)),
        shown=shown,
        version=referral.person.version,
    )
    db.session.commit()
    assert [kind for _year, kind, _status in items_of(referral)] == ["enrolment", "enrolment"]


def test_enrolled_needs_the_school_and_an_information_item_cannot_be_enrolled(world):
    referral = newcomer(world, children_birth_years=[2016, 2024])
    enrolment, information = db.session.scalars(select(SchoolItem).order_by(SchoolItem.id))
    with pytest.raises(TransitionRefused, match="naam van de school"):
        school.update_item(
            db.session,
            enrolment,
            referral,
            world.toeleider,
            NOW,
            status=SchoolItemStatus.ENROLLED,
            school_name="  ",
            note=None,
        )
    with pytest.raises(TransitionRefused):
        school.update_item(
            db.session,
            information,
            referral,
            world.toeleider,
            NOW,
            status=SchoolItemStatus.ENROLLED,
            school_name="De Brug",
            note=None,
        )


# --- the file page -------------------------------------------------------------------------


def first_item(referral, kind=SchoolItemKind.ENROLMENT) -> SchoolItem:
    db.session.expire_all()
    return db.session.scalars(
        select(SchoolItem)
        .where(SchoolItem.referral_id == referral.id, SchoolItem.kind == kind)
        .order_by(SchoolItem.id)
    ).first()


def post_item(client, referral, item, version=None, **fields):
    prefix = f"school-{item.id}"
    data = {
        f"{prefix}-version": version or str(db.session.get(Referral, referral.id).version),
        f"{prefix}-status": "open",
        f"{prefix}-school_name": "",
        f"{prefix}-note": "",
    }
    data.update({f"{prefix}-{k}": v for k, v in fields.items()})
    return client.post(f"/referrals/{referral.id}/school/{item.id}", data)


def test_the_toeleider_notes_the_school_on_the_file_page_and_the_timeline(client, world):
    referral = newcomer(world)
    item = first_item(referral)
    client.login(world.toeleider.email)
    html = HTMLParser(client.get(f"/referrals/{referral.id}").get_data(as_text=True))
    shown = html.css_first(f"#school-item-{item.id}")
    assert "Kind geboren in 2016" in shown.text()
    assert shown.css_first(".school-status").text() == "nog op te volgen"
    response = post_item(
        client, referral, item, status="enrolled", school_name="GO! Atheneum", note="1ste leerjaar"
    )
    assert response.status_code == 303
    page = HTMLParser(client.get(f"/referrals/{referral.id}").get_data(as_text=True))
    line = page.css_first(f"#school-item-{item.id}")
    assert line.css_first(".school-status").text() == "ingeschreven in een school"
    assert "GO! Atheneum" in line.text()
    feed = page.css_first("#tijdlijn").text()
    assert "Leerplicht bijgewerkt" in feed and "GO! Atheneum" in feed


def test_enrolled_without_a_school_gives_a_dutch_error_next_to_the_field_and_keeps_the_form(
    client, world
):
    referral = newcomer(world)
    item = first_item(referral)
    client.login(world.toeleider.email)
    response = post_item(client, referral, item, status="enrolled", note="Getypt en bewaard")
    assert response.status_code == 422
    html = HTMLParser(response.get_data(as_text=True))
    error = html.css_first(f"#school-{item.id}-school_name-error")
    assert error.text() == "Vul de naam van de school in."
    assert html.css_first(f"#school-{item.id}-note").attributes["value"] == "Getypt en bewaard"
    assert "open" in html.css_first(f"#school-item-{item.id} details").attributes
    assert first_item(referral).status == "open"


def test_a_status_that_is_not_offered_is_refused_next_to_the_field(client, world):
    referral = newcomer(world, children_birth_years=[2024])
    item = first_item(referral, SchoolItemKind.INFORMATION)
    client.login(world.toeleider.email)
    response = post_item(client, referral, item, status="enrolled", school_name="De Brug")
    assert response.status_code == 422
    html = HTMLParser(response.get_data(as_text=True))
    assert html.css_first(f"#school-{item.id}-status-error").text() == "Ongeldige keuze."
    assert first_item(referral, SchoolItemKind.INFORMATION).status == "open"


def test_a_form_read_before_another_change_is_refused_and_kept(client, world):
    referral = newcomer(world)
    item = first_item(referral)
    client.login(world.toeleider.email)
    stale = str(db.session.get(Referral, referral.id).version)
    assert post_item(client, referral, item, status="referred_education_desk").status_code == 303
    response = post_item(
        client, referral, item, version=stale, status="enrolled", school_name="Typed School"
    )
    assert response.status_code == 409
    html = HTMLParser(response.get_data(as_text=True))
    assert "Iemand anders wijzigde" in html.css_first("#action-refused").text()
    typed = html.css_first(f'input[name="school-{item.id}-school_name"]')
    assert typed.attributes["value"] == "Typed School"
    assert first_item(referral).status == "referred_education_desk"


def test_an_item_of_another_file_is_not_reached_through_this_one(client, world):
    referral = newcomer(world)
    other = newcomer(world, full_name="Ander Gezin", phone="+32470999999")
    item = first_item(other)
    client.login(world.toeleider.email)
    response = client.post(
        f"/referrals/{referral.id}/school/{item.id}",
        {f"school-{item.id}-status": "not_applicable"},
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("desk", 403),
        ("admin", 403),
        ("partner", 403),
        ("other_toeleider", 409),  # sees the file, but it is not theirs
        ("outsider_toeleider", 404),  # does not even see it
        ("lead", 303),
        ("toeleider", 303),
    ],
)
def test_who_may_update_a_childs_school_item(client, world, who, status):
    people = {
        "desk": world.desk,
        "admin": world.admin,
        "lead": world.lead,
        "toeleider": world.toeleider,
        "partner": add_user(
            db.session, "an@partner.be", [Role.PARTNER], [world.municipality], world.partner
        ),
        "other_toeleider": add_user(
            db.session, "t2@lindeveld.be", [Role.TOELEIDER], [world.municipality]
        ),
        "outsider_toeleider": add_user(
            db.session, "t@beekmere.be", [Role.TOELEIDER], [world.other_municipality]
        ),
    }
    db.session.commit()
    referral = newcomer(world)
    item = first_item(referral)
    client.login(people[who].email)
    response = post_item(client, referral, item, status="not_applicable")
    assert response.status_code == status
    expected = "not_applicable" if status == 303 else "open"
    assert first_item(referral).status == expected


# --- the lead's list -----------------------------------------------------------------------


def test_the_lead_lists_children_without_known_school_overdue_first(client, world):
    early = newcomer(world, at=NOW - timedelta(days=40), children_birth_years=[2015])
    late = newcomer(
        world, full_name="Later Gezin", phone="+32470111111", children_birth_years=[2017]
    )
    known = newcomer(world, full_name="Gekend Gezin", phone="+32470222222")
    for item in db.session.scalars(select(SchoolItem).where(SchoolItem.referral_id == known.id)):
        school.update_item(
            db.session,
            item,
            known,
            world.toeleider,
            NOW,
            status=SchoolItemStatus.ENROLLED,
            school_name="De Brug",
            note=None,
        )
    referred = first_item(late)
    school.update_item(
        db.session,
        referred,
        late,
        world.toeleider,
        NOW,
        status=SchoolItemStatus.REFERRED_AGII,
        school_name=None,
        note=None,
    )
    db.session.commit()
    client.login(world.lead.email)
    response = client.get("/lead/children-without-school")
    assert response.status_code == 200
    rows = HTMLParser(response.get_data(as_text=True)).css("table.children-without-school tbody tr")
    cells = [[td.text(strip=True) for td in row.css("td")] for row in rows]
    assert [(c[0], c[2], c[3]) for c in cells] == [
        (early.reference, "2015", "nog op te volgen"),
        (late.reference, "2017", "doorverwezen naar Agii"),
    ]
    assert rows[0].attributes.get("class") == "overdue"
    assert "over tijd" in cells[0][4] and "over tijd" not in cells[1][4]
    logged = db.session.scalars(
        select(AccessLogEntry.referral_id).where(AccessLogEntry.action == "children_without_school")
    ).all()
    assert sorted(logged) == sorted([early.id, late.id])


@pytest.mark.parametrize("who", ["desk", "toeleider", "admin", "partner"])
def test_only_a_lead_sees_the_list_of_children_without_school(client, world, who):
    partner = add_user(
        db.session, "an@partner.be", [Role.PARTNER], [world.municipality], world.partner
    )
    db.session.commit()
    newcomer(world)
    user = partner if who == "partner" else getattr(world, who)
    client.login(user.email)
    assert client.get("/lead/children-without-school").status_code == 403


def test_the_admin_changes_the_number_of_days_and_new_items_follow_it(client, world):
    client.login(world.admin.email)
    page = HTMLParser(client.get("/admin/settings").get_data(as_text=True))
    assert page.css_first("#school_enrolment_days").attributes["value"] == "30"
    values = {
        i.attributes["name"]: i.attributes.get("value") or ""
        for i in page.css("form input")
        if i.attributes.get("name") != "csrf_token"
    }
    values["school_enrolment_days"] = "nul"
    refused = client.post("/admin/settings", values)
    assert refused.status_code == 422
    values["school_enrolment_days"] = "10"
    assert client.post("/admin/settings", values).status_code == 303
    referral = newcomer(world)
    assert first_item(referral).due_on == TODAY + timedelta(days=10)


def test_the_persons_export_holds_the_school_items_and_anonymising_erases_their_texts(
    client, world
):
    referral = newcomer(world, children_birth_years=[2016])
    item = first_item(referral)
    school.update_item(
        db.session,
        item,
        referral,
        world.toeleider,
        NOW,
        status=SchoolItemStatus.ENROLLED,
        school_name="De Brug",
        note="Mama brengt hem",
    )
    db.session.commit()
    client.login(world.toeleider.email)
    data = client.get(f"/privacy/files/{referral.id}/export.json").get_json()
    assert data["dossiers"][0]["leerplicht"] == [
        {
            "wat": "schoolinschrijving",
            "tegen": "2026-12-26",
            "status": "ingeschreven in een school",
            "school": "De Brug",
            "notitie": "Mama brengt hem",
        }
    ]
    anonymise(db.session, [referral.id], actor=world.lead, at=NOW, reason="bewaartermijn")
    db.session.commit()
    item = first_item(referral)
    assert (item.school_name, item.note, item.status) == (None, None, "enrolled")
