"""Creating and changing the accounts of the people who use the portal."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from .auth.passwords import hash_password
from .models import Language, Municipality, Role, User, user_municipalities


class AccountError(ValueError):
    """An account change that cannot be made as asked."""


def email_taken(session: Session, email: str, except_id: int | None = None) -> bool:
    stmt = select(User.id).where(func.lower(User.email) == email.strip().casefold())
    if except_id is not None:
        stmt = stmt.where(User.id != except_id)
    return session.scalar(stmt) is not None


def create_user(
    session: Session,
    *,
    email: str,
    full_name: str,
    password: str,
    roles: Iterable[Role | str],
    municipality_ids: Iterable[int] = (),
    service_id: int | None = None,
    language_codes: Iterable[str] = (),
    channel_id: int | None = None,
) -> User:
    """Add an active user; the caller commits."""
    if email_taken(session, email):
        raise AccountError("email taken")
    user = User(
        email=email.strip().casefold(),
        full_name=full_name.strip(),
        password_hash=hash_password(password),
        service_id=service_id,
        channel_id=channel_id,
    )
    update_user(
        session,
        user,
        roles=roles,
        municipality_ids=municipality_ids,
        language_codes=language_codes,
    )
    session.add(user)
    return user


def update_user(
    session: Session,
    user: User,
    *,
    roles: Iterable[Role | str],
    municipality_ids: Iterable[int],
    language_codes: Iterable[str],
) -> None:
    """Set a user's roles, municipalities and spoken languages."""
    user.roles = {Role(r) for r in roles}
    ids = list(municipality_ids)
    user.municipalities = (
        list(session.scalars(select(Municipality).where(Municipality.id.in_(ids)))) if ids else []
    )
    codes = list(language_codes)
    user.languages = (
        list(session.scalars(select(Language).where(Language.code.in_(codes)))) if codes else []
    )


def toeleiders_of(session: Session, municipality_ids: Iterable[int]) -> list[User]:
    """Active toeleiders working for any of these municipalities, by name, languages loaded."""
    ids = list(municipality_ids) or [-1]
    people = session.scalars(
        select(User)
        .join(user_municipalities)
        .where(user_municipalities.c.municipality_id.in_(ids), User.active.is_(True))
        # A cheap prefilter; has_role below decides, roles being a comma-separated list.
        .where(User.roles_text.contains(Role.TOELEIDER.value))
        .options(selectinload(User.languages))
        .distinct()
        .order_by(User.full_name)
    )
    return [u for u in people if u.has_role(Role.TOELEIDER)]
