"""Partners who refer: they register a referral, follow their own, and hear back."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from selectolax.parser import HTMLParser
from sqlalchemy import select

from portal.extensions import db
from portal.labels import event_label
from portal.models import (
    AccessLogEntry,
    PartnerFeedback,
    Referral,
    ReferralState,
    Role,
    Service,
    TimelineEvent,
    User,
)
from portal.partners.status import PLAIN_STATUS, plain_status_label
from portal.referrals import lifecycle
from portal.reports.sources import referrals_by_source

from .conftest import NOW
from .factories import add_referral, add_user
from .test_admin import new_user_form
from .test_intake import valid_intake


@pytest.fixture
def as_partner(client, partner):
    client.login(partner.email)
    return client


def rows(html: str) -> list[dict[str, str]]:
    """The partner's list as the partner reads it: one dict per referral."""
    table = HTMLParser(html).css_first("table.partner-referrals")
    if table is None:
        return []
    heads = [th.text(strip=True) for th in table.css("thead th")]
    return [
        dict(zip(heads, (td.text(strip=True) for td in tr.css("td")), strict=True))
        for tr in table.css("tbody tr")
    ]


def partner_intake(world, **changes):
    # The partner's form sends their organisation as the source, in a hidden field.
    return valid_intake(world, **({"source_service": str(world.partner.id)} | changes))


def test_a_partner_lands_on_their_referrals(as_partner):
    response = as_partner.get("/", follow_redirects=True)
    assert response.request.path == "/partner/"
    assert HTMLParser(response.get_data(as_text=True)).css_first("h1").text() == (
        "Mijn doorverwijzingen"
    )


def test_a_partner_registers_a_referral_that_enters_the_queue_from_their_organisation(
    as_partner, world, partner
):
    form_page = HTMLParser(as_partner.get("/partner/new").get_data(as_text=True))
    # The source is shown, not chosen; no look-up of earlier persons, no legal ground.
    assert form_page.css_first("select#source_service") is None
    assert form_page.css_first("input[name=source_service]").attributes["value"] == str(
        world.partner.id
    )
    assert form_page.css_first("#duplicates") is None
    assert form_page.css_first("select#legal_basis") is None
    # Another organisation sent in the form is overruled by the partner's own.
    response = as_partner.post(
        "/partner/new", partner_intake(world, source_service=str(world.desk_service.id))
    )
    assert response.status_code == 422  # not one of the choices
    response = as_partner.post("/partner/new", partner_intake(world))
    assert response.status_code == 303
    referral = db.session.scalars(select(Referral)).one()
    assert referral.source_service_id == world.partner.id
    assert referral.created_by_id == partner.id
    assert referral.state == ReferralState.NEW
    assert referral.consent_given and referral.legal_basis == "consent"
    slip = as_partner.get(response.headers["Location"])
    assert slip.status_code == 200
    assert referral.reference in slip.get_data(as_text=True)
    # It waits in the toeleiders' queue like a desk referral.
    as_partner.post("/logout", {})
    as_partner.login(world.toeleider.email)
    queue = as_partner.get("/queue/").get_data(as_text=True)
    assert referral.reference in queue or "Rania Haddad" in queue
    # The file's timeline says who registered it, not "aan het loket".
    events = db.session.scalars(
        select(TimelineEvent.kind).where(TimelineEvent.referral_id == referral.id)
    ).all()
    assert events == ["registered_by_partner"]
    assert event_label(events[0]) == "Doorverwezen door een partner"


def test_the_partner_form_keeps_the_intake_rules(as_partner, world):
    response = as_partner.post("/partner/new", partner_intake(world, consent=None))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Zonder akkoord van de persoon kan er geen doorverwijzing komen." in html
    assert db.session.scalars(select(Referral)).first() is None
    check = as_partner.post("/partner/check/phone", partner_intake(world, phone="12"))
    assert "geen geldig telefoonnummer" in check.get_data(as_text=True)


def test_the_same_form_sent_twice_registers_one_referral(as_partner, world):
    page = HTMLParser(as_partner.get("/partner/new").get_data(as_text=True))
    token = page.css_first("input[name=form_token]").attributes["value"]
    first = as_partner.post("/partner/new", partner_intake(world, form_token=token))
    second = as_partner.post("/partner/new", partner_intake(world, form_token=token))
    assert first.headers["Location"] == second.headers["Location"]
    assert len(db.session.scalars(select(Referral)).all()) == 1


def test_the_list_shows_only_the_organisations_referrals_with_a_plain_status(
    as_partner, world, partner
):
    colleague = add_user(
        db.session, "bo@huisvanhetnederlands.be", [Role.PARTNER], [], world.partner
    )
    db.session.commit()
    own = add_referral(db.session, world, by=colleague, source_service_id=world.partner.id)
    add_referral(db.session, world, full_name="Desk Persoon")  # from the desk
    other_partner = Service(name="OCMW", is_partner=True)
    db.session.add(other_partner)
    db.session.commit()
    add_referral(db.session, world, full_name="Ander Partner", source_service_id=other_partner.id)
    listed = rows(as_partner.get("/partner/").get_data(as_text=True))
    assert [(r["Nummer"], r["Naam"], r["Status"]) for r in listed] == [
        (own.reference, "Rania Haddad", "wacht")
    ]
    for state, word in [
        (ReferralState.CLAIMED, "wacht"),
        (ReferralState.CONTACTED, "gecontacteerd"),
        (ReferralState.SCHEDULED, "gecontacteerd"),
        (ReferralState.HELD, "gesprek gehouden"),
        (ReferralState.FOLLOWING_UP, "gesprek gehouden"),
        (ReferralState.CLOSED, "afgesloten"),
    ]:
        referral = db.session.get(Referral, own.id)
        referral.state = state
        db.session.commit()
        assert rows(as_partner.get("/partner/").get_data(as_text=True))[0]["Status"] == word
    # Showing the names is logged, as every list of residents.
    logged = db.session.scalars(
        select(AccessLogEntry).where(AccessLogEntry.action == "partner_list")
    ).all()
    assert logged and {e.referral_id for e in logged} == {own.id}


def test_every_state_has_a_plain_word():
    assert set(PLAIN_STATUS) == set(ReferralState)
    assert plain_status_label(ReferralState.NEW) == "wacht"


def test_the_toeleiders_feedback_reaches_the_referring_partner(client, world, partner):
    referral = add_referral(db.session, world, by=partner, source_service_id=world.partner.id)
    lifecycle.claim(db.session, referral.id, world.toeleider, NOW)
    db.session.commit()
    client.login(world.toeleider.email)
    file_page = HTMLParser(client.get(f"/referrals/{referral.id}").get_data(as_text=True))
    section = file_page.css_first("#doorverwijzer")
    assert section is not None and section.css_first("form") is not None
    version = section.css_first("input[name='source_feedback-version']").attributes["value"]
    too_long = client.post(
        f"/referrals/{referral.id}/source-feedback",
        {
            "source_feedback-version": version,
            "source_feedback-arrived": "yes",
            "source_feedback-message": "x" * 501,
        },
    )
    assert too_long.status_code == 422
    assert "hoogstens 500 tekens" in too_long.get_data(as_text=True)
    response = client.post(
        f"/referrals/{referral.id}/source-feedback",
        {
            "source_feedback-version": version,
            "source_feedback-arrived": "yes",
            "source_feedback-message": "Ze kwam op gesprek; ze volgt nu Nederlandse les.",
        },
    )
    assert response.status_code == 303
    feedback = db.session.scalars(select(PartnerFeedback)).one()
    assert (feedback.arrived, feedback.author_id) == (True, world.toeleider.id)
    timeline = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert "Terugkoppeling aan de doorverwijzer" in timeline
    assert "de persoon is aangekomen: Ze kwam op gesprek" in timeline
    client.post("/logout", {})
    client.login(partner.email)
    listed = rows(client.get("/partner/").get_data(as_text=True))
    assert "de persoon is aangekomen" in listed[0]["Terugkoppeling"]
    assert "ze volgt nu Nederlandse les" in listed[0]["Terugkoppeling"]


def test_no_feedback_form_on_a_desk_referral_or_for_a_colleague_who_does_not_work_on_it(
    client, world, partner
):
    desk_referral = add_referral(db.session, world)
    client.login(world.lead.email)
    page = HTMLParser(client.get(f"/referrals/{desk_referral.id}").get_data(as_text=True))
    assert page.css_first("#doorverwijzer") is None
    from_partner = add_referral(db.session, world, by=partner, source_service_id=world.partner.id)
    other = add_user(db.session, "t2@lindeveld.be", [Role.TOELEIDER], [world.municipality])
    db.session.commit()
    client.post("/logout", {})
    client.login(other.email)
    page = HTMLParser(client.get(f"/referrals/{from_partner.id}").get_data(as_text=True))
    assert page.css_first("#doorverwijzer form") is None
    refused = client.post(
        f"/referrals/{from_partner.id}/source-feedback",
        {"source_feedback-version": "1", "source_feedback-arrived": "no"},
    )
    assert refused.status_code == 409
    assert db.session.scalars(select(PartnerFeedback)).first() is None


def test_a_partner_reads_no_file_and_no_other_organisations_referral(as_partner, world, partner):
    own = add_referral(db.session, world, by=partner, source_service_id=world.partner.id)
    desk = add_referral(db.session, world, full_name="Desk Persoon")
    for path in [
        f"/referrals/{own.id}",
        f"/referrals/{desk.id}",
        f"/desk/referrals/{own.id}/slip",
        f"/desk/referrals/{desk.id}/slip",
        f"/partner/referrals/{desk.id}/slip",
        "/queue/",
        "/desk/",
        "/lead/",
        "/reports/sources",
        "/admin/",
        f"/search/?q={own.reference}",
    ]:
        assert as_partner.get(path).status_code in (403, 404), path
    assert as_partner.get(f"/partner/referrals/{own.id}/slip").status_code == 200


def test_a_slip_of_a_colleagues_referral_is_not_shown(as_partner, world):
    colleague = add_user(
        db.session, "bo@huisvanhetnederlands.be", [Role.PARTNER], [], world.partner
    )
    db.session.commit()
    theirs = add_referral(db.session, world, by=colleague, source_service_id=world.partner.id)
    assert as_partner.get(f"/partner/referrals/{theirs.id}/slip").status_code == 404


def test_a_partner_account_without_a_partner_organisation_sees_nothing(client, world):
    stray = add_user(db.session, "x@partner.be", [Role.PARTNER], [world.municipality], None)
    db.session.commit()
    add_referral(db.session, world, source_service_id=world.partner.id)
    client.login(stray.email)
    page = client.get("/partner/")
    assert page.status_code == 200 and rows(page.get_data(as_text=True)) == []
    assert client.get("/partner/new").status_code == 403


def test_the_sources_report_counts_partner_referrals_and_sees_a_partner_stop(
    as_partner, world, partner
):
    as_partner.post("/partner/new", partner_intake(world))
    today = NOW.date()
    counted = {
        r.service.id: r for r in referrals_by_source(db.session, [world.municipality.id], today)
    }
    assert counted[world.partner.id].total == 1
    # A steady partner that then fell silent is flagged as stopped.
    for days in (35, 50, 70):
        add_referral(
            db.session,
            world,
            by=partner,
            at=datetime.combine(today, datetime.min.time())
            + timedelta(hours=9)
            - timedelta(days=days),
            source_service_id=world.partner.id,
            registered_on=date(2025, 1, 1),
        )
    later = today + timedelta(days=31)
    row = {
        r.service.id: r for r in referrals_by_source(db.session, [world.municipality.id], later)
    }[world.partner.id]
    assert row.recent == 0 and row.before >= 3 and row.stopped


def test_the_admin_creates_a_partner_account_only_for_a_partner_organisation(client, world):
    client.login(world.admin.email)
    form = new_user_form(world, roles="partner", languages="ar")
    form = [(k, v) for k, v in form if not (k == "roles" and v != "partner")]
    refused = client.post("/admin/users/new", form)
    assert refused.status_code == 422
    assert "Kies de partnerorganisatie" in refused.get_data(as_text=True)
    both = client.post("/admin/users/new", form + [("roles", "desk"), ("service", "")])
    assert both.status_code == 422
    form = [(k, v) for k, v in form if k != "service"] + [("service", str(world.partner.id))]
    assert client.post("/admin/users/new", form).status_code == 303
    user = db.session.scalars(select(User).where(User.email == "nieuw@lindeveld.be")).one()
    assert user.roles == {Role.PARTNER} and user.service_id == world.partner.id
    assert "partner" in client.get("/admin/users/new").get_data(as_text=True)


def test_the_migrated_database_takes_the_partner_role_and_no_unknown_one(empty_database):
    from alembic.command import upgrade
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    from portal import create_app

    from .conftest import app_config
    from .test_migrations import _alembic_config

    app = create_app(app_config(empty_database))
    with app.app_context():
        upgrade(_alembic_config(), "head")
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    'INSERT INTO "user" (id, email, full_name, password_hash, active, version, '
                    "created_at) VALUES (1, 'p@x.be', 'P', 'x', :t, 1, :at)"
                ),
                {"t": True, "at": datetime(2026, 12, 1)},
            )
            conn.execute(text("INSERT INTO user_role (user_id, role) VALUES (1, 'partner')"))
        with pytest.raises(IntegrityError), db.engine.begin() as conn:
            conn.execute(text("INSERT INTO user_role (user_id, role) VALUES (1, 'superuser')"))
        db.engine.dispose()
