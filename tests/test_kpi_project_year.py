"""A real project year's KPI table, entered the way a municipality enters it: channels,
partners and KPIs through the admin pages, the work through the events it leaves.

Project year 1 October 2022 - 30 September 2023: families reached 307 of 300 (bridge figures
65, toeleiders 242); people led to work 127 of 100 (jobcoach 11, Groep INTRO 54, OCMW 35,
STEAM 27); children led to sport 195 and to culture 206 of 180 each (Navigate You(th),
buurthuis, integratiedienst, BRUL); 2,840 Dutch practice opportunities.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from selectolax.parser import HTMLParser
from sqlalchemy import select

from portal.extensions import db
from portal.models import Activity, Channel, ContactAttempt, Kpi, Role, Service, Theme
from portal.referrals.channels import channels_for

from .factories import add_partner_referral, add_referral, add_user

START = date(2022, 10, 1)

# Destination partner: people led to work.
WORK = {"Jobcoach": 11, "Groep INTRO": 54, "OCMW": 35, "STEAM": 27}
# Destination partner: children led to sport and to culture (the issue gives the totals; the
# split over the four partners is this test's own).
SPORT = {"Navigate You(th)": 80, "Buurthuis": 60, "Integratiedienst": 35, "BRUL": 20}
CULTURE = {"Navigate You(th)": 70, "Buurthuis": 50, "Integratiedienst": 40, "BRUL": 46}
# Conversation tables and practice groups: how many sessions.
PRACTICE = [("conversation_table", 38), ("practice_group", 25)]


def admin_post(client, path, pairs):
    response = client.post(path, pairs)
    assert response.status_code == 303, re.findall(
        r'class="error"[^>]*>([^<]+)', response.get_data(as_text=True)
    )


def kpi_form(name, target, rule, unit, **more):
    pairs = [
        ("name", name),
        ("target", str(target)),
        ("target_year", "2022"),
        ("rule", rule),
        ("unit", unit),
        ("channel_basis", more.pop("channel_basis", "referrer")),
        ("theme_id", str(more.pop("theme_id", 0))),
        ("programme_id", "0"),
        ("start_month", "10"),
        ("municipality_id", "0"),
        ("position", str(more.pop("position", 0))),
        ("active", "y"),
    ]
    for key, values in more.items():
        pairs += [(key, str(v)) for v in values]
    return pairs


def by_name(model, name):
    return db.session.scalars(select(model).where(model.name == name)).one()


def day(n: int) -> date:
    """Spread over the project year: the n-th of the year's days, cycling."""
    return START + timedelta(days=n % 365)


def reach(referral, worker, at):
    db.session.add(
        ContactAttempt(
            referral_id=referral.id,
            at=at,
            actor_id=worker.id,
            channel="phone",
            outcome="reached",
            **channels_for(db.session, referral, worker),
        )
    )


def enter_catalogues(client, world):
    """As the admin: the channels, the partners and the themes."""
    client.login(world.admin.email)
    for name in ["Brugfiguren", "Toeleiders", "Werkwinkel"]:
        admin_post(client, "/admin/c/channels/new", [("name", name), ("active", "y")])
    for name in [*WORK, *SPORT]:
        admin_post(
            client,
            "/admin/c/services/new",
            [
                ("name", name),
                ("is_partner", "y"),
                ("municipality_id", str(world.municipality.id)),
                ("channel_id", "0"),
                ("active", "y"),
            ],
        )
    for name in ["Werk", "Sport", "Cultuur"]:
        admin_post(
            client, "/admin/c/themes/new", [("name", name), ("position", "0"), ("active", "y")]
        )


def enter_families_kpi(client):
    """As the admin: families reached, per team, only the bridge figures and toeleiders."""
    brug, toeleiders = by_name(Channel, "Brugfiguren"), by_name(Channel, "Toeleiders")
    admin_post(
        client,
        "/admin/c/kpis/new",
        kpi_form(
            "Gezinnen bereikt",
            300,
            "reached",
            "households",
            channel_basis="team",
            channels=[brug.id, toeleiders.id],
        ),
    )


def enter_other_kpis(client):
    """As the admin: people led to work, children led to sport and culture, practice."""
    werk, sport, cultuur = (by_name(Theme, n) for n in ["Werk", "Sport", "Cultuur"])
    admin_post(
        client,
        "/admin/c/kpis/new",
        kpi_form(
            "Personen toegeleid naar werk",
            100,
            "led_to_partner",
            "people",
            channel_basis="destination",
            theme_id=werk.id,
            position=1,
        ),
    )
    for n, (name, theme) in enumerate([("sport", sport), ("cultuur", cultuur)]):
        admin_post(
            client,
            "/admin/c/kpis/new",
            kpi_form(
                f"Kinderen en jongeren toegeleid naar {name}",
                180,
                "led_to_partner",
                "children",
                channel_basis="destination",
                theme_id=theme.id,
                position=2 + n,
            ),
        )
    admin_post(
        client,
        "/admin/c/kpis/new",
        kpi_form(
            "Oefenkansen Nederlands",
            2500,
            "activity",
            "practice",
            position=4,
            activity_kinds=["conversation_table", "practice_group"],
        ),
    )


def enter_the_years_work(world):
    """The events the year's work left: contacts, partner referrals, group work."""
    brug, toeleiders = by_name(Channel, "Brugfiguren"), by_name(Channel, "Toeleiders")
    werk, sport, cultuur = (by_name(Theme, n) for n in ["Werk", "Sport", "Cultuur"])

    # The teams: a bridge figure, a toeleider, and the work shop's job counsellor.
    workers = {}
    for team in (brug, toeleiders, by_name(Channel, "Werkwinkel")):
        user = add_user(
            db.session, f"{team.name.lower()}@lindeveld.be", [Role.TOELEIDER], [world.municipality]
        )
        user.channel_id = team.id
        workers[team.name] = user
    db.session.commit()

    counter = iter(range(100_000))

    def new_file(children=()):
        n = next(counter)
        return add_referral(
            db.session,
            world,
            at=datetime(2022, 9, 1, 9),
            full_name=f"Bewoner {n}",
            phone=f"+3247{n:07d}",
            registered_on=date(2022, 6, 1),
            adults=1,
            has_children=bool(children),
            children_birth_years=list(children),
        )

    # Families reached: 242 by toeleiders, 65 by bridge figures; 70 of the toeleiders' have
    # three children each, who are led to sport and culture below.
    with_children = []
    for n in range(242):
        referral = new_file((2010, 2013, 2016) if n < 70 else ())
        reach(referral, workers["Toeleiders"], datetime.combine(day(n), datetime.min.time()))
        if n < 70:
            with_children.append(referral)
    for n in range(65):
        reach(new_file(), workers["Brugfiguren"], datetime.combine(day(n), datetime.min.time()))
    # Reached outside the project year: not counted.
    reach(new_file(), workers["Toeleiders"], datetime(2022, 9, 30, 16))
    reach(new_file(), workers["Brugfiguren"], datetime(2023, 10, 1, 9))
    db.session.commit()

    # People led to work: files the work shop reached, which are not 'families reached'.
    n = 0
    for partner_name, count in WORK.items():
        partner = by_name(Service, partner_name)
        for _ in range(count):
            referral = new_file()
            reach(referral, workers["Werkwinkel"], datetime.combine(day(n), datetime.min.time()))
            add_partner_referral(
                db.session,
                referral,
                partner,
                werk,
                day(n + 3),
                workers["Werkwinkel"],
                **channels_for(db.session, referral, workers["Werkwinkel"]),
            )
            n += 1
    db.session.commit()

    # Children led: each partner referral names the children it concerns.
    children = [c for referral in with_children for c in referral.children]
    for theme, split in ((sport, SPORT), (cultuur, CULTURE)):
        led = iter(children)
        for partner_name, count in split.items():
            partner = by_name(Service, partner_name)
            for _ in range(count):
                child = next(led)
                item = add_partner_referral(
                    db.session,
                    child.referral,
                    partner,
                    theme,
                    day(child.id),
                    workers["Toeleiders"],
                    **channels_for(db.session, child.referral, workers["Toeleiders"]),
                )
                item.children = [child]
    db.session.commit()

    # Group work: 38 conversation tables of 40 and 25 practice groups of 52 or 53 (2,840),
    # and a sports afternoon that is no Dutch practice.
    practice_total = 0
    for kind, sessions in PRACTICE:
        for s in range(sessions):
            participants = 40 if kind == "conversation_table" else (53 if s < 20 else 52)
            practice_total += participants
            db.session.add(
                Activity(
                    municipality_id=world.municipality.id,
                    held_on=day(7 * s),
                    channel_id=toeleiders.id,
                    kind=kind,
                    title="Oefenen",
                    participants=participants,
                    young_participants=0,
                    created_by_id=workers["Toeleiders"].id,
                    created_at=datetime(2023, 1, 1),
                )
            )
    db.session.add(
        Activity(
            municipality_id=world.municipality.id,
            held_on=date(2023, 5, 1),
            channel_id=toeleiders.id,
            kind="sport",
            title="Sportnamiddag",
            participants=30,
            young_participants=30,
            created_by_id=workers["Toeleiders"].id,
            created_at=datetime(2023, 5, 1),
        )
    )
    db.session.commit()
    assert practice_total == 2840


def test_a_project_years_kpi_table_entered_through_the_portal(client, world):
    enter_catalogues(client, world)
    enter_families_kpi(client)
    enter_other_kpis(client)
    assert len(db.session.scalars(select(Kpi)).all()) == 5
    enter_the_years_work(world)

    client.login(world.lead.email)
    page = client.get(f"/reports/kpis?year=2022&municipality={world.municipality.id}")
    html = HTMLParser(page.get_data(as_text=True))
    assert "Lindeveld" in html.css_first("h1").text()
    overview = [
        [c.text(strip=True) for c in row.css("th, td")]
        for row in html.css_first("#kpi-overview-table").css("tbody tr")
    ]
    year = "01/10/2022 – 30/09/2023"
    assert overview == [
        ["Gezinnen bereikt", year, "300 gezinnen", "307", "300", "102%"],
        ["Personen toegeleid naar werk", year, "100 personen (volwassenen)", "127", "100", "127%"],
        [
            "Kinderen en jongeren toegeleid naar sport",
            year,
            "180 kinderen en jongeren",
            "195",
            "180",
            "108%",
        ],
        [
            "Kinderen en jongeren toegeleid naar cultuur",
            year,
            "180 kinderen en jongeren",
            "206",
            "180",
            "114%",
        ],
        ["Oefenkansen Nederlands", year, "2500 oefenkansen", "2840", "2500", "114%"],
    ]
    breakdowns = {
        section.css_first("h2").text(): {
            row.css_first("th").text(): int(row.css_first("td").text())
            for row in section.css("tbody tr")
        }
        for section in html.css("section.report-table")[1:]
    }
    assert breakdowns == {
        "Gezinnen bereikt": {"Toeleiders": 242, "Brugfiguren": 65},
        "Personen toegeleid naar werk": WORK,
        "Kinderen en jongeren toegeleid naar sport": SPORT,
        "Kinderen en jongeren toegeleid naar cultuur": CULTURE,
        "Oefenkansen Nederlands": {"Toeleiders": 2840},
    }
    # Without its channels the first KPI would count the work shop's files as families too.
    first = by_name(Kpi, "Gezinnen bereikt")
    first.channels = []
    db.session.commit()
    unlimited = HTMLParser(
        client.get(f"/reports/kpis?year=2022&municipality={world.municipality.id}").get_data(
            as_text=True
        )
    )
    assert unlimited.css_first("#kpi-overview-table tbody tr td:nth-child(4)").text() == "434"
