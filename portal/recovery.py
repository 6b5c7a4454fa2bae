"""Nothing typed is lost: forms that can be given back after an expired session or token.

A view registers how to render its form from posted data. When the login session or the
CSRF token has expired, the posted values travel, signed, through the login page and come
back in the same form, for the same user, with a message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.datastructures import MultiDict

Renderer = Callable[[MultiDict[str, str], str], Any]

_renderers: dict[str, Renderer] = {}
MAX_AGE_SECONDS = 24 * 3600


def resumable(endpoint: str) -> Callable[[Renderer], Renderer]:
    """Register the function that renders `endpoint`'s form from posted values and a message."""

    def decorator(render: Renderer) -> Renderer:
        _renderers[endpoint] = render
        return render

    return decorator


def is_resumable(endpoint: str | None) -> bool:
    return endpoint in _renderers


def refill(endpoint: str, values: MultiDict[str, str], message: str) -> Any:
    return _renderers[endpoint](_without_token(values), message)


def _without_token(values: MultiDict[str, str]) -> MultiDict[str, str]:
    return MultiDict([(k, v) for k, v in values.items(multi=True) if k != "csrf_token"])


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="form-recovery")


def pack(endpoint: str, values: MultiDict[str, str], user_id: int | None) -> str:
    """Sign the posted values so that they can pass through the login page untouched."""
    pairs = list(_without_token(values).items(multi=True))
    return _serializer().dumps({"e": endpoint, "v": pairs, "u": user_id})


def unpack(token: str, user_id: int) -> tuple[str, MultiDict[str, str]] | None:
    """The endpoint and values of a packed form, if it is intact, fresh and this user's."""
    try:
        payload = _serializer().loads(token, max_age=MAX_AGE_SECONDS)
    except BadSignature:
        return None
    if payload.get("u") not in (None, user_id) or payload.get("e") not in _renderers:
        return None
    return payload["e"], MultiDict([tuple(p) for p in payload["v"]])
