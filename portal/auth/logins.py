"""Login sessions the server can end: logout, revocation, idle timeout, absolute lifetime."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import func, select, update
from sqlalchemy.engine import CursorResult

from ..extensions import DbSession
from ..models import LoginSession

# Marks a request made by a polling element (the value is the element's id): it shows that
# the page is open, not that someone is at the desk, so it does not count as activity.
POLL_HEADER = "X-Portal-Poll"

# last_seen_at is written at most this often, so that a busy page does not write every request.
TOUCH_INTERVAL = timedelta(seconds=30)


@dataclass(frozen=True)
class Limits:
    idle: timedelta
    lifetime: timedelta


def token_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_login(
    session: DbSession, *, user_id: int, at: datetime, address: str | None, pending: bool = False
) -> str:
    """Open a login session and return the token the browser keeps; the caller commits."""
    token = secrets.token_urlsafe(32)
    session.add(
        LoginSession(
            id=token_id(token),
            user_id=user_id,
            created_at=at,
            last_seen_at=at,
            address=address,
            second_factor_pending=pending,
        )
    )
    return token


def live_login(
    session: DbSession, *, token: str | None, user_id: int, at: datetime, limits: Limits
) -> LoginSession | None:
    """The login session of this token if it is this user's and still holds at `at`."""
    if not token:
        return None
    login = session.get(LoginSession, token_id(token))
    if login is None or login.user_id != user_id or login.revoked_at is not None:
        return None
    if at - login.created_at > limits.lifetime or at - login.last_seen_at > limits.idle:
        return None
    return login


def needs_touch(login: LoginSession, at: datetime) -> bool:
    return at - login.last_seen_at >= TOUCH_INTERVAL


def end_login(session: DbSession, *, token: str | None, at: datetime) -> None:
    """Revoke one login session (logging out); the caller commits."""
    if token:
        session.execute(
            update(LoginSession)
            .where(LoginSession.id == token_id(token), LoginSession.revoked_at.is_(None))
            .values(revoked_at=at)
        )


def end_all_logins(
    session: DbSession, *, user_id: int, at: datetime, keep_token: str | None = None
) -> int:
    """Revoke every login session of a user, except `keep_token`'s; returns how many."""
    stmt = update(LoginSession).where(
        LoginSession.user_id == user_id, LoginSession.revoked_at.is_(None)
    )
    if keep_token:
        stmt = stmt.where(LoginSession.id != token_id(keep_token))
    revoked = cast("CursorResult[Any]", session.execute(stmt.values(revoked_at=at)))
    return revoked.rowcount or 0


def open_logins(session: DbSession, *, user_id: int, at: datetime, limits: Limits) -> int:
    """How many login sessions of this user still hold."""
    return (
        session.scalar(
            select(func.count()).where(
                LoginSession.user_id == user_id,
                LoginSession.revoked_at.is_(None),
                LoginSession.second_factor_pending.is_(False),
                LoginSession.created_at > at - limits.lifetime,
                LoginSession.last_seen_at > at - limits.idle,
            )
        )
        or 0
    )
