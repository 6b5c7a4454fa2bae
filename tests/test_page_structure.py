"""Every page has one h1, headings that never skip a level, and a title of its own: what a
screen reader's list of headings and the browser's tabs and history show."""

from __future__ import annotations

from selectolax.parser import HTMLParser

from portal.extensions import db
from portal.referrals import lifecycle

from .conftest import NOW
from .factories import add_referral


def outline(html: str) -> tuple[str, list[int]]:
    page = HTMLParser(html)
    title = page.css_first("title").text(strip=True)
    levels = [
        int(h.tag[1]) for h in page.css("main h1, main h2, main h3, main h4, main h5, main h6")
    ]
    return title, levels


def problems(client, paths: list[str]) -> list[str]:
    found, titles = [], {}
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        title, levels = outline(response.get_data(as_text=True))
        if levels.count(1) != 1 or not levels or levels[0] != 1:
            found.append(f"{path}: h1 {levels.count(1)} times, first heading h{levels[:1]}")
        for before, after in zip(levels, levels[1:], strict=False):
            if after > before + 1:
                found.append(f"{path}: h{before} then h{after}")
                break
        if title in titles:
            found.append(f"{path}: the same title as {titles[title]}: {title!r}")
        titles[title] = path
    return found


def test_the_toeleiders_pages(client, world):
    mine = add_referral(db.session, world, full_name="Al Opgenomen")
    lifecycle.claim(db.session, mine.id, world.toeleider, NOW)
    add_referral(db.session, world, full_name="In De Wachtrij")
    db.session.commit()
    client.login(world.toeleider.email)
    paths = [
        "/today/",
        "/queue/",
        f"/referrals/{mine.id}",
        "/queue/mine",
        "/agenda/",
        "/agenda/week",
        "/agenda/availability",
        "/queue/letters",
        "/notifications/",
        "/groupwork/activities",
        "/groupwork/waiting-lists",
        "/auth/account" if False else "/account",
    ]
    assert problems(client, paths) == []


def test_the_desk_and_lead_pages(client, world):
    referral = add_referral(db.session, world, by=world.desk)
    db.session.commit()
    client.login(world.desk.email)
    assert (
        problems(
            client,
            [
                "/desk/",
                "/desk/recent",
                f"/desk/referrals/{referral.id}/slip",
                f"/desk/referrals/{referral.id}/book",
            ],
        )
        == []
    )
    client.login(world.lead.email)
    year = NOW.year
    paths = [
        "/lead/",
        "/lead/workload",
        "/lead/signals",
        f"/reports/monthly?year={year}",
        f"/reports/evaluation?year={year}",
        f"/reports/kpis?year={year}",
        "/reports/sources",
        "/lead/children-without-school",
        "/lead/agii",
    ]
    assert problems(client, paths) == []


def test_the_admins_pages(client, world):
    client.login(world.admin.email)
    paths = [
        "/admin/",
        "/admin/users/",
        f"/admin/users/{world.desk.id}",
        "/admin/users/new",
        "/admin/c/kpis/",
        "/admin/c/kpis/new",
        "/admin/c/languages/",
        "/admin/settings",
        "/admin/privacy-notice",
        "/admin/texts/",
        "/admin/texts/slip/ar",
        f"/admin/letterhead/{world.municipality.id}",
        "/privacy/admin-log",
    ]
    assert problems(client, paths) == []


def test_error_pages_say_which_error_in_their_title(client, world):
    client.login(world.toeleider.email)
    missing = HTMLParser(client.get("/referrals/999999").get_data(as_text=True))
    assert missing.css_first("title").text(strip=True).startswith("Niet gevonden")
    refused = HTMLParser(client.get("/admin/").get_data(as_text=True))
    assert refused.css_first("title").text(strip=True).startswith("Geen toegang")


def test_the_import_of_earlier_registrations_and_the_reports_side_by_side(client, world):
    from .test_register_history import confirmed, previewed

    client.login(world.lead.email)
    imported = confirmed(client, world)
    # A second file of the same name, not imported yet: its pages are told apart too.
    waiting = previewed(client, world)
    paths = [
        "/register-import/",
        f"/register-import/{waiting.id}/columns",
        f"/register-import/{waiting.id}",
        f"/register-import/{imported.id}",
        f"/reports/monthly?year={NOW.year}&municipality=naast-elkaar",
        f"/reports/evaluation?year={NOW.year}&municipality=naast-elkaar",
    ]
    assert problems(client, paths) == []
    title, _levels = outline(client.get(f"/register-import/{waiting.id}").get_data(as_text=True))
    assert title == "Import nakijken: eerder.csv (Lindeveld, 26 nov 2026, 10:15) · Onthaalportaal"


def test_the_admins_forms_of_shared_services_and_programmes(client, world):
    client.login(world.admin.email)
    paths = ["/admin/c/services/", "/admin/c/services/new", "/admin/c/programmes/new"]
    assert problems(client, paths) == []
