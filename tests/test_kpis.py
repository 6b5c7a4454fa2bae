"""KPI progress: a hand-built project year where every figure per unit and channel is known."""

from __future__ import annotations

import io
import json
from datetime import date, datetime, timedelta

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from selectolax.parser import HTMLParser
from sqlalchemy import select

from portal.extensions import db
from portal.models import (
    Activity,
    AdminLogEntry,
    Channel,
    ContactAttempt,
    ContactChannel,
    ContactOutcome,
    Kpi,
    PartnerReferral,
    Programme,
    ProgrammePlace,
    Referral,
    Role,
    Service,
    Theme,
)
from portal.referrals.channels import channels_for
from portal.reports.counting import reached_between
from portal.reports.kpis import expected_by, kpi_progress, project_year

from .factories import add_held_appointment, add_partner_referral, add_user, csv_rows
from .factories import add_referral as add_referral_on

YEAR = project_year(10, date(2026, 11, 26), 2025)  # 1 October 2025 - 30 September 2026


def reached(referral, at, actor):
    db.session.add(
        ContactAttempt(
            referral_id=referral.id,
            at=at,
            actor_id=actor.id,
            channel="phone",
            outcome="reached",
            **channels_for(db.session, referral, actor),
        )
    )


def led(referral, day, theme, actor, partner, status="proposed"):
    return add_partner_referral(
        db.session,
        referral,
        partner,
        theme,
        day,
        actor,
        status,
        **channels_for(db.session, referral, actor),
    )


@pytest.fixture
def project(app, world):
    """Lindeveld: A (2 adults, 2 children) and G reached by a toeleider without a team; B
    referred by a partner with a channel; C reached by the jobcoach. D and E were first
    reached outside the year. F lives in Beekmere."""
    toeleiders, jobcoach = Channel(name="Toeleiders"), Channel(name="Jobcoach")
    huis = Channel(name="Huis van het Nederlands")
    db.session.add_all([toeleiders, jobcoach, huis])
    db.session.flush()
    world.toeleider.channel_id = toeleiders.id
    world.partner.channel_id = huis.id
    coach = add_user(
        db.session, "coach@lindeveld.be", [Role.TOELEIDER], [world.municipality], name="Jo Coach"
    )
    coach.channel_id = jobcoach.id
    work, dutch = Theme(name="Werk"), Theme(name="Nederlands", is_dutch_learning=True)
    db.session.add_all([work, dutch])
    db.session.commit()
    new = datetime(2025, 9, 1, 9)

    def add_referral(session, world, **changes):
        changes.setdefault("registered_on", date(2025, 6, 1))
        return add_referral_on(session, world, **changes)

    a = add_referral(db.session, world, at=new, full_name="A")
    b = add_referral(
        db.session,
        world,
        at=new,
        full_name="B",
        adults=1,
        has_children=False,
        children_birth_years=[],
        source_service_id=world.partner.id,
    )
    c = add_referral(
        db.session, world, at=new, full_name="C", adults=1, children_birth_years=[2010]
    )
    d = add_referral(db.session, world, at=new, full_name="D")
    e = add_referral(db.session, world, at=new, full_name="E")
    f = add_referral(
        db.session,
        world,
        by=world.outsider,
        at=new,
        full_name="F",
        municipality_id=world.other_municipality.id,
        source_service_id=world.other_service.id,
    )
    g = add_referral(
        db.session,
        world,
        at=new,
        full_name="G",
        adults=1,
        has_children=False,
        children_birth_years=[],
    )
    reached(a, datetime(2025, 11, 5, 10), world.toeleider)
    reached(a, datetime(2026, 1, 8, 10), world.toeleider)  # a second time: counts once
    reached(b, datetime(2026, 3, 1, 10), world.toeleider)
    reached(c, datetime(2026, 9, 30, 23, 0), coach)
    reached(d, datetime(2026, 10, 1, 0, 0), world.toeleider)  # the next project year
    reached(e, datetime(2025, 9, 15, 10), world.toeleider)  # the year before
    reached(e, datetime(2025, 12, 1, 10), world.toeleider)
    reached(f, datetime(2026, 2, 2, 10), world.lead)
    reached(g, datetime(2026, 2, 2, 10), world.lead)
    led(a, date(2026, 2, 1), work, world.toeleider, world.partner)
    led(a, date(2026, 3, 1), work, world.toeleider, world.partner)  # A counts once
    led(b, date(2026, 4, 1), dutch, world.toeleider, world.partner, "arrived")
    led(c, date(2026, 5, 1), work, coach, world.partner, "arrived")
    led(d, date(2026, 10, 2), work, world.toeleider, world.partner, "arrived")
    add_held_appointment(
        db.session,
        a,
        world.toeleider,
        datetime(2026, 1, 5, 10),
        **channels_for(db.session, a, world.toeleider),
    )
    for day, channel, municipality, n, young, kind in [
        (date(2026, 1, 10), toeleiders, world.municipality, 12, 3, "conversation_table"),
        (date(2026, 6, 1), jobcoach, world.municipality, 20, 15, "sport"),
        (date(2026, 10, 2), jobcoach, world.municipality, 50, 50, "sport"),  # next year
        (date(2026, 6, 1), jobcoach, world.other_municipality, 7, 7, "sport"),
    ]:
        db.session.add(
            Activity(
                municipality_id=municipality.id,
                held_on=day,
                channel_id=channel.id,
                kind=kind,
                title="Activiteit",
                participants=n,
                young_participants=young,
                created_by_id=world.toeleider.id,
                created_at=datetime(2026, 6, 1),
            )
        )
    db.session.commit()
    return {"work": work, "dutch": dutch, "a": a, "b": b, "c": c}


def kpi(kinds=(), **values):
    defaults = dict(name="KPI", target=8, unit="households", rule="reached", start_month=10)
    defaults.update(values)
    item = Kpi(**defaults)
    item.set_activity_kinds(list(kinds))
    db.session.add(item)
    db.session.commit()
    return item


def figures(item, world, both=False):
    ids = [world.municipality.id] + ([world.other_municipality.id] if both else [])
    progress = kpi_progress(db.session, item, ids, YEAR)
    return dict(progress.by_channel), progress


def test_project_year_holds_today_or_starts_in_the_year_asked():
    assert project_year(10, date(2026, 11, 26)).start == date(2026, 10, 1)
    assert project_year(10, date(2026, 9, 30)).start == date(2025, 10, 1)
    assert project_year(1, date(2026, 11, 26)).last_day == date(2026, 12, 31)
    assert YEAR.last_day == date(2026, 9, 30)


def test_households_reached_per_channel(project, world):
    by_channel, progress = figures(kpi(), world)
    assert by_channel == {
        "Toeleiders": 1,
        "Huis van het Nederlands": 1,
        "Jobcoach": 1,
        "zonder kanaal": 1,
    }
    assert progress.total == 4
    assert progress.percent == 50


def test_people_are_the_adults_and_children_the_children_of_the_households(project, world):
    people, _ = figures(kpi(unit="people"), world)
    assert people == {
        "Toeleiders": 2,
        "Huis van het Nederlands": 1,
        "Jobcoach": 1,
        "zonder kanaal": 1,
    }
    children, _ = figures(kpi(unit="children"), world)
    assert children == {"Toeleiders": 2, "Jobcoach": 1}


def test_moving_someone_to_another_team_does_not_rewrite_reported_figures(project, world):
    before, _ = figures(kpi(), world)
    world.toeleider.channel_id = db.session.scalars(
        select(Channel.id).where(Channel.name == "Jobcoach")
    ).one()
    db.session.commit()
    after, _ = figures(kpi(), world)
    assert after == before


def test_work_recorded_through_the_lifecycle_stores_its_channel(app, world):
    from portal.referrals import lifecycle

    team = Channel(name="Toeleiders")
    db.session.add(team)
    db.session.commit()
    world.toeleider.channel_id = team.id
    world.partner.channel_id = None
    db.session.commit()
    referral = add_referral_on(db.session, world)
    lifecycle.claim(db.session, referral.id, world.toeleider, datetime(2026, 11, 26, 10))
    attempt = lifecycle.log_contact_attempt(
        db.session,
        referral,
        world.toeleider,
        ContactChannel.PHONE,
        ContactOutcome.REACHED,
        None,
        datetime(2026, 11, 26, 10, 5),
    )
    db.session.commit()
    assert attempt.kpi_channel_id == team.id
    partner_channel = Channel(name="Huis")
    db.session.add(partner_channel)
    db.session.commit()
    world.partner.channel_id = partner_channel.id
    from_partner = add_referral_on(
        db.session, world, full_name="Via Partner", source_service_id=world.partner.id
    )
    lifecycle.claim(db.session, from_partner.id, world.toeleider, datetime(2026, 11, 26, 11))
    second = lifecycle.log_contact_attempt(
        db.session,
        from_partner,
        world.toeleider,
        ContactChannel.PHONE,
        ContactOutcome.REACHED,
        None,
        datetime(2026, 11, 26, 11, 5),
    )
    assert second.kpi_channel_id == partner_channel.id


def test_the_sum_of_municipalities_includes_the_other_one(project, world):
    _, one = figures(kpi(), world)
    _, both = figures(kpi(), world, both=True)
    assert both.total == one.total + 1


def test_a_kpi_of_one_municipality_ignores_the_others(project, world):
    item = kpi(municipality_id=world.other_municipality.id)
    _, both = figures(item, world, both=True)
    assert both.total == 1


def test_reached_kpi_counts_the_same_people_as_the_reports(project, world):
    _, progress = figures(kpi(), world)
    assert progress.total == reached_between(
        db.session, [world.municipality.id], YEAR.start, YEAR.end
    )


def test_led_to_work_counts_each_household_once_in_its_theme(project, world):
    led_work, _ = figures(kpi(rule="led_to_partner", theme_id=project["work"].id), world)
    assert led_work == {"Toeleiders": 1, "Jobcoach": 1}
    led_any, _ = figures(kpi(rule="led_to_partner"), world)
    assert led_any == {"Toeleiders": 1, "Jobcoach": 1, "Huis van het Nederlands": 1}
    arrived, _ = figures(kpi(rule="arrived_at_partner", theme_id=project["work"].id), world)
    assert arrived == {"Jobcoach": 1}


def test_conversations_held(project, world):
    held, _ = figures(kpi(rule="conversation_held"), world)
    assert held == {"Toeleiders": 1}


def test_a_file_counts_once_under_its_first_conversation_of_the_year_and_the_kpis_channels(
    project, world
):
    toeleiders, jobcoach = channel("Toeleiders"), channel("Jobcoach")
    b, c = project["b"], project["c"]
    for referral, starts, status, chosen in [
        (b, datetime(2025, 9, 20, 10), "held", toeleiders),  # the year before
        (b, datetime(2025, 11, 3, 10), "held", jobcoach),  # B's first in the year
        (b, datetime(2026, 2, 3, 10), "held", toeleiders),
        (c, datetime(2026, 3, 1, 10), "planned", jobcoach),  # not held
        (c, datetime(2026, 10, 5, 10), "held", jobcoach),  # the next year
    ]:
        add_held_appointment(
            db.session, referral, world.toeleider, starts, status=status, kpi_channel_id=chosen.id
        )
    db.session.commit()
    held, progress = figures(kpi(rule="conversation_held"), world)
    assert held == {"Toeleiders": 1, "Jobcoach": 1}  # A, and B under its first conversation
    assert progress.total == 2
    # Among the conversations under the KPI's channels, B's first is its second one.
    only_toeleiders, _ = figures(kpi(rule="conversation_held", channels=[toeleiders]), world)
    assert only_toeleiders == {"Toeleiders": 2}
    both, _ = figures(kpi(rule="conversation_held", unit="people"), world, both=True)
    assert both == {"Toeleiders": 2, "Jobcoach": 1}  # A's 2 adults, B's 1


def test_group_work_counts_practice_opportunities_and_young_participants(project, world):
    practice, progress = figures(kpi(rule="activity", unit="practice"), world)
    assert practice == {"Jobcoach": 20, "Toeleiders": 12}
    assert progress.total == 32
    sport, _ = figures(kpi(rule="activity", unit="children", kinds=["sport"]), world)
    assert sport == {"Jobcoach": 15}
    sport_both, _ = figures(
        kpi(rule="activity", unit="children", kinds=["sport"]), world, both=True
    )
    assert sport_both == {"Jobcoach": 22}


def channel(name):
    return db.session.scalars(select(Channel).where(Channel.name == name)).one()


def test_a_kpi_counts_per_worker_team_when_it_says_so(project, world):
    # B was referred by a partner with a channel, but a toeleider of the team reached them.
    team, _ = figures(kpi(channel_basis="team"), world)
    assert team == {"Toeleiders": 2, "Jobcoach": 1, "zonder kanaal": 1}
    led_team, _ = figures(kpi(rule="led_to_partner", channel_basis="team"), world)
    assert led_team == {"Toeleiders": 2, "Jobcoach": 1}


def test_the_partner_someone_was_led_to_can_be_the_channel(project, world):
    work = project["work"]
    steam = Channel(name="STEAM")
    db.session.add(steam)
    db.session.flush()
    partners = [
        Service(name=name, is_partner=True, municipality_id=world.municipality.id, channel=c)
        for name, c in [("Groep INTRO", None), ("OCMW", None), ("STEAM vzw", steam)]
    ]
    db.session.add_all(partners)
    db.session.commit()
    for n, partner in enumerate(partners):
        someone = add_referral_on(
            db.session, world, full_name=f"Persoon {n}", registered_on=date(2025, 6, 1)
        )
        led(someone, date(2026, 2, 1), work, world.toeleider, partner)
    db.session.commit()
    by_destination, _ = figures(
        kpi(rule="led_to_partner", theme_id=work.id, channel_basis="destination"), world
    )
    # A and C were led to the Huis van het Nederlands, which has a channel; a partner
    # without one counts under its own name.
    assert by_destination == {
        "Huis van het Nederlands": 2,
        "Groep INTRO": 1,
        "OCMW": 1,
        "STEAM": 1,
    }
    only_steam, _ = figures(
        kpi(
            rule="led_to_partner",
            theme_id=work.id,
            channel_basis="destination",
            channels=[steam],
        ),
        world,
    )
    assert only_steam == {"STEAM": 1}


def test_a_kpi_limited_to_some_channels_counts_only_those(project, world):
    limited, _ = figures(kpi(channel_basis="team", channels=[channel("Toeleiders")]), world)
    assert limited == {"Toeleiders": 2}
    # By referrer B counts under the partner's channel, so it drops out.
    by_referrer, _ = figures(kpi(channels=[channel("Toeleiders")]), world)
    assert by_referrer == {"Toeleiders": 1}
    practice, _ = figures(
        kpi(rule="activity", unit="practice", channels=[channel("Jobcoach")]), world
    )
    assert practice == {"Jobcoach": 20}


def test_a_kpi_limited_to_a_source_or_a_programme(project, world):
    from_partner, _ = figures(kpi(sources=[world.partner]), world)
    assert from_partner == {"Huis van het Nederlands": 1}
    programme = Programme(name="Sportkamp", partner_id=world.partner.id, capacity=10)
    db.session.add(programme)
    db.session.flush()
    db.session.add(
        ProgrammePlace(
            programme_id=programme.id,
            referral_id=project["c"].id,
            status="enrolled",
            waiting_since=datetime(2026, 5, 1, 9),
            enrolled_at=datetime(2026, 5, 1, 9),
        )
    )
    db.session.commit()
    on_programme, _ = figures(kpi(programme_id=programme.id), world)
    assert on_programme == {"Jobcoach": 1}


def test_group_work_kpi_of_several_kinds(project, world):
    sport_and_tables, _ = figures(
        kpi(rule="activity", unit="children", kinds=["sport", "conversation_table"]), world
    )
    assert sport_and_tables == {"Jobcoach": 15, "Toeleiders": 3}


def test_children_led_are_the_children_a_partner_referral_names(project, world):
    work = project["work"]
    item = kpi(rule="led_to_partner", unit="children", theme_id=work.id)
    whole, _ = figures(item, world)
    assert whole == {"Toeleiders": 2, "Jobcoach": 1}  # A's two children, C's one
    a = project["a"]
    first, second = db.session.scalars(
        select(PartnerReferral)
        .where(PartnerReferral.referral_id == a.id)
        .order_by(PartnerReferral.id)
    ).all()
    older, younger = a.children
    first.children = [older]
    second.children = [older]
    db.session.commit()
    named, _ = figures(item, world)
    assert named == {"Toeleiders": 1, "Jobcoach": 1}  # the same child twice counts once
    second.children = [younger]
    db.session.commit()
    both, _ = figures(item, world)
    assert both == {"Toeleiders": 2, "Jobcoach": 1}
    # A KPI of households still counts the household once.
    households, _ = figures(kpi(rule="led_to_partner", theme_id=work.id), world)
    assert households == {"Toeleiders": 1, "Jobcoach": 1}


def test_a_partner_referral_from_the_page_names_the_children(client, project, world):
    import re

    a = project["a"]
    a.state = "following_up"
    a.owner_id = world.toeleider.id
    db.session.commit()
    older, younger = a.children
    client.login(world.toeleider.email)
    html = client.get(f"/referrals/{a.id}").get_data(as_text=True)
    assert "Voor welke kinderen" in html
    version = re.search(r'name="partner-version" type="hidden" value="(\d+)"', html).group(1)
    response = client.post(
        f"/referrals/{a.id}/partner-referrals",
        {
            "partner-version": version,
            "partner-partner": str(world.partner.id),
            "partner-theme": str(project["work"].id),
            "partner-referred_on": "2026-11-26",
            "partner-children": str(younger.id),
        },
    )
    assert response.status_code == 303
    item = db.session.scalars(
        select(PartnerReferral)
        .where(PartnerReferral.referral_id == a.id)
        .order_by(PartnerReferral.id.desc())
    ).first()
    assert [c.id for c in item.children] == [younger.id]
    page = client.get(f"/referrals/{a.id}").get_data(as_text=True)
    assert f"voor de kinderen geboren in {younger.birth_year}" in page
    # A child of another household is refused next to the field, with the form kept.
    other = project["c"].children[0]
    refused = client.post(
        f"/referrals/{a.id}/partner-referrals",
        {
            "partner-version": str(a.version),
            "partner-partner": str(world.partner.id),
            "partner-theme": str(project["work"].id),
            "partner-referred_on": "2026-11-25",
            "partner-children": str(other.id),
        },
    )
    assert refused.status_code == 422
    assert 'id="partner-children-error"' in refused.get_data(as_text=True)
    assert 'value="2026-11-25"' in refused.get_data(as_text=True)


def test_every_kpi_states_its_counting_rule(project, world):
    _, progress = figures(kpi(rule="led_to_partner", theme_id=project["work"].id), world)
    assert "in het thema 'Werk'" in progress.rule_text
    assert "1 oktober 2025" in progress.rule_text
    assert "30 september 2026" in progress.rule_text
    _, activity = figures(kpi(rule="activity", unit="practice"), world)
    assert "oefenkans" in activity.rule_text


def test_progress_page_shows_each_kpi_against_its_target(client, project, world):
    kpi(name="Gezinnen bereikt", target=8)
    kpi(name="Oefenkansen", target=64, rule="activity", unit="practice")
    kpi(name="Niet meer actief", active=False)
    client.login(world.lead.email)
    page = client.get(f"/reports/kpis?year=2025&municipality={world.municipality.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Gezinnen bereikt" in html and "Oefenkansen" in html
    assert "Niet meer actief" not in html
    assert "van 8 gezinnen" in html and "(50%)" in html
    assert "van 64 oefenkansen" in html
    assert "Jobcoach" in html and "zonder kanaal" in html
    summed = client.get("/reports/kpis?year=2025").get_data(as_text=True)
    assert "<strong>5</strong> van 8 gezinnen" in summed


def test_progress_page_is_for_leads(client, world):
    client.login(world.toeleider.email)
    assert client.get("/reports/kpis").status_code == 403


def kpi_form(**changes):
    data = {
        "name": "Gezinnen bereikt",
        "target": "300",
        "target_year": "2026",
        "unit": "households",
        "rule": "reached",
        "channel_basis": "referrer",
        "theme_id": "0",
        "programme_id": "0",
        "start_month": "10",
        "municipality_id": "0",
        "position": "0",
        "active": "y",
    }
    lists = {k: v for k, v in changes.items() if isinstance(v, list)}
    data.update({k: v for k, v in changes.items() if not isinstance(v, list)})
    return list(data.items()) + [(k, v) for k, values in lists.items() for v in values]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"rule": "activity", "unit": "households"}, "unit", "Bij deze telregel"),
        ({"rule": "reached", "unit": "practice"}, "unit", "Bij deze telregel"),
        ({"rule": "reached", "theme_id": "THEME"}, "theme_id", "alleen voor telregels over"),
        (
            {"rule": "reached", "activity_kinds": ["sport"]},
            "activity_kinds",
            "alleen voor groepswerk",
        ),
        (
            {"rule": "reached", "channel_basis": "destination"},
            "channel_basis",
            "bestaat alleen bij toeleidingen",
        ),
        (
            {"rule": "activity", "unit": "practice", "channel_basis": "team"},
            "channel_basis",
            "kanaal dat bij de activiteit",
        ),
        (
            {"rule": "activity", "unit": "practice", "sources": ["PARTNER"]},
            "sources",
            "geen dossiers van een bron",
        ),
        (
            {"rule": "activity", "unit": "practice", "programme_id": "PROGRAMME"},
            "programme_id",
            "geen dossiers in een programma",
        ),
        ({"target": "veel"}, "target", "Vul een getal in."),
        ({"target": ""}, "target", "Vul het doel in als getal."),
        ({"target": "0"}, "target", "Tussen 1 en"),
        ({"target_year": "1990"}, "target_year", "Kies een projectjaar uit de lijst."),
        ({"target_year": "abc"}, "target_year", "Kies een projectjaar uit de lijst."),
    ],
)
def test_admin_gets_a_dutch_error_for_an_impossible_kpi(client, world, changes, field, message):
    theme = Theme(name="Werk")
    channel = Channel(name="Brugfiguren")
    programme = Programme(name="Sportkamp", partner_id=world.partner.id, capacity=10)
    db.session.add_all([theme, channel, programme])
    db.session.commit()
    client.login(world.admin.email)
    given_values = {"THEME": str(theme.id), "PROGRAMME": str(programme.id)}
    changes = {
        k: ([str(world.partner.id)] if v == ["PARTNER"] else given_values.get(v, v))
        if not isinstance(v, list) or v == ["PARTNER"]
        else v
        for k, v in changes.items()
    }
    response = client.post("/admin/c/kpis/new", kpi_form(channels=[str(channel.id)], **changes))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html
    assert f'id="{field}-error"' in html
    assert 'value="Gezinnen bereikt"' in html  # nothing typed is lost
    assert f'checked id="channels-0" name="channels" type="checkbox" value="{channel.id}"' in html
    assert db.session.scalars(select(Kpi)).all() == []


def test_admin_defines_a_kpi(client, world):
    brug, toeleiders = Channel(name="Brugfiguren"), Channel(name="Toeleiders")
    programme = Programme(name="Sportkamp", partner_id=world.partner.id, capacity=10)
    db.session.add_all([brug, toeleiders, programme])
    db.session.commit()
    client.login(world.admin.email)
    response = client.post(
        "/admin/c/kpis/new",
        kpi_form(
            name="Kinderen naar sport",
            target="180",
            target_year="2025",
            unit="children",
            rule="led_to_partner",
            channel_basis="destination",
            programme_id=str(programme.id),
            sources=[str(world.partner.id), str(world.desk_service.id)],
            channels=[str(brug.id)],
            position="1",
        ),
    )
    assert response.status_code == 303
    item = db.session.scalars(select(Kpi)).one()
    assert (item.target_for(2025), item.unit, item.channel_basis, item.start_month) == (
        180,
        "children",
        "destination",
        10,
    )
    assert item.programme_id == programme.id
    assert {s.id for s in item.sources} == {world.partner.id, world.desk_service.id}
    assert [c.name for c in item.channels] == ["Brugfiguren"]
    assert item.theme_id is None and item.municipality_id is None
    listing = client.get("/admin/c/kpis/").get_data(as_text=True)
    assert "Kinderen naar sport" in listing and "180 kinderen en jongeren" in listing
    assert "de partner waarnaar toegeleid werd" in listing
    assert "Sportkamp, Brugfiguren" in listing
    edit = client.get(f"/admin/c/kpis/{item.id}").get_data(as_text=True)
    # The stored choices come back.
    assert '<option selected value="destination">' in edit
    assert f'<option selected value="{programme.id}">' in edit
    assert f'checked id="channels-0" name="channels" type="checkbox" value="{brug.id}"' in edit
    assert f'name="channels" type="checkbox" value="{toeleiders.id}"' in edit
    assert "2025-2026: 180" in edit


def test_group_work_kpi_takes_several_kinds_of_activity(client, world):
    client.login(world.admin.email)
    response = client.post(
        "/admin/c/kpis/new",
        kpi_form(
            name="Kinderen naar sport en cultuur",
            target="180",
            unit="children",
            rule="activity",
            activity_kinds=["sport", "culture"],
        ),
    )
    assert response.status_code == 303
    item = db.session.scalars(select(Kpi)).one()
    assert item.activity_kinds == ["culture", "sport"]
    edit = client.get(f"/admin/c/kpis/{item.id}").get_data(as_text=True)
    assert (
        'checked id="activity_kinds-2" name="activity_kinds" type="checkbox" value="sport"' in edit
    )
    response = client.post(
        f"/admin/c/kpis/{item.id}",
        kpi_form(
            name="Kinderen naar sport",
            target="180",
            unit="children",
            rule="activity",
            activity_kinds=["sport"],
        ),
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert item.activity_kinds == ["sport"]


def test_a_new_target_for_this_year_leaves_last_years_target_alone(client, project, world):
    item = kpi(name="Gezinnen bereikt", target=250)
    item.set_target(2024, 250)
    item.set_target(2025, 250)
    db.session.commit()
    client.login(world.admin.email)
    edit = client.get(f"/admin/c/kpis/{item.id}?year=2025").get_data(as_text=True)
    assert 'value="250"' in edit
    response = client.post(f"/admin/c/kpis/{item.id}", kpi_form(target="300", target_year="2026"))
    assert response.status_code == 303
    db.session.expire_all()
    assert (item.target_for(2024), item.target_for(2025), item.target_for(2026)) == (250, 250, 300)
    assert item.target_for(2027) == 300  # a year without its own keeps the last one
    logged = db.session.scalars(
        select(AdminLogEntry).where(AdminLogEntry.action == "catalogue.update")
    ).one()
    assert ["targets", "2024: 250, 2025: 250", "2024: 250, 2025: 250, 2026: 300"] in json.loads(
        logged.changes
    )
    client.login(world.lead.email)
    last_year = client.get("/reports/kpis?year=2025").get_data(as_text=True)
    assert "van 250 gezinnen" in last_year
    this_year = client.get("/reports/kpis?year=2026").get_data(as_text=True)
    assert "van 300 gezinnen" in this_year


def test_a_users_team_and_a_partners_channel_are_set_by_the_admin(client, world):
    channel = Channel(name="Brugfiguren scholen")
    db.session.add(channel)
    db.session.commit()
    client.login(world.admin.email)
    page = client.get(f"/admin/users/{world.toeleider.id}").get_data(as_text=True)
    assert "Brugfiguren scholen" in page
    edit = client.get(f"/admin/c/services/{world.partner.id}")
    assert "Kanaal voor de KPI" in edit.get_data(as_text=True)
    response = client.post(
        f"/admin/c/services/{world.partner.id}",
        {
            "name": world.partner.name,
            "is_partner": "y",
            "municipality_id": "0",
            "channel_id": str(channel.id),
            "active": "y",
        },
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert world.partner.channel_id == channel.id


def test_kpi_csv_has_a_row_per_channel_and_a_total_that_adds_up(client, project, world):
    kpi(name="Gezinnen bereikt", target=8)
    client.login(world.lead.email)
    response = client.get(f"/reports/kpis.csv?year=2025&municipality={world.municipality.id}")
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    assert disposition.endswith("kpi-2025-lindeveld.csv")
    rows = csv_rows(response)
    assert rows[0][8] == "Gemeente"
    assert {row[8] for row in rows[1:]} == {"Lindeveld"}
    assert rows[0][:7] == ["KPI", "Van", "Tot en met", "Eenheid", "Doel", "Kanaal", "Aantal"]
    channels = {r[5]: int(r[6]) for r in rows[1:] if r[5] != "Totaal"}
    total = next(r for r in rows[1:] if r[5] == "Totaal")
    assert channels == {
        "Toeleiders": 1,
        "Huis van het Nederlands": 1,
        "Jobcoach": 1,
        "zonder kanaal": 1,
    }
    assert int(total[6]) == sum(channels.values()) == 4
    assert total[1:3] == ["2025-10-01", "2026-09-30"]
    assert "Projectjaar" in total[7]


reach_events = st.lists(
    st.tuples(
        st.integers(0, 5),  # which referral
        st.integers(0, 500),  # days after 1 September 2025
        st.sampled_from(["reached", "no_answer"]),
        st.integers(0, 2),  # which team recorded it: none, Toeleiders or Jobcoach
    ),
    max_size=25,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(events=reach_events)
def test_kpi_totals_are_the_reports_reach_count_for_random_histories(app, world, events):
    db.session.query(ContactAttempt).delete()
    db.session.query(Kpi).delete()
    db.session.query(Referral).delete()
    db.session.query(Channel).delete()
    db.session.commit()
    teams = [None, Channel(name="Toeleiders"), Channel(name="Jobcoach")]
    db.session.add_all(teams[1:])
    db.session.commit()
    referrals = [
        add_referral_on(
            db.session,
            world,
            full_name=f"Persoon {chr(65 + i)}",
            registered_on=date(2025, 6, 1),
            at=datetime(2025, 8, 1, 9),
            adults=1 + i % 3,
        )
        for i in range(6)
    ]
    for n, (who, day, outcome, team) in enumerate(events):
        db.session.add(
            ContactAttempt(
                referral_id=referrals[who].id,
                at=datetime(2025, 9, 1, 9) + timedelta(days=day, minutes=n),
                actor_id=world.toeleider.id,
                channel="phone",
                outcome=outcome,
                kpi_channel_id=teams[team].id if teams[team] else None,
            )
        )
    db.session.commit()
    households = kpi_progress(db.session, kpi(), [world.municipality.id], YEAR)
    people = kpi_progress(db.session, kpi(unit="people"), [world.municipality.id], YEAR)
    assert households.total == sum(n for _c, n in households.by_channel)
    assert households.total == reached_between(
        db.session, [world.municipality.id], YEAR.start, YEAR.end
    )
    # The first reached attempt is the first by the moment it happened, whatever the order
    # in which the attempts were recorded.
    firsts: dict[int, datetime] = {}
    for n, (who, day, outcome, _team) in enumerate(events):
        at = datetime(2025, 9, 1, 9) + timedelta(days=day, minutes=n)
        if outcome == "reached" and (who not in firsts or at < firsts[who]):
            firsts[who] = at
    in_year = [who for who, at in firsts.items() if YEAR.start <= at.date() < YEAR.end]
    assert households.total == len(in_year)
    assert people.total == sum(1 + who % 3 for who in in_year)


def test_overview_table_comes_first_with_target_achieved_and_expected(client, project, world):
    kpi(name="Gezinnen bereikt", target=300)
    kpi(name="Oefenkansen", target=64, rule="activity", unit="practice")
    client.login(world.lead.email)
    html = client.get(f"/reports/kpis?municipality={world.municipality.id}").get_data(as_text=True)
    # Today (26 November 2026) is day 57 of the project year 2026-2027 of 365 days.
    overview = HTMLParser(html).css_first("#kpi-overview-table")
    rows = [[c.text(strip=True) for c in r.css("th, td")] for r in overview.css("tbody tr")]
    assert rows == [
        # D was reached on 1 October 2026; 50 took part in sport on 2 October.
        ["Gezinnen bereikt", "01/10/2026 – 30/09/2027", "300 gezinnen", "1", "47", "0%"],
        ["Oefenkansen", "01/10/2026 – 30/09/2027", "64 oefenkansen", "50", "10", "78%"],
    ]
    assert html.index('id="kpi-overview"') < html.index("Per kanaal")
    last_year = client.get(f"/reports/kpis?year=2025&municipality={world.municipality.id}")
    overview = HTMLParser(last_year.get_data(as_text=True)).css_first("#kpi-overview-table")
    first = [c.text(strip=True) for c in overview.css("tbody tr")[0].css("th, td")]
    assert first == [
        "Gezinnen bereikt",
        "01/10/2025 – 30/09/2026",
        "300 gezinnen",
        "4",
        "300",
        "1%",
    ]


def test_expected_by_a_day_is_the_share_of_the_year_gone_by():
    assert expected_by(300, YEAR, date(2025, 9, 30)) == 0
    assert expected_by(300, YEAR, date(2025, 10, 1)) == 1
    assert expected_by(365, YEAR, date(2026, 3, 31)) == 182
    assert expected_by(300, YEAR, date(2026, 9, 30)) == 300
    assert expected_by(300, YEAR, date(2027, 1, 1)) == 300


@pytest.mark.parametrize(
    "path",
    [
        "/reports/kpis",
        "/reports/monthly",
        "/reports/interpreters",
        "/reports/sources",
        "/reports/evaluation",
    ],
)
def test_every_report_names_its_municipality_in_its_title(client, world, path):
    client.login(world.lead.email)
    both = HTMLParser(client.get(path).get_data(as_text=True))
    assert "– alle samen ·" in both.css_first("title").text()
    assert "alle samen" in both.css_first("h1").text()
    one = HTMLParser(
        client.get(f"{path}?municipality={world.other_municipality.id}").get_data(as_text=True)
    )
    assert "Beekmere" in one.css_first("title").text()
    assert "Beekmere" in one.css_first("h1").text()  # the printout shows the heading


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/reports/kpis.csv?year=2025", "kpi-2025"),
        ("/reports/monthly.csv?year=2026", "maandcijfers-2026"),
        ("/reports/interpreters.csv?year=2026", "tolken-2026"),
    ],
)
def test_every_csv_is_named_after_its_municipality(client, world, path, name):
    client.login(world.lead.email)
    both = client.get(path).headers["Content-Disposition"]
    assert both.endswith(f"{name}-alle-samen.csv")
    one = client.get(f"{path}&municipality={world.other_municipality.id}")
    assert one.headers["Content-Disposition"].endswith(f"{name}-beekmere.csv")


def test_the_evaluation_workbook_has_a_kpi_sheet(client, project, world):
    kpi(name="Gezinnen bereikt", target=300)
    kpi(name="Kinderen naar sport", target=180, rule="activity", unit="children", kinds=["sport"])
    client.login(world.lead.email)
    response = client.get(
        f"/reports/evaluation.xlsx?year=2026&part=interim&municipality={world.municipality.id}"
    )
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    sheet = book["kpi"]
    rows = [[v for v in row if v is not None] for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == ["KPI-voortgang – Lindeveld"]
    assert rows[2] == ["Gemeente", "Lindeveld"]
    assert rows[4] == [
        "KPI",
        "Projectjaar",
        "Eenheid",
        "Doel",
        "Behaald",
        "Verwacht tegen die dag",
        "Procent van het doel",
    ]
    # As of 30 June 2026, in the project year from 1 October 2025: 273 of 365 days gone.
    assert rows[5] == [
        "Gezinnen bereikt",
        "01/10/2025 – 30/09/2026",
        "gezinnen",
        300,
        4,
        224,
        pytest.approx(4 / 300),
    ]
    assert rows[6][:6] == [
        "Kinderen naar sport",
        "01/10/2025 – 30/09/2026",
        "kinderen en jongeren",
        180,
        15,
        135,
    ]
    assert sheet.cell(6, 7).number_format == "0.0%"
    breakdown = rows[rows.index(["Gezinnen bereikt"]) + 1 :]
    assert breakdown[0] == ["Kanaal", "Aantal"]
    assert dict(tuple(r) for r in breakdown[1:5]) == {
        "Toeleiders": 1,
        "Huis van het Nederlands": 1,
        "Jobcoach": 1,
        "zonder kanaal": 1,
    }
    assert breakdown[5] == ["Totaal", 4]
    assert breakdown[6][0] == "Zo wordt geteld:"
