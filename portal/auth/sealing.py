"""Encrypting small values with a key derived from the app's SECRET_KEY."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app


def _fernet(purpose: str) -> Fernet:
    # One key per purpose, so that a value sealed for one use is refused by another.
    secret = str(current_app.config["SECRET_KEY"]).encode()
    digest = hashlib.sha256(b"onthaalportaal:" + purpose.encode() + b":" + secret).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal(purpose: str, value: bytes) -> str:
    """Encrypt and authenticate `value`; readable only with this app's key and purpose."""
    return _fernet(purpose).encrypt(value).decode()


def unseal(purpose: str, token: str, max_age_seconds: int | None = None) -> bytes | None:
    """The value sealed in `token`, or None when it was altered, is too old or is not ours."""
    try:
        return _fernet(purpose).decrypt(token.encode(), ttl=max_age_seconds)
    except (InvalidToken, ValueError):
        return None
