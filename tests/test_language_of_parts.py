"""What admins typed into the catalogues is Dutch: on an English page it is marked as Dutch,
so that a screen reader pronounces it as Dutch (WCAG 3.1.2); a Dutch page needs no marks."""

from __future__ import annotations

import re
from datetime import date

from selectolax.parser import HTMLParser, Node
from sqlalchemy import select

from portal.extensions import db
from portal.models import ActivityKind, MonitoringParameter, Theme, UiLocale

from .factories import add_partner_referral
from .test_english import page, speaking
from .test_evaluation import half_year  # noqa: F401 -- a fixture
from .test_interpreters import owned
from .test_kpis import kpi, project  # noqa: F401 -- project is a fixture
from .test_record_pages import YESTERDAY, _claimed, _version, _walk_in_form


def nearest_lang(node: Node | None) -> str | None:
    """The language a screen reader reads a node in: its own lang, else its nearest parent's."""
    while node is not None:
        lang = node.attributes.get("lang")
        if lang:
            return lang
        node = node.parent
    return None


def languages_of(doc: HTMLParser, phrase: str, within: str = "main") -> list[str | None]:
    """The language of every element inside `within` whose own text holds the phrase."""
    words = re.compile(rf"(?<!\w){re.escape(phrase)}(?!\w)")
    scope = doc.css_first(within)
    assert scope is not None, within
    found = [nearest_lang(n) for n in scope.css("*") if words.search(n.text(deep=False))]
    assert found, phrase
    return found


def test_the_kpi_report_marks_kpis_and_channels_as_dutch_for_an_english_lead_only(
    client,
    project,  # noqa: F811
    world,
):
    item = kpi(name="Gezinnen bereikt", target=8)
    speaking(world.lead, UiLocale.ENGLISH)
    client.login(world.lead.email)
    path = f"/reports/kpis?year=2025&municipality={world.municipality.id}"
    doc = page(client, path)
    assert doc.css_first("html").attributes["lang"] == "en"
    # The overview's row and the KPI's heading (its progress bar names it in an attribute).
    assert languages_of(doc, "Gezinnen bereikt") == ["nl", "nl"]
    assert nearest_lang(doc.css_first(f"h2#kpi-{item.id} span")) == "nl"
    assert set(languages_of(doc, "Jobcoach")) == {"nl"}
    # The portal's own words for a row without a channel are English.
    assert set(languages_of(doc, "without a channel")) == {"en"}

    # The municipalities side by side: the same rows, in the tables of the comparison.
    beside = page(client, "/reports/kpis?year=2025&municipality=naast-elkaar")
    assert set(languages_of(beside, "Gezinnen bereikt")) == {"nl"}
    assert set(languages_of(beside, "Jobcoach")) == {"nl"}
    assert set(languages_of(beside, "without a channel")) == {"en"}

    speaking(world.lead, UiLocale.DUTCH)
    dutch = page(client, path)
    assert set(languages_of(dutch, "Gezinnen bereikt")) == {"nl-BE"}
    assert set(languages_of(dutch, "Jobcoach")) == {"nl-BE"}
    assert dutch.css("main [lang]") == []


def _file_with_a_theme(world):
    theme = Theme(name="Werk zoeken")
    db.session.add(theme)
    db.session.flush()
    referral = owned(world)
    add_partner_referral(
        db.session, referral, world.partner, theme, date(2026, 11, 20), world.toeleider
    )
    db.session.commit()
    return referral


def test_the_file_page_marks_themes_and_partners_as_dutch_for_an_english_toeleider_only(
    client, world
):
    referral = _file_with_a_theme(world)
    speaking(world.toeleider, UiLocale.ENGLISH)
    client.login(world.toeleider.email)
    doc = page(client, f"/referrals/{referral.id}")
    assert doc.css_first("html").attributes["lang"] == "en"
    # The referral to the partner in the follow-up, and in what closing the file settles.
    places = languages_of(doc, "Werk zoeken")
    assert len(places) >= 2 and set(places) == {"nl"}, places
    assert set(languages_of(doc, "Huis van het Nederlands")) == {"nl"}

    speaking(world.toeleider, UiLocale.DUTCH)
    dutch = page(client, f"/referrals/{referral.id}")
    assert set(languages_of(dutch, "Werk zoeken")) == {"nl-BE"}
    assert dutch.css('main [lang="nl"]') == []


def test_the_menus_of_a_conversation_mark_the_themes_as_dutch_for_an_english_toeleider_only(
    client, world
):
    referral = _file_with_a_theme(world)
    speaking(world.toeleider, UiLocale.ENGLISH)
    client.login(world.toeleider.email)
    doc = page(client, f"/referrals/{referral.id}/walk-in")
    # The themes a conversation covered (boxes) and a signal's theme (a menu).
    assert set(languages_of(doc, "Werk zoeken")) == {"nl"}
    box = next(b for b in doc.css('input[type="checkbox"]') if "Werk zoeken" in b.parent.text())
    assert nearest_lang(box.parent) == "nl"
    signal = doc.css_first('select[id$="signal_1_theme"]')
    first, *themes = signal.css("option")
    assert nearest_lang(first) == "en"  # the portal's own "no signal"
    assert themes and {nearest_lang(o) for o in themes} == {"nl"}

    speaking(world.toeleider, UiLocale.DUTCH)
    dutch = page(client, f"/referrals/{referral.id}/walk-in")
    assert set(languages_of(dutch, "Werk zoeken")) == {"nl-BE"}
    assert dutch.css('main [lang="nl"]') == []


def test_the_evaluation_report_marks_needs_and_themes_as_dutch_for_an_english_lead_only(
    client,
    half_year,  # noqa: F811
    world,
):
    speaking(world.lead, UiLocale.ENGLISH)
    client.login(world.lead.email)
    path = "/reports/evaluation?year=2026&part=interim"
    doc = page(client, path)
    assert doc.css_first("html").attributes["lang"] == "en"
    need = doc.css_first("#t-noden").parent.css_first("tbody th")
    assert need.text(strip=True) == "Wonen"
    assert nearest_lang(need.css_first("span")) == "nl"
    assert set(languages_of(doc, "Wonen")) == {"nl"}
    assert set(languages_of(doc, "Werk")) == {"nl"}  # signals per theme
    # A table of the portal's own words keeps the page's language.
    outcome = doc.css_first("#t-resultaten").parent.css_first("tbody th")
    assert nearest_lang(outcome) == "en"

    speaking(world.lead, UiLocale.DUTCH)
    dutch = page(client, path)
    assert set(languages_of(dutch, "Wonen")) == {"nl-BE"}
    assert dutch.css('main [lang="nl"]') == []


def test_the_catalogue_lists_mark_the_names_as_dutch_for_an_english_admin_only(
    client,
    project,  # noqa: F811
    world,
):
    kpi(
        [ActivityKind.CONVERSATION_TABLE],
        name="Oefenkansen",
        rule="activity",
        unit="practice",
        theme_id=project["work"].id,
    )
    speaking(world.admin, UiLocale.ENGLISH)
    client.login(world.admin.email)
    themes = page(client, "/admin/c/themes/")
    assert set(languages_of(themes, "Werk")) == {"nl"}
    kpis = page(client, "/admin/c/kpis/")
    assert set(languages_of(kpis, "Oefenkansen")) == {"nl"}
    # What a KPI is limited to: the theme as stored, the kind of activity in English.
    assert set(languages_of(kpis, "Werk")) == {"nl"}
    assert set(languages_of(kpis, "conversation table")) == {"en"}
    # A municipality is a proper name, not marked.
    assert set(languages_of(page(client, "/admin/c/municipalities/"), "Lindeveld")) == {"en"}

    speaking(world.admin, UiLocale.DUTCH)
    dutch = page(client, "/admin/c/kpis/")
    assert set(languages_of(dutch, "Oefenkansen")) == {"nl-BE"}
    assert dutch.css('main [lang="nl"]') == []


def test_a_monitoring_question_is_dutch_in_its_field_and_the_error_summary(client, world):
    referral = _claimed(world)
    speaking(world.toeleider, UiLocale.ENGLISH)
    client.login(world.toeleider.email)
    path = f"/referrals/{referral.id}/walk-in"
    parameter = db.session.scalars(select(MonitoringParameter)).one()
    form = _walk_in_form(
        YESTERDAY, **{"walk_in-version": _version(client, path, "walk_in-version")}
    )
    del form[f"walk_in-parameter_{parameter.id}"]
    doc = HTMLParser(client.post(path, form).get_data(as_text=True))
    question = "Heeft de persoon een huisarts?"
    # The legend of its answers and its line in the error summary.
    assert len(languages_of(doc, question)) == 2
    assert set(languages_of(doc, question)) == {"nl"}
    summary = doc.css_first(".error-summary").text()
    assert f"{question} Answer this question." in summary
    assert "?:" not in summary
