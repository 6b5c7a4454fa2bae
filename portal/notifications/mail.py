"""E-mails about notifications: into the outbox in the event's transaction, and daily digests.

An e-mail carries the kind of news, the file's reference and a link into the portal, never a
resident's name or details: mail leaves the municipality's systems and lingers in mailboxes.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import current_app
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import DbSession
from ..labels import NOTIFICATION_KIND_LABELS
from ..models import MailDigest, MailPreference, Notification, OutboxMail, Referral, User

# A digest lists this many notifications, and says how many more wait in the portal.
DIGEST_LINES = 50


def link(endpoint: str, **values: Any) -> str:
    """An address in the portal for an e-mail, from PORTAL_BASE_URL (there is no request)."""
    base = str(current_app.config["PORTAL_BASE_URL"]).rstrip("/")
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return base + path


def _footer() -> str:
    return _(
        "U krijgt deze e-mail omdat u meldingen per e-mail koos. Wijzigen kan op uw "
        "accountpagina: %(url)s",
        url=link("auth.account"),
    )


def _line(notification: Notification, referral: Referral) -> str:
    label = str(NOTIFICATION_KIND_LABELS[notification.kind])
    return f"{label}: {referral.reference}\n{link('referrals.detail', referral_id=referral.id)}"


def queue_immediate(
    session: DbSession,
    user: User,
    notification: Notification,
    referral: Referral,
    at: datetime,
) -> OutboxMail:
    """The e-mail of one notification, sent by the next run of `flask send-mail`."""
    # In the recipient's language, not in that of whoever's action caused it.
    with force_locale(user.ui_locale.value):
        label = str(NOTIFICATION_KIND_LABELS[notification.kind])
        body = "\n\n".join(
            [
                _("Nieuw voor u in het Onthaalportaal:"),
                _line(notification, referral),
                _footer(),
            ]
        )
    message = OutboxMail(
        recipient=user.email,
        subject=f"{label}: {referral.reference}",
        body=body + "\n",
        created_at=at,
        attempts=0,
        next_attempt_at=at,
    )
    session.add(message)
    return message


def _claim_day(session: DbSession, user_id: int, day: date) -> bool:
    """Whether this run makes the user's digest of `day`: of two runs at once, one does."""
    moved = session.execute(
        update(MailDigest)
        .where(MailDigest.user_id == user_id, MailDigest.last_day < day)
        .values(last_day=day)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount:  # type: ignore[attr-defined]
        return True
    if session.scalar(select(MailDigest.user_id).where(MailDigest.user_id == user_id)):
        return False
    try:
        with session.begin_nested():
            session.add(MailDigest(user_id=user_id, last_day=day))
    except IntegrityError:
        return False
    return True


def build_digests(session: DbSession, at: datetime, hour: int) -> int:
    """From `hour` on, once a day: one e-mail per user who wants one with what they have
    not read and not had by e-mail yet. Returns how many digests were written."""
    if at.hour < hour:
        return 0
    users = session.scalars(
        select(User)
        .where(User.active.is_(True), User.mail_preference != MailPreference.NONE)
        .order_by(User.id)
    ).all()
    made = 0
    for user in users:
        if not _claim_day(session, user.id, at.date()):
            continue
        waiting = [
            (notification, referral)
            for notification, referral in session.execute(
                select(Notification, Referral)
                .join(Notification.referral)
                .where(
                    Notification.user_id == user.id,
                    Notification.read_at.is_(None),
                    Notification.mailed_at.is_(None),
                    Notification.created_at <= at,
                )
                .order_by(Notification.created_at, Notification.id)
            )
        ]
        if not waiting:
            continue
        with force_locale(user.ui_locale.value):
            session.add(_digest(user, waiting, at))
        for notification, _referral in waiting:
            notification.mailed_at = at
        made += 1
    return made


def _digest(user: User, waiting: list[tuple[Notification, Referral]], at: datetime) -> OutboxMail:
    """One user's digest, in the current locale."""
    parts = [_("Nieuw voor u in het Onthaalportaal:")]
    parts += [_line(n, r) for n, r in waiting[:DIGEST_LINES]]
    if len(waiting) > DIGEST_LINES:
        parts.append(
            ngettext(
                "En nog %(num)d melding in het portaal.",
                "En nog %(num)d meldingen in het portaal.",
                len(waiting) - DIGEST_LINES,
            )
        )
    parts.append(_("Alle meldingen: %(url)s", url=link("notifications.index")))
    parts.append(_footer())
    return OutboxMail(
        recipient=user.email,
        subject=ngettext(
            "Onthaalportaal: %(num)d nieuwe melding",
            "Onthaalportaal: %(num)d nieuwe meldingen",
            len(waiting),
        ),
        body="\n\n".join(parts) + "\n",
        created_at=at,
        attempts=0,
        next_attempt_at=at,
    )
