"""The week grid: appointments in the right cell, a lead sees the team."""

from __future__ import annotations

from datetime import datetime, time

from selectolax.parser import HTMLParser

from portal.extensions import db
from portal.models import AccessLogEntry, AvailabilitySlot, ReferralState, Role

from .factories import add_held_appointment, add_referral, add_user

MONDAY = datetime(2026, 11, 30)


def _owned(world, owner, name: str, phone: str, **changes):
    referral = add_referral(db.session, world, full_name=name, phone=phone, **changes)
    referral.state, referral.owner_id = ReferralState.SCHEDULED.value, owner.id
    db.session.commit()
    return referral


def _grid(html: str) -> dict[tuple[str, str], str]:
    """Each cell's text by (row header, column header)."""
    table = HTMLParser(html).css_first("table.week")
    columns = [th.text(strip=True) for th in table.css("thead th")]
    cells = {}
    for row in table.css("tbody tr"):
        hour = row.css_first("th").text(strip=True)
        for column, cell in zip(columns[1:], row.css("td"), strict=True):
            cells[(hour, column)] = cell.text(separator=" ", strip=True)
    return cells


def _planned(referral, toeleider, starts_at):
    return add_held_appointment(db.session, referral, toeleider, starts_at, status="planned")


def test_an_appointment_shows_in_the_cell_of_its_day_and_hour(client, world):
    referral = _owned(world, world.toeleider, "Rania Haddad", "+32470123456")
    _planned(referral, world.toeleider, datetime(2026, 12, 2, 10, 30))
    db.session.commit()
    client.login(world.toeleider.email)
    html = client.get("/agenda/week?day=2026-12-03").get_data(as_text=True)
    page = HTMLParser(html)
    assert "Week van Toeleider" in page.css_first("table.week caption").text()
    cells = _grid(html)
    assert "Rania Haddad" in cells[("10:00", "woensdag 02/12")]
    assert "10:30–11:30" in cells[("10:00", "woensdag 02/12")]
    assert not any(
        "Rania" in text for key, text in cells.items() if key != ("10:00", "woensdag 02/12")
    )
    # Five working days as columns, hours as rows with their own headers.
    assert [th.attributes.get("scope") for th in page.css("thead th")] == ["col"] * 6
    assert page.css_first("tbody th").attributes.get("scope") == "row"


def test_the_week_moves_with_previous_and_next_links(client, world):
    referral = _owned(world, world.toeleider, "Rania Haddad", "+32470123456")
    _planned(referral, world.toeleider, datetime(2026, 12, 8, 9, 0))
    db.session.commit()
    client.login(world.toeleider.email)
    page = HTMLParser(client.get("/agenda/week?day=2026-12-01").get_data(as_text=True))
    links = {a.text(strip=True): a.attributes["href"] for a in page.css("nav.pager a")}
    assert "day=2026-11-23" in links["Vorige week"]
    following = client.get(links["Volgende week"]).get_data(as_text=True)
    assert "Rania Haddad" in _grid(following)[("09:00", "dinsdag 08/12")]


def test_availability_is_marked_in_the_toeleiders_own_week(client, world):
    db.session.add(
        AvailabilitySlot(
            user_id=world.toeleider.id,
            weekday=1,
            starts=time(13, 0),
            ends=time(15, 0),
            kind="conversations",
        )
    )
    db.session.commit()
    client.login(world.toeleider.email)
    page = HTMLParser(client.get("/agenda/week?day=2026-12-01").get_data(as_text=True))
    free = [
        (row.css_first("th").text(strip=True), index)
        for row in page.css("table.week tbody tr")
        for index, cell in enumerate(row.css("td"))
        if "available" in (cell.attributes.get("class") or "")
    ]
    assert free == [("13:00", 1), ("14:00", 1)]


def test_a_toeleider_sees_only_their_own_week_in_their_municipalities(client, world):
    colleague = add_user(db.session, "collega@lindeveld.be", [Role.TOELEIDER], [world.municipality])
    db.session.commit()
    mine = _owned(world, world.toeleider, "Rania Haddad", "+32470123456")
    theirs = _owned(world, colleague, "Karim Anders", "+32470123457")
    elsewhere = _owned(
        world,
        world.toeleider,
        "Olena Elders",
        "+32470123458",
        municipality_id=world.other_municipality.id,
        source_service_id=world.other_service.id,
    )
    for referral, who in (
        (mine, world.toeleider),
        (theirs, colleague),
        (elsewhere, world.toeleider),
    ):
        _planned(referral, who, datetime(2026, 12, 1, 11, 0))
    db.session.commit()
    client.login(world.toeleider.email)
    html = client.get("/agenda/week?day=2026-12-01").get_data(as_text=True)
    cell = _grid(html)[("11:00", "dinsdag 01/12")]
    assert "Rania Haddad" in cell
    assert "Karim Anders" not in cell and "Olena Elders" not in cell
    assert client.get(f"/agenda/week?toeleider={colleague.id}").status_code == 404


def test_a_lead_sees_the_teams_week_and_can_pick_one_toeleider(client, world):
    colleague = add_user(
        db.session,
        "collega@lindeveld.be",
        [Role.TOELEIDER],
        [world.municipality],
        name="Cas Collega",
    )
    stranger = add_user(db.session, "ver@elders.be", [Role.TOELEIDER], [], name="Vera Ver")
    db.session.commit()
    mine = _owned(world, world.toeleider, "Rania Haddad", "+32470123456")
    theirs = _owned(world, colleague, "Karim Anders", "+32470123457")
    _planned(mine, world.toeleider, datetime(2026, 12, 1, 11, 0))
    _planned(theirs, colleague, datetime(2026, 12, 1, 11, 30))
    db.session.commit()
    client.login(world.lead.email)
    html = client.get("/agenda/week?day=2026-12-01").get_data(as_text=True)
    cell = _grid(html)[("11:00", "dinsdag 01/12")]
    assert "Rania Haddad" in cell and "Toeleider" in cell
    assert "Karim Anders" in cell and "Cas Collega" in cell
    assert "Week van het team" in HTMLParser(html).css_first("caption").text()

    one = client.get(f"/agenda/week?day=2026-12-01&toeleider={colleague.id}").get_data(as_text=True)
    cell = _grid(one)[("11:00", "dinsdag 01/12")]
    assert "Karim Anders" in cell and "Rania Haddad" not in cell
    assert client.get(f"/agenda/week?toeleider={stranger.id}").status_code == 404
    logged = set(
        db.session.scalars(
            db.select(AccessLogEntry.referral_id).where(AccessLogEntry.action == "agenda_week")
        )
    )
    assert logged == {mine.id, theirs.id}


def test_an_appointment_on_saturday_adds_the_weekend_column(client, world):
    referral = _owned(world, world.toeleider, "Rania Haddad", "+32470123456")
    _planned(referral, world.toeleider, datetime(2026, 12, 5, 19, 0))
    db.session.commit()
    client.login(world.toeleider.email)
    cells = _grid(client.get("/agenda/week?day=2026-12-01").get_data(as_text=True))
    assert "Rania Haddad" in cells[("19:00", "zaterdag 05/12")]
