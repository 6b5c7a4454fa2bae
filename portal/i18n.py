"""Which language the portal's screens speak: the user's own choice, else the browser's.

Only the screens: what a resident receives (slips, letters, reminders) has its Dutch part in
Dutch whoever prints it (portal.messages.texts).
"""

from __future__ import annotations

import contextlib

from flask import g, has_request_context, request
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.exc import DBAPIError, InvalidRequestError

from .models import UiLocale

DEFAULT = UiLocale.DUTCH
# The language names in themselves: someone who cannot read the current one finds their own.
CHOICES = ((UiLocale.DUTCH.value, "Nederlands"), (UiLocale.ENGLISH.value, "English"))


def select_locale() -> str:
    """The signed-in user's language; for anyone else, Dutch unless the browser prefers English."""
    if not has_request_context():
        return DEFAULT.value
    # Loading the user notes its language on g (portal.auth). An error page while the database
    # is away, or after a failed save, must not touch the user's row again.
    chosen = g.get("ui_locale")
    if chosen is None and "_login_user" not in g and not g.get("database_unavailable"):
        with contextlib.suppress(DBAPIError, InvalidRequestError):
            current_user._get_current_object()
            chosen = g.get("ui_locale")
    if chosen is not None:
        return UiLocale(chosen).value
    best = request.accept_languages.best_match(("nl", "en"), default="nl")
    return UiLocale.ENGLISH.value if best == "en" else DEFAULT.value


def html_lang() -> str:
    """The BCP 47 tag of the page's language, for `<html lang>` ('nl-BE', 'en')."""
    return str(get_locale() or DEFAULT.value).replace("_", "-")


def page_is_dutch() -> bool:
    """Whether the page being rendered speaks Dutch: a Dutch reader, or a part in_dutch()."""
    locale = get_locale()
    return locale is None or locale.language == "nl"


def dutch_text(text: str | None, stored: bool = True) -> str:
    """Text an admin typed into a catalogue (a theme, a KPI's name), which is Dutch whatever
    the page's language: on a page in another language it is marked as Dutch, so that a
    screen reader pronounces it as Dutch (WCAG 3.1.2); on a Dutch page it stays as it is.
    stored=False: the portal's own text in that place (a translated label), left alone."""
    if text is None:
        return ""
    if not stored or not text or page_is_dutch():
        return text
    return Markup('<span lang="nl">{}</span>').format(text)


def lang_nl_attr() -> Markup:
    """` lang="nl"` for an element holding only Dutch catalogue text where a span cannot go
    (an option's text, a title), on a page in another language; nothing on a Dutch page."""
    return Markup("") if page_is_dutch() else Markup(' lang="nl"')
