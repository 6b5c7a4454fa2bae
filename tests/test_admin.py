"""Admin screens: users and the catalogues."""

from __future__ import annotations

import re

from selectolax.parser import HTMLParser
from sqlalchemy import select

from portal.extensions import db
from portal.models import (
    Language,
    MonitoringParameter,
    Municipality,
    Referral,
    Role,
    Service,
    Theme,
    User,
)

from .conftest import Browserless
from .factories import add_user


def as_admin(client, world):
    client.login(world.admin.email)
    return client


def new_user_form(world, **changes):
    data = [
        ("email", "nieuw@lindeveld.be"),
        ("full_name", "Nadia Nieuw"),
        ("password", "een-lang-wachtwoord"),
        ("roles", "toeleider"),
        ("roles", "desk"),
        ("municipalities", str(world.municipality.id)),
        ("service", str(world.desk_service.id)),
        ("languages", "ar"),
        ("languages", "fr"),
    ]
    return [(k, v) for k, v in data if k not in changes] + list(changes.items())


def test_admin_creates_a_user_with_several_roles_and_languages(client, world):
    as_admin(client, world)
    response = client.post("/admin/users/new", new_user_form(world))
    assert response.status_code == 303
    user = db.session.scalars(select(User).where(User.email == "nieuw@lindeveld.be")).one()
    assert user.roles == {Role.TOELEIDER, Role.DESK}
    assert {lang.code for lang in user.languages} == {"ar", "fr"}
    assert [m.name for m in user.municipalities] == ["Lindeveld"]
    client.post("/logout", {})
    assert client.login("nieuw@lindeveld.be", "een-lang-wachtwoord").status_code == 303


def test_duplicate_email_short_password_and_no_role_are_refused_in_dutch(client, world):
    as_admin(client, world)
    for changes, message in [
        ({"email": world.desk.email}, "Er is al een gebruiker met dit e-mailadres."),
        ({"password": "kort"}, "Een wachtwoord telt minstens 12 tekens."),
        ({"roles": "superuser"}, None),
    ]:
        form = new_user_form(world, **changes)
        if "roles" in changes:
            form = [(k, v) for k, v in form if not (k == "roles" and v != "superuser")]
        response = client.post("/admin/users/new", form)
        assert response.status_code == 422
        if message:
            assert message in response.get_data(as_text=True)


def test_admin_edits_roles_and_languages(client, world):
    as_admin(client, world)
    page = client.get(f"/admin/users/{world.toeleider.id}").get_data(as_text=True)
    version = re.search(r'id="version" name="version" type="hidden" value="(\d+)"', page).group(1)
    response = client.post(
        f"/admin/users/{world.toeleider.id}",
        [
            ("email", world.toeleider.email),
            ("full_name", "Samira T."),
            ("roles", "toeleider"),
            ("roles", "lead"),
            ("municipalities", str(world.municipality.id)),
            ("service", "0"),
            ("languages", "ti"),
            ("version", version),
        ],
    )
    assert response.status_code == 303
    db.session.refresh(world.toeleider)
    assert world.toeleider.roles == {Role.TOELEIDER, Role.LEAD}
    assert [lang.code for lang in world.toeleider.languages] == ["ti"]


def test_two_admins_editing_one_user_never_overwrite_each_other(client, world):
    as_admin(client, world)
    page = client.get(f"/admin/users/{world.desk.id}").get_data(as_text=True)
    version = re.search(r'id="version" name="version" type="hidden" value="(\d+)"', page).group(1)
    form = [("email", world.desk.email), ("roles", "desk"), ("service", "0"), ("version", version)]
    first = client.post(f"/admin/users/{world.desk.id}", [*form, ("full_name", "Eerste Versie")])
    second = client.post(f"/admin/users/{world.desk.id}", [*form, ("full_name", "Tweede Versie")])
    assert first.status_code == 303
    assert second.status_code == 409
    html = second.get_data(as_text=True)
    assert "Iemand anders wijzigde deze gebruiker intussen" in html
    assert "Eerste Versie" in html  # the newer version is shown
    db.session.refresh(world.desk)
    assert world.desk.full_name == "Eerste Versie"


def test_a_user_form_read_before_a_colleague_changed_only_the_languages_is_refused(
    app, client, world
):
    colleague = add_user(db.session, "admin2@lindeveld.be", [Role.ADMIN], [])
    db.session.commit()
    person = world.toeleider
    page = as_admin(client, world).get(f"/admin/users/{person.id}").get_data(as_text=True)
    seen = re.search(r'id="version" name="version" type="hidden" value="(\d+)"', page).group(1)
    form = [
        ("email", person.email),
        ("roles", "toeleider"),
        ("municipalities", str(world.municipality.id)),
        ("service", str(person.service_id)),
        ("version", seen),
    ]
    other = Browserless(app)
    other.login(colleague.email)
    saved = other.post(
        f"/admin/users/{person.id}",
        [*form, ("full_name", person.full_name), ("languages", "ti"), ("languages", "uk")],
    )
    assert saved.status_code == 303
    stale = client.post(
        f"/admin/users/{person.id}",
        [
            *[(k, v) for k, v in form if k != "municipalities"],
            ("municipalities", str(world.other_municipality.id)),
            ("full_name", "Samira Getypt"),
            ("languages", "fr"),
        ],
    )
    assert stale.status_code == 409
    document = HTMLParser(stale.get_data(as_text=True))
    assert "Iemand anders wijzigde deze gebruiker intussen" in document.css_first(".notice").text()
    assert document.css_first("#full_name").attributes["value"] == "Samira Getypt"
    checked = {i.attributes["value"] for i in document.css('input[name="languages"][checked]')}
    assert checked == {"fr"}  # what the admin ticked is kept, to save again after a look
    db.session.expire_all()
    stored = db.session.get(User, person.id)
    assert {lang.code for lang in stored.languages} == {"ti", "uk"}
    assert [m.name for m in stored.municipalities] == ["Lindeveld"]


def test_deactivating_and_resetting_a_password(client, world):
    as_admin(client, world)
    client.post(f"/admin/users/{world.desk.id}/active", {"version": str(world.desk.version)})
    db.session.refresh(world.desk)
    assert world.desk.active is False
    client.post(f"/admin/users/{world.desk.id}/active", {"version": str(world.desk.version)})
    response = client.post(
        f"/admin/users/{world.desk.id}/password", {"password": "nieuw-wachtwoord-1"}
    )
    assert response.status_code == 303
    client.post("/logout", {})
    assert client.login(world.desk.email, "nieuw-wachtwoord-1").status_code == 303


def test_municipality_needs_a_five_digit_nis_code_and_a_unique_name(client, world):
    as_admin(client, world)
    bad = client.post(
        "/admin/c/municipalities/new", {"name": "Nieuwdorp", "nis_code": "12", "active": "y"}
    )
    assert "Een NIS-code telt vijf cijfers." in bad.get_data(as_text=True)
    same = client.post(
        "/admin/c/municipalities/new", {"name": "Lindeveld", "nis_code": "12345", "active": "y"}
    )
    assert same.status_code == 422
    assert "Dit bestaat al" in same.get_data(as_text=True)
    ok = client.post(
        "/admin/c/municipalities/new", {"name": "Nieuwdorp", "nis_code": "12345", "active": "y"}
    )
    assert ok.status_code == 303
    assert (
        db.session.scalar(select(Municipality).where(Municipality.nis_code == "12345")).name
        == "Nieuwdorp"
    )


def test_partner_for_all_municipalities(client, world):
    as_admin(client, world)
    client.post(
        "/admin/c/services/new",
        {"name": "VDAB", "is_partner": "y", "municipality_id": "0", "active": "y"},
    )
    vdab = db.session.scalar(select(Service).where(Service.name == "VDAB"))
    assert vdab.is_partner and vdab.municipality_id is None


def test_theme_can_be_renamed_and_deactivated(client, world):
    theme = Theme(name="Wonen", position=10)
    db.session.add(theme)
    db.session.commit()
    as_admin(client, world)
    assert (
        client.post(
            f"/admin/c/themes/{theme.id}", {"name": "Wonen en energie", "position": "5"}
        ).status_code
        == 303
    )
    db.session.refresh(theme)
    assert (theme.name, theme.position, theme.active) == ("Wonen en energie", 5, False)


def test_languages_come_from_cldr_with_dutch_names(client, world):
    as_admin(client, world)
    page = client.get("/admin/c/languages/new").get_data(as_text=True)
    assert '<option value="Tigrinya (ti)">' in page
    assert '<option value="Dari (fa-AF)">' in page
    response = client.post(
        "/admin/c/languages/new",
        {"code": "Dari (fa-AF)", "active": "y"},
    )
    assert response.status_code == 303
    dari = db.session.get(Language, "fa-AF")
    assert (dari.name, dari.active) == ("Dari", True)
    by_name = client.post("/admin/c/languages/new", {"code": "pasjtoe", "active": "y"})
    assert by_name.status_code == 303
    assert db.session.get(Language, "ps").name == "Pasjtoe"


def test_unknown_language_is_refused(client, world):
    as_admin(client, world)
    response = client.post("/admin/c/languages/new", {"code": "Elfentaal", "active": "y"})
    assert response.status_code == 422
    assert "Onbekende taal" in response.get_data(as_text=True)


def test_inactive_language_is_not_offered_at_the_desk(client, world):
    db.session.get(Language, "ti").active = False
    db.session.commit()
    client.login(world.desk.email)
    page = client.get("/desk/").get_data(as_text=True)
    assert '<option value="Tigrinya">' not in page
    assert '<option value="Arabisch">' in page


def test_changing_the_queue_weights_reorders_waiting_referrals(client, world):
    from datetime import datetime

    from .factories import add_referral

    early = add_referral(
        db.session,
        world,
        at=datetime(2026, 11, 20, 9),
        full_name="Vroeg Met Werk",
        dutch_difficult=False,
        has_work=True,
        has_children=False,
    )
    late = add_referral(
        db.session,
        world,
        at=datetime(2026, 11, 25, 9),
        full_name="Laat Met Kinderen",
        dutch_difficult=False,
        has_work=True,
        has_children=True,
    )
    assert late.priority_at < early.priority_at  # 7 days for children beat 5 days of waiting
    as_admin(client, world)
    page = client.get("/admin/settings").get_data(as_text=True)
    assert 'value="7"' in page
    response = client.post(
        "/admin/settings",
        {
            "queue_weight_dutch_difficult_days": "14",
            "queue_weight_no_work_days": "7",
            "queue_weight_children_days": "1",
            "letter_after_unreached_attempts": "3",
            "unclaimed_working_days": "3",
            "retention_closed_months": "24",
            "retention_unreached_months": "12",
            "backdating_max_days": "30",
            "session_idle_minutes": "60",
            "desk_reprint_days": "7",
            "school_enrolment_days": "30",
        },
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert (
        db.session.get(Referral, late.id).priority_at
        > db.session.get(Referral, early.id).priority_at
    )


def test_settings_refuse_out_of_range_values(client, world):
    as_admin(client, world)
    response = client.post(
        "/admin/settings",
        {
            "queue_weight_dutch_difficult_days": "-3",
            "queue_weight_no_work_days": "7",
            "queue_weight_children_days": "7",
            "letter_after_unreached_attempts": "0",
            "unclaimed_working_days": "3",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Tussen 0 en 365." in html and "Tussen 1 en 20." in html


def test_monitoring_question_of_kind_choice_needs_choices(client, world):
    as_admin(client, world)
    bad = client.post(
        "/admin/c/parameters/new",
        {
            "question": "Hoe vond u de weg?",
            "kind": "choice",
            "choices_text": "via vrienden",
            "municipality_id": "0",
            "position": "1",
            "active": "y",
        },
    )
    assert "Geef minstens twee keuzes" in bad.get_data(as_text=True)
    ok = client.post(
        "/admin/c/parameters/new",
        {
            "question": "Hoe vond u de weg?",
            "kind": "choice",
            "choices_text": "via vrienden\nvia loket",
            "municipality_id": str(world.municipality.id),
            "position": "1",
            "active": "y",
        },
    )
    assert ok.status_code == 303
    parameter = db.session.scalars(select(MonitoringParameter)).one()
    assert (parameter.options, parameter.municipality_id) == (
        ["via vrienden", "via loket"],
        world.municipality.id,
    )
