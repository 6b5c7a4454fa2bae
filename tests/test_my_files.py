"""Mijn dossiers: the toeleider's open files, searched, sorted and cut into pages."""

from __future__ import annotations

import urllib.parse
from datetime import date, datetime, timedelta

from selectolax.parser import HTMLParser

from portal.extensions import db
from portal.models import FollowUpTask
from portal.referrals import lifecycle

from .factories import add_referral

NOW = datetime(2026, 11, 26, 10, 15)


def _claimed(world, name: str, claimed_at: datetime, **changes):
    referral = add_referral(
        db.session, world, full_name=name, at=claimed_at - timedelta(hours=1), **changes
    )
    lifecycle.claim(db.session, referral.id, world.toeleider, claimed_at)
    db.session.commit()
    return referral


def _rows(client, **query) -> list[dict[str, str]]:
    html = client.get("/queue/mine?" + urllib.parse.urlencode(query)).get_data(as_text=True)
    table = HTMLParser(html).css_first("table.my-files")
    if table is None:
        return []
    headers = [th.text(strip=True) for th in table.css("thead th")]
    return [
        dict(zip(headers, (td.text(strip=True) for td in tr.css("td")), strict=True))
        for tr in table.css("tbody tr")
    ]


def test_my_files_show_reference_next_step_and_last_activity(client, world):
    first = _claimed(world, "Rania Haddad", datetime(2026, 11, 2, 9, 0), phone="+32470000001")
    second = _claimed(world, "Omar Saleh", datetime(2026, 11, 3, 9, 0), phone="+32470000002")
    db.session.add(
        FollowUpTask(
            referral_id=second.id,
            owner_id=world.toeleider.id,
            description="Inschrijving school nagaan",
            due_on=date(2026, 11, 20),
        )
    )
    lifecycle.record_event(
        db.session, second, world.toeleider, datetime(2026, 11, 24, 15, 0), "note"
    )
    db.session.commit()
    client.login(world.toeleider.email)
    rows = _rows(client)
    assert [(r["Nummer"], r["Naam"]) for r in rows] == [
        (first.reference, "Rania Haddad"),
        (second.reference, "Omar Saleh"),
    ]
    assert rows[0]["Volgende stap"] == "Contact opnemen"
    assert rows[0]["Laatste activiteit"] == "02/11/2026"
    assert rows[1]["Volgende stap"] == "Inschrijving school nagaan · 20/11/2026(te laat)"
    assert rows[1]["Laatste activiteit"] == "24/11/2026"


def test_my_files_are_searched_by_name_phone_and_reference(client, world):
    rania = _claimed(world, "Rania Haddad", datetime(2026, 11, 2, 9, 0), phone="+32470000001")
    _claimed(world, "Omar Saleh", datetime(2026, 11, 3, 9, 0), phone="+32470000002")
    add_referral(db.session, world, full_name="Rania Nasser", phone="+32470000003")  # not mine
    client.login(world.toeleider.email)
    for text in ("hadd ran", "0470 00 00 01", rania.reference):
        assert [r["Naam"] for r in _rows(client, q=text)] == ["Rania Haddad"], text
    assert _rows(client, q="nasser") == []


def test_my_files_sort_by_name_and_by_last_activity(client, world):
    old = _claimed(world, "Zoë Peeters", datetime(2026, 11, 2, 9, 0), phone="+32470000001")
    _claimed(world, "Anna Koval", datetime(2026, 11, 3, 9, 0), phone="+32470000002")
    _claimed(world, "Marta Ivanova", datetime(2026, 11, 4, 9, 0), phone="+32470000003")
    lifecycle.record_event(db.session, old, world.toeleider, datetime(2026, 11, 25, 9, 0), "note")
    db.session.commit()
    client.login(world.toeleider.email)
    assert [r["Naam"] for r in _rows(client, sort="name")] == [
        "Anna Koval",
        "Marta Ivanova",
        "Zoë Peeters",
    ]
    assert [r["Naam"] for r in _rows(client, sort="activity")] == [
        "Zoë Peeters",
        "Marta Ivanova",
        "Anna Koval",
    ]
    assert [r["Naam"] for r in _rows(client, sort="quiet")][0] == "Anna Koval"
    assert len(_rows(client, sort="nonsense")) == 3  # an unknown order falls back to the usual


def test_my_files_come_in_pages_that_keep_search_and_order(client, world):
    for n in range(27):
        _claimed(
            world,
            f"Persoon {chr(65 + n % 26)}{n:02d}",
            datetime(2026, 11, 1, 9, 0) + timedelta(hours=n),
            phone=f"+324700001{n:02d}",
        )
    client.login(world.toeleider.email)
    assert len(_rows(client)) == 25
    html = client.get("/queue/mine?q=persoon&sort=name").get_data(as_text=True)
    link = HTMLParser(html).css_first("nav.pager a")
    assert link.text(strip=True) == "Volgende"
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(link.attributes["href"]).query)
    assert query == {"page": ["2"], "q": ["persoon"], "sort": ["name"]}
    assert len(_rows(client, q="persoon", sort="name", page=2)) == 2
    assert len(_rows(client, page=99)) == 2  # past the end: the last page
