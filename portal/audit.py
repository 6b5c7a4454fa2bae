"""The access log of personal records."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from .models import AccessLogEntry, Referral, User


def log_access(session: Session, user: User, referral: Referral, action: str, at: datetime) -> None:
    """Record that `user` opened `referral`'s personal data; the caller commits."""
    session.add(AccessLogEntry(user_id=user.id, referral_id=referral.id, action=action, at=at))
