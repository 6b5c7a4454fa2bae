"""The access policy: who may call which route and see which record.

Every view asks this module through `requires` or one of the record checks, and templates
ask `can`; no role checks live anywhere else.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache, wraps
from typing import Any, TypeVar

from flask import abort
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from .models import Activity, Municipality, Person, PersonJoin, Referral, Role, Signal, User


class Permission(enum.StrEnum):
    INTAKE = "intake"
    VIEW_REFERRALS = "view_referrals"
    WORK_QUEUE = "work_queue"
    LEAD_TEAM = "lead_team"
    ADMINISTER = "administer"
    READ_AUDIT_LOG = "read_audit_log"
    # A partner organisation's people: register referrals and follow their own, never a file.
    REFER = "refer"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.DESK: frozenset({Permission.INTAKE}),
    Role.TOELEIDER: frozenset(
        {Permission.INTAKE, Permission.VIEW_REFERRALS, Permission.WORK_QUEUE}
    ),
    Role.LEAD: frozenset(
        {
            Permission.INTAKE,
            Permission.VIEW_REFERRALS,
            Permission.WORK_QUEUE,
            Permission.LEAD_TEAM,
            Permission.READ_AUDIT_LOG,
        }
    ),
    Role.ADMIN: frozenset({Permission.ADMINISTER, Permission.READ_AUDIT_LOG}),
    Role.PARTNER: frozenset({Permission.REFER}),
}


# Endpoints anyone may call: logging in and out, static files, the calendar feed (its
# secret address is its credential) and the health checks of the proxy or load balancer
# (they say nothing but whether the portal can serve). Every other endpoint declares what it
# requires.
PUBLIC_ENDPOINTS = frozenset(
    {
        "static",
        "auth.login",
        "auth.login_page",
        "auth.login_code",
        "auth.logout",
        "auth.home",
        "agenda.feed",
        "health.healthz",
        "health.readyz",
    }
)
# Set on a view function by `requires`: the URL-map test reads it.
REQUIRED_ATTRIBUTE = "required_permission"
SIGNED_IN = "signed_in"


def permissions_of(user: Any) -> frozenset[Permission]:
    """What a user may do through their roles.

    Admins configure and do not read files: an account that holds admin next to another role
    (only possible in data from before that rule) gets the admin's permissions alone.
    """
    return _permissions_of_roles(frozenset(user.roles))


@lru_cache(maxsize=64)
def _permissions_of_roles(roles: frozenset[Role]) -> frozenset[Permission]:
    if Role.ADMIN in roles:
        roles = frozenset({Role.ADMIN})
    return frozenset().union(*(ROLE_PERMISSIONS[role] for role in roles))


def can(user: Any, permission: Permission | str) -> bool:
    """Whether the user holds a permission through any of their roles."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return Permission(permission) in permissions_of(user)


F = TypeVar("F", bound=Callable[..., Any])


def requires(permission: Permission) -> Callable[[F], F]:
    """Decorate a view: log in first, then hold the permission, else 403."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not can(current_user, permission):
                abort(403)
            return view(*args, **kwargs)

        guarded = login_required(wrapped)
        setattr(guarded, REQUIRED_ATTRIBUTE, permission)
        return guarded

    return decorator


def requires_login(view: F) -> F:
    """Decorate a view that every signed-in user may call (their own account, for one)."""
    guarded = login_required(view)
    setattr(guarded, REQUIRED_ATTRIBUTE, SIGNED_IN)
    return guarded


def receives_notifications(user: Any) -> bool:
    """Toeleiders and leads get notifications about files; desk workers and admins do not.

    The notification routes require the same permission.
    """
    return can(user, Permission.VIEW_REFERRALS)


def may_use_second_factor(user: Any) -> bool:
    """Leads and admins may protect their account with a second factor (an app's codes)."""
    return bool(getattr(user, "is_authenticated", False)) and bool(
        set(user.roles) & {Role.LEAD, Role.ADMIN}
    )


def municipality_ids(user: User) -> set[int]:
    return {m.id for m in user.municipalities}


def works_in(user: User, municipality_id: int) -> bool:
    return user.active and municipality_id in municipality_ids(user)


def is_lead_for(user: User, municipality_id: int) -> bool:
    """A lead of this municipality may reassign and close its files."""
    return can(user, Permission.LEAD_TEAM) and works_in(user, municipality_id)


def may_import_register(user: User, municipality_id: int) -> bool:
    """A lead of the municipality imports its population register's new registrations: the
    referrals land in the queue the lead answers for. Admins read no files, so they do not."""
    return is_lead_for(user, municipality_id)


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
    # A partner registers referrals too, but reads none of them as a file.
    return (
        can(user, Permission.INTAKE)
        and referral.created_by_id == user.id
        and referral.created_at.date() == today
    )


def referring_service_id(user: Any) -> int | None:
    """The partner organisation a partner refers for; None for anyone else.

    A partner account whose service is no (active) partner organisation refers for nobody:
    it sees no referral and registers none.
    """
    if not can(user, Permission.REFER) or not user.active:
        return None
    service = user.service
    if service is None or not service.is_partner or not service.active:
        return None
    return int(service.id)


def partner_sees(user: Any, referral: Referral) -> bool:
    """A partner sees a referral their own organisation made: its status and the feedback,
    never the file itself (that stays behind can_view_referral, which no partner passes)."""
    service_id = referring_service_id(user)
    return (
        service_id is not None
        and referral.source_service_id == service_id
        and referral.anonymised_at is None
    )


def may_print_partner_slip(user: Any, referral: Referral, today: date, days: int) -> bool:
    """The partner who registered it prints its slip again in the desk's reprint period."""
    return (
        partner_sees(user, referral)
        and referral.created_by_id == user.id
        and today - timedelta(days=days) < referral.created_at.date() <= today
    )


def may_give_partner_feedback(user: User, referral: Referral) -> bool:
    """The toeleider or a lead working on a file that a partner referred tells that partner."""
    return referral.source_service.is_partner and may_work_on(user, referral)


def may_reprint_slip(user: User, referral: Referral, today: date, days: int) -> bool:
    """Whoever may see the file, or the desk worker who registered it in the last `days` days.

    At the desk a resident comes back for a lost slip; the desk worker finds their own
    registrations of that period, and nothing more of the file than the slip shows.
    """
    if can_view_referral(user, referral, today):
        return True
    return (
        can(user, Permission.INTAKE)
        and referral.anonymised_at is None
        and referral.created_by_id == user.id
        and referral.municipality_id in municipality_ids(user)
        and today - timedelta(days=days) < referral.created_at.date() <= today
    )


def home_endpoint(user: Any) -> str:
    """Where a user lands after logging in: their main page of work."""
    if can(user, Permission.LEAD_TEAM):
        return "lead.today"
    if can(user, Permission.WORK_QUEUE):
        return "today.index"
    if can(user, Permission.INTAKE):
        return "desk.intake"
    if can(user, Permission.ADMINISTER):
        return "admin.index"
    if can(user, Permission.REFER):
        return "partners.referrals"
    return "auth.no_role"


class Who(enum.Enum):
    """Who may make a move on a file; the lifecycle's table names one per transition."""

    TOELEIDER_HERE = "toeleider_here"  # a toeleider of the file's municipality
    WORKER = "worker"  # the file's toeleider, or a lead of its municipality
    LEAD = "lead"  # a lead of the file's municipality
    DESK_OR_LEAD = "desk_or_lead"  # a desk worker of the municipality (at intake), or a lead


WHO_REFUSALS = {
    Who.TOELEIDER_HERE: _l("Alleen toeleiders van deze gemeente kunnen iemand opnemen."),
    Who.WORKER: _l("Alleen de toeleider van deze persoon of een teamverantwoordelijke kan dit."),
    Who.LEAD: _l("Alleen een teamverantwoordelijke kan dit."),
    Who.DESK_OR_LEAD: _l("Neem de persoon eerst op."),
}


def may_act_as(who: Who, user: User, referral: Referral) -> bool:
    """Whether the user is who the lifecycle asks for on this file."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if who is Who.TOELEIDER_HERE:
        return may_claim(user, referral)
    if who is Who.WORKER:
        return owns_or_leads(user, referral)
    if who is Who.LEAD:
        return is_lead_for(user, referral.municipality_id)
    return (user.has_role(Role.DESK) and works_in(user, referral.municipality_id)) or is_lead_for(
        user, referral.municipality_id
    )


def may_claim(user: User, referral: Referral) -> bool:
    """Toeleiders of the referral's municipality take it from the queue; leads assign it."""
    return may_claim_in(user, referral.municipality_id)


def may_claim_in(user: User, municipality_id: int) -> bool:
    """may_claim for a referral known only by its municipality (a row of the queue)."""
    return user.has_role(Role.TOELEIDER) and works_in(user, municipality_id)


def may_own(user: User, referral: Referral) -> bool:
    """Who can be given a file, or have its conversation in their agenda: a toeleider of it."""
    return (
        user.active and user.has_role(Role.TOELEIDER) and works_in(user, referral.municipality_id)
    )


def may_work_on(user: User, referral: Referral) -> bool:
    """The owner of an open file, or a lead of its municipality, may record work on it."""
    if not user.is_authenticated or not referral.is_open:
        return False
    return owns_or_leads(user, referral)


def owns_or_leads(user: User, referral: Referral) -> bool:
    """The referral's toeleider (while they work for its municipality), or a lead of it."""
    if referral.owner_id == user.id and works_in(user, referral.municipality_id):
        return True
    return is_lead_for(user, referral.municipality_id)


def may_correct_person(user: User, referral: Referral) -> bool:
    """The file's toeleider or a lead of its municipality corrects the person's details."""
    if not user.is_authenticated or referral.anonymised_at is not None:
        return False
    return referral.person.anonymised_at is None and owns_or_leads(user, referral)


def may_see_person(user: User, person: Person, today: date) -> bool:
    """A toeleider or lead sees a person through any of their files they may see."""
    if not can(user, Permission.WORK_QUEUE):
        return False
    return any(can_view_referral(user, r, today) for r in person.referrals)


def may_join(user: User, kept: Person, absorbed: Person, today: date) -> bool:
    """A toeleider or lead who may see both persons joins them (and undoes that join)."""
    if kept.id == absorbed.id:
        return False
    if any(p.anonymised_at is not None for p in (kept, absorbed)):
        return False
    return may_see_person(user, kept, today) and may_see_person(user, absorbed, today)


def may_undo_join(user: User, join: PersonJoin, today: date) -> bool:
    """Whoever joined, or the toeleider or a lead of one of the files, undoes a join.

    The toeleider of a file counts because the desk joins too (a returning resident), and
    the desk cannot undo.
    """
    if not may_see_person(user, join.kept, today):
        return False
    return join.actor_id == user.id or any(owns_or_leads(user, r) for r in join.kept.referrals)


def in_my_municipalities(user: User) -> Any:
    """SQL condition: the file belongs to one of the user's municipalities.

    Lists of one's own files, tasks and appointments add it to the ownership condition, so
    that a toeleider taken off a municipality no longer sees its residents anywhere.
    """
    return Referral.municipality_id.in_(sorted(municipality_ids(user)) or [-1])


def may_change_signal(user: User, signal: Signal) -> bool:
    """A lead of the signal's municipality follows it up towards policy."""
    return is_lead_for(user, signal.municipality_id)


def owns_agenda_item(user: User, item: Any) -> bool:
    """Weekly periods and absences are each toeleider's own to change."""
    return bool(item.user_id == user.id)


def may_see_activity(user: User, activity: Activity) -> bool:
    return works_in(user, activity.municipality_id)


def may_remove_activity(user: User, activity: Activity) -> bool:
    """Whoever recorded it, or a lead of its municipality, may take a mistake out."""
    return activity.created_by_id == user.id or is_lead_for(user, activity.municipality_id)


def report_scope(user: User, chosen: int | None) -> tuple[list[int], int | None]:
    """The municipalities a report covers: the one chosen if the user leads it, else all led."""
    mine = led_municipality_ids(user)
    return ([chosen], chosen) if chosen in mine else (mine, None)


def side_by_side_municipalities(user: User) -> list[Municipality]:
    """The municipalities a lead may set side by side on a report: all they lead, when that is
    more than one; none for a lead of one municipality."""
    led = led_municipalities(user)
    return led if len(led) > 1 else []


def audit_scope(user: User) -> tuple[int, ...] | None:
    """Whose files' access log a reader sees: an admin every file, a lead their municipalities'.

    The log names files by reference only, so an admin reading it reads no file.
    """
    if can(user, Permission.ADMINISTER):
        return None
    return tuple(led_municipality_ids(user))


@dataclass(frozen=True)
class RightsActions:
    """What a user may do for the resident's rights on one file."""

    export: bool
    withdraw: bool
    erase: bool


def rights_actions(user: User, referral: Referral) -> RightsActions:
    """The owner or a lead exports and records a withdrawal; only a lead erases a person."""
    handles = owns_or_leads(user, referral) and referral.anonymised_at is None
    return RightsActions(
        export=handles,
        withdraw=handles and referral.consent_withdrawn_at is None,
        erase=handles and is_lead_for(user, referral.municipality_id),
    )
