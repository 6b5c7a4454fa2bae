"""Month and day names come from the locale data, in the language of the request."""

from __future__ import annotations

from flask_babel import force_locale

from portal.calendar_names import DAY_NAMES, MONTH_ABBREVIATIONS, MONTH_NAMES


def test_names_are_dutch_by_default(app):
    with app.test_request_context():
        assert [str(m) for m in MONTH_NAMES[:3]] == ["januari", "februari", "maart"]
        assert str(MONTH_ABBREVIATIONS[2]) == "mrt"
        assert [str(d) for d in DAY_NAMES[::3]] == ["maandag", "donderdag", "zondag"]


def test_names_follow_the_language_of_the_request(app):
    with app.test_request_context(), force_locale("fr"):
        assert str(MONTH_NAMES[0]) == "janvier"
        assert str(DAY_NAMES[0]) == "lundi"


def test_the_availability_form_lists_the_days_in_dutch(client, world):
    client.login(world.toeleider.email)
    html = client.get("/agenda/availability").get_data(as_text=True)
    assert ">maandag</option>" in html and ">vrijdag</option>" in html
