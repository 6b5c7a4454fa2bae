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

from .models import Municipality, Referral, Role, User


class Permission(enum.StrEnum):
    INTAKE = "intake"
    VIEW_REFERRALS = "view_referrals"
    WORK_QUEUE = "work_queue"
    LEAD_TEAM = "lead_team"
    ADMINISTER = "administer"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.DESK: frozenset({Permission.INTAKE}),
    Role.TOELEIDER: frozenset(
        {Permission.INTAKE, Permission.VIEW_REFERRALS, Permission.WORK_QUEUE}
    ),
    Role.LEAD: frozenset(
        {Permission.INTAKE, Permission.VIEW_REFERRALS, Permission.WORK_QUEUE, Permission.LEAD_TEAM}
    ),
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


def works_in(user: User, municipality_id: int) -> bool:
    return user.active and municipality_id in municipality_ids(user)


def is_lead_for(user: User, municipality_id: int) -> bool:
    """A lead of this municipality may reassign and close its files."""
    return can(user, Permission.LEAD_TEAM) and works_in(user, municipality_id)


def led_municipalities(user: User) -> list[Municipality]:
    """The municipalities this user leads, by name."""
    return [m for m in user.municipalities if is_lead_for(user, m.id)]


def led_municipality_ids(user: User) -> list[int]:
    return sorted(m.id for m in led_municipalities(user))


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
    if can(user, Permission.LEAD_TEAM):
        return "lead.today"
    if can(user, Permission.WORK_QUEUE):
        return "queue.index"
    if can(user, Permission.INTAKE):
        return "desk.intake"
    if can(user, Permission.ADMINISTER):
        return "admin.index"
    return "auth.no_role"


def may_work_on(user: User, referral: Referral) -> bool:
    """The owner of an open file, or a lead of its municipality, may record work on it."""
    if not user.is_authenticated or not referral.is_open:
        return False
    return owns_or_leads(user, referral)


def owns_or_leads(user: User, referral: Referral) -> bool:
    """The referral's toeleider, or a lead of its municipality."""
    return referral.owner_id == user.id or is_lead_for(user, referral.municipality_id)
