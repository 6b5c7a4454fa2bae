"""School obligation over time: a toddler reaching school age gets its enrolment item (the daily
command, and the lead's list before it ran), and closing a file settles its children's items by
the outcome, reopening bringing back what the closing settled."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime

import pytest
from selectolax.parser import HTMLParser
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal import clock
from portal.accounts import SYSTEM_EMAIL, system_user
from portal.extensions import db
from portal.models import (
    AccessLogEntry,
    ClosingOutcome,
    HouseholdChild,
    Referral,
    SchoolItem,
    SchoolItemKind,
    SchoolItemStatus,
    TimelineEvent,
    User,
)
from portal.persons.corrections import correct_person, details_of
from portal.referrals import lifecycle, school
from portal.settings import set_int

from .concurrency import Window, at_once
from .conftest import NOW
from .factories import add_referral

REGISTERED = datetime(2026, 5, 11, 10, 0)  # the intake, before the toddler of 2021 turned five


def on(monkeypatch, moment: datetime) -> None:
    """The portal's clock at `moment`."""
    monkeypatch.setattr(clock, "now", lambda: moment)
    monkeypatch.setattr(clock, "today", lambda: moment.date())


def household(world, at=REGISTERED, **changes) -> Referral:
    """A newcomer's file registered in May with a child of 2016 and a toddler of 2021."""
    values = {"children_birth_years": [2016, 2021]} | changes
    referral = add_referral(db.session, world, at=at, **values)
    lifecycle.claim(db.session, referral.id, world.toeleider, at)
    db.session.commit()
    return referral


def items_of(referral) -> list[tuple[int, str, str]]:
    db.session.expire_all()
    return sorted(
        (item.child.birth_year, item.kind, item.status)
        for item in db.session.scalars(
            select(SchoolItem).where(SchoolItem.referral_id == referral.id)
        )
    )


def enrolment_of(referral, birth_year: int) -> SchoolItem | None:
    db.session.expire_all()
    return db.session.scalar(
        select(SchoolItem)
        .join(SchoolItem.child)
        .where(
            SchoolItem.referral_id == referral.id,
            SchoolItem.kind == SchoolItemKind.ENROLMENT,
            HouseholdChild.birth_year == birth_year,
        )
    )


def events_of(referral, kind: str) -> list[TimelineEvent]:
    return list(
        db.session.scalars(
            select(TimelineEvent)
            .where(TimelineEvent.referral_id == referral.id, TimelineEvent.kind == kind)
            .order_by(TimelineEvent.id)
        )
    )


def run_command(app) -> str:
    result = app.test_cli_runner().invoke(args=["school-enrolments"])
    assert result.exit_code == 0, result.output
    return result.output


# --- the daily command ----------------------------------------------------------------------


def test_a_toddler_gets_its_enrolment_the_day_it_reaches_school_age_due_from_that_day(
    app, world, monkeypatch
):
    set_int(db.session, "school_enrolment_days", 30)
    db.session.commit()
    referral = household(world)
    assert items_of(referral) == [(2016, "enrolment", "open"), (2021, "information", "open")]
    on(monkeypatch, datetime(2026, 8, 31, 23, 0))
    assert "Added 0 " in run_command(app)
    on(monkeypatch, datetime(2026, 9, 1, 2, 20))
    assert "Added 1 " in run_command(app)
    # The toddler's information item stays beside its enrolment.
    assert items_of(referral) == [
        (2016, "enrolment", "open"),
        (2021, "enrolment", "open"),
        (2021, "information", "open"),
    ]
    assert enrolment_of(referral, 2021).due_on == date(2026, 10, 1)
    [event] = events_of(referral, "school_item_of_age")
    assert event.detail == "schoolinschrijving (2021)"
    assert db.session.get(User, event.actor_id).email == SYSTEM_EMAIL
    # The next day, and the day after: nothing more.
    on(monkeypatch, datetime(2026, 9, 2, 2, 20))
    assert "Added 0 " in run_command(app)
    on(monkeypatch, datetime(2026, 9, 3, 2, 20))
    assert "Added 0 " in run_command(app)
    assert len(items_of(referral)) == 3
    assert len(events_of(referral, "school_item_of_age")) == 1


def test_a_command_that_did_not_run_on_the_day_still_counts_from_that_day(app, world, monkeypatch):
    referral = household(world, contact_language_code="nl")  # Dutch at home: no information
    assert items_of(referral) == [(2016, "enrolment", "open")]
    on(monkeypatch, NOW)  # weeks after 1 September
    run_command(app)
    assert items_of(referral) == [(2016, "enrolment", "open"), (2021, "enrolment", "open")]
    assert enrolment_of(referral, 2021).due_on == date(2026, 10, 1)


def test_only_open_newcomer_files_whose_toddler_reached_school_age_get_an_enrolment(
    app, world, monkeypatch
):
    closed = household(world, full_name="Gesloten Gezin", phone="+32470000011")
    lifecycle.close(db.session, closed, world.toeleider, ClosingOutcome.COMPLETED, None, REGISTERED)
    long_term = household(
        world, full_name="Oud Gezin", phone="+32470000012", registered_on=date(2015, 3, 1)
    )
    # Registered when its child of 2021 was already of school age: the intake gave it its item.
    late = household(world, at=NOW, full_name="Laat Gezin", phone="+32470000013")
    db.session.commit()
    on(monkeypatch, NOW)
    assert "Added 0 " in run_command(app)
    assert enrolment_of(closed, 2021) is None
    assert enrolment_of(long_term, 2021) is None
    assert len(items_of(late)) == 2 and enrolment_of(late, 2021).due_on == date(2026, 12, 26)


def test_a_correction_after_the_toddler_reached_school_age_gives_the_enrolment_then(
    app, world, monkeypatch
):
    referral = household(world)
    shown = details_of(referral)
    correct_person(
        db.session,
        referral,
        world.toeleider,
        NOW,
        typed=replace(shown, children_birth_years=(2016, 2021, 2026)),
        shown=shown,
        version=referral.person.version,
    )
    db.session.commit()
    assert items_of(referral) == [
        (2016, "enrolment", "open"),
        (2021, "enrolment", "open"),
        (2021, "information", "open"),
        (2026, "information", "open"),
    ]
    # The household is known anew on the day of the correction.
    assert enrolment_of(referral, 2021).due_on == date(2026, 12, 26)
    on(monkeypatch, NOW)
    assert "Added 0 " in run_command(app)


def test_the_database_holds_one_item_of_a_kind_per_child(app, world):
    referral = household(world)
    item = enrolment_of(referral, 2016)
    db.session.add(
        SchoolItem(
            referral_id=referral.id,
            child_id=item.child_id,
            kind=SchoolItemKind.ENROLMENT,
            status=SchoolItemStatus.OPEN,
            due_on=item.due_on,
            created_at=NOW,
            updated_by_id=world.toeleider.id,
            updated_at=NOW,
        )
    )
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def _a_run(at: datetime):
    def run() -> int:
        made = school.add_enrolments_of_age(db.session, system_user(db.session), at)
        db.session.commit()
        return len(made)

    return run


def test_two_runs_at_once_add_each_enrolment_once(app, world):
    referrals = [
        household(world, full_name=f"Gezin {n}", phone=f"+3247000002{n}") for n in range(3)
    ]
    outcomes = at_once(app, [_a_run(NOW), _a_run(NOW)])
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert sum(outcomes) == 3
    db.session.expire_all()
    for referral in referrals:
        assert [k for y, k, _s in items_of(referral) if y == 2021] == ["enrolment", "information"]
        assert len(events_of(referral, "school_item_of_age")) == 1
    assert db.session.scalars(select(User).where(User.email == SYSTEM_EMAIL)).one()


def test_a_run_that_read_before_another_run_wrote_adds_nothing_twice(app, world, monkeypatch):
    referral = household(world)
    system_user(db.session)  # as after any earlier run: the runs below only read it
    db.session.commit()
    window = Window(monkeypatch, school, "_add_enrolment")
    first, meanwhile = window.interleave(app, _a_run(NOW), _a_run(NOW))
    assert (first, meanwhile) == (0, 1)
    assert [k for y, k, _s in items_of(referral) if y == 2021] == ["enrolment", "information"]
    assert len(events_of(referral, "school_item_of_age")) == 1


# --- the lead's list and the file before the command ran ------------------------------------


def list_rows(client) -> tuple[HTMLParser, list]:
    response = client.get("/lead/children-without-school")
    assert response.status_code == 200
    html = HTMLParser(response.get_data(as_text=True))
    return html, html.css("table.children-without-school tbody tr")


def test_the_leads_list_counts_a_child_of_school_age_also_before_the_command_ran(
    app, client, world
):
    referral = household(world)
    school.update_item(
        db.session,
        enrolment_of(referral, 2016),
        referral,
        world.toeleider,
        NOW,
        status=SchoolItemStatus.ENROLLED,
        school_name="De Brug",
        note=None,
    )
    db.session.commit()
    client.login(world.lead.email)
    html, rows = list_rows(client)
    assert html.css_first("p.count").text(strip=True) == "1 kind"
    assert "Van alle kinderen is de school gekend." not in html.body.text()
    [row] = rows
    cells = [td.text(strip=True) for td in row.css("td")]
    assert cells[:4] == [referral.reference, "Rania Haddad", "2021", "nog op te volgen"]
    assert "over tijd" in cells[4] and row.attributes.get("class") == "overdue"
    assert row.css_first("a").attributes["href"].endswith("#leerplicht")
    logged = db.session.scalars(
        select(AccessLogEntry.referral_id).where(AccessLogEntry.action == "children_without_school")
    ).all()
    assert logged == [referral.id]
    # The file shows the child too, due the same day, without a form to save yet.
    client.login(world.toeleider.email)
    page = HTMLParser(client.get(f"/referrals/{referral.id}").get_data(as_text=True))
    coming = page.css_first("li.school-coming")
    assert "Kind geboren in 2021" in coming.text() and "over tijd" in coming.text()
    # Once the command ran, the same line is the item's, with the same due date.
    run_command(app)
    item = enrolment_of(referral, 2021)
    client.login(world.lead.email)
    _html, [after] = list_rows(client)
    assert [td.text(strip=True) for td in after.css("td")] == cells
    assert after.css_first("a").attributes["href"].endswith(f"#school-item-{item.id}")
    client.login(world.toeleider.email)
    page = HTMLParser(client.get(f"/referrals/{referral.id}").get_data(as_text=True))
    assert page.css_first("li.school-coming") is None
    assert page.css_first(f"#school-item-{item.id} form") is not None


def test_the_list_says_all_schools_are_known_only_when_no_child_is_missing(client, world):
    household(world, children_birth_years=[2024])  # a toddler still
    client.login(world.lead.email)
    html, rows = list_rows(client)
    assert rows == []
    assert "Van alle kinderen is de school gekend." in html.body.text()


# --- closing and reopening ------------------------------------------------------------------


def with_pending_items(world) -> Referral:
    """An overdue enrolment, one referred to Agii, one enrolled and a toddler's information."""
    referral = household(world, at=datetime(2026, 9, 1, 9), children_birth_years=[2012, 2016, 2024])
    items = {i.child.birth_year: i for i in db.session.scalars(select(SchoolItem))}
    for year, status, name in [
        (2012, SchoolItemStatus.REFERRED_AGII, None),
        (2016, SchoolItemStatus.ENROLLED, "De Brug"),
    ]:
        school.update_item(
            db.session,
            items[year],
            referral,
            world.toeleider,
            NOW,
            status=status,
            school_name=name,
            note=None,
        )
    db.session.commit()
    return referral


def post_close(client, referral, outcome: str):
    html = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    version = re.search(r'name="close-version" type="hidden" value="(\d+)"', html).group(1)
    return client.post(
        f"/referrals/{referral.id}/close",
        {"close-version": version, "close-outcome": outcome},
        follow_redirects=True,
    )


def post_reopen(client, referral):
    html = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    version = re.search(r'name="reopen-version" type="hidden" value="(\d+)"', html).group(1)
    return client.post(
        f"/referrals/{referral.id}/reopen",
        {"reopen-version": version, "reopen-reason": "Toch niet verhuisd"},
        follow_redirects=True,
    )


def school_lines(html: HTMLParser) -> dict[str, str]:
    return {
        li.css_first("strong").text(): li.text(separator=" ", strip=True)
        for li in html.css("ul.school-items > li")
    }


def test_moving_away_makes_the_pending_items_not_applicable_and_reopening_brings_them_back(
    client, world
):
    referral = with_pending_items(world)
    client.login(world.toeleider.email)
    before = HTMLParser(client.get(f"/referrals/{referral.id}").get_data(as_text=True))
    hint = before.css_first("form[action$='/close'] .school-at-closing").text()
    assert hint.startswith("De leerplicht van 2 kinderen is nog niet rond.")
    closed = HTMLParser(post_close(client, referral, "moved_away").get_data(as_text=True))
    assert "2 punten van de leerplicht zijn niet meer van toepassing" in closed.body.text()
    assert items_of(referral) == [
        (2012, "enrolment", "not_applicable"),
        (2016, "enrolment", "enrolled"),
        (2024, "information", "not_applicable"),
    ]
    [event] = events_of(referral, "school_items_settled")
    assert event.detail == (
        "schoolinschrijving (2012) · informatie Huis van het Kind en kleuterschool (2024)"
    )
    lines = school_lines(closed)
    assert "niet van toepassing" in lines["Kind geboren in 2012"]
    assert "het gezin is verhuisd" in lines["Kind geboren in 2012"]
    assert "het gezin is verhuisd" not in lines["Kind geboren in 2016"]
    assert not closed.css("ul.school-items .badge")  # nothing overdue on a closed file
    client.login(world.lead.email)
    assert list_rows(client)[1] == []
    post_reopen(client, referral)
    assert items_of(referral) == [
        (2012, "enrolment", "referred_agii"),
        (2016, "enrolment", "enrolled"),
        (2024, "information", "open"),
    ]
    assert events_of(referral, "school_items_restored")[0].detail == event.detail
    [row] = list_rows(client)[1]
    assert row.css("td")[3].text() == "doorverwezen naar Agii"


@pytest.mark.parametrize("outcome", ["completed", "declined", "unreachable", "plan_stopped"])
def test_any_other_outcome_keeps_the_items_as_recorded_but_no_longer_followed_up(
    client, world, outcome
):
    referral = household(world, at=datetime(2026, 9, 1, 9), children_birth_years=[2016])
    client.login(world.toeleider.email)
    closed = HTMLParser(post_close(client, referral, outcome).get_data(as_text=True))
    assert "leerplicht" not in closed.css_first("p.flash").text().lower()
    assert items_of(referral) == [(2016, "enrolment", "open")]
    assert events_of(referral, "school_items_settled") == []
    line = school_lines(closed)["Kind geboren in 2016"]
    assert "nog op te volgen" in line and "niet meer opgevolgd" in line
    assert "over tijd" not in line and "tegen" not in line
    client.login(world.lead.email)
    assert list_rows(client)[1] == []
    reopened = HTMLParser(post_reopen(client, referral).get_data(as_text=True))
    line = school_lines(reopened)["Kind geboren in 2016"]
    assert "over tijd" in line and "niet meer opgevolgd" not in line
    assert events_of(referral, "school_items_restored") == []
    assert len(list_rows(client)[1]) == 1


def test_an_item_updated_after_reopening_is_not_set_back_by_the_next_closing(app, world):
    referral = with_pending_items(world)
    lifecycle.close(db.session, referral, world.toeleider, ClosingOutcome.MOVED_AWAY, None, NOW)
    lifecycle.reopen(db.session, referral, world.lead, "Toch niet verhuisd", NOW)
    item = enrolment_of(referral, 2012)
    school.update_item(
        db.session,
        item,
        referral,
        world.toeleider,
        NOW,
        status=SchoolItemStatus.ENROLLED,
        school_name="Atheneum",
        note=None,
    )
    lifecycle.close(db.session, referral, world.toeleider, ClosingOutcome.COMPLETED, None, NOW)
    lifecycle.reopen(db.session, referral, world.lead, "Nog een vraag", NOW)
    db.session.commit()
    assert items_of(referral)[0] == (2012, "enrolment", "enrolled")
    assert enrolment_of(referral, 2012).status_before_closing is None
