"""The access policy: who may call which route and see which record.

Every view asks this module through `requires` or one of the record checks, and templates
ask `can`; no role checks live anywhere else.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user, login_required

from .models import Referral, Role, User


class Permission(enum.StrEnum):
    INTAKE = "intake"
    VIEW_REFERRALS = "view_referrals"
    ADMINISTER = "administer"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.DESK: frozenset({Permission.INTAKE}),
    Role.TOELEIDER: frozenset({Permission.INTAKE, Permission.VIEW_REFERRALS}),
    Role.LEAD: frozenset({Permission.INTAKE, Permission.VIEW_REFERRALS}),
    Role.ADMIN: frozenset({Permission.ADMINISTER}),
}


def can(user: Any, permission: Permission | str) -> bool:
    """Whether the user holds a permission through any of their roles."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    wanted = Permission(permission)
    return any(wanted in ROLE_PERMISSIONS[role] for role in user.roles)


F = TypeVar("F", bound=Callable[..., Any])


def requires(permission: Permission) -> Callable[[F], F]:
    """Decorate a view: log in first, then hold the permission, else 403."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not can(current_user, permission):
                abort(403)
            return view(*args, **kwargs)

        return login_required(wrapped)  # type: ignore[return-value]

    return decorator


def municipality_ids(user: User) -> set[int]:
    return {m.id for m in user.municipalities}


def can_view_referral(user: User, referral: Referral, today: date) -> bool:
    """Toeleiders and leads see their municipalities' files; desk workers only today's own."""
    if not user.is_authenticated:
        return False
    if referral.municipality_id not in municipality_ids(user):
        return False
    if can(user, Permission.VIEW_REFERRALS):
        return True
    return referral.created_by_id == user.id and referral.created_at.date() == today


def home_endpoint(user: Any) -> str:
    """Where a user lands after logging in: their main page of work."""
    if can(user, Permission.INTAKE):
        return "desk.intake"
    if can(user, Permission.ADMINISTER):
        return "admin.index"
    return "auth.no_role"
