"""The referral to Agii for civic integration: recorded on the file, exported for Agii."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import pytest
from selectolax.parser import HTMLParser
from sqlalchemy import select

from portal.extensions import db
from portal.models import (
    AccessLogEntry,
    AgiiReferral,
    AgiiStatus,
    ClosingOutcome,
    Referral,
    Role,
    TimelineEvent,
)
from portal.privacy.retention import anonymise
from portal.referrals import agii, lifecycle
from portal.referrals.agii import COLUMNS, AgiiDetails
from portal.referrals.lifecycle import TransitionRefused

from .conftest import NOW
from .factories import add_referral, add_user, csv_rows

TODAY = NOW.date()


def owned(world, **changes) -> Referral:
    referral = add_referral(db.session, world, **changes)
    lifecycle.claim(db.session, referral.id, world.toeleider, NOW)
    db.session.commit()
    return referral


def agii_of(referral) -> AgiiReferral | None:
    db.session.expire_all()
    return db.session.scalar(select(AgiiReferral).where(AgiiReferral.referral_id == referral.id))


def save(world, referral, status=AgiiStatus.REFERRED, at=NOW, **changes):
    details = AgiiDetails(
        obliged=changes.pop("obliged", True),
        parts=frozenset(changes.pop("parts", {"civic_orientation", "dutch_course"})),
        status=status,
        **changes,
    )
    item = agii.save(db.session, referral, world.toeleider, at, details)
    db.session.commit()
    return item


def test_a_referral_handed_to_agii_gets_the_day_and_lands_on_the_timeline(world):
    referral = owned(world)
    save(world, referral)
    item = agii_of(referral)
    assert (item.status, item.referred_on, item.obliged) == ("referred", TODAY, True)
    assert (item.civic_orientation, item.dutch_course, item.work_pathway) == (True, True, False)
    detail = db.session.scalar(
        select(TimelineEvent.detail).where(TimelineEvent.kind == "agii_referral")
    )
    assert detail == (
        "doorverwezen · ja, inburgeringsplichtig · maatschappelijke oriëntatie, "
        "Nederlands als tweede taal (NT2) · doorverwezen op 26/11/2026"
    )
    # The same again changes nothing and writes nothing.
    assert save(world, referral) is None
    kinds = db.session.scalars(
        select(TimelineEvent.kind).where(TimelineEvent.kind.like("agii%"))
    ).all()
    assert kinds == ["agii_referral"]


def test_to_be_referred_has_no_day_and_a_day_in_the_future_is_refused(world):
    referral = owned(world)
    save(world, referral, status=AgiiStatus.TO_REFER, referred_on=date(2026, 11, 1))
    assert agii_of(referral).referred_on is None
    with pytest.raises(TransitionRefused, match="toekomst"):
        save(world, referral, referred_on=date(2026, 12, 1))


def test_a_closed_file_is_not_referred_to_agii_any_more(world):
    referral = owned(world)
    referral = db.session.get(Referral, referral.id)
    lifecycle.close(db.session, referral, world.toeleider, ClosingOutcome.MOVED_AWAY, None, NOW)
    db.session.commit()
    with pytest.raises(TransitionRefused):
        save(world, referral)


# --- the file page -------------------------------------------------------------------------


def post_agii(client, referral, version=None, parts=("dutch_course",), **fields):
    data: list[tuple[str, str]] = [
        ("agii-version", version or str(db.session.get(Referral, referral.id).version)),
        ("agii-obliged", fields.pop("obliged", "yes")),
        ("agii-status", fields.pop("status", "referred")),
        *(("agii-parts", p) for p in parts),
    ]
    data += [(f"agii-{k}", v) for k, v in fields.items()]
    return client.post(f"/referrals/{referral.id}/agii", data)


def test_the_toeleider_refers_to_agii_on_the_file_page(client, world):
    referral = owned(world)
    client.login(world.toeleider.email)
    page = HTMLParser(client.get(f"/referrals/{referral.id}").get_data(as_text=True))
    assert page.css_first("#agii + p.hint").text() == "Nog geen verwijzing naar Agii."
    response = post_agii(
        client,
        referral,
        parts=("dutch_course", "work_pathway"),
        referred_on="20/11/2026",
        agii_reference="AG-2026-77",
    )
    assert response.status_code == 303
    page = HTMLParser(client.get(f"/referrals/{referral.id}").get_data(as_text=True))
    facts = page.css_first("dl.agii-facts").text()
    assert "doorverwezen op 20/11/2026" in page.css_first(".agii-status").text()
    assert "Nederlands als tweede taal (NT2), traject naar werk (VDAB)" in facts
    assert "AG-2026-77" in facts
    assert "Verwijzing naar Agii" in page.css_first("#tijdlijn").text()
    checked = [i.attributes["value"] for i in page.css('input[name="agii-parts"][checked]')]
    assert checked == ["dutch_course", "work_pathway"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("referred_on", "32/13/2026", "Geen geldige datum. Schrijf ze als 31/12/2025."),
        ("referred_on", "01/12/2026", "De dag van de verwijzing kan niet in de toekomst liggen."),
        ("agii_reference", "X" * 41, "Hoogstens 40 tekens."),
    ],
)
def test_bad_input_gives_a_dutch_error_next_to_the_field_and_keeps_the_form(
    client, world, field, value, message
):
    referral = owned(world)
    client.login(world.toeleider.email)
    response = post_agii(client, referral, note="Getypte notitie", **{field: value})
    assert response.status_code == 422
    html = HTMLParser(response.get_data(as_text=True))
    assert html.css_first(f"#agii-{field}-error").text() == message
    assert html.css_first("#agii-note").text() == "Getypte notitie"
    assert "open" in html.css_first("#agii ~ details").attributes
    assert agii_of(referral) is None


def test_an_unknown_obligation_answer_is_refused_in_dutch(client, world):
    referral = owned(world)
    client.login(world.toeleider.email)
    response = post_agii(client, referral, obliged="misschien")
    assert response.status_code == 422
    assert HTMLParser(response.get_data(as_text=True)).css_first("#agii-obliged-error")
    assert agii_of(referral) is None


def test_a_form_read_before_another_change_is_refused_and_kept(client, world):
    referral = owned(world)
    client.login(world.toeleider.email)
    stale = str(db.session.get(Referral, referral.id).version)
    assert post_agii(client, referral, status="to_refer").status_code == 303
    response = post_agii(client, referral, version=stale, agii_reference="TYPED-9")
    assert response.status_code == 409
    html = HTMLParser(response.get_data(as_text=True))
    assert "Iemand anders wijzigde" in html.css_first("#action-refused").text()
    assert html.css_first("#agii-agii_reference").attributes["value"] == "TYPED-9"
    assert agii_of(referral).status == "to_refer"


def _people(world):
    people = {
        "desk": world.desk,
        "admin": world.admin,
        "lead": world.lead,
        "toeleider": world.toeleider,
        "partner": add_user(
            db.session, "an@partner.be", [Role.PARTNER], [world.municipality], world.partner
        ),
        "other_toeleider": add_user(
            db.session, "t2@lindeveld.be", [Role.TOELEIDER], [world.municipality]
        ),
        "outsider_toeleider": add_user(
            db.session, "t@beekmere.be", [Role.TOELEIDER], [world.other_municipality]
        ),
    }
    db.session.commit()
    return people


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("desk", 403),
        ("admin", 403),
        ("partner", 403),
        ("other_toeleider", 409),
        ("outsider_toeleider", 404),
        ("lead", 303),
        ("toeleider", 303),
    ],
)
def test_who_may_refer_a_file_to_agii(client, world, who, status):
    people = _people(world)
    referral = owned(world)
    client.login(people[who].email)
    assert post_agii(client, referral).status_code == status
    assert (agii_of(referral) is not None) == (status == 303)


# --- the export ----------------------------------------------------------------------------


def test_the_export_has_the_documented_layout_and_only_the_period(client, world):
    inside = owned(world, full_name='=HYPERLINK("x")', home_language_code="fr")
    save(world, inside, referred_on=date(2026, 11, 3), agii_reference="AG-1", note="Start jan")
    before = owned(world, full_name="Vroeger Gezin", phone="+32470111111")
    save(world, before, referred_on=date(2026, 10, 31))
    waiting = owned(world, full_name="Wacht Nog", phone="+32470222222")
    save(world, waiting, status=AgiiStatus.TO_REFER)
    elsewhere = add_referral(
        db.session,
        world,
        municipality_id=world.other_municipality.id,
        full_name="Ander Gemeente",
        phone="+32470333333",
    )
    agii.save(
        db.session,
        elsewhere,
        world.lead,
        NOW,
        AgiiDetails(obliged=None, parts=frozenset(), status=AgiiStatus.STARTED),
    )
    db.session.commit()
    local_lead = add_user(db.session, "lead2@lindeveld.be", [Role.LEAD], [world.municipality])
    db.session.commit()
    client.login(local_lead.email)
    response = client.get("/lead/agii.csv?first_day=2026-11-01&last_day=2026-11-30")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.get_data(as_text=True).startswith("\ufeff")
    assert "attachment" in response.headers["Content-Disposition"]
    rows = csv_rows(response)
    assert tuple(rows[0]) == COLUMNS
    assert len(rows) == 2  # the header and the one file of this lead, in the period
    line = dict(zip(rows[0], rows[1], strict=True))
    assert line == {
        "dossiernummer": inside.reference,
        "gemeente_nis": "99991",
        "gemeente": "Lindeveld",
        "naam": '\'=HYPERLINK("x")',  # text, never a formula
        "geboortejaar": "1990",
        "telefoon": "'+32470123456",  # marked as text, as every cell that starts with +
        "e_mail": "",
        "adres": "",
        "contacttaal": "ar",
        "thuistaal": "fr",
        "ingeschreven_sinds": "2026-05-04",
        "inburgeringsplicht": "ja",
        "maatschappelijke_orientatie": "ja",
        "nederlands_nt2": "ja",
        "participatie_netwerk": "nee",
        "traject_werk": "nee",
        "status": "doorverwezen",
        "doorverwezen_op": "2026-11-03",
        "agii_dossiernummer": "AG-1",
        "toeleider": world.toeleider.full_name,
        "opmerking": "Start jan",
    }
    logged = db.session.scalars(
        select(AccessLogEntry.referral_id).where(AccessLogEntry.action == "agii_export")
    ).all()
    assert logged == [inside.id]


def test_the_lead_page_lists_the_period_and_refuses_a_bad_one_in_dutch(client, world):
    referral = owned(world)
    save(world, referral, referred_on=date(2026, 11, 3))
    client.login(world.lead.email)
    response = client.get("/lead/agii")
    assert response.status_code == 200
    page = HTMLParser(response.get_data(as_text=True))
    # By default: this month up to today.
    assert page.css_first("#first_day").attributes["value"] == "2026-11-01"
    assert [td.text() for td in page.css("table.agii-referrals td")][:1] == [referral.reference]
    link = page.css_first('a[href^="/lead/agii.csv"]').attributes["href"]
    assert "first_day=2026-11-01" in link and "last_day=2026-11-26" in link
    bad = client.get("/lead/agii?first_day=2026-11-20&last_day=2026-11-01")
    assert bad.status_code == 422
    html = HTMLParser(bad.get_data(as_text=True))
    assert "kan niet getoond worden" in html.css_first(".notice").text()
    assert html.css_first("#last_day-error").text() == (
        "Deze dag ligt voor de eerste dag van de periode."
    )
    assert html.css_first("#first_day").attributes["value"] == "2026-11-20"
    typo = client.get("/lead/agii.csv?first_day=gisteren&last_day=2026-11-01")
    assert typo.status_code == 422
    assert HTMLParser(typo.get_data(as_text=True)).css_first("#first_day-error").text() == (
        "Geen geldige datum. Schrijf ze als 31/12/2025."
    )


def test_anonymised_files_and_withdrawn_consent_are_not_handed_to_agii(client, world):
    gone = owned(world)
    save(world, gone, referred_on=date(2026, 11, 3))
    withdrawn = owned(world, full_name="Trekt In", phone="+32470444444")
    save(world, withdrawn, referred_on=date(2026, 11, 3))
    db.session.get(Referral, gone.id).anonymised_at = datetime(2026, 11, 20)
    db.session.get(Referral, withdrawn.id).consent_withdrawn_at = datetime(2026, 11, 20)
    db.session.commit()
    client.login(world.lead.email)
    rows = csv_rows(client.get("/lead/agii.csv?first_day=2026-11-01&last_day=2026-11-30"))
    assert rows == [list(COLUMNS)]


@pytest.mark.parametrize("who", ["desk", "toeleider", "admin", "partner"])
def test_only_a_lead_exports_the_referrals_to_agii(client, world, who):
    people = _people(world)
    client.login(people[who].email)
    assert client.get("/lead/agii").status_code == 403
    assert client.get("/lead/agii.csv").status_code == 403


def test_the_readme_documents_every_column_of_the_exchange_in_order():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Verwijzingen naar Agii: het CSV-bestand", 1)[1].split("\n## ", 1)[0]
    documented = re.findall(r"^\| `([a-z0-9_]+)` \|", section, flags=re.MULTILINE)
    assert tuple(documented) == COLUMNS
    for code in agii.STATUS_CODES.values():
        assert f"`{code}`" in section or code.replace("_", " ") in section


def test_the_persons_export_holds_the_referral_to_agii_and_anonymising_erases_its_texts(
    client, world
):
    referral = owned(world)
    save(world, referral, agii_reference="AG-2026-5", note="Belt liever 's avonds")
    client.login(world.toeleider.email)
    data = client.get(f"/privacy/files/{referral.id}/export.json").get_json()
    assert data["dossiers"][0]["verwijzing naar Agii"] == [
        {
            "status": "doorverwezen",
            "inburgeringsplichtig": "ja, inburgeringsplichtig",
            "traject": "maatschappelijke oriëntatie, Nederlands als tweede taal (NT2)",
            "doorverwezen op": "2026-11-26",
            "dossiernummer bij Agii": "AG-2026-5",
            "notitie": "Belt liever 's avonds",
        }
    ]
    anonymise(db.session, [referral.id], actor=world.lead, at=NOW, reason="bewaartermijn")
    db.session.commit()
    item = agii_of(referral)
    assert (item.agii_reference, item.note) == (None, None)
    assert (item.status, item.obliged, item.dutch_course) == ("referred", True, True)
