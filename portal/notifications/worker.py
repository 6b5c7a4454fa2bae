"""One run of `flask send-mail`: today's task notifications, the digests, the outbox."""

from __future__ import annotations

from datetime import datetime

from flask import Flask
from sqlalchemy import func, select

from ..extensions import db
from ..models import OutboxMail
from . import mail, records
from .sending import SmtpSettings, send_due


def run_once(app: Flask, now: datetime) -> str:
    """Do everything due at `now`; returns a line for the log (counts only, no names)."""
    made = records.tasks_due(db.session, now)
    db.session.commit()
    digests = mail.build_digests(db.session, now, app.config["PORTAL_DIGEST_HOUR"])
    db.session.commit()
    settings = SmtpSettings.from_config(app.config)
    if not settings.host:
        waiting = db.session.scalar(
            select(func.count()).select_from(OutboxMail).where(OutboxMail.sent_at.is_(None))
        )
        return (
            f"{made} task notifications, {digests} digests; PORTAL_SMTP_HOST is not set: "
            f"{waiting} e-mails wait in the outbox."
        )
    delivery = send_due(db.session, settings, now)
    return (
        f"{made} task notifications, {digests} digests; sent {delivery.sent}, "
        f"{delivery.failed} to retry, {delivery.given_up} given up."
    )
