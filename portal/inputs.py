"""What the portal accepts from a request before any view sees it.

Browsers never send NUL or other control characters in what people type, but anyone can
send them; PostgreSQL refuses NUL in text, XML (and so XLSX) refuses most C0 controls.
They are removed from every form value and query argument here, once for all views.
Numbers in URLs and forms are read as ASCII digits only and bounded to the 32-bit INTEGER
columns the ids live in: str.isdigit() also says yes to '²' and '①', which int() refuses.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Request
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.routing import IntegerConverter, UnicodeConverter, ValidationError

# Every id column is an INTEGER; PostgreSQL refuses a larger number with an error.
MAX_RECORD_ID = 2**31 - 1

# C0 controls except tab, line feed and carriage return (a text area keeps its lines), DEL,
# the C1 controls and the two non-characters XML refuses.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
# In one-line values (query arguments, URL parts) tab and line breaks are control too.
_CONTROL_ONE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\ufffe\uffff]")
_ASCII_NUMBER = re.compile(r"[0-9]+")


def clean_text(text: str, one_line: bool = False) -> str:
    """The text without control characters (tab and line breaks stay unless one_line)."""
    return (_CONTROL_ONE_LINE if one_line else _CONTROL).sub("", text)


def has_control(text: str) -> bool:
    return _CONTROL_ONE_LINE.search(text) is not None


def ascii_int(text: str | None, maximum: int = MAX_RECORD_ID) -> int | None:
    """A whole number written in ASCII digits, from 0 to maximum; otherwise None."""
    if not text or len(text) > len(str(maximum)) or not _ASCII_NUMBER.fullmatch(text):
        return None
    value = int(text)
    return value if value <= maximum else None


def _cleaned(values: MultiDict[str, str], one_line: bool) -> ImmutableMultiDict[str, str]:
    # A multipart part with broken headers has no name: it is no field of any form.
    return ImmutableMultiDict(
        [
            (clean_text(k, True), clean_text(v, one_line))
            for k, v in values.items(multi=True)
            if isinstance(k, str) and isinstance(v, str)
        ]
    )


class PortalRequest(Request):
    """Flask's request with form values and query arguments cleaned of control characters.

    The login form is small: it gets a tighter size limit than the rest of the portal, as
    anyone can post to it without logging in.
    """

    LOGIN_ENDPOINTS = frozenset({"auth.login", "auth.login_code"})
    # The one form that carries a file: the population register's export.
    UPLOAD_ENDPOINTS = frozenset({"register.upload"})

    @property
    def args(self) -> ImmutableMultiDict[str, str]:
        if "_clean_args" not in self.__dict__:
            self.__dict__["_clean_args"] = _cleaned(super().args, one_line=True)
        return self.__dict__["_clean_args"]

    def _load_form_data(self) -> None:
        if "form" in self.__dict__:
            return
        super()._load_form_data()
        self.__dict__["form"] = _cleaned(self.__dict__["form"], one_line=False)

    @property
    def max_content_length(self) -> int | None:
        limit = super().max_content_length
        if self.endpoint in self.UPLOAD_ENDPOINTS:
            from flask import current_app

            # Raised for this route alone; werkzeug refuses a larger body by its announced
            # length, before reading it.
            return int(current_app.config["PORTAL_UPLOAD_MAX_CONTENT_LENGTH"])
        if self.endpoint in self.LOGIN_ENDPOINTS:
            from flask import current_app

            login_limit = current_app.config["PORTAL_LOGIN_MAX_CONTENT_LENGTH"]
            return login_limit if limit is None else min(limit, login_limit)
        return limit

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        Request.max_content_length.fset(self, value)  # type: ignore[attr-defined]


class RecordIdConverter(IntegerConverter):
    """<int:...> in a route: ASCII digits, within an INTEGER column; otherwise a 404."""

    regex = r"[0-9]+"

    def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_RECORD_ID)
        super().__init__(url_map, *args, **kwargs)

    def to_python(self, value: str) -> Any:
        if len(value) > len(str(MAX_RECORD_ID)):
            raise ValidationError()
        return super().to_python(value)


class PlainTextConverter(UnicodeConverter):
    """The default <...> in a route: a URL part with a control character matches nothing."""

    def to_python(self, value: str) -> Any:
        if has_control(value):
            raise ValidationError()
        return super().to_python(value)


def known_args(*names: str) -> dict[str, str]:
    """The query arguments a page passes on to its links, of the names it knows.

    Passing request.args to url_for as a whole would let '?_method=POST' or '?key=...'
    reach url_for's own parameters and fail; an unknown argument is simply dropped.
    """
    from flask import request

    return {name: request.args[name] for name in names if name in request.args}
