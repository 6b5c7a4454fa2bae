"""Delivering the outbox over SMTP, with retries that wait longer each time.

A run claims the due e-mails for a while (a lease) and commits before it talks to the mail
server, so that a slow server holds no database lock and two runs at once do not send the
same e-mail. A run that dies between sending and noting it sends that e-mail again once the
lease ends: at least once, never lost.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

from sqlalchemy import select, update

from ..extensions import DbSession
from ..models import OutboxMail

log = logging.getLogger("portal.mail")

# How long a run holds the e-mails it took, however slow the server is.
LEASE = timedelta(minutes=10)
FIRST_RETRY = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=6)
# After this many failed attempts (about four days) an e-mail stays in the outbox, unsent.
MAX_ATTEMPTS = 20
BATCH = 100


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    user: str
    password: str
    starttls: bool
    timeout: int
    sender: str

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SmtpSettings:
        return cls(
            host=config["PORTAL_SMTP_HOST"],
            port=config["PORTAL_SMTP_PORT"],
            user=config["PORTAL_SMTP_USER"],
            password=config["PORTAL_SMTP_PASSWORD"],
            starttls=config["PORTAL_SMTP_STARTTLS"],
            timeout=config["PORTAL_SMTP_TIMEOUT"],
            sender=config["PORTAL_MAIL_FROM"],
        )


@dataclass
class Delivery:
    """What one run did."""

    sent: int = 0
    failed: int = 0
    given_up: int = 0


def retry_delay(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failure: doubling from a minute, at most six hours."""
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), LONGEST_WAIT)


def claim_due(session: DbSession, now: datetime, limit: int = BATCH) -> list[OutboxMail]:
    """Take the e-mails due now for this run, and commit: nobody else sends them meanwhile."""
    due = session.execute(
        select(OutboxMail.id, OutboxMail.next_attempt_at)
        .where(OutboxMail.sent_at.is_(None), OutboxMail.next_attempt_at <= now)
        .order_by(OutboxMail.next_attempt_at, OutboxMail.id)
        .limit(limit)
    ).all()
    taken = []
    for mail_id, planned in due:
        # Only if no other run moved it since it was read.
        result = session.execute(
            update(OutboxMail)
            .where(OutboxMail.id == mail_id, OutboxMail.next_attempt_at == planned)
            .values(next_attempt_at=now + LEASE)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            taken.append(mail_id)
    session.commit()
    if not taken:
        return []
    return list(
        session.scalars(select(OutboxMail).where(OutboxMail.id.in_(taken)).order_by(OutboxMail.id))
    )


def _message(mail: OutboxMail, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.recipient
    message["Subject"] = mail.subject
    message["Date"] = formatdate(usegmt=True)
    domain = sender.rpartition("@")[2] or "localhost"
    # The same for every attempt, so that a mail server may recognise a resent copy.
    message["Message-ID"] = f"<outbox-{mail.id}-{mail.created_at:%Y%m%d%H%M%S}@{domain}>"
    message.set_content(mail.body)
    return message


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    server = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    try:
        if settings.starttls:
            server.starttls(context=ssl.create_default_context())
        if settings.user:
            server.login(settings.user, settings.password)
    except BaseException:
        server.close()
        raise
    return server


def _error_text(exc: BaseException) -> str:
    # The class and the SMTP code only: a server's message may repeat the recipient.
    code = getattr(exc, "smtp_code", None)
    return f"{type(exc).__name__}{f' {code}' if code else ''}"[:200]


def _failed(mail: OutboxMail, error: str, now: datetime, result: Delivery) -> None:
    mail.attempts += 1
    mail.last_error = error
    if mail.attempts >= MAX_ATTEMPTS:
        mail.next_attempt_at = None
        result.given_up += 1
    else:
        mail.next_attempt_at = now + retry_delay(mail.attempts)
        result.failed += 1


def send_due(session: DbSession, settings: SmtpSettings, now: datetime) -> Delivery:
    """Send every e-mail due at `now`; each outcome is committed as soon as it is known."""
    result = Delivery()
    mails = claim_due(session, now)
    if not mails:
        return result
    try:
        server = _connect(settings)
    except (OSError, smtplib.SMTPException) as exc:
        for mail in mails:
            _failed(mail, _error_text(exc), now, result)
        session.commit()
        log.warning("Mail server unreachable (%s): %d e-mails wait", _error_text(exc), len(mails))
        return result
    try:
        for mail in mails:
            try:
                server.send_message(_message(mail, settings.sender))
            except smtplib.SMTPServerDisconnected as exc:
                _failed(mail, _error_text(exc), now, result)
                session.commit()
                server = _connect(settings)
                continue
            except (OSError, smtplib.SMTPException) as exc:
                _failed(mail, _error_text(exc), now, result)
            else:
                mail.attempts += 1
                mail.sent_at = now
                mail.next_attempt_at = None
                mail.last_error = None
                result.sent += 1
            session.commit()
    except (OSError, smtplib.SMTPException) as exc:
        # The server went away and could not be reached again: the rest wait for a retry.
        for mail in mails:
            if mail.sent_at is None and mail.next_attempt_at == now + LEASE:
                _failed(mail, _error_text(exc), now, result)
        session.commit()
    finally:
        try:
            server.quit()
        except (OSError, smtplib.SMTPException):
            server.close()
    log.info(
        "Outbox: %d sent, %d to retry, %d given up", result.sent, result.failed, result.given_up
    )
    return result
