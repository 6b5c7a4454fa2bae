"""The conversation record and what follows it: partner referrals, tasks, the plan."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import (
    ClosingOutcome,
    Conversation,
    MilestoneStatus,
    MonitoringParameter,
    NeedCategory,
    PartnerReferralStatus,
    ReferralState,
    Signal,
    Theme,
)
from portal.referrals import followup, lifecycle
from portal.referrals.lifecycle import TransitionRefused

from .factories import add_referral

NOW = datetime(2026, 11, 26, 10, 15)
LATER = datetime(2026, 11, 26, 14, 0)


def held(world, **changes):
    referral = add_referral(db.session, world, **changes)
    lifecycle.claim(db.session, referral.id, world.toeleider, NOW)
    appointment = lifecycle.schedule_conversation(
        db.session,
        referral,
        world.toeleider,
        world.toeleider,
        datetime(2026, 11, 26, 11, 0),
        60,
        "Gemeentehuis",
        None,
        NOW,
    )
    lifecycle.conversation_held(
        db.session, appointment, world.toeleider, datetime(2026, 11, 26, 12)
    )
    db.session.commit()
    return referral


@pytest.fixture
def catalogue(app):
    themes = [Theme(name="Nederlands leren", position=1), Theme(name="Werk", position=2)]
    housing = NeedCategory(name="Wonen")
    parameter = MonitoringParameter(
        question="Kent de persoon het Huis van het Nederlands?", kind="yes_no"
    )
    db.session.add_all([*themes, housing, parameter])
    db.session.commit()
    return {"themes": themes, "need": housing, "parameter": parameter}


def record(world, referral, catalogue, **changes):
    values = dict(
        held_on=date(2026, 11, 26),
        themes=catalogue["themes"],
        answers={catalogue["parameter"].id: "ja"},
        needs=[(catalogue["need"].id, "Zoekt woning")],
        signals=[(catalogue["themes"][1].id, "Geen avondcursus Nederlands in de buurt")],
        notes="Goed gesprek",
        at=datetime(2026, 11, 26, 13),
    )
    values.update(changes)
    return lifecycle.record_conversation(db.session, referral, world.toeleider, **values)


def test_recording_the_conversation_moves_to_follow_up(app, world, catalogue):
    referral = held(world)
    conversation = record(world, referral, catalogue)
    db.session.commit()
    assert referral.state == ReferralState.FOLLOWING_UP
    stored = db.session.get(Conversation, conversation.id)
    assert [t.name for t in stored.themes] == ["Nederlands leren", "Werk"]
    assert [(a.parameter.question[:4], a.value) for a in stored.answers] == [("Kent", "ja")]
    assert [(n.category.name, n.description) for n in stored.needs] == [("Wonen", "Zoekt woning")]
    signal = db.session.scalars(select(Signal)).one()
    assert (signal.theme.name, signal.status, signal.municipality_id) == (
        "Werk",
        "new",
        world.municipality.id,
    )


def test_conversation_needs_a_theme_and_a_held_conversation(app, world, catalogue):
    referral = held(world)
    with pytest.raises(TransitionRefused, match="minstens één thema"):
        record(world, referral, catalogue, themes=[])
    claimed = add_referral(db.session, world)
    lifecycle.claim(db.session, claimed.id, world.toeleider, NOW)
    with pytest.raises(TransitionRefused, match="Dit kan niet meer"):
        record(world, claimed, catalogue)


def test_partner_referral_is_followed_up_until_the_person_arrives(app, world, catalogue):
    referral = held(world)
    record(world, referral, catalogue)
    item = followup.refer_to_partner(
        db.session,
        referral,
        world.toeleider,
        world.partner,
        catalogue["themes"][0],
        date(2026, 11, 26),
        NOW,
    )
    db.session.flush()
    followup.follow_up_partner_referral(
        db.session,
        item,
        referral,
        world.toeleider,
        PartnerReferralStatus.ARRIVED,
        "Start les op 5/1",
        NOW,
    )
    assert (item.status, item.feedback) == ("arrived", "Start les op 5/1")
    with pytest.raises(TransitionRefused, match="partnerorganisatie"):
        followup.refer_to_partner(
            db.session,
            referral,
            world.toeleider,
            world.desk_service,
            catalogue["themes"][0],
            date(2026, 11, 26),
            NOW,
        )


def test_tasks_appear_on_the_owners_list_most_urgent_first(app, world, catalogue):
    referral = held(world)
    later = followup.add_task(
        db.session, referral, world.toeleider, "Bellen na les", date(2026, 12, 20), NOW
    )
    sooner = followup.add_task(
        db.session, referral, world.toeleider, "Attest vragen", date(2026, 12, 1), NOW
    )
    db.session.commit()
    assert followup.open_tasks_of(db.session, world.toeleider) == [sooner, later]
    followup.complete_task(db.session, sooner, world.toeleider, NOW)
    assert followup.open_tasks_of(db.session, world.toeleider) == [later]
    with pytest.raises(TransitionRefused, match="al afgewerkt"):
        followup.complete_task(db.session, sooner, world.toeleider, NOW)


def test_development_plan_is_for_long_term_residents_and_closes_the_file(app, world, catalogue):
    newcomer = held(world)
    with pytest.raises(TransitionRefused, match="oudkomers"):
        followup.add_milestone(
            db.session, newcomer, world.toeleider, "Inschrijven NT2", 1, date(2027, 1, 31), LATER
        )
    long_term = held(world, registered_on=date(2015, 3, 1), full_name="Lang Hier")
    first = followup.add_milestone(
        db.session, long_term, world.toeleider, "Inschrijven NT2", 1, date(2027, 1, 31), LATER
    )
    followup.set_milestone_status(
        db.session, first, long_term, world.toeleider, MilestoneStatus.ACHIEVED, LATER
    )
    lifecycle.close(
        db.session, long_term, world.toeleider, ClosingOutcome.PLAN_STOPPED, "Verhuist", LATER
    )
    assert (long_term.state, long_term.outcome) == ("closed", "plan_stopped")
    kinds = [e.kind for e in lifecycle.timeline(db.session, long_term)]
    assert kinds[-3:] == ["milestone_added", "milestone_status", "closed"]


def test_conversation_is_recorded_from_the_referral_page(client, world, catalogue):
    import re

    referral = held(world)
    client.login(world.toeleider.email)
    html = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert "Kent de persoon het Huis van het Nederlands?" in html
    version = re.search(r'name="conversation-version" type="hidden" value="(\d+)"', html).group(1)
    data = [
        ("conversation-version", version),
        ("conversation-held_on", "2026-11-26"),
        ("conversation-themes_covered", str(catalogue["themes"][0].id)),
        ("conversation-themes_covered", str(catalogue["themes"][1].id)),
        (f"conversation-parameter_{catalogue['parameter'].id}", "ja"),
        ("conversation-need_1_category", str(catalogue["need"].id)),
        ("conversation-need_1_text", "Zoekt woning"),
        ("conversation-signal_1_theme", str(catalogue["themes"][1].id)),
        ("conversation-signal_1_text", "Geen avondcursus"),
    ]
    missing_answer = client.post(
        f"/referrals/{referral.id}/conversation", [d for d in data if "parameter" not in d[0]]
    )
    assert missing_answer.status_code == 422
    assert "Beantwoord deze vraag." in missing_answer.get_data(as_text=True)
    assert "Geen avondcursus" in missing_answer.get_data(as_text=True)  # typed text kept
    response = client.post(f"/referrals/{referral.id}/conversation", data)
    assert response.status_code == 303, re.findall(
        r'class="error"[^>]*>([^<]+)', response.get_data(as_text=True)
    )
    db.session.expire_all()
    page = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert "Verslag van het gesprek" in page and "Zoekt woning" in page
    assert db.session.scalars(select(Signal)).one().description == "Geen avondcursus"


def test_partner_referral_and_task_from_the_page(client, world, catalogue):
    import re

    referral = held(world)
    record(world, referral, catalogue)
    db.session.commit()
    client.login(world.toeleider.email)
    html = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    version = re.search(r'name="partner-version" type="hidden" value="(\d+)"', html).group(1)
    assert (
        client.post(
            f"/referrals/{referral.id}/partner-referrals",
            {
                "partner-version": version,
                "partner-partner": str(world.partner.id),
                "partner-theme": str(catalogue["themes"][0].id),
                "partner-referred_on": "2026-11-26",
            },
        ).status_code
        == 303
    )
    db.session.expire_all()
    html = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    version = re.search(r'name="task-version" type="hidden" value="(\d+)"', html).group(1)
    assert (
        client.post(
            f"/referrals/{referral.id}/tasks",
            {
                "task-version": version,
                "task-description": "Bellen of ze er was",
                "task-due_on": "2026-12-03",
            },
        ).status_code
        == 303
    )
    mine = client.get("/queue/mine").get_data(as_text=True)
    assert "Bellen of ze er was" in mine


@pytest.mark.parametrize(
    ("day", "message"),
    [(date(1900, 1, 1), "vóór de registratie"), (date(9999, 12, 31), "in de toekomst")],
)
def test_partner_referral_date_must_be_plausible(app, world, catalogue, day, message):
    referral = held(world)
    with pytest.raises(TransitionRefused, match=message):
        followup.refer_to_partner(
            db.session, referral, world.toeleider, world.partner, catalogue["themes"][0], day, NOW
        )


def test_a_task_cannot_be_closed_through_another_files_address(client, world, catalogue):
    import re

    referral = held(world)
    record(world, referral, catalogue)
    other = held(world, full_name="Samir Haddad", phone="+32470999888")
    task = followup.add_task(
        db.session, referral, world.toeleider, "Bellen of ze er was", date(2026, 12, 3), NOW
    )
    db.session.commit()
    client.login(world.toeleider.email)
    html = client.get(f"/referrals/{other.id}").get_data(as_text=True)
    version = re.search(r'name="appointment-version" type="hidden" value="(\d+)"', html)
    data = {"appointment-version": version.group(1)} if version else {}
    response = client.post(f"/referrals/{other.id}/tasks/{task.id}/done", data)
    assert response.status_code == 404
    db.session.refresh(task)
    assert task.done_at is None


def reached(world, **changes):
    """A file picked up and the person reached on the phone; no conversation yet."""
    from portal.models import ContactChannel, ContactOutcome

    referral = add_referral(db.session, world, **changes)
    lifecycle.claim(db.session, referral.id, world.toeleider, NOW)
    lifecycle.log_contact_attempt(
        db.session,
        referral,
        world.toeleider,
        ContactChannel.PHONE,
        ContactOutcome.REACHED,
        None,
        NOW,
    )
    db.session.commit()
    return referral


def test_a_family_a_partner_brings_in_is_led_to_an_offer_before_any_conversation(
    client, world, catalogue
):
    import re

    from portal.models import PartnerReferral
    from portal.reports.evaluation import evaluation_tables, work_year_period

    referral = reached(world)
    client.login(world.toeleider.email)
    html = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert "Er is nog geen gesprek gehouden. Een toeleiding kan al" in html
    version = re.search(r'name="partner-version" type="hidden" value="(\d+)"', html).group(1)
    response = client.post(
        f"/referrals/{referral.id}/partner-referrals",
        {
            "partner-version": version,
            "partner-partner": str(world.partner.id),
            "partner-theme": str(catalogue["themes"][0].id),
            "partner-referred_on": "2026-11-26",
        },
    )
    assert response.status_code == 303
    db.session.expire_all()
    item = db.session.scalar(select(PartnerReferral))
    assert item.referral_id == referral.id
    assert db.session.get(type(referral), referral.id).state == ReferralState.CONTACTED
    page = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert world.partner.name in page and 'name="partner_status-version"' in page

    # The partner says the person arrived: noted, still before any conversation.
    followup.follow_up_partner_referral(
        db.session, item, referral, world.toeleider, PartnerReferralStatus.ARRIVED, None, LATER
    )
    db.session.commit()
    tables = {
        t.key: t
        for t in evaluation_tables(
            db.session, [world.municipality.id], work_year_period(2026, "final")
        )
    }
    # Counted as a partner referral that arrived; not as a person with a conversation.
    assert tables["toeleidingen"].rows == [[world.partner.name, 1, 1]]
    assert tables["nederlands"].rows[0][1] == 0 and tables["nederlands"].rows[1][1] == 0
    conversations = tables["bereikt"].columns.index("Gesprekken")
    assert sum(row[conversations] for row in tables["bereikt"].rows) == 0


def test_a_partner_referral_waits_until_the_person_is_reached(client, world, catalogue):
    import re

    referral = add_referral(db.session, world)
    lifecycle.claim(db.session, referral.id, world.toeleider, NOW)
    db.session.commit()
    with pytest.raises(TransitionRefused, match="pas als de persoon bereikt is"):
        followup.refer_to_partner(
            db.session,
            referral,
            world.toeleider,
            world.partner,
            catalogue["themes"][0],
            NOW.date(),
            NOW,
        )
    db.session.rollback()
    client.login(world.toeleider.email)
    html = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert 'name="partner-version"' not in html
    version = re.search(r'name="attempt-version" type="hidden" value="(\d+)"', html).group(1)
    response = client.post(
        f"/referrals/{referral.id}/partner-referrals",
        {
            "partner-version": version,
            "partner-partner": str(world.partner.id),
            "partner-theme": str(catalogue["themes"][0].id),
            "partner-referred_on": "2026-11-26",
        },
    )
    assert response.status_code in (409, 422)
    assert "pas als de persoon bereikt is" in response.get_data(as_text=True)
