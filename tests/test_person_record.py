"""The person behind the files: their history, corrections, joins and undoing a join."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from portal.extensions import db
from portal.models import (
    AccessLogEntry,
    ContactChannel,
    ContactOutcome,
    Person,
    PersonJoin,
    Referral,
    Role,
    Theme,
    TimelineEvent,
)
from portal.persons.corrections import (
    CorrectionConflict,
    correct_person,
    details_of,
)
from portal.persons.join import JoinRefused, join_persons, undo_join
from portal.privacy.retention import erase_person
from portal.referrals import lifecycle
from portal.reports.counting import monthly_figures
from portal.reports.evaluation import Period, evaluation_tables

from .factories import add_held_appointment, add_partner_referral, add_referral, add_user

AT = datetime(2026, 11, 26, 10, 0)


def _claimed(world, **changes):
    referral = add_referral(db.session, world, **changes)
    lifecycle.claim(db.session, referral.id, world.toeleider, AT)
    db.session.commit()
    return referral


def _hidden(html: str, name: str) -> str:
    # WTForms writes name before type; the hand-written inputs write type first.
    match = re.search(rf'name="{name}" type="hidden" value="([^"]*)"', html) or re.search(
        rf'type="hidden" name="{name}" value="([^"]*)"', html
    )
    assert match, name
    return match.group(1).replace("&#34;", '"').replace("&quot;", '"')


def _correction_form(client, referral, **changes) -> dict[str, str]:
    html = client.get(f"/referrals/{referral.id}/person").get_data(as_text=True)
    values = {
        "full_name": "Rania Haddad",
        "birth_year": "1990",
        "phone": "+32470123456",
        "email": "",
        "address": "",
        "contact_language": "Arabisch",
        "home_language": "",
        "adults": "2",
        "children_birth_years": "2016, 2019",
        "registered_on": "2026-05-04",
        "version": _hidden(html, "version"),
        "shown": _hidden(html, "shown"),
    }
    values.update(changes)
    return values


def _error(html: str, field: str) -> str:
    match = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', html)
    return match.group(1) if match else ""


def test_the_file_lists_the_other_files_of_the_same_person(client, world):
    earlier = add_referral(
        db.session, world, at=datetime(2024, 3, 1, 9, 0), registered_on=date(2024, 1, 5)
    )
    lifecycle.claim(db.session, earlier.id, world.toeleider, datetime(2024, 3, 1, 10, 0))
    db.session.commit()
    elsewhere = add_referral(
        db.session, world, person=earlier.person, municipality_id=world.other_municipality.id
    )
    now = _claimed(world)
    now.person = earlier.person
    db.session.commit()
    client.login(world.toeleider.email)
    html = client.get(f"/referrals/{now.id}").get_data(as_text=True)
    section = html[html.index('id="h-person-record"') :]
    assert f'<a href="/referrals/{earlier.id}">{earlier.reference}</a>' in section
    # The toeleider does not work for the other municipality: its reference, no link.
    assert elsewhere.reference in section
    assert f'href="/referrals/{elsewhere.id}"' not in section
    logged = db.session.scalars(
        select(AccessLogEntry.referral_id).where(AccessLogEntry.action == "person_history")
    ).all()
    assert logged == [earlier.id]


def test_a_correction_of_the_children_keeps_the_child_a_partner_referral_names(client, world):
    referral = _claimed(world)  # children born in 2016 and 2019
    theme = Theme(name="Vrije tijd")
    db.session.add(theme)
    db.session.flush()
    item = add_partner_referral(
        db.session, referral, world.partner, theme, date(2026, 11, 20), world.toeleider
    )
    item.children = [c for c in referral.children if c.birth_year == 2019]
    db.session.commit()
    client.login(world.toeleider.email)
    form = _correction_form(client, referral, children_birth_years="2015, 2019")
    assert client.post(f"/referrals/{referral.id}/person", form).status_code == 303
    db.session.expire_all()
    assert [c.birth_year for c in db.session.get(Referral, referral.id).children] == [2015, 2019]
    assert [c.birth_year for c in db.session.get(type(item), item.id).children] == [2019]


def test_the_owner_corrects_the_person_and_the_timeline_shows_old_and_new(client, world):
    referral = _claimed(world)
    client.login(world.toeleider.email)
    form = _correction_form(
        client,
        referral,
        full_name="Rania Al-Haddad",
        phone="0470 99 88 77",
        contact_language="Frans",
        adults="3",
        children_birth_years="2016, 2019, 2024",
        registered_on="2025-10-01",
    )
    response = client.post(f"/referrals/{referral.id}/person", form)
    assert response.status_code == 303
    db.session.expire_all()
    referral = db.session.get(Referral, referral.id)
    person = referral.person
    assert (person.full_name, person.name_key, person.phone) == (
        "Rania Al-Haddad",
        "rania al haddad",
        "+32470998877",
    )
    assert (referral.contact_language_code, referral.adults) == ("fr", 3)
    assert [c.birth_year for c in referral.children] == [2016, 2019, 2024]
    # Registered more than a year before the intake: a long-term resident.
    assert referral.registered_on == date(2025, 10, 1) and referral.is_newcomer is False
    event = db.session.scalars(
        select(TimelineEvent).where(TimelineEvent.kind == "person_corrected")
    ).one()
    assert event.actor_id == world.toeleider.id
    page = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert "Naam: Rania Haddad → Rania Al-Haddad" in page
    assert "Telefoon: +32470123456 → +32470998877" in page
    assert "Contacttaal: Arabisch → Frans" in page
    assert "Geboortejaren van de kinderen: 2016, 2019 → 2016, 2019, 2024" in page


def test_only_the_owner_or_a_lead_may_correct(client, world):
    referral = _claimed(world)
    colleague = add_user(db.session, "cas@lindeveld.be", [Role.TOELEIDER], [world.municipality])
    db.session.commit()
    client.login(colleague.email)
    assert client.get(f"/referrals/{referral.id}/person").status_code == 403
    client.login(world.lead.email)
    assert client.get(f"/referrals/{referral.id}/person").status_code == 200
    client.login(world.desk.email)
    assert client.get(f"/referrals/{referral.id}/person").status_code == 403


def test_bad_input_is_shown_next_to_the_field_and_nothing_is_saved(client, world):
    referral = _claimed(world)
    client.login(world.toeleider.email)
    form = _correction_form(client, referral, phone="12", registered_on="2026-12-01")
    response = client.post(f"/referrals/{referral.id}/person", form)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "geen geldig telefoonnummer" in _error(html, "phone")
    assert _error(html, "registered_on")
    assert 'value="12"' in html
    db.session.expire_all()
    assert db.session.get(Referral, referral.id).person.phone == "+32470123456"


def test_a_stale_form_is_refused_and_sending_it_again_keeps_the_other_correction(client, world):
    referral = _claimed(world)
    client.login(world.toeleider.email)
    stale = _correction_form(client, referral, email="rania@example.org")
    # Meanwhile a lead corrects the address and the name.
    client.login(world.lead.email)
    lead_form = _correction_form(
        client, referral, address="Kerkstraat 2, 9999 Lindeveld", full_name="Rania Hadad"
    )
    assert client.post(f"/referrals/{referral.id}/person", lead_form).status_code == 303

    client.login(world.toeleider.email)
    stale["full_name"] = "Rania Haddad-Ali"
    refused = client.post(f"/referrals/{referral.id}/person", stale)
    assert refused.status_code == 409
    html = refused.get_data(as_text=True)
    assert "Iemand anders verbeterde de gegevens" in html
    # Typed values stay; fields the toeleider left alone show the lead's correction.
    assert 'value="rania@example.org"' in html
    assert 'value="Rania Haddad-Ali"' in html
    assert 'value="Kerkstraat 2, 9999 Lindeveld"' in html
    assert "Intussen gewijzigd naar: Rania Hadad" in html
    db.session.expire_all()
    person = db.session.get(Referral, referral.id).person
    assert (person.email, person.full_name) == (None, "Rania Hadad")

    again = {
        **stale,
        "address": "Kerkstraat 2, 9999 Lindeveld",
        "version": _hidden(html, "version"),
        "shown": _hidden(html, "shown"),
    }
    assert client.post(f"/referrals/{referral.id}/person", again).status_code == 303
    db.session.expire_all()
    person = db.session.get(Referral, referral.id).person
    assert (person.email, person.address, person.full_name) == (
        "rania@example.org",
        "Kerkstraat 2, 9999 Lindeveld",
        "Rania Haddad-Ali",
    )


def test_a_correction_on_an_old_version_is_refused_by_the_domain(world):
    referral = _claimed(world)
    shown = details_of(referral)
    version = referral.person.version
    correct_person(
        db.session,
        referral,
        world.toeleider,
        AT,
        typed=shown.__class__(**{**shown.__dict__, "adults": 4}),
        shown=shown,
        version=version,
    )
    db.session.commit()
    try:
        correct_person(
            db.session,
            referral,
            world.toeleider,
            AT,
            typed=shown.__class__(**{**shown.__dict__, "email": "x@example.org"}),
            shown=shown,
            version=version,
        )
    except CorrectionConflict as conflict:
        assert conflict.changed_by_others == ("adults",)
    else:
        raise AssertionError("a stale correction was applied")


def _two_persons_with_history(world):
    """Two records of one resident, each with a claimed file, a conversation and a follow-up."""
    first = add_referral(
        db.session,
        world,
        at=datetime(2026, 3, 2, 9, 0),
        registered_on=date(2026, 2, 1),
        email="rania@example.org",
        phone=None,
        address="Kerkstraat 1, 9999 Lindeveld",
    )
    second = add_referral(db.session, world, at=datetime(2026, 10, 5, 9, 0), birth_year=None)
    theme = db.session.scalars(select(Theme)).first() or Theme(name="Nederlands leren")
    db.session.add(theme)
    for referral, day in ((first, datetime(2026, 3, 10, 10, 0)), (second, AT)):
        lifecycle.claim(db.session, referral.id, world.toeleider, day)
        lifecycle.log_contact_attempt(
            db.session,
            referral,
            world.toeleider,
            ContactChannel.PHONE,
            ContactOutcome.REACHED,
            None,
            day,
        )
        add_held_appointment(db.session, referral, world.toeleider, day + timedelta(days=1))
        add_partner_referral(
            db.session, referral, world.partner, theme, day.date(), world.toeleider, "arrived"
        )
    db.session.commit()
    return first, second


def _figures(world):
    ids = [world.municipality.id]
    monthly = monthly_figures(db.session, ids, 2026)
    tables = evaluation_tables(db.session, ids, Period(date(2026, 1, 1), date(2027, 1, 1)))
    return (
        [(r.month, r.reached, r.conversations) for r in monthly.rows],
        [(t.key, t.rows, t.totals) for t in tables],
    )


def _everything(world):
    referrals = db.session.execute(
        select(Referral.id, Referral.state, Referral.adults).order_by(Referral.id)
    ).all()
    events = set(db.session.scalars(select(TimelineEvent.id)))
    return referrals, events, _figures(world)


def test_join_and_undo_keep_every_referral_event_and_figure(client, world):
    first, second = _two_persons_with_history(world)
    kept, absorbed = second.person, first.person
    referrals, events, figures = _everything(world)

    client.login(world.toeleider.email)
    preview = client.get(f"/referrals/{second.id}/person/join?reference={first.reference}")
    assert preview.status_code == 200
    html = preview.get_data(as_text=True)
    assert "Kerkstraat 1, 9999 Lindeveld" in html and "van de andere persoon" in html
    done = client.post(
        f"/referrals/{second.id}/person/join",
        {
            "reference": first.reference,
            "kept_version": _hidden(html, "kept_version"),
            "absorbed_version": _hidden(html, "absorbed_version"),
        },
    )
    assert done.status_code == 303
    db.session.expire_all()
    assert {r.person_id for r in db.session.scalars(select(Referral))} == {kept.id}
    joined = db.session.get(Person, kept.id)
    # The kept person's own details stay; what it lacked comes from the other record.
    assert (joined.phone, joined.email, joined.birth_year) == (
        "+32470123456",
        "rania@example.org",
        1990,
    )
    assert db.session.get(Person, absorbed.id).merged_into_id == kept.id
    after_referrals, after_events, after_figures = _everything(world)
    assert after_referrals == referrals and events < after_events and after_figures == figures
    joined_on = db.session.scalars(
        select(TimelineEvent.referral_id).where(TimelineEvent.kind == "person_joined")
    ).all()
    assert sorted(joined_on) == sorted([first.id, second.id])
    page = client.get(f"/referrals/{second.id}").get_data(as_text=True)
    assert f'<a href="/referrals/{first.id}">{first.reference}</a>' in page

    join = db.session.scalars(select(PersonJoin)).one()
    undone = client.post(f"/referrals/{second.id}/person/joins/{join.id}/undo", {})
    assert undone.status_code == 303
    db.session.expire_all()
    assert db.session.get(Referral, first.id).person_id == absorbed.id
    assert db.session.get(Referral, second.id).person_id == kept.id
    restored = db.session.get(Person, kept.id)
    assert (restored.email, restored.birth_year) == (None, None)
    assert db.session.get(Person, absorbed.id).merged_into_id is None
    undo_referrals, undo_events, undo_figures = _everything(world)
    assert undo_referrals == referrals and after_events < undo_events
    assert undo_figures == figures


def test_a_join_is_undone_only_within_the_window(world):
    first, second = _two_persons_with_history(world)
    join = join_persons(
        db.session,
        second.person,
        first.person,
        world.lead,
        AT,
        versions=(second.person.version, first.person.version),
    )
    db.session.commit()
    with pytest.raises(JoinRefused):
        undo_join(
            db.session, join, world.lead, AT + timedelta(hours=25), window=timedelta(hours=24)
        )
    undo_join(db.session, join, world.lead, AT + timedelta(hours=23), window=timedelta(hours=24))
    db.session.commit()
    with pytest.raises(JoinRefused):
        undo_join(
            db.session, join, world.lead, AT + timedelta(hours=23), window=timedelta(hours=24)
        )


def test_a_join_on_a_stale_preview_is_refused(world):
    first, second = _two_persons_with_history(world)
    with pytest.raises(JoinRefused):
        join_persons(
            db.session,
            second.person,
            first.person,
            world.lead,
            AT,
            versions=(second.person.version - 1, first.person.version),
        )


def test_only_who_may_see_both_persons_may_join_them(client, world):
    mine = _claimed(world)
    elsewhere = add_referral(db.session, world, municipality_id=world.other_municipality.id)
    client.login(world.toeleider.email)
    response = client.get(f"/referrals/{mine.id}/person/join?reference={elsewhere.reference}")
    assert response.status_code == 422
    assert "Geen dossier met deze referentie" in _error(
        response.get_data(as_text=True), "reference"
    )
    refused = client.post(
        f"/referrals/{mine.id}/person/join",
        {"reference": elsewhere.reference, "kept_version": "1", "absorbed_version": "1"},
    )
    assert refused.status_code == 404
    assert db.session.get(Referral, elsewhere.id).person_id != mine.person_id
    # The lead works for both municipalities.
    client.login(world.lead.email)
    response = client.get(f"/referrals/{mine.id}/person/join?reference={elsewhere.reference}")
    assert response.status_code == 200


def test_a_corrected_name_and_phone_are_what_the_header_search_finds(client, world):
    referral = _claimed(world)
    client.login(world.toeleider.email)
    form = _correction_form(client, referral, full_name="Rania Al-Haddad", phone="0470 99 88 77")
    assert client.post(f"/referrals/{referral.id}/person", form).status_code == 303
    found = client.get("/search/?q=al-haddad").get_data(as_text=True)
    assert "Rania Al-Haddad" in found
    by_new_phone = client.get("/search/?q=0470998877")
    assert by_new_phone.status_code in (302, 303)
    assert by_new_phone.headers["Location"].endswith(f"/referrals/{referral.id}")
    by_old_phone = client.get("/search/?q=0470123456").get_data(as_text=True)
    assert "Rania" not in by_old_phone


def test_erasing_a_joined_person_erases_the_joined_record_and_the_undo_copy(world):
    first, second = _two_persons_with_history(world)
    kept, absorbed = second.person, first.person
    join = join_persons(
        db.session, kept, absorbed, world.lead, AT, versions=(kept.version, absorbed.version)
    )
    db.session.commit()
    assert "rania@example.org" in join.snapshot
    erase_person(db.session, kept, actor=world.lead, at=AT + timedelta(hours=1))
    db.session.commit()
    db.session.expire_all()
    for person in (db.session.get(Person, kept.id), db.session.get(Person, absorbed.id)):
        assert person.anonymised_at is not None
        assert (person.phone, person.email, person.address) == (None, None, None)
    assert "rania@example.org" not in db.session.get(PersonJoin, join.id).snapshot
    with pytest.raises(JoinRefused):
        undo_join(db.session, join, world.lead, AT + timedelta(hours=2), window=timedelta(hours=24))


def test_the_export_holds_the_details_of_records_joined_into_the_person(client, world):
    first, second = _two_persons_with_history(world)
    join_persons(
        db.session,
        second.person,
        first.person,
        world.lead,
        AT,
        versions=(second.person.version, first.person.version),
    )
    db.session.commit()
    client.login(world.lead.email)
    data = client.get(f"/privacy/files/{second.id}/export.json").get_json(force=True)
    assert [r["adres"] for r in data["samengevoegde gegevens"]] == ["Kerkstraat 1, 9999 Lindeveld"]
    assert sorted(f["nummer"] for f in data["dossiers"]) == [first.reference, second.reference]


def test_the_join_page_suggests_other_persons_with_the_same_phone(client, world):
    mine = _claimed(world)
    same_phone = add_referral(db.session, world, full_name="R. Haddad", birth_year=None)
    add_referral(db.session, world, full_name="Omar Said", phone="+32499000000")
    elsewhere = add_referral(db.session, world, municipality_id=world.other_municipality.id)
    client.login(world.toeleider.email)
    html = client.get(f"/referrals/{mine.id}/person/join").get_data(as_text=True)
    suggested = html[html.index('id="h-candidates"') :]
    assert f"?reference={same_phone.reference}" in suggested
    assert "Omar Said" not in suggested
    assert elsewhere.reference not in suggested  # not a file this toeleider may see
    logged = db.session.scalars(
        select(AccessLogEntry.referral_id).where(AccessLogEntry.action == "person_join_preview")
    ).all()
    assert logged == [same_phone.id]


def test_two_joins_of_one_record_at_once_let_exactly_one_win(world):
    one, two, three = (add_referral(db.session, world) for _ in range(3))
    kept_here, absorbed_here = one.person, three.person
    with Session(db.engine) as elsewhere:
        kept_there = elsewhere.get(Person, two.person_id)
        absorbed_there = elsewhere.get(Person, three.person_id)
        _ = absorbed_there.referrals, kept_there.referrals
        join_persons(
            db.session,
            kept_here,
            absorbed_here,
            world.lead,
            AT,
            versions=(kept_here.version, absorbed_here.version),
        )
        db.session.commit()
        lead = elsewhere.get(type(world.lead), world.lead.id)
        with pytest.raises(StaleDataError):
            join_persons(
                elsewhere,
                kept_there,
                absorbed_there,
                lead,
                AT,
                versions=(kept_there.version, absorbed_there.version),
            )
            elsewhere.commit()
        elsewhere.rollback()
    db.session.expire_all()
    assert db.session.get(Referral, three.id).person_id == one.person_id
    assert db.session.scalars(select(PersonJoin)).one().kept_id == one.person_id


def test_an_address_added_from_the_letter_list_returns_to_the_letter_list(client, world):
    referral = add_referral(db.session, world)
    lifecycle.claim(db.session, referral.id, world.toeleider, datetime(2026, 11, 26, 10, 0))
    referral.needs_letter = True
    db.session.commit()
    client.login(world.toeleider.email)
    letters = client.get("/queue/letters").get_data(as_text=True)
    link = re.search(r'href="([^"]*/person\?back=letters)"', letters)
    assert link, "the letter list links to the correction with the way back"
    page = client.get(link.group(1)).get_data(as_text=True)
    assert "Terug naar de brieven" in page
    form = _correction_form(client, referral, address="Kerkstraat 1, 9999 Lindeveld")
    saved = client.post(link.group(1), data=form)
    assert saved.status_code == 303 and saved.headers["Location"].endswith("/queue/letters")
    after = client.get("/queue/letters").get_data(as_text=True)
    assert "Kerkstraat 1, 9999 Lindeveld" in after


def test_an_unknown_way_back_returns_to_the_file(client, world):
    referral = add_referral(db.session, world)
    lifecycle.claim(db.session, referral.id, world.toeleider, datetime(2026, 11, 26, 10, 0))
    db.session.commit()
    client.login(world.toeleider.email)
    form = _correction_form(client, referral, address="Kerkstraat 1")
    saved = client.post(f"/referrals/{referral.id}/person?back=https://example.org", data=form)
    assert saved.headers["Location"].endswith(f"/referrals/{referral.id}")
