"""Templates translate through callables bound to the request's catalogue, with Jinja's rules."""

from __future__ import annotations

import re

from flask import render_template_string

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
