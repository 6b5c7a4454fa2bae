"""Helpers shared by the forms of every area."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]

from .i18n import page_is_dutch
from .inputs import ascii_int

T = TypeVar("T")


def given(value: T | None) -> T:
    """A value that cannot be None here (a required field once its form validated, the owner
    of a claimed file): None is a programming error, not the user's."""
    if value is None:
        raise ValueError("a required field passed validation without a value")
    return value


def record_id(text: str | None) -> int | None:
    """A posted or queried id (or page number) as an int, or None when it cannot be one."""
    return ascii_int(text)


def options(pairs: Iterable[tuple[Any, Any]]) -> list[SelectChoice]:
    """Turn (value, label) pairs into the choice objects WTForms expects."""
    return [SelectChoice(value, label) for value, label in pairs]


def dutch_options(pairs: Iterable[tuple[Any, Any]]) -> list[SelectChoice]:
    """Choices named from a catalogue (themes, partners): Dutch whatever the page's language,
    so marked as Dutch on a page in another language, for a screen reader (WCAG 3.1.2)."""
    marked = {} if page_is_dutch() else {"lang": "nl"}
    return [SelectChoice(value, label, render_kw=dict(marked)) for value, label in pairs]


def first_error(form: Any) -> str | None:
    """The name of the first field with an error: where the cursor goes after a failed save."""
    return next((f.name for f in form if f.errors and f.name != "csrf_token"), None)


def year_arg(text: str | None) -> int | None:
    """A year typed in a URL (?year=2026), or None when it is missing or implausible."""
    year = record_id(text)
    return year if year is not None and 2000 <= year <= 2100 else None


class CsrfForm(FlaskForm):
    """A bare POST (claim, remove, (de)activate): its only field is the CSRF token."""
