"""A desk worker finds their own registrations of the last days again, to reprint a slip."""

from __future__ import annotations

import urllib.parse
from datetime import datetime

from selectolax.parser import HTMLParser
from sqlalchemy import select

from portal.extensions import db
from portal.models import AccessLogEntry
from portal.privacy.retention import anonymise
from portal.settings import set_int

from .factories import add_referral

NOW = datetime(2026, 11, 26, 10, 15)


def _listed(client, text: str = "") -> list[str]:
    html = client.get("/desk/recent?" + urllib.parse.urlencode({"q": text})).get_data(as_text=True)
    return [
        tr.css("td")[1].text(strip=True) for tr in HTMLParser(html).css("table.recent tbody tr")
    ]


def test_own_registrations_of_the_last_seven_days_are_listed_newest_first(as_desk, world):
    add_referral(
        db.session, world, by=world.desk, at=datetime(2026, 11, 20, 9, 0), full_name="Zes Dagen"
    )
    add_referral(
        db.session, world, by=world.desk, at=datetime(2026, 11, 19, 16, 0), full_name="Zeven Dagen"
    )
    add_referral(
        db.session, world, by=world.desk, at=datetime(2026, 11, 26, 9, 0), full_name="Van Vandaag"
    )
    add_referral(db.session, world, by=world.other_desk, full_name="Van Collega")
    assert _listed(as_desk) == ["Van Vandaag", "Zes Dagen"]


def test_the_period_is_a_setting(as_desk, world):
    add_referral(
        db.session, world, by=world.desk, at=datetime(2026, 11, 19, 16, 0), full_name="Zeven Dagen"
    )
    old = add_referral(
        db.session, world, by=world.desk, at=datetime(2026, 11, 12, 9, 0), full_name="Twee Weken"
    )
    set_int(db.session, "desk_reprint_days", 14)
    db.session.commit()
    assert _listed(as_desk) == ["Zeven Dagen"]
    assert as_desk.get(f"/desk/referrals/{old.id}/slip").status_code == 404
    set_int(db.session, "desk_reprint_days", 15)
    db.session.commit()
    assert _listed(as_desk) == ["Zeven Dagen", "Twee Weken"]
    assert as_desk.get(f"/desk/referrals/{old.id}/slip").status_code == 200


def test_the_list_is_searched_and_each_row_reprints_its_slip(as_desk, world):
    add_referral(db.session, world, by=world.desk, at=datetime(2026, 11, 24, 9, 0))
    other = add_referral(
        db.session,
        world,
        by=world.desk,
        at=datetime(2026, 11, 23, 9, 0),
        full_name="Olena Koval",
        phone="+32470999888",
    )
    assert _listed(as_desk, "koval") == ["Olena Koval"]
    assert _listed(as_desk, "0470 99 98 88") == ["Olena Koval"]
    assert _listed(as_desk, other.reference) == ["Olena Koval"]
    html = as_desk.get("/desk/recent?q=koval").get_data(as_text=True)
    link = HTMLParser(html).css_first("table.recent a").attributes["href"]
    assert link == f"/desk/referrals/{other.id}/slip"
    slip = as_desk.get(link)
    assert slip.status_code == 200 and other.reference in slip.get_data(as_text=True)


def test_the_list_is_logged_and_holds_no_anonymised_file(as_desk, world):
    kept = add_referral(db.session, world, by=world.desk, at=datetime(2026, 11, 24, 9, 0))
    gone = add_referral(
        db.session, world, by=world.desk, full_name="Weg Gedaan", phone="+32470999888"
    )
    anonymise(db.session, [gone.id], actor=world.lead, at=NOW, reason="test")
    db.session.commit()
    assert _listed(as_desk) == ["Rania Haddad"]
    entries = db.session.scalars(
        select(AccessLogEntry).where(AccessLogEntry.action == "registered_recently")
    ).all()
    assert [e.referral_id for e in entries] == [kept.id]
