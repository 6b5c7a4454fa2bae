"""What every template may use: the access policy, formatting, the htmx file."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from functools import lru_cache
from typing import Any, TypeVar

from babel.dates import format_date
from flask import Flask, render_template, request
from flask_babel import force_locale, format_datetime, get_locale, get_translations
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from .access import Permission, can
from .desk.rules import display_phone
from .i18n import DEFAULT as DEFAULT_LOCALE
from .i18n import dutch_text, html_lang, lang_nl_attr
from .inputs import known_args
from .labels import (
    ACTION_LABELS,
    ACTIVITY_KIND_LABELS,
    APPOINTMENT_KIND_LABELS,
    APPOINTMENT_STATUS_LABELS,
    CLOSING_OUTCOME_LABELS,
    LEGAL_BASIS_LABELS,
    MILESTONE_STATUS_LABELS,
    NOTIFICATION_KIND_LABELS,
    PARTNER_STATUS_LABELS,
    PERSON_FIELD_LABELS,
    PLACE_STATUS_LABELS,
    agii_status_label,
    arrived_label,
    event_detail,
    event_label,
    interpreter_summary,
    interpreter_tag,
    obliged_label,
    role_label,
    school_item_label,
    school_status_label,
    state_label,
)
from .languages import language_label, text_direction
from .messages.texts import postal_lines

HTMX_FILE = "vendor/htmx-2.0.11/htmx.min.js"


def yes_no_unknown(answer: bool | None) -> str:
    """An indicator's answer; None: the question was not asked (the population register)."""
    if answer is None:
        return _("onbekend")
    return _("ja") if answer else _("nee")


def in_dutch(template: str, **context: Any) -> Markup:
    """A part that reaches a resident (slip, letter, reminder), in Dutch whatever language the
    screens of whoever prints it speak: its labels, dates and the message's Dutch part."""
    with force_locale(DEFAULT_LOCALE.value):
        return Markup(render_template(template, **context))  # noqa: S704 -- autoescaped by Jinja


def register(app: Flask) -> None:
    app.jinja_env.globals.update(
        can=lambda permission: can(current_user, permission),
        Permission=Permission,
        HTMX_FILE=HTMX_FILE,
        csrf_token=generate_csrf,
        known_args=known_args,
        text_direction=text_direction,
        state_label=state_label,
        event_label=event_label,
        event_detail=event_detail,
        appointment_kind_label=lambda k: str(APPOINTMENT_KIND_LABELS[k]),
        appointment_status_label=lambda s: str(APPOINTMENT_STATUS_LABELS[s]),
        partner_status_label=lambda s: str(PARTNER_STATUS_LABELS[s]),
        milestone_status_label=lambda s: str(MILESTONE_STATUS_LABELS[s]),
        place_status_label=lambda s: str(PLACE_STATUS_LABELS[s]),
        activity_kind_label=lambda k: str(ACTIVITY_KIND_LABELS[k]),
        role_label=role_label,
        closing_outcome_label=lambda o: str(CLOSING_OUTCOME_LABELS[o]),
        action_label=lambda a: str(ACTION_LABELS[str(a)]),
        legal_basis_label=lambda code: str(LEGAL_BASIS_LABELS.get(code, code)),
        person_field_label=lambda name: str(PERSON_FIELD_LABELS[name]),
        notification_kind_label=lambda k: str(NOTIFICATION_KIND_LABELS[k]),
        yes_no_unknown=yes_no_unknown,
        arrived_label=arrived_label,
        interpreter_summary=interpreter_summary,
        interpreter_tag=interpreter_tag,
        school_item_label=school_item_label,
        school_status_label=school_status_label,
        agii_status_label=agii_status_label,
        obliged_label=obliged_label,
        html_lang=html_lang,
        in_dutch=in_dutch,
        lang_nl_attr=lang_nl_attr,
    )
    app.jinja_env.filters.update(
        day=_day_format("d MMMM y"),
        full_day=_day_format("EEEE d MMMM y"),
        short_day=_day_format("dd/MM/y"),
        moment=lambda d: format_datetime(d, "d MMM y, HH:mm", rebase=False) if d else "",
        # With the weekday, for what a resident reads: "donderdag 10 december 2026, 14:30".
        full_moment=lambda d: format_datetime(d, "EEEE d MMMM y, HH:mm", rebase=False) if d else "",
        postal_lines=postal_lines,
        # A stored language by its name in the page's language; Dutch inside in_dutch().
        language_label=language_label,
        # A stored catalogue text (a theme, a KPI, a channel) marked as Dutch on other pages.
        dutch_text=dutch_text,
        role_names=lambda roles: ", ".join(sorted(role_label(r) for r in roles)),
        phone=lambda e164: display_phone(e164, app.config["PORTAL_DEFAULT_REGION"]),
    )
    register_per_request(app)


def _day_format(pattern: str) -> Callable[[date | None], str]:
    """A filter writing the day of a date or a stored moment in the page's language.

    Stored moments are Belgian wall-clock time (portal.clock): their day is the day as
    written, not shifted as if they were UTC (Flask-Babel's format_date rebases naive
    datetimes, which put a registration at 23:30 on the next day). A queue page formats
    the same few days on every row and every request, so each is formatted once.
    """

    def format_day(value: date | None) -> str:
        if not value:
            return ""
        day = value.date() if isinstance(value, datetime) else value
        return _formatted_day(day, pattern, str(get_locale() or DEFAULT_LOCALE.value))

    return format_day


@lru_cache(maxsize=4096)
def _formatted_day(day: date, pattern: str, locale: str) -> str:
    return format_date(day, pattern, locale=locale)


def register_per_request(app: Flask) -> None:
    """Give each render the request's catalogue and CSRF token once, instead of per call.

    Flask-Babel's template callables look the catalogue up again on every `_()` (about 140
    per queue page, each a walk through the request context), and Flask-WTF's `csrf_token()`
    does the same for every row's form. The values are the same for the whole request, so a
    context processor hands the templates callables bound to them; macros imported without
    context keep the global ones, which give the same results.
    """

    from .notifications.views import header_count

    @app.context_processor
    def per_request() -> dict[str, Any]:
        user = current_user._get_current_object()
        return {
            **_bound_gettext(get_translations()),
            "csrf_token": _first_call_kept(generate_csrf),
            "can": lambda permission: can(user, permission),
            # Counted when the header shows it, once per page, not for every partial.
            "notification_count": _first_call_kept(lambda: header_count(user)),
        }


@lru_cache(maxsize=32)
def _bound_gettext(translations: Any) -> dict[str, Callable[..., str]]:
    """Jinja's new-style gettext and ngettext for one catalogue (autoescaped, %-formatted)."""

    @pass_context
    def gettext(context: Context, string: str, **variables: Any) -> str:
        text = translations.ugettext(string)
        if context.eval_ctx.autoescape:
            text = Markup(text)  # noqa: S704 -- the catalogue is ours; variables are escaped by %
        return text % variables

    @pass_context
    def ngettext(context: Context, singular: str, plural: str, num: int, **variables: Any) -> str:
        variables.setdefault("num", num)
        text = translations.ungettext(singular, plural, num)
        if context.eval_ctx.autoescape:
            text = Markup(text)  # noqa: S704 -- the catalogue is ours; variables are escaped by %
        return text % variables

    return {"_": gettext, "gettext": gettext, "ngettext": ngettext}


Kept = TypeVar("Kept")


def _first_call_kept(produce: Callable[[], Kept]) -> Callable[[], Kept]:
    """`produce`, called at most once; a page without forms does not create a token."""
    kept: list[Kept] = []

    def once() -> Kept:
        if not kept:
            kept.append(produce())
        return kept[0]

    return once


def is_htmx() -> bool:
    """Whether htmx asked for a fragment rather than a whole page."""
    return bool(request.headers.get("HX-Request"))
