"""Helpers shared by the forms of every area."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from wtforms.fields.choices import SelectChoice


def options(pairs: Iterable[tuple[Any, Any]]) -> list[SelectChoice]:
    """Turn (value, label) pairs into the choice objects WTForms expects."""
    return [SelectChoice(value, label) for value, label in pairs]
