"""The pages for work recorded afterwards, struck entries and corrected conversations."""

from __future__ import annotations

from datetime import datetime, timedelta

from selectolax.parser import HTMLParser
from sqlalchemy import select

from portal.extensions import db
from portal.models import (
    AccessLogEntry,
    ContactAttempt,
    Conversation,
    MonitoringParameter,
    ReferralState,
    Role,
    Theme,
    TimelineEvent,
)
from portal.referrals import lifecycle

from .conftest import NOW
from .factories import add_referral, add_user, csv_rows

YESTERDAY = (NOW - timedelta(days=1)).date()


def _claimed(world):
    referral = add_referral(db.session, world, at=datetime(2026, 10, 20, 9, 0))
    lifecycle.claim(db.session, referral.id, world.toeleider, datetime(2026, 10, 20, 10, 0))
    theme = Theme(name="Nederlands leren", position=1)
    db.session.add(theme)
    db.session.add(MonitoringParameter(question="Heeft de persoon een huisarts?", kind="yes_no"))
    db.session.commit()
    return referral


def _walk_in_form(day, time="11:00", **changes) -> dict[str, str]:
    theme = db.session.scalars(select(Theme)).first()
    parameter = db.session.scalars(select(MonitoringParameter)).first()
    form = {
        "walk_in-held_on": day.isoformat(),
        "walk_in-held_time": time,
        "walk_in-minutes": "30",
        "walk_in-place": "Permanentie onthaal",
        "walk_in-themes_covered": str(theme.id),
        f"walk_in-parameter_{parameter.id}": "ja",
        "walk_in-notes": "Kwam spontaan langs met een vraag over de school.",
    }
    form.update(changes)
    return form


def _version(client, path: str, name: str) -> str:
    node = HTMLParser(client.get(path).get_data(as_text=True)).css_first(f'input[name="{name}"]')
    return node.attributes["value"]


def _feed(html: str) -> list:
    return HTMLParser(html).css("ol.feed > li")


def _month_row(client, month: str) -> list[str]:
    rows = csv_rows(client.get("/reports/monthly.csv?year=2026"))
    return next(r for r in rows if r[0] == month)


def test_a_walk_in_recorded_today_for_yesterday_is_counted_on_yesterday(client, world):
    referral = _claimed(world)
    client.login(world.toeleider.email)
    page = f"/referrals/{referral.id}/walk-in"
    form = _walk_in_form(
        YESTERDAY, **{"walk_in-version": _version(client, page, "walk_in-version")}
    )
    response = client.post(page, form)
    assert response.status_code == 303

    db.session.expire_all()
    conversation = db.session.scalars(select(Conversation)).one()
    assert conversation.walk_in and conversation.held_on == YESTERDAY
    attempt = db.session.scalars(select(ContactAttempt)).one()
    assert (attempt.at, attempt.recorded_at) == (
        datetime.combine(YESTERDAY, NOW.time().replace(hour=11, minute=0)),
        NOW,
    )
    html = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    walk_in = next(li for li in _feed(html) if "Gesprek zonder afspraak" in li.text())
    assert walk_in.css_first("time").attributes["datetime"] == f"{YESTERDAY.isoformat()}T11:00:00"
    assert "geregistreerd op 26 nov 2026, 10:15" in walk_in.css_first(".recorded").text()
    record = next(li for li in _feed(html) if li.css_first(".record"))
    assert "Heeft de persoon een huisarts?" in record.css_first("dl.answers").text()

    client.login(world.lead.email)
    assert _month_row(client, "2026-11") == ["2026-11", "1", "0", "0", "0", "1", "1"]


def test_a_walk_in_on_the_last_day_of_last_month_counts_in_that_month(client, world):
    referral = _claimed(world)
    client.login(world.toeleider.email)
    page = f"/referrals/{referral.id}/walk-in"
    form = _walk_in_form(
        datetime(2026, 10, 31).date(),
        **{"walk_in-version": _version(client, page, "walk_in-version")},
    )
    assert client.post(page, form).status_code == 303
    client.login(world.lead.email)
    assert _month_row(client, "2026-10")[5:] == ["1", "1"]
    assert _month_row(client, "2026-11")[5:] == ["0", "0"]


def test_a_walk_in_too_far_back_is_refused_and_the_form_kept(client, world):
    referral = _claimed(world)
    client.login(world.toeleider.email)
    page = f"/referrals/{referral.id}/walk-in"
    form = _walk_in_form(
        (NOW - timedelta(days=31)).date(),
        **{"walk_in-version": _version(client, page, "walk_in-version")},
    )
    response = client.post(page, form)
    assert response.status_code == 409
    tree = HTMLParser(response.get_data(as_text=True))
    assert "hoogstens 30 dagen terug" in tree.css_first('[role="alert"]').text()
    assert "spontaan langs" in tree.css_first('textarea[name="walk_in-notes"]').text()
    assert db.session.scalars(select(Conversation)).all() == []


def test_a_walk_in_without_a_time_is_refused_next_to_the_field(client, world):
    referral = _claimed(world)
    client.login(world.toeleider.email)
    page = f"/referrals/{referral.id}/walk-in"
    form = _walk_in_form(
        YESTERDAY, time="", **{"walk_in-version": _version(client, page, "walk_in-version")}
    )
    response = client.post(page, form)
    assert response.status_code == 422
    error = HTMLParser(response.get_data(as_text=True)).css_first("#walk_in-held_time-error")
    assert error.text() == "Vul een uur in."


def test_the_file_offers_a_walk_in_only_before_a_conversation_is_planned(client, world):
    referral = _claimed(world)
    client.login(world.toeleider.email)
    html = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert f'href="/referrals/{referral.id}/walk-in"' in html
    referral.state = ReferralState.SCHEDULED.value
    db.session.commit()
    html = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert f"/referrals/{referral.id}/walk-in" not in html
    refused = client.get(f"/referrals/{referral.id}/walk-in")
    assert refused.status_code == 409
    assert (
        "nog geen gesprek gepland"
        in HTMLParser(refused.get_data(as_text=True)).css_first('[role="alert"]').text()
    )


def test_an_attempt_logged_by_mistake_is_struck_with_a_reason_and_no_longer_counted(client, world):
    referral = _claimed(world)
    client.login(world.toeleider.email)
    file = f"/referrals/{referral.id}"
    response = client.post(
        f"{file}/attempts",
        {
            "attempt-channel": "phone",
            "attempt-outcome": "reached",
            "attempt-version": _version(client, file, "attempt-version"),
        },
    )
    assert response.status_code == 303
    client.login(world.lead.email)
    assert _month_row(client, "2026-11")[4:6] == ["1", "1"]

    event = db.session.scalars(
        select(TimelineEvent).where(TimelineEvent.kind == "contact_attempt")
    ).one()
    client.login(world.toeleider.email)
    html = client.get(file).get_data(as_text=True)
    link = HTMLParser(html).css_first(f"#event-{event.id} a.strike-link")
    assert link.attributes["href"] == f"{file}/timeline/{event.id}/strike"
    refused = client.post(link.attributes["href"], {"reason": ""})
    assert refused.status_code == 422
    assert HTMLParser(refused.get_data(as_text=True)).css_first("#reason-error").text() == (
        "Geef een reden."
    )
    assert (
        client.post(link.attributes["href"], {"reason": "Verkeerde persoon gebeld"}).status_code
        == 303
    )

    item = HTMLParser(client.get(file).get_data(as_text=True)).css_first(f"#event-{event.id}")
    assert "struck" in item.attributes["class"]
    assert item.css_first("strong del").text() == "Contactpoging"
    assert "Verkeerde persoon gebeld" in item.css_first(".strike-reason").text()
    assert item.css_first("a.strike-link") is None
    client.login(world.lead.email)
    assert _month_row(client, "2026-11")[4:6] == ["0", "0"]


def test_an_attempt_can_be_recorded_with_the_moment_it_happened(client, world):
    referral = _claimed(world)
    client.login(world.toeleider.email)
    file = f"/referrals/{referral.id}"
    form = {
        "attempt-channel": "phone",
        "attempt-outcome": "no_answer",
        "attempt-happened_on": YESTERDAY.isoformat(),
        "attempt-happened_time": "16:30",
        "attempt-version": _version(client, file, "attempt-version"),
    }
    assert client.post(f"{file}/attempts", form).status_code == 303
    attempt = db.session.scalars(select(ContactAttempt)).one()
    assert attempt.at == datetime.combine(YESTERDAY, datetime.min.time()).replace(
        hour=16, minute=30
    )

    form.update({"attempt-happened_on": NOW.date().isoformat(), "attempt-happened_time": "23:00"})
    form["attempt-version"] = _version(client, file, "attempt-version")
    response = client.post(f"{file}/attempts", form)
    assert response.status_code == 409
    assert "in de toekomst" in response.get_data(as_text=True)


def test_a_conversation_record_opens_in_full_and_a_correction_keeps_the_earlier_version(
    client, world
):
    referral = _claimed(world)
    client.login(world.toeleider.email)
    page = f"/referrals/{referral.id}/walk-in"
    client.post(
        page,
        _walk_in_form(YESTERDAY, **{"walk_in-version": _version(client, page, "walk_in-version")}),
    )
    conversation = db.session.scalars(select(Conversation)).one()
    record = f"/referrals/{referral.id}/conversations/{conversation.id}"
    html = client.get(record).get_data(as_text=True)
    assert "Heeft de persoon een huisarts?" in HTMLParser(html).css_first("dl.facts").text()

    correct = f"{record}/correct"
    version = _version(client, correct, "version")
    theme = db.session.scalars(select(Theme)).first()
    response = client.post(
        correct,
        {
            "version": version,
            "held_on": YESTERDAY.isoformat(),
            "themes_covered": str(theme.id),
            "notes": "Kwam langs met haar zus, vraag over de school.",
        },
    )
    assert response.status_code == 303
    tree = HTMLParser(client.get(record).get_data(as_text=True))
    assert "Gewijzigd door" in tree.css_first(".changed").text()
    assert "haar zus" in tree.css_first("dl.facts").text()
    assert "Kwam spontaan langs" in tree.css_first("ol.revisions").text()
    feed = _feed(client.get(f"/referrals/{referral.id}").get_data(as_text=True))
    assert any("Verslag van het gesprek verbeterd" in li.text() for li in feed)

    stale = client.post(
        correct,
        {
            "version": version,
            "held_on": YESTERDAY.isoformat(),
            "themes_covered": str(theme.id),
            "notes": "Oud",
        },
    )
    assert stale.status_code == 409
    assert "Oud" in HTMLParser(stale.get_data(as_text=True)).css_first("textarea").text()
    actions = db.session.scalars(select(AccessLogEntry.action)).all()
    assert {"walk_in", "conversation", "conversation_edit"} <= set(actions)


def test_another_toeleider_reads_the_record_but_cannot_correct_or_strike(client, world):
    referral = _claimed(world)
    client.login(world.toeleider.email)
    page = f"/referrals/{referral.id}/walk-in"
    client.post(
        page,
        _walk_in_form(YESTERDAY, **{"walk_in-version": _version(client, page, "walk_in-version")}),
    )
    conversation = db.session.scalars(select(Conversation)).one()
    event = db.session.scalars(select(TimelineEvent).where(TimelineEvent.kind == "claimed")).one()
    other = add_user(db.session, "yonas@lindeveld.be", [Role.TOELEIDER], [world.municipality])
    db.session.commit()
    client.login(other.email)
    record = f"/referrals/{referral.id}/conversations/{conversation.id}"
    assert client.get(record).status_code == 200
    assert client.get(f"{record}/correct").status_code == 409
    assert client.post(f"{record}/correct", {"notes": "x"}).status_code == 409
    strike = f"/referrals/{referral.id}/timeline/{event.id}/strike"
    assert client.post(strike, {"reason": "x"}).status_code == 409
    db.session.expire_all()
    assert db.session.get(TimelineEvent, event.id).struck_at is None
