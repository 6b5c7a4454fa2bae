"""Password hashing with Argon2id."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context

MIN_LENGTH = 10

# RFC 9106's low-memory profile in use; the test suite may ask for the cheapest one, which
# is not safe for real passwords but keeps hundreds of logins fast.
PROFILES = {"default": profiles.RFC_9106_LOW_MEMORY, "cheapest": profiles.CHEAPEST}


@cache
def _hasher(profile: str) -> PasswordHasher:
    return PasswordHasher.from_parameters(PROFILES[profile])


@cache
def _dummy_hash(profile: str) -> str:
    # Verified against when the e-mail is unknown, so that a miss takes as long as a hit.
    return _hasher(profile).hash("not a password of anyone")


def _profile() -> str:
    if has_app_context():
        return str(current_app.config.get("PASSWORD_HASH_PROFILE", "default"))
    return "default"


def hash_password(password: str) -> str:
    return _hasher(_profile()).hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    profile = _profile()
    try:
        matches = _hasher(profile).verify(stored_hash or _dummy_hash(profile), password)
    except (VerificationError, InvalidHashError):
        return False
    return matches and stored_hash is not None


def needs_rehash(stored_hash: str) -> bool:
    return _hasher(_profile()).check_needs_rehash(stored_hash)
