"""Password hashing with Argon2id."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from zxcvbn.frequency_lists import FREQUENCY_LISTS

MIN_LENGTH = 12

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


def _is_argon2(stored_hash: str | None) -> bool:
    return bool(stored_hash) and str(stored_hash).startswith("$argon2")


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Whether the password matches; as slow for an unknown or unusable hash as for a real one."""
    profile = _profile()
    usable = _is_argon2(stored_hash)
    try:
        matches = _hasher(profile).verify(
            stored_hash if usable else _dummy_hash(profile),  # type: ignore[arg-type]
            password,
        )
    except (VerificationError, InvalidHashError):
        return False
    return matches and usable


@cache
def _common_passwords() -> frozenset[str]:
    # The list of common passwords that zxcvbn ships (from leaked password sets).
    return frozenset(p.casefold() for p in FREQUENCY_LISTS["passwords"])


def password_problem(password: str, email: str | None = None) -> str | None:
    """Why a new password is refused, in Dutch, or None when it may be used."""
    if len(password) < MIN_LENGTH:
        return str(_l("Een wachtwoord telt minstens %(min)d tekens.", min=MIN_LENGTH))
    folded = password.casefold()
    if folded in _common_passwords():
        return str(_l("Dit wachtwoord is te bekend: het staat in lijsten die aanvallers proberen."))
    if email:
        address = email.strip().casefold()
        local = address.split("@")[0]
        if address in folded or (len(local) >= 4 and local in folded):
            return str(_l("Een wachtwoord mag uw e-mailadres niet bevatten."))
    return None


def needs_rehash(stored_hash: str) -> bool:
    return _hasher(_profile()).check_needs_rehash(stored_hash)
