"""The optional second factor: a TOTP app, and single-use recovery codes."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

import pyotp
import segno
from flask import current_app
from sqlalchemy import delete, select, update
from sqlalchemy.engine import CursorResult

from ..extensions import DbSession
from ..models import RecoveryCode, User
from .sealing import seal, unseal

ISSUER = "Onthaalportaal"
RECOVERY_CODE_COUNT = 10
_PURPOSE = "totp-secret"


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The enrolment QR code as inline SVG, so that the secret never leaves the page."""
    return segno.make(uri, error="m").svg_inline(scale=4, title="QR-code")


def code_matches(secret: str, code: str) -> bool:
    """A six-digit code of this secret now, allowing one step of clock drift either way.

    Real time, not the portal's clock: the phone's app counts in UTC seconds too.
    """
    digits = "".join(ch for ch in code if not ch.isspace())
    if len(digits) != 6 or not digits.isascii() or not digits.isdigit():
        return False
    return pyotp.TOTP(secret).verify(digits, valid_window=1)


def stored_secret(user: User) -> str | None:
    if not user.totp_secret:
        return None
    raw = unseal(_PURPOSE, user.totp_secret)
    return raw.decode() if raw else None


def seal_secret(secret: str) -> str:
    return seal(_PURPOSE, secret.encode())


def _code_hash(code: str) -> str:
    # Keyed, so that the table alone does not let anyone try all codes offline.
    key = str(current_app.config["SECRET_KEY"]).encode()
    normal = code.strip().lower().replace("-", "").replace(" ", "")
    return hmac.new(key, normal.encode(), hashlib.sha256).hexdigest()


def enable(session: DbSession, user: User, secret: str) -> list[str]:
    """Turn the second factor on and return fresh recovery codes (shown once); caller commits."""
    user.totp_secret = seal_secret(secret)
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODE_COUNT)]
    session.add_all(RecoveryCode(user_id=user.id, code_hash=_code_hash(c)) for c in codes)
    return codes


def disable(session: DbSession, user: User) -> None:
    """Turn the second factor off and drop the recovery codes; the caller commits."""
    user.totp_secret = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def use_recovery_code(session: DbSession, user: User, code: str, at: datetime) -> bool:
    """Spend one unused recovery code; True when it was one. The caller commits."""
    spent = session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _code_hash(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=at)
    )
    return (cast("CursorResult[Any]", spent).rowcount or 0) == 1


def unused_recovery_codes(session: DbSession, user: User) -> int:
    return len(
        list(
            session.scalars(
                select(RecoveryCode.id).where(
                    RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
                )
            )
        )
    )


def check(
    session: DbSession,
    user: User,
    code: str,
    at: datetime,
    *,
    seen_before: Callable[[str], bool],
) -> bool:
    """A code from the app not used before, or an unused recovery code of this user.

    `seen_before(key)` records a use and says whether the key was used already: a code
    someone watched being typed stays valid for a minute and must not open a second login.
    """
    secret = stored_secret(user)
    if secret is None:
        return False
    if code_matches(secret, code):
        return not seen_before(f"totp-used|{user.id}|{''.join(code.split())}")
    return use_recovery_code(session, user, code, at)
