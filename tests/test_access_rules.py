"""Access that holds: nobody raises their own rights, admins do not read files, and a
toeleider taken off a municipality leaves its residents behind."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from portal import access
from portal.access import PUBLIC_ENDPOINTS, REQUIRED_ATTRIBUTE, ROLE_PERMISSIONS, SIGNED_IN
from portal.extensions import db
from portal.models import (
    AdminLogEntry,
    Appointment,
    AppointmentStatus,
    Referral,
    ReferralState,
    Role,
    Signal,
    Theme,
    TimelineEvent,
    User,
)

from .factories import add_referral, add_user


def _version(client, user_id: int) -> str:
    page = client.get(f"/admin/users/{user_id}").get_data(as_text=True)
    return re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)


def _user_form(user: User, version: str, **changes) -> list[tuple[str, str]]:
    roles = changes.pop("roles", [r.value for r in user.roles])
    municipalities = changes.pop("municipalities", [m.id for m in user.municipalities])
    form = [
        ("email", user.email),
        ("full_name", user.full_name),
        ("service", str(user.service_id or 0)),
        ("version", version),
        *[("roles", r) for r in roles],
        *[("municipalities", str(m)) for m in municipalities],
        *[("languages", lang.code) for lang in user.languages],
    ]
    return form + list(changes.items())


def _error(html: str, field: str) -> str:
    match = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', html)
    return match.group(1) if match else ""


def test_an_admin_cannot_give_themself_the_lead_role_or_a_municipality(client, world):
    client.login(world.admin.email)
    version = _version(client, world.admin.id)
    response = client.post(
        f"/admin/users/{world.admin.id}", _user_form(world.admin, version, roles=["admin", "lead"])
    )
    assert response.status_code == 422
    assert "eigen rollen niet wijzigen" in _error(response.get_data(as_text=True), "roles")
    response = client.post(
        f"/admin/users/{world.admin.id}",
        _user_form(world.admin, version, municipalities=[world.municipality.id]),
    )
    assert "eigen gemeenten niet wijzigen" in _error(
        response.get_data(as_text=True), "municipalities"
    )
    db.session.refresh(world.admin)
    assert world.admin.roles == {Role.ADMIN}
    assert world.admin.municipalities == []


def test_an_admin_may_still_change_their_own_name(client, world):
    client.login(world.admin.email)
    version = _version(client, world.admin.id)
    form = [(k, v) for k, v in _user_form(world.admin, version) if k != "full_name"]
    response = client.post(f"/admin/users/{world.admin.id}", [*form, ("full_name", "B. Beheer")])
    assert response.status_code == 303
    db.session.refresh(world.admin)
    assert world.admin.full_name == "B. Beheer"


def test_no_account_holds_admin_together_with_a_role_that_reads_files(client, world):
    second_admin = add_user(db.session, "admin2@lindeveld.be", [Role.ADMIN], [])
    db.session.commit()
    client.login(second_admin.email)
    version = _version(client, world.admin.id)
    response = client.post(
        f"/admin/users/{world.admin.id}",
        _user_form(world.admin, version, roles=["admin", "toeleider"]),
    )
    assert response.status_code == 422
    assert "Een beheerder kan geen toeleider" in _error(response.get_data(as_text=True), "roles")
    response = client.post(
        "/admin/users/new",
        [
            ("email", "dubbel@lindeveld.be"),
            ("full_name", "Dubbel"),
            ("password", "een-lang-wachtwoord"),
            ("roles", "admin"),
            ("roles", "lead"),
            ("service", "0"),
        ],
    )
    assert response.status_code == 422
    assert db.session.scalar(select(User).where(User.email == "dubbel@lindeveld.be")) is None


def test_an_old_account_with_admin_and_lead_reads_no_files(client, world):
    referral = add_referral(db.session, world)
    world.admin.roles = {Role.ADMIN, Role.LEAD}
    world.admin.municipalities = [world.municipality]
    db.session.commit()
    client.login(world.admin.email)
    assert client.get(f"/referrals/{referral.id}").status_code == 403
    assert client.get("/queue/letters").status_code == 403
    assert client.get("/admin/").status_code == 200


def test_an_admin_neither_deactivates_nor_resets_their_own_account(client, world):
    client.login(world.admin.email)
    client.post(f"/admin/users/{world.admin.id}/active", {})
    response = client.post(
        f"/admin/users/{world.admin.id}/password", {"password": "ander-wachtwoord-1"}
    )
    assert response.status_code == 303
    db.session.refresh(world.admin)
    assert world.admin.active
    client.post("/logout", {})
    assert client.login(world.admin.email, "ander-wachtwoord-1").status_code != 303


def _entries(action: str) -> list[AdminLogEntry]:
    return list(db.session.scalars(select(AdminLogEntry).where(AdminLogEntry.action == action)))


def test_saving_a_user_unchanged_logs_no_change(client, world):
    """Two municipalities come back from the form in another order than they were shown:
    that is no change for the admin log."""
    client.login(world.admin.email)
    version = _version(client, world.lead.id)
    ids = [m.id for m in world.lead.municipalities]
    response = client.post(
        f"/admin/users/{world.lead.id}",
        _user_form(world.lead, version, municipalities=list(reversed(ids))),
    )
    assert response.status_code == 303
    assert _entries("user.update") == []


def test_admin_changes_are_logged_with_old_and_new_values(client, world):
    client.login(world.admin.email)
    version = _version(client, world.toeleider.id)
    client.post(
        f"/admin/users/{world.toeleider.id}",
        _user_form(world.toeleider, version, roles=["toeleider", "lead"]),
    )
    client.post(f"/admin/users/{world.desk.id}/active", {"version": str(world.desk.version)})
    client.post(f"/admin/users/{world.desk.id}/password", {"password": "geheim-wachtwoord-9"})
    client.post("/admin/c/themes/new", {"name": "Mobiliteit", "position": "4"})
    [update] = _entries("user.update")
    assert update.actor_id == world.admin.id
    assert update.target_id == str(world.toeleider.id)
    assert ["roles", "toeleider", "lead, toeleider"] in json.loads(update.changes)
    [deactivated] = _entries("user.deactivate")
    assert json.loads(deactivated.changes) == [["active", True, False]]
    [password] = _entries("user.password")
    assert password.changes is None  # that it changed, never the value
    [theme] = _entries("catalogue.create")
    assert theme.target_kind == "themes" and theme.target_label == "Mobiliteit"
    assert ["name", None, "Mobiliteit"] in json.loads(theme.changes)
    assert all(e.address == "127.0.0.1" for e in db.session.scalars(select(AdminLogEntry)))


def test_settings_and_signal_status_changes_are_logged(client, world):
    theme = Theme(name="Wonen")
    db.session.add(theme)
    db.session.flush()
    signal = Signal(
        municipality_id=world.municipality.id,
        theme_id=theme.id,
        description="Geen sociale woningen",
        created_by_id=world.lead.id,
        created_at=datetime(2026, 11, 1, 9, 0),
    )
    db.session.add(signal)
    db.session.commit()
    client.login(world.lead.email)
    client.post(f"/lead/signals/{signal.id}", {"status": "brought_to_board", "answer": ""})
    [entry] = _entries("signal.status")
    assert json.loads(entry.changes) == [["status", "new", "brought_to_board"]]
    assert entry.actor_id == world.lead.id


def _holder(world):
    """A toeleider of both municipalities, holding files in the second one."""
    both = add_user(
        db.session,
        "twee@lindeveld.be",
        [Role.TOELEIDER],
        [world.municipality, world.other_municipality],
        name="Tine Twee",
    )
    colleague = add_user(
        db.session,
        "collega@beekmere.be",
        [Role.TOELEIDER],
        [world.other_municipality],
        name="Cas Collega",
    )
    db.session.commit()
    claimed = add_referral(
        db.session,
        world,
        by=world.outsider,
        municipality_id=world.other_municipality.id,
        source_service_id=world.other_service.id,
    )
    claimed.state, claimed.owner_id = ReferralState.CLAIMED.value, both.id
    scheduled = add_referral(
        db.session,
        world,
        by=world.outsider,
        municipality_id=world.other_municipality.id,
        source_service_id=world.other_service.id,
        full_name="Olena Koval",
        phone="+32470999888",
    )
    scheduled.state, scheduled.owner_id = ReferralState.SCHEDULED.value, both.id
    starts = datetime(2026, 11, 30, 10, 0)
    appointment = Appointment(
        referral=scheduled,
        toeleider_id=both.id,
        kind="welcome",
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        place="Loket",
        status=AppointmentStatus.PLANNED.value,
        created_by_id=both.id,
        created_at=datetime(2026, 11, 20, 9, 0),
    )
    db.session.add(appointment)
    db.session.commit()
    return both, colleague, claimed, scheduled, appointment


def test_removing_a_municipality_asks_where_its_files_go(client, world):
    both, colleague, claimed, scheduled, appointment = _holder(world)
    client.login(world.admin.email)
    version = _version(client, both.id)
    form = _user_form(both, version, municipalities=[world.municipality.id])
    asked = client.post(f"/admin/users/{both.id}", form)
    assert asked.status_code == 422
    html = asked.get_data(as_text=True)
    assert "Tine Twee heeft 2 open dossiers en 1 geplande afspraak" in html
    assert "Overdragen aan Cas Collega" in html
    refused = client.post(f"/admin/users/{both.id}", [*form, ("handover", "queue")])
    assert "1 dossier heeft al een gesprek gepland" in _error(
        refused.get_data(as_text=True), "handover"
    )
    db.session.refresh(both)
    assert len(both.municipalities) == 2  # nothing was saved

    done = client.post(f"/admin/users/{both.id}", [*form, ("handover", str(colleague.id))])
    assert done.status_code == 303
    db.session.expire_all()
    assert [m.id for m in both.municipalities] == [world.municipality.id]
    assert db.session.get(Referral, claimed.id).owner_id == colleague.id
    assert db.session.get(Referral, scheduled.id).owner_id == colleague.id
    assert db.session.get(Appointment, appointment.id).toeleider_id == colleague.id
    kinds = set(
        db.session.scalars(
            select(TimelineEvent.kind).where(TimelineEvent.referral_id == scheduled.id)
        )
    )
    assert {"reassigned", "appointment_moved"} <= kinds


def test_files_returned_to_the_queue_wait_there_again(client, world):
    both, _colleague, claimed, scheduled, appointment = _holder(world)
    db.session.delete(appointment)
    scheduled.state = ReferralState.CLOSED.value
    db.session.commit()
    client.login(world.admin.email)
    version = _version(client, both.id)
    form = _user_form(both, version, municipalities=[world.municipality.id])
    response = client.post(f"/admin/users/{both.id}", [*form, ("handover", "queue")])
    assert response.status_code == 303
    db.session.expire_all()
    returned = db.session.get(Referral, claimed.id)
    assert returned.state == ReferralState.NEW.value and returned.owner_id is None


def test_lists_show_only_files_of_the_users_municipalities(client, world):
    both, _colleague, claimed, scheduled, appointment = _holder(world)
    # As data from before the hand-over rule: the municipality is gone, the files are not.
    both.municipalities = [world.municipality]
    claimed.needs_letter = True
    db.session.commit()
    client.login(both.email)
    for path in ("/queue/mine", "/queue/letters", "/agenda/?day=2026-11-30&view=week"):
        html = client.get(path).get_data(as_text=True)
        assert claimed.reference not in html and scheduled.reference not in html, path
    assert client.get(f"/referrals/{claimed.id}").status_code in (403, 404)


def test_every_route_declares_who_may_call_it(app):
    """Built from the URL map: a new route without a rule in the access module fails here."""
    undeclared = [
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in PUBLIC_ENDPOINTS
        and not hasattr(app.view_functions[rule.endpoint], REQUIRED_ATTRIBUTE)
    ]
    assert undeclared == []


ROLES = [Role.DESK, Role.TOELEIDER, Role.LEAD, Role.ADMIN]
# Routes every signed-in user may call that end the caller's own login.
ENDS_OWN_LOGINS = {"auth.logout_everywhere"}


@pytest.mark.parametrize("role", ROLES, ids=[r.value for r in ROLES])
def test_each_role_is_refused_exactly_the_routes_its_permissions_do_not_cover(
    app, client, world, role
):
    user = add_user(db.session, f"{role.value}-matrix@lindeveld.be", [role], [world.municipality])
    db.session.commit()
    referral = add_referral(db.session, world)
    client.login(user.email)
    checked = 0
    for rule in app.url_map.iter_rules():
        required = getattr(app.view_functions[rule.endpoint], REQUIRED_ATTRIBUTE, None)
        if required is None or rule.endpoint == "auth.no_role":
            continue
        values = {arg: 1 for arg in rule.arguments}
        values.update(
            {"referral_id": referral.id, "slug": "themes", "key": "1", "field_name": "phone"}
        )
        values.update({"kind": "unclaimed"} if rule.endpoint == "lead.referral_list" else {})
        with app.test_request_context():
            path = app.url_for(rule.endpoint, **{k: values[k] for k in rule.arguments})
        allowed = required == SIGNED_IN or required in ROLE_PERMISSIONS[role]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if method == "POST":  # with a token: the CSRF check comes before the access check
                status = client.post(path, {}).status_code
                if rule.endpoint in ENDS_OWN_LOGINS:
                    assert client.get("/desk/").status_code == 302  # logged out indeed
                    client.login(user.email)
            else:
                status = client.client.open(path, method=method).status_code
            assert (status == 403) is (not allowed), (role, method, path, status)
            checked += 1
    assert checked > 60


def test_rules_that_lived_in_views_are_asked_of_the_access_module(world):
    referral = add_referral(db.session, world)
    signal = Signal(
        municipality_id=world.municipality.id,
        theme_id=1,
        description="x",
        created_by_id=world.lead.id,
        created_at=datetime(2026, 11, 1),
    )
    assert access.may_change_signal(world.lead, signal)
    assert not access.may_change_signal(world.toeleider, signal)
    assert access.report_scope(world.lead, world.other_municipality.id) == (
        [world.other_municipality.id],
        world.other_municipality.id,
    )
    assert access.report_scope(world.lead, 999)[1] is None
    referral.owner_id = world.toeleider.id
    assert access.owns_or_leads(world.toeleider, referral)
    world.toeleider.municipalities = []
    assert not access.owns_or_leads(world.toeleider, referral)
