"""Templates translate through callables bound to the request's catalogue, with Jinja's rules,
and have no text of their own outside gettext."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from flask import render_template_string
from jinja2 import Environment

from portal.extensions import db
from portal.models import Referral

from .factories import add_referral


def test_placeholders_are_filled_and_escaped_as_jinja_does(app):
    with app.test_request_context():
        html = render_template_string(
            "{% autoescape true %}{{ _('Welkom, %(name)s.', name=who) }}{% endautoescape %}",
            who="<b>Ana</b>",
        )
    assert html == "Welkom, &lt;b&gt;Ana&lt;/b&gt;."


def test_plurals_take_the_number(app):
    with app.test_request_context():
        one, many = (
            render_template_string(
                "{{ ngettext('%(num)d afspraak', '%(num)d afspraken', n) }}", n=n
            )
            for n in (1, 3)
        )
    assert (one, many) == ("1 afspraak", "3 afspraken")


def test_every_form_on_a_page_carries_the_same_token_and_it_is_accepted(client, world):
    referrals = [add_referral(db.session, world, full_name=f"Wacht Nummer {n}") for n in range(3)]
    client.login(world.toeleider.email)
    html = client.get("/queue/").get_data(as_text=True)
    tokens = re.findall(r'name="csrf_token" value="([^"]+)"', html)
    assert len(tokens) >= 3 and len(set(tokens)) == 1
    claimed = client.client.post(f"/queue/{referrals[0].id}/claim", data={"csrf_token": tokens[0]})
    assert claimed.status_code in (200, 302, 303)
    db.session.expire_all()
    assert db.session.get(Referral, referrals[0].id).owner_id == world.toeleider.id


TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
# Attributes a reader hears or sees; `content` of <meta> is for the browser.
READ_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt", "aria-description", "label"}
WORD = re.compile(r"[^\W\d_]{2,}")


class _Literals(HTMLParser):
    """Words in a template's own HTML: text and read attributes, outside Jinja's tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._script = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._script += tag in ("script", "style")
        named = dict(attrs)
        read = READ_ATTRIBUTES | ({"value"} if named.get("type") in ("submit", "button") else set())
        self.found += [v for k, v in attrs if k in read and v and WORD.search(v)]

    def handle_endtag(self, tag: str) -> None:
        self._script -= tag in ("script", "style")

    def handle_data(self, data: str) -> None:
        if not self._script and WORD.search(data):
            self.found.append(data.strip())


def template_literals(source: str) -> list[str]:
    # Jinja's lexer gives the template's own text as `data` tokens; whatever is in {{ }},
    # {% %} or {# #} (gettext calls among it) becomes a blank.
    lexed = Environment(extensions=["jinja2.ext.i18n"], autoescape=True).lex(source)
    parser = _Literals()
    parser.feed("".join(value if token == "data" else " " for _line, token, value in lexed))
    parser.close()
    return parser.found


def test_no_template_has_text_outside_gettext():
    found = {
        str(path.relative_to(TEMPLATES)): words
        for path in sorted(TEMPLATES.rglob("*.html"))
        if (words := template_literals(path.read_text(encoding="utf-8")))
    }
    assert not found, f"put these through _(): {found}"


def test_the_literal_check_finds_text_and_read_attributes():
    source = (
        '<p>{{ _(\'Goed\') }} Nog te vertalen</p><img alt="Logo" src="{{ x }}">'
        '<input type="submit" value="Bewaren"><script>let a = \'tekst\';</script>'
        "{# Een commentaar #}<span title=\"{{ _('Ook goed') }}\">{{ n }}</span>"
    )
    assert template_literals(source) == ["Nog te vertalen", "Logo", "Bewaren"]
