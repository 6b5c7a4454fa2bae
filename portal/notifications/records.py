"""Notifications are made here, where each event happens, in the event's own transaction.

The callers are the domain functions of the events (intake, booking, reassigning, signals,
programme places, follow-up tasks); they commit. A notification names the file, never the
resident; reading one, or opening its file, marks it read.
"""

from __future__ import annotations

from datetime import datetime

from babel.dates import format_date, format_datetime
from sqlalchemy import and_, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from ..extensions import DbSession
from ..models import (
    Appointment,
    FollowUpTask,
    MailPreference,
    Notification,
    NotificationKind,
    ProgrammePlace,
    Referral,
    Role,
    Signal,
    User,
    UserRole,
    user_languages,
    user_municipalities,
)
from ..pagination import Page, paginate
from . import mail

K = NotificationKind
# The details are stored as text when the event happens, in the portal's language.
DETAIL_LOCALE = "nl_BE"
# What a user who asked for it gets by e-mail at once; the rest waits for the daily digest.
IMMEDIATE_KINDS = frozenset({K.APPOINTMENT_BOOKED, K.REASSIGNED})


def _add(
    session: DbSession,
    user_id: int,
    kind: NotificationKind,
    referral: Referral,
    at: datetime,
    *,
    detail: str | None = None,
    once_key: str | None = None,
) -> Notification | None:
    notification = Notification(
        user_id=user_id,
        kind=kind,
        referral=referral,
        detail=detail,
        created_at=at,
        once_key=once_key,
    )
    if once_key is None:
        session.add(notification)
        return notification
    already = session.scalar(
        select(Notification.id).where(
            Notification.user_id == user_id, Notification.once_key == once_key
        )
    )
    if already is not None:
        return None
    try:
        with session.begin_nested():
            session.add(notification)
    except IntegrityError:  # made a moment ago by another request or the mail worker
        return None
    return notification


def notify(
    session: DbSession,
    user: User,
    kind: NotificationKind,
    referral: Referral,
    at: datetime,
    *,
    detail: str | None = None,
    once_key: str | None = None,
) -> Notification | None:
    """Tell one user about a file; the e-mail of an urgent kind goes into the outbox with it."""
    if not user.active:
        return None
    notification = _add(session, user.id, kind, referral, at, detail=detail, once_key=once_key)
    if (
        notification is not None
        and kind in IMMEDIATE_KINDS
        and user.mail_preference == MailPreference.IMMEDIATE
    ):
        mail.queue_immediate(session, user, notification, referral, at)
        notification.mailed_at = at
    return notification


# The six events --------------------------------------------------------------------------


def new_referral(session: DbSession, referral: Referral, actor: User, at: datetime) -> int:
    """A referral registered: the toeleiders of its municipality who speak its contact
    language hear of it. Returns how many."""
    speakers = session.scalars(
        select(User.id)
        .where(User.active.is_(True), User.id != actor.id)
        .where(
            User.id.in_(select(UserRole.user_id).where(UserRole.role == Role.TOELEIDER)),
            User.id.in_(
                select(user_municipalities.c.user_id).where(
                    user_municipalities.c.municipality_id == referral.municipality_id
                )
            ),
            User.id.in_(
                select(user_languages.c.user_id).where(
                    user_languages.c.language_code == referral.contact_language_code
                )
            ),
        )
    ).all()
    for user_id in speakers:
        _add(session, user_id, K.NEW_REFERRAL, referral, at)
    return len(speakers)


def no_longer_new(session: DbSession, referral_id: int, at: datetime) -> None:
    """The referral left the queue: the news of it is settled for those who were told."""
    session.execute(
        update(Notification)
        .where(
            Notification.referral_id == referral_id,
            Notification.kind == K.NEW_REFERRAL,
            Notification.read_at.is_(None),
        )
        .values(read_at=at)
        .execution_options(synchronize_session=False)
    )


def appointment_booked(
    session: DbSession, appointment: Appointment, actor: User, at: datetime
) -> None:
    """Someone else (the desk, a lead) put a conversation in a toeleider's agenda."""
    if appointment.toeleider.id == actor.id:
        return
    notify(
        session,
        appointment.toeleider,
        K.APPOINTMENT_BOOKED,
        appointment.referral,
        at,
        # Written as the rest of the portal writes moments ("3 dec. 2026, 12:15").
        detail=format_datetime(appointment.starts_at, "d MMM y, HH:mm", locale=DETAIL_LOCALE),
    )


def reassigned(
    session: DbSession, referral: Referral, new_owner: User, actor: User, at: datetime
) -> None:
    """A file was given to a toeleider by someone else."""
    if new_owner.id != actor.id:
        notify(session, new_owner, K.REASSIGNED, referral, at)


def signal_answered(session: DbSession, signal: Signal, actor: User, at: datetime) -> None:
    """Policy answered a signal: whoever raised it hears of it, on the file it came from."""
    if signal.referral_id is None or signal.created_by_id == actor.id:
        return
    referral = session.get(Referral, signal.referral_id)
    if referral is not None:
        notify(
            session, signal.created_by, K.SIGNAL_ANSWERED, referral, at, detail=signal.theme.name
        )


def place_free(session: DbSession, place: ProgrammePlace, actor: User, at: datetime) -> None:
    """A place is free and this waiting spot is first in line: its toeleider hears of it,
    once per waiting spot."""
    owner = place.referral.owner
    if owner is None or owner.id == actor.id:
        return
    notify(
        session,
        owner,
        K.PLACE_FREED,
        place.referral,
        at,
        detail=place.programme.name,
        once_key=f"place:{place.id}",
    )


def tasks_due(session: DbSession, at: datetime, user: User | None = None) -> int:
    """Tell each owner of an open follow-up task due today about it, once per task and day.

    Made when the user's lists are read and by the mail command, whichever comes first; for
    one user with `user`, else for all. Returns how many were made.
    """
    stmt = (
        select(FollowUpTask)
        .join(FollowUpTask.referral)
        # The owner still works for the file's municipality, as their lists require.
        .join(
            user_municipalities,
            and_(
                user_municipalities.c.user_id == FollowUpTask.owner_id,
                user_municipalities.c.municipality_id == Referral.municipality_id,
            ),
        )
        .join(User, User.id == FollowUpTask.owner_id)
        .options(joinedload(FollowUpTask.referral))
        .where(
            FollowUpTask.due_on == at.date(),
            FollowUpTask.done_at.is_(None),
            User.active.is_(True),
        )
        .order_by(FollowUpTask.id)
    )
    if user is not None:
        stmt = stmt.where(FollowUpTask.owner_id == user.id)
    day = at.date()
    tasks = list(session.scalars(stmt))
    if not tasks:
        return 0
    keys = {task.id: f"task:{task.id}:{day.isoformat()}" for task in tasks}
    told = {
        (user_id, key)
        for user_id, key in session.execute(
            select(Notification.user_id, Notification.once_key).where(
                Notification.user_id.in_({t.owner_id for t in tasks}),
                Notification.once_key.in_(list(keys.values())),
            )
        )
    }
    made = 0
    for task in tasks:
        if (task.owner_id, keys[task.id]) in told:
            continue
        notice = _add(
            session,
            task.owner_id,
            K.TASK_DUE,
            task.referral,
            at,
            detail=format_date(day, "d MMMM y", locale=DETAIL_LOCALE),
            once_key=keys[task.id],
        )
        made += notice is not None
    return made


# Reading ---------------------------------------------------------------------------------


def unread_count(session: DbSession, user_id: int) -> int:
    """The header's number: one COUNT over the (user, read) index."""
    return (
        session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        )
        or 0
    )


def listing(session: DbSession, user: User, page_number: int, size: int) -> Page[Notification]:
    """The user's notifications, unread first, newest first."""
    stmt = (
        select(Notification)
        .options(joinedload(Notification.referral))
        .where(Notification.user_id == user.id)
        .order_by(
            Notification.read_at.is_not(None),
            Notification.created_at.desc(),
            Notification.id.desc(),
        )
    )
    return paginate(session, stmt, page_number, size)


def own_notification(session: DbSession, user: User, notification_id: int) -> Notification | None:
    """The user's own notification, or None: nobody reaches another user's."""
    notification = session.get(Notification, notification_id)
    if notification is None or notification.user_id != user.id:
        return None
    return notification


def mark_read(notification: Notification, at: datetime) -> None:
    if notification.read_at is None:
        notification.read_at = at


def file_opened(session: DbSession, user: User, referral_id: int, at: datetime) -> None:
    """Opening a file reads every notification of the user about it."""
    session.execute(
        update(Notification)
        .where(
            Notification.user_id == user.id,
            Notification.read_at.is_(None),
            Notification.referral_id == referral_id,
        )
        .values(read_at=at)
        .execution_options(synchronize_session=False)
    )


def mark_all_read(session: DbSession, user: User, at: datetime) -> int:
    result = session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=at)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
