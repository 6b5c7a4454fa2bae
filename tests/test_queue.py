"""The queue over HTTP and under contention: ordering, filters, search, claiming in place."""

from __future__ import annotations

import re
import threading
from datetime import datetime, timedelta

from sqlalchemy import select

from portal.extensions import db
from portal.models import Referral, Role, TimelineEvent, User
from portal.referrals import lifecycle

from .factories import add_referral, add_user

AT = datetime(2026, 11, 26, 11, 0)


def names_in(html: str) -> list[str]:
    return re.findall(
        r'<tr id="queue-row-\d+">\s*<td>[^<]*<small>[^<]*</small></td>\s*<td>([^<]+)</td>', html
    )


def as_toeleider(client, world):
    client.login(world.toeleider.email)
    return client


def test_queue_orders_by_waiting_time_raised_by_the_indicators(client, world):
    base = datetime(2026, 11, 20, 9, 0)
    add_referral(
        db.session,
        world,
        at=base,
        full_name="Werkt Zonder Kinderen",
        dutch_difficult=False,
        has_work=True,
        has_children=False,
    )
    add_referral(
        db.session,
        world,
        at=base + timedelta(days=3),
        full_name="Geen Werk Met Kinderen",
        dutch_difficult=True,
        has_work=False,
        has_children=True,
    )
    add_referral(
        db.session,
        world,
        at=base - timedelta(days=2),
        full_name="Oudste Met Werk",
        dutch_difficult=False,
        has_work=True,
        has_children=False,
    )
    html = as_toeleider(client, world).get("/queue/").get_data(as_text=True)
    # 3 days younger but 28 days of indicator weight: first.
    assert names_in(html) == ["Geen Werk Met Kinderen", "Oudste Met Werk", "Werkt Zonder Kinderen"]


def test_queue_shows_only_my_languages_until_i_ask_for_all(client, world):
    add_referral(db.session, world, full_name="Spreekt Arabisch", contact_language_code="ar")
    add_referral(db.session, world, full_name="Spreekt Tigrinya", contact_language_code="ti")
    as_toeleider(client, world)
    assert names_in(client.get("/queue/").get_data(as_text=True)) == ["Spreekt Arabisch"]
    assert set(names_in(client.get("/queue/?all=1").get_data(as_text=True))) == {
        "Spreekt Arabisch",
        "Spreekt Tigrinya",
    }
    assert names_in(client.get("/queue/?language=ti").get_data(as_text=True)) == [
        "Spreekt Tigrinya"
    ]


def test_queue_leaves_out_claimed_closed_and_other_municipalities(client, world):
    add_referral(db.session, world, full_name="Wacht Nog")
    taken = add_referral(db.session, world, full_name="Al Opgenomen")
    lifecycle.claim(db.session, taken.id, world.toeleider, AT)
    add_referral(
        db.session,
        world,
        by=world.outsider,
        full_name="Andere Gemeente",
        municipality_id=world.other_municipality.id,
        source_service_id=world.other_service.id,
    )
    db.session.commit()
    html = as_toeleider(client, world).get("/queue/?all=1").get_data(as_text=True)
    assert names_in(html) == ["Wacht Nog"]
    assert "1 persoon wacht." in html


def test_search_by_name_start_phone_or_reference(client, world):
    rania = add_referral(db.session, world, full_name="Rania Haddad", phone="+32470123456")
    add_referral(db.session, world, full_name="Omar Saleh", phone="+32470999999")
    as_toeleider(client, world)
    for query in ("had", "RANIA", "0470 12 34 56", rania.reference):
        html = client.get(f"/queue/?q={query}").get_data(as_text=True)
        assert names_in(html) == ["Rania Haddad"], query
    assert names_in(client.get("/queue/?q=xyz").get_data(as_text=True)) == []


def test_search_reads_the_text_as_the_header_search_does(client, world):
    """Name parts in any order, an e-mail, a file number typed without its zeros: through
    the persons' search keys, as the header search finds them."""
    rania = add_referral(db.session, world, full_name="Rania Haddad", email="rania.h@voorbeeld.be")
    add_referral(db.session, world, full_name="Rania Saleh")
    year, number = rania.reference.split("-")
    as_toeleider(client, world)
    for query in ("had ra", "Haddad Rania", "rania.h@voorbeeld.be", f"{year}-{int(number)}"):
        html = client.get("/queue/", query_string={"q": query}).get_data(as_text=True)
        assert names_in(html) == ["Rania Haddad"], query


def test_filters_for_newcomers_and_source(client, world):
    add_referral(
        db.session, world, full_name="Nieuw Hier", registered_on=datetime(2026, 6, 1).date()
    )
    add_referral(
        db.session,
        world,
        full_name="Lang Hier",
        registered_on=datetime(2015, 6, 1).date(),
        source_service_id=world.partner.id,
    )
    as_toeleider(client, world)
    assert names_in(client.get("/queue/?residence=newcomer").get_data(as_text=True)) == [
        "Nieuw Hier"
    ]
    assert names_in(client.get("/queue/?residence=long_term").get_data(as_text=True)) == [
        "Lang Hier"
    ]
    assert names_in(client.get(f"/queue/?source={world.partner.id}").get_data(as_text=True)) == [
        "Lang Hier"
    ]


def test_htmx_refresh_returns_the_list_alone(client, world):
    add_referral(db.session, world)
    html = (
        as_toeleider(client, world)
        .get("/queue/", headers={"HX-Request": "true", "HX-Target": "queue-list"})
        .get_data(as_text=True)
    )
    assert html.lstrip().startswith('<div id="queue-list"')
    assert 'data-poll-seconds="30"' in html and 'hx-trigger="poll"' in html
    assert "<html" not in html


def test_queue_is_paginated(client, world):
    for n in range(30):
        add_referral(db.session, world, full_name=f"Persoon {chr(65 + n % 26)}{chr(65 + n // 26)}")
    as_toeleider(client, world)
    first = client.get("/queue/").get_data(as_text=True)
    second = client.get("/queue/?page=2").get_data(as_text=True)
    assert (len(names_in(first)), len(names_in(second))) == (25, 5)
    assert "Pagina 1 van 2" in first
    assert not set(names_in(first)) & set(names_in(second))


def test_desk_worker_has_no_queue(as_desk):
    assert as_desk.get("/queue/").status_code == 403


def test_claim_in_place_and_the_loser_is_told_who_won(client, world):
    referral = add_referral(db.session, world)
    other = add_user(
        db.session, "yonas@lindeveld.be", [Role.TOELEIDER], [world.municipality], name="Yonas"
    )
    db.session.commit()
    as_toeleider(client, world)
    won = client.post(f"/queue/{referral.id}/claim", {}, headers={"HX-Request": "true"})
    assert "Opgenomen door u." in won.get_data(as_text=True)
    client.post("/logout", {})
    client.login(other.email)
    lost = client.post(f"/queue/{referral.id}/claim", {}, headers={"HX-Request": "true"})
    assert lost.status_code == 200  # htmx swaps the message in place
    assert "heeft deze persoon al opgenomen" in lost.get_data(as_text=True)


def test_claim_without_javascript_opens_the_file(client, world):
    referral = add_referral(db.session, world)
    response = as_toeleider(client, world).post(f"/queue/{referral.id}/claim", {})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/referrals/{referral.id}"


def test_twenty_toeleiders_claiming_at_once_give_exactly_one_owner(app, world):
    referral = add_referral(db.session, world)
    claimants = [
        add_user(db.session, f"t{n}@lindeveld.be", [Role.TOELEIDER], [world.municipality])
        for n in range(20)
    ]
    db.session.commit()
    ids = [u.id for u in claimants]
    barrier = threading.Barrier(20)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(user_id: int) -> None:
        # Each thread has its own app context, so its own session and database connection.
        barrier.wait()  # all start together; none holds a pooled connection while waiting
        with app.app_context():
            user = db.session.get(User, user_id)
            try:
                lifecycle.claim(db.session, referral.id, user, AT)
                db.session.commit()
                result = "won"
            except lifecycle.AlreadyClaimed as refused:
                result = f"refused:{refused.owner_name}"
            finally:
                db.session.remove()
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    db.session.expire_all()
    stored = db.session.get(Referral, referral.id)
    owner = db.session.get(User, stored.owner_id)
    assert outcomes.count("won") == 1
    assert outcomes.count(f"refused:{owner.full_name}") == 19
    claims = db.session.scalars(select(TimelineEvent).where(TimelineEvent.kind == "claimed")).all()
    assert len(claims) == 1


def test_a_referral_registered_late_in_the_evening_shows_that_days_date(client, world):
    # Times are stored as Belgian wall-clock time; reading them as UTC moved a registration
    # at 23:30 in winter (22:30 in summer) to the next day in the queue.
    add_referral(db.session, world, at=datetime(2026, 11, 24, 23, 30), full_name="Laat Avond")
    add_referral(db.session, world, at=datetime(2026, 7, 1, 22, 30), full_name="Zomer Avond")
    db.session.commit()
    html = as_toeleider(client, world).get("/queue/").get_data(as_text=True)
    assert re.search(r"24/11/2026 <small>\(2 dagen\)</small></td>\s*<td>Laat Avond", html)
    assert re.search(r"01/07/2026 <small>\([^)]*\)</small></td>\s*<td>Zomer Avond", html)
    assert "25/11/2026" not in html and "02/07/2026" not in html
