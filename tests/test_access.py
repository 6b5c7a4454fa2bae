"""Who may call which route: one matrix over every route and role."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.access import Permission, can, can_view_referral
from portal.extensions import db
from portal.models import AccessLogEntry

from .factories import add_referral

PAGES = ["/desk/", "/admin/", "/admin/users/", "/admin/c/municipalities/", "/admin/c/languages/new"]


def test_every_route_but_login_and_static_needs_a_login(app, client, world):
    referral = add_referral(db.session, world)
    for rule in app.url_map.iter_rules():
        # The calendar feed is authenticated by its secret address (tested in test_agenda).
        public = {
            "static",
            "auth.login",
            "auth.login_page",
            "auth.logout",
            "auth.home",
            "agenda.feed",
            "health.healthz",  # for a proxy or an orchestrator: no personal data
            "health.readyz",
        }
        if rule.endpoint in public:
            continue
        values = {arg: 1 for arg in rule.arguments}
        values.update(
            {"referral_id": referral.id, "slug": "themes", "key": "1", "field_name": "phone"}
        )
        with app.test_request_context():
            path = app.url_for(
                rule.endpoint, **{k: v for k, v in values.items() if k in rule.arguments}
            )
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = client.client.open(path, method=method)
            assert response.status_code in (302, 401), (method, path, response.status_code)
            if response.status_code == 302:
                assert "/login" in response.headers["Location"]


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("desk", {"/desk/"}),
        ("toeleider", {"/desk/"}),
        ("lead", {"/desk/"}),
        (
            "admin",
            {"/admin/", "/admin/users/", "/admin/c/municipalities/", "/admin/c/languages/new"},
        ),
    ],
)
def test_each_role_reaches_its_own_pages_only(client, world, who, allowed):
    client.login(getattr(world, who).email)
    for page in PAGES:
        expected = 200 if page in allowed else 403
        assert client.get(page).status_code == expected, (who, page)


def test_admin_is_not_a_desk_worker_by_default(world):
    assert not can(world.admin, Permission.INTAKE)
    assert can(world.admin, Permission.ADMINISTER)


def test_toeleider_and_lead_see_files_of_their_municipalities_only(world):
    home = add_referral(db.session, world)
    elsewhere = add_referral(
        db.session,
        world,
        by=world.outsider,
        municipality_id=world.other_municipality.id,
        source_service_id=world.other_service.id,
    )
    today = home.created_at.date()
    assert can_view_referral(world.toeleider, home, today)
    assert not can_view_referral(world.toeleider, elsewhere, today)
    assert can_view_referral(world.lead, elsewhere, today)  # the lead covers both
    assert not can_view_referral(world.outsider, home, today)


def test_referral_page_is_logged_for_every_view(client, world):
    referral = add_referral(db.session, world)
    client.login(world.toeleider.email)
    assert client.get(f"/referrals/{referral.id}").status_code == 200
    assert client.get(f"/referrals/{referral.id}").status_code == 200
    entries = db.session.scalars(select(AccessLogEntry)).all()
    assert [(e.user_id, e.action) for e in entries] == [(world.toeleider.id, "view")] * 2


def test_file_of_another_municipality_is_not_found_rather_than_forbidden(client, world):
    referral = add_referral(db.session, world)
    client.login(world.outsider.email)
    assert client.get(f"/referrals/{referral.id}").status_code == 404
    assert db.session.scalars(select(AccessLogEntry)).all() == []


def test_pages_with_personal_data_are_not_cached(as_desk):
    response = as_desk.get("/desk/")
    assert response.headers["Cache-Control"] == "no-store"
    assert "HX-Request" in response.headers["Vary"]
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


HUGE = "99999999999999999999"


def test_ids_too_large_for_the_database_are_not_found_rather_than_errors(client, world, app):
    client.login(world.admin.email)
    for path in (
        f"/admin/users/{HUGE}",
        f"/admin/c/services/{HUGE}",
        f"/admin/users/{HUGE}/password",
    ):
        assert client.get(path).status_code == 404, path
    client.post("/logout", {})
    client.login(world.toeleider.email)
    for path in (
        f"/referrals/{HUGE}",
        f"/queue/letters/print?id={HUGE}",
        f"/queue/?municipality={HUGE}",
        "/agenda/?day=9999-12-31&view=week",
        "/agenda/?day=0001-01-01&view=week",
    ):
        assert client.get(path).status_code in (200, 404), path
    assert client.post(f"/queue/{HUGE}/claim", {}).status_code == 404
    assert client.post(f"/referrals/{HUGE}/close", {}).status_code == 404


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("desk", set()),
        ("toeleider", {"/groupwork/activities", "/groupwork/waiting-lists"}),
        ("lead", {"/groupwork/activities", "/groupwork/waiting-lists", "/reports/kpis"}),
        ("admin", {"/admin/c/kpis/", "/admin/c/channels/", "/admin/c/programmes/"}),
    ],
)
def test_group_work_kpis_and_their_catalogues_by_role(client, world, who, allowed):
    client.login(getattr(world, who).email)
    pages = [
        "/groupwork/activities",
        "/groupwork/waiting-lists",
        "/reports/kpis",
        "/admin/c/kpis/",
        "/admin/c/channels/",
        "/admin/c/programmes/",
    ]
    for page in pages:
        expected = 200 if page in allowed else 403
        assert client.get(page).status_code == expected, (who, page)
