"""Defects seen while trying the portal: codes and plurals in the Dutch UI, the queue's htmx."""

from __future__ import annotations

import json
import re
from datetime import date, datetime

import pytest

from portal.extensions import db
from portal.models import (
    MilestoneStatus,
    MonitoringParameter,
    PartnerReferralStatus,
    Service,
    Theme,
)
from portal.referrals import followup, lifecycle
from portal.referrals.lifecycle import TransitionRefused

from .factories import add_referral
from .test_followup import held
from .test_intake import valid_intake

NOW = datetime(2026, 11, 26, 10, 15)


def timeline_details(html: str) -> list[str]:
    return re.findall(r'<span class="pre">([^<]*)</span>', html)


def test_partner_feedback_and_milestone_status_read_in_dutch_on_the_timeline(client, world):
    theme = Theme(name="Nederlands leren", position=1)
    db.session.add(theme)
    referral = held(world, registered_on=date(2015, 3, 1))
    item = followup.refer_to_partner(
        db.session, referral, world.toeleider, world.partner, theme, date(2026, 11, 26), NOW
    )
    db.session.flush()
    followup.follow_up_partner_referral(
        db.session, item, referral, world.toeleider, PartnerReferralStatus.ARRIVED, "Start", NOW
    )
    milestone = followup.add_milestone(
        db.session, referral, world.toeleider, "Inschrijven NT2", 1, date(2027, 1, 31), NOW
    )
    followup.set_milestone_status(
        db.session, milestone, referral, world.toeleider, MilestoneStatus.ACHIEVED, NOW
    )
    db.session.commit()
    client.login(world.toeleider.email)
    details = timeline_details(client.get(f"/referrals/{referral.id}").get_data(as_text=True))
    assert "Huis van het Nederlands: aangekomen · Start" in details
    assert "Inschrijven NT2: bereikt" in details
    assert not [d for d in details if d.endswith((": arrived", ": achieved"))]


def test_monitoring_questions_list_their_kind_and_municipality_in_words(client, world):
    db.session.add_all(
        [
            MonitoringParameter(question="Kent het HvN?", kind="yes_no"),
            MonitoringParameter(
                question="Hoeveel kinderen?", kind="number", municipality=world.municipality
            ),
            MonitoringParameter(question="Welke school?", kind="choice", choices_text="A\nB"),
        ]
    )
    db.session.commit()
    client.login(world.admin.email)
    html = client.get("/admin/c/parameters/").get_data(as_text=True)
    cells = re.findall(r"<td>([^<]*)</td>", html)
    assert {"ja/nee", "getal", "keuze", "Lindeveld"} <= set(cells)
    assert not {"yes_no", "number", "choice", str(world.municipality.id)} & set(cells)


def test_desk_services_in_the_account_form_say_their_municipality(client, world):
    db.session.add(Service(name="Onthaal", municipality=world.other_municipality))
    db.session.commit()
    client.login(world.admin.email)
    html = client.get("/admin/users/new").get_data(as_text=True)
    service_select = re.search(r'<select[^>]*name="service".*?</select>', html, re.S).group(0)
    labels = re.findall(r"<option[^>]*>([^<]*)</option>", service_select)
    assert "Onthaal (Lindeveld)" in labels and "Onthaal (Beekmere)" in labels
    assert labels.count("Onthaal") == 0


def test_residence_months_and_sent_letters_use_proper_plurals(client, world):
    client.login(world.desk.email)
    one = client.post("/desk/check/registered_on", valid_intake(world, registered_on="2026-10-20"))
    assert "Nieuwkomer: woont hier 1 maand." in one.get_data(as_text=True)
    client.post("/logout", {})
    client.login(world.toeleider.email)
    page = client.post("/queue/letters/sent", {}, follow_redirects=True).get_data(as_text=True)
    assert "0 brieven als verstuurd genoteerd." in page
    assert "brief/brieven" not in page


def test_a_signal_count_on_the_timeline_is_singular_for_one(app, world):
    theme = Theme(name="Werk", position=1)
    db.session.add(theme)
    referral = held(world)
    lifecycle.record_conversation(
        db.session,
        referral,
        world.toeleider,
        held_on=date(2026, 11, 26),
        themes=[theme],
        answers={},
        needs=[],
        signals=[(theme.id, "Geen avondcursus")],
        notes=None,
        at=datetime(2026, 11, 26, 13),
    )
    db.session.commit()
    recorded = lifecycle.timeline(db.session, referral)[-1]
    assert recorded.detail == "Werk · 1 signaal"


def test_a_milestone_due_in_the_past_is_refused(app, world):
    referral = held(world, registered_on=date(2015, 3, 1))
    with pytest.raises(TransitionRefused, match="vandaag of later"):
        followup.add_milestone(
            db.session, referral, world.toeleider, "Inschrijven NT2", 1, date(2026, 11, 25), NOW
        )


def test_a_lead_without_the_toeleider_role_sees_no_claim_buttons(client, world):
    add_referral(db.session, world)
    client.login(world.lead.email)
    html = client.get("/queue/?all=1").get_data(as_text=True)
    assert "1 persoon wacht." in html
    assert "/claim" not in html
    client.post("/logout", {})
    client.login(world.toeleider.email)
    assert "/claim" in client.get("/queue/").get_data(as_text=True)


def test_leaving_the_search_box_does_not_refresh_the_list(client, world):
    client.login(world.toeleider.email)
    html = client.get("/queue/").get_data(as_text=True)
    trigger = re.search(r'<form id="queue-filter"[^>]*hx-trigger="([^"]+)"', html, re.S).group(1)
    # A bare 'change' also fires when the search box loses focus, under the pointer.
    assert [t.strip() for t in trigger.split(",") if t.strip() == "change"] == []
    assert 'class="queue-choice"' in html
    assert not re.search(r'id="q"[^>]*queue-choice', html)


def test_a_claim_in_place_tells_the_page_the_waiting_count_changed(client, world):
    referral = add_referral(db.session, world)
    client.login(world.toeleider.email)
    listing = client.get("/queue/").get_data(as_text=True)
    count = re.search(r'<p class="count" id="queue-count"[^>]*>', listing).group(0)
    assert 'hx-trigger="queue-changed from:body"' in count
    claimed = client.post(f"/queue/{referral.id}/claim", {}, headers={"HX-Request": "true"})
    assert claimed.headers["HX-Trigger"] == "queue-changed"


@pytest.mark.parametrize(("query", "all_languages"), [("all=1", True), ("", False)])
def test_the_list_tells_the_page_which_languages_it_holds(client, world, query, all_languages):
    client.login(world.toeleider.email)
    response = client.get(
        f"/queue/?{query}", headers={"HX-Request": "true", "HX-Target": "queue-list"}
    )
    event = json.loads(response.headers["HX-Trigger"])
    assert event == {"queue-filtered": {"allLanguages": all_languages}}
