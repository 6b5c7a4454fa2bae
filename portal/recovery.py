"""Nothing typed is lost: forms that can be given back after an expired session or token.

A view registers how to render its form from posted data. When the login session or the
CSRF token has expired, the posted values travel, encrypted, through the login page and come
back in the same form, only for the user who typed them, with a message.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from werkzeug.datastructures import MultiDict

from .auth.sealing import seal, unseal

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


_PURPOSE = "form-recovery"


def pack(endpoint: str, values: MultiDict[str, str], user_id: int) -> str:
    """Encrypt the posted values, for `user_id` only, to pass through the login page.

    Encrypted, not only signed: the login page is shown to whoever sits at the desk, and
    the values are a resident's personal data.
    """
    pairs = list(_without_token(values).items(multi=True))
    payload = json.dumps({"e": endpoint, "v": pairs, "u": user_id}, ensure_ascii=False)
    return seal(_PURPOSE, payload.encode())


def unpack(token: str, user_id: int) -> tuple[str, MultiDict[str, str]] | None:
    """The endpoint and values of a packed form, if it is intact, fresh and this user's."""
    raw = unseal(_PURPOSE, token, max_age_seconds=MAX_AGE_SECONDS)
    if raw is None:
        return None
    try:
        payload = json.loads(raw)
    except ValueError:
        return None
    if payload.get("u") != user_id or payload.get("e") not in _renderers:
        return None
    return payload["e"], MultiDict([tuple(p) for p in payload["v"]])
