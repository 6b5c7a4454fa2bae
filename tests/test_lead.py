"""The lead's Today page, the lists behind its numbers, workload and reassigning many."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from portal.extensions import db
from portal.lead.today import LIST_KINDS, today_counts, workload
from portal.models import Appointment, FollowUpTask, Milestone, Referral, Role, TimelineEvent
from portal.referrals import lifecycle
from portal.workdays import working_days_before

from .factories import add_referral, add_user
from .plans import selects, whole_table_reads

NOW = datetime(2026, 11, 26, 10, 15)  # Thursday


def test_working_days_skip_the_weekend():
    assert working_days_before(date(2026, 11, 26), 3) == date(2026, 11, 23)  # Thu -> Mon
    assert working_days_before(date(2026, 11, 30), 1) == date(2026, 11, 27)  # Mon -> Fri


def test_working_days_skip_belgian_public_holidays():
    # Wed 8 April 2026: Tue 7, (Easter Monday 6 is a holiday), Fri 3, Thu 2.
    assert working_days_before(date(2026, 4, 8), 3) == date(2026, 4, 2)
    # Thu 12 November 2026: Wed 11 November (Armistice) is a holiday: Tue 10, Mon 9.
    assert working_days_before(date(2026, 11, 12), 2) == date(2026, 11, 9)


def test_a_referral_is_not_late_for_waiting_over_easter_monday(app, world):
    add_referral(
        db.session,
        world,
        at=datetime(2026, 4, 2, 9, 0),
        full_name="Voor Pasen",
        registered_on=date(2026, 3, 2),
    )
    add_referral(
        db.session,
        world,
        at=datetime(2026, 4, 1, 9, 0),
        full_name="Lang Voor Pasen",
        registered_on=date(2026, 3, 2),
    )
    counts = today_counts(db.session, [world.municipality.id], date(2026, 4, 8), 3)
    assert counts.unclaimed_too_long == 1  # 1 April has waited 3 working days; 2 April not yet


def _day_of_work(world):
    add_referral(db.session, world, at=datetime(2026, 11, 26, 9, 0), full_name="Vandaag Nieuw")
    add_referral(db.session, world, at=datetime(2026, 11, 20, 9, 0), full_name="Wacht Al Lang")
    add_referral(db.session, world, at=datetime(2026, 11, 24, 9, 0), full_name="Wacht Kort")
    owned = add_referral(
        db.session, world, at=datetime(2026, 11, 2, 9, 0), full_name="In Opvolging"
    )
    lifecycle.claim(db.session, owned.id, world.toeleider, datetime(2026, 11, 3, 9))
    db.session.add(
        FollowUpTask(
            referral_id=owned.id,
            owner_id=world.toeleider.id,
            description="Bellen",
            due_on=date(2026, 11, 20),
        )
    )
    db.session.add(
        FollowUpTask(
            referral_id=owned.id,
            owner_id=world.toeleider.id,
            description="Later",
            due_on=date(2026, 12, 20),
        )
    )
    db.session.add(
        Milestone(
            referral_id=owned.id,
            description="NT2",
            priority=1,
            target_on=date(2026, 11, 1),
            status="open",
        )
    )
    lifecycle.schedule_conversation(
        db.session,
        owned,
        world.toeleider,
        world.toeleider,
        datetime(2026, 11, 26, 14, 0),
        60,
        "Onthaal",
        None,
        NOW,
    )
    owned.needs_letter = True
    db.session.commit()
    return owned


def test_today_counts_every_list(app, world):
    _day_of_work(world)
    counts = today_counts(db.session, [world.municipality.id], NOW.date(), 3)
    assert counts.new_today == 1
    assert counts.unclaimed_too_long == 1  # 20/11 is older than 3 working days; 24/11 is not
    assert counts.appointments_today == 1
    assert (counts.overdue_tasks, counts.overdue_milestones, counts.letters_to_send) == (1, 1, 1)


def test_every_number_on_today_links_to_a_list_of_that_many(client, world):
    _day_of_work(world)
    client.login(world.lead.email)
    html = client.get("/lead/").get_data(as_text=True)
    for href, number in re.findall(r'<a href="(/lead/list/\w+)"><strong>(\d+)</strong>', html):
        listing = client.get(href).get_data(as_text=True)
        shown = re.search(r'<p class="count">(\d+) dossiers?</p>', listing).group(1)
        assert shown == number, href
        assert len(re.findall(r"<tr><td>\d{4}-\d{6}</td>", listing)) == int(number), href
    assert "Wacht Al Lang" in client.get("/lead/list/unclaimed").get_data(as_text=True)


def test_the_leads_pages_read_no_growing_table_from_end_to_end(client, world):
    # "Letters to send" read every file of the municipality and the overdue milestones every
    # milestone: 30 ms of the lead's Today page at 100,000 files, and growing with them.
    _day_of_work(world)
    client.login(world.lead.email)
    for path in ("/lead/", "/lead/workload", *(f"/lead/list/{kind}" for kind in LIST_KINDS)):
        client.get(path)
        with selects() as seen:
            assert client.get(path).status_code == 200
        assert seen, path
        assert whole_table_reads(seen) == [], path


def test_today_panel_refreshes_alone(client, world):
    client.login(world.lead.email)
    html = client.get(
        "/lead/", headers={"HX-Request": "true", "HX-Target": "today-panel"}
    ).get_data(as_text=True)
    assert html.lstrip().startswith('<div id="today-panel"') and "<html" not in html


def test_workload_per_toeleider(app, world):
    _day_of_work(world)
    rows = {
        w.toeleider.full_name: w for w in workload(db.session, [world.municipality.id], NOW.date())
    }
    mine = rows["Toeleider"]
    assert (
        mine.open_referrals,
        mine.appointments_this_week,
        mine.appointments_next_week,
        mine.overdue_items,
    ) == (1, 1, 0, 2)


def test_workload_counts_planned_appointments_of_this_week_and_the_next_only(app, world):
    referral = add_referral(db.session, world)
    monday = datetime(2026, 11, 23, 10, 0)  # NOW is Thursday 26 November
    for days, status in [
        (-7, "planned"),  # last week
        (0, "planned"),
        (3, "held"),  # this week, but no longer planned
        (4, "planned"),
        (7, "planned"),  # next week
        (13, "planned"),
        (14, "planned"),  # the week after next
    ]:
        starts = monday + timedelta(days=days)
        db.session.add(
            Appointment(
                referral_id=referral.id,
                toeleider_id=world.toeleider.id,
                kind="welcome",
                starts_at=starts,
                ends_at=starts + timedelta(hours=1),
                place="Onthaal",
                status=status,
                created_by_id=world.toeleider.id,
                created_at=NOW,
            )
        )
    db.session.commit()
    rows = {w.toeleider.id: w for w in workload(db.session, [world.municipality.id], NOW.date())}
    mine = rows[world.toeleider.id]
    assert (mine.appointments_this_week, mine.appointments_next_week) == (2, 2)


def test_lead_reassigns_several_files_with_one_reason(client, world):
    first, second = (
        add_referral(db.session, world, full_name=n) for n in ("Een Persoon", "Twee Persoon")
    )
    for referral in (first, second):
        lifecycle.claim(db.session, referral.id, world.toeleider, NOW)
    other = add_user(
        db.session, "yonas@lindeveld.be", [Role.TOELEIDER], [world.municipality], name="Yonas"
    )
    db.session.commit()
    client.login(world.lead.email)
    page = client.get(f"/lead/toeleiders/{world.toeleider.id}").get_data(as_text=True)
    assert "Een Persoon" in page and "Twee Persoon" in page
    missing_reason = client.post(
        f"/lead/toeleiders/{world.toeleider.id}",
        [("referral", str(first.id)), ("owner", str(other.id)), ("reason", "")],
    )
    assert missing_reason.status_code == 422
    response = client.post(
        f"/lead/toeleiders/{world.toeleider.id}",
        [
            ("referral", str(first.id)),
            ("referral", str(second.id)),
            ("owner", str(other.id)),
            ("reason", "Langdurig ziek"),
        ],
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert {db.session.get(Referral, r.id).owner_id for r in (first, second)} == {other.id}
    events = db.session.scalars(
        select(TimelineEvent).where(TimelineEvent.kind == "reassigned")
    ).all()
    assert len(events) == 2 and all("Langdurig ziek" in e.detail for e in events)


def test_only_leads_see_the_lead_pages(client, world):
    client.login(world.toeleider.email)
    for path in (
        "/lead/",
        "/lead/workload",
        "/lead/list/unclaimed",
        f"/lead/toeleiders/{world.toeleider.id}",
    ):
        assert client.get(path).status_code == 403


def test_lead_lands_on_today_and_toeleider_on_their_own_today(client, world):
    assert client.login(world.lead.email).headers["Location"] == "/lead/"
    client.post("/logout", {})
    assert client.login(world.toeleider.email).headers["Location"] == "/today/"


def _signal(world, municipality=None, status="new"):
    from portal.models import Signal, Theme

    theme = Theme(name=f"Thema {datetime.now().timestamp()}")
    db.session.add(theme)
    db.session.flush()
    signal = Signal(
        municipality_id=(municipality or world.municipality).id,
        theme_id=theme.id,
        description="Geen avondcursus",
        status=status,
        created_by_id=world.toeleider.id,
        created_at=NOW,
    )
    db.session.add(signal)
    db.session.commit()
    return signal


def test_signal_register_lists_and_answers_signals(client, world):
    signal = _signal(world)
    client.login(world.lead.email)
    html = client.get("/lead/signals").get_data(as_text=True)
    assert "Geen avondcursus" in html and "Toeleider" in html
    refused = client.post(f"/lead/signals/{signal.id}", {"status": "answered", "answer": ""})
    assert refused.status_code == 303
    assert "Noteer het antwoord van het beleid." in client.get("/lead/signals").get_data(
        as_text=True
    )
    client.post(
        f"/lead/signals/{signal.id}", {"status": "answered", "answer": "Extra cursus vanaf maart"}
    )
    db.session.refresh(signal)
    assert (signal.status, signal.answer) == ("answered", "Extra cursus vanaf maart")
    assert "Geen avondcursus" not in client.get("/lead/signals?status=new").get_data(as_text=True)


def test_signals_of_another_municipality_stay_out_of_reach(client, world):
    foreign = _signal(world, municipality=world.other_municipality)
    lead_here = add_user(db.session, "lead2@lindeveld.be", [Role.LEAD], [world.municipality])
    db.session.commit()
    client.login(lead_here.email)
    assert "Geen avondcursus" not in client.get("/lead/signals").get_data(as_text=True)
    assert (
        client.post(f"/lead/signals/{foreign.id}", {"status": "new", "answer": ""}).status_code
        == 404
    )


def test_today_page_queries_do_not_grow_with_the_appointments(client, world):
    from sqlalchemy import event

    from portal.models import Appointment

    def statements_for_today() -> int:
        seen: list[str] = []

        def count(*_args: object) -> None:
            seen.append("x")

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert client.get("/lead/").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(seen)

    def add_appointments(n: int) -> None:
        for i in range(n):
            referral = add_referral(db.session, world, full_name=f"Afspraak {chr(65 + i)}")
            db.session.add(
                Appointment(
                    referral_id=referral.id,
                    toeleider_id=world.toeleider.id,
                    kind="welcome",
                    starts_at=datetime(2026, 11, 26, 9 + i),
                    ends_at=datetime(2026, 11, 26, 9 + i, 45),
                    place="Onthaal",
                    status="planned",
                    created_by_id=world.toeleider.id,
                    created_at=NOW,
                )
            )
        db.session.commit()

    client.login(world.lead.email)
    add_appointments(1)
    with_one = statements_for_today()
    add_appointments(5)
    assert statements_for_today() == with_one


def test_signal_register_pages_keep_the_status_filter(client, world):
    from portal.models import Signal, Theme

    theme = Theme(name="Werk")
    db.session.add(theme)
    db.session.flush()
    for n in range(66):
        answered = n % 11 == 0  # 6 answered, 60 new
        db.session.add(
            Signal(
                municipality_id=world.municipality.id,
                theme_id=theme.id,
                description=f"Signaal nummer {n:02d}.",
                status="answered" if answered else "new",
                answer="Besproken op het overleg." if answered else None,
                created_by_id=world.toeleider.id,
                created_at=NOW - timedelta(hours=n),
            )
        )
    db.session.commit()
    client.login(world.lead.email)
    first = client.get("/lead/signals").get_data(as_text=True)
    assert "66 signalen" in first and "Pagina 1 van 2" in first
    assert first.count("Signaal nummer") == 50 and "Signaal nummer 65." not in first
    assert 'href="/lead/signals?page=2"' in first
    assert client.get("/lead/signals?page=2").get_data(as_text=True).count("Signaal nummer") == 16

    only_new = client.get("/lead/signals?status=new").get_data(as_text=True)
    assert "60 signalen" in only_new and "Besproken op het overleg." not in only_new
    assert 'href="/lead/signals?page=2&amp;status=new"' in only_new
    second = client.get("/lead/signals?page=2&status=new").get_data(as_text=True)
    assert second.count("Signaal nummer") == 10 and "Besproken op het overleg." not in second
    assert "Signaal nummer 65." in second

    # Answering a signal on that page leads back to the same page of the same filter.
    last = db.session.scalar(select(Signal).where(Signal.description == "Signaal nummer 65."))
    action = f"/lead/signals/{last.id}?page=2&amp;status=new"
    assert f'action="{action}"' in second
    response = client.post(
        action.replace("&amp;", "&"), {"status": "brought_to_board", "answer": ""}
    )
    assert response.status_code == 303
    back = urlsplit(response.headers["Location"])
    assert (back.path, parse_qs(back.query)) == (
        "/lead/signals",
        {"page": ["2"], "status": ["new"]},
    )
