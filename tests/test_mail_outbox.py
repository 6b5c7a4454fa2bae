"""E-mail about notifications: the user's choice, the outbox, delivery over real SMTP."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import datetime, timedelta
from email import message_from_bytes
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from selectolax.parser import HTMLParser
from sqlalchemy import func, select, update
from sqlalchemy.orm.exc import StaleDataError

from portal.extensions import db
from portal.models import (
    Language,
    MailPreference,
    Notification,
    OutboxMail,
    Referral,
    Role,
    User,
)
from portal.notifications import mail
from portal.notifications.sending import (
    LONGEST_WAIT,
    MAX_ATTEMPTS,
    SmtpSettings,
    retry_delay,
    send_due,
)
from portal.referrals import lifecycle

from .conftest import NOW
from .factories import add_referral, add_user

LATER = datetime(2026, 11, 27, 10, 0)
RESIDENT = ("Rania", "Haddad", "470123456")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Inbox:
    """What the test's SMTP server received."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.recipients: list[list[str]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.messages.append(message_from_bytes(envelope.content))
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


class MailServer:
    def __init__(self, port: int) -> None:
        self.port = port
        self.inbox = Inbox()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=port)

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()


@pytest.fixture
def smtp_server() -> Iterator[MailServer]:
    server = MailServer(_free_port())
    server.start()
    yield server
    server.stop()


def _settings(port: int) -> SmtpSettings:
    return SmtpSettings(
        host="127.0.0.1",
        port=port,
        user="",
        password="",
        starttls=False,
        timeout=5,
        sender="onthaalportaal@lindeveld.be",
    )


def _colleague(world, preference: MailPreference) -> User:
    user = add_user(
        db.session,
        "collega@lindeveld.be",
        [Role.TOELEIDER],
        [world.municipality],
        languages=[db.session.get(Language, "ar")],
    )
    user.mail_preference = preference
    db.session.commit()
    return user


def _book(world, referral: Referral, toeleider: User) -> None:
    lifecycle.schedule_conversation(
        db.session, referral, world.desk, toeleider, LATER, 60, "Onthaal", None, NOW
    )
    db.session.commit()


def _outbox() -> list[OutboxMail]:
    return list(db.session.scalars(select(OutboxMail).order_by(OutboxMail.id)))


def _body(message: Message) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(message.get_content_charset() or "utf-8")


def _without_resident(text: str) -> None:
    for part in RESIDENT:
        assert part not in text


# The user's choice ----------------------------------------------------------------------


def test_a_booking_is_mailed_at_once_with_reference_and_link_and_no_resident(world, smtp_server):
    colleague = _colleague(world, MailPreference.IMMEDIATE)
    referral = add_referral(db.session, world)
    _book(world, referral, colleague)
    [queued] = _outbox()
    assert queued.recipient == colleague.email
    result = send_due(db.session, _settings(smtp_server.port), NOW)
    assert result.sent == 1
    [message] = smtp_server.inbox.messages
    assert smtp_server.inbox.recipients == [[colleague.email]]
    body = _body(message)
    assert referral.reference in message["Subject"] and referral.reference in body
    assert f"http://127.0.0.1:5000/referrals/{referral.id}" in body
    _without_resident(message["Subject"] + body)
    db.session.expire_all()
    assert db.session.get(OutboxMail, queued.id).sent_at == NOW


def test_no_mail_for_whoever_did_not_ask_for_it(world):
    colleague = _colleague(world, MailPreference.NONE)
    referral = add_referral(db.session, world)
    _book(world, referral, colleague)
    lifecycle.reassign(db.session, referral, world.lead, world.toeleider, "Verlof", NOW)
    db.session.commit()
    assert mail.build_digests(db.session, NOW, 7) == 0
    assert _outbox() == []


def test_digest_only_mails_bookings_in_the_daily_digest_not_at_once(world):
    colleague = _colleague(world, MailPreference.DIGEST)
    referral = add_referral(db.session, world)
    _book(world, referral, colleague)
    assert _outbox() == []
    assert mail.build_digests(db.session, NOW, 7) == 1
    [digest] = _outbox()
    # The new referral in the colleague's language was settled by the booking: not in it.
    assert digest.subject == "Onthaalportaal: 1 nieuwe melding"
    assert "Afspraak voor u ingepland: " + referral.reference in digest.body
    _without_resident(digest.body)


def test_the_digest_comes_once_a_day_from_its_hour_with_what_was_not_mailed_yet(world):
    colleague = _colleague(world, MailPreference.IMMEDIATE)
    first = add_referral(db.session, world)
    second = add_referral(db.session, world)
    _book(world, second, colleague)  # mailed at once
    assert len(_outbox()) == 1
    assert mail.build_digests(db.session, NOW.replace(hour=6), 7) == 0
    assert mail.build_digests(db.session, NOW, 7) == 1
    db.session.commit()
    digest = _outbox()[-1]
    assert digest.recipient == colleague.email
    assert f"Nieuwe doorverwijzing in uw talen: {first.reference}" in digest.body
    assert second.reference not in digest.body
    assert "http://127.0.0.1:5000/notifications/" in digest.body
    assert mail.build_digests(db.session, NOW + timedelta(hours=3), 7) == 0
    db.session.commit()
    third = add_referral(db.session, world, at=NOW + timedelta(hours=4))
    next_day = NOW + timedelta(days=1)
    assert mail.build_digests(db.session, next_day, 7) == 1
    assert third.reference in _outbox()[-1].body
    assert first.reference not in _outbox()[-1].body


def test_a_failed_save_leaves_no_mail_and_no_notification(world):
    colleague = _colleague(world, MailPreference.IMMEDIATE)
    referral = add_referral(db.session, world)
    lifecycle.claim(db.session, referral.id, world.toeleider, NOW)
    db.session.commit()
    db.session.get(Referral, referral.id)  # read, as the lead's page did
    # Someone else saved the file meanwhile: this save is refused as a whole.
    with db.engine.begin() as other:
        other.execute(
            update(Referral).where(Referral.id == referral.id).values(version=Referral.version + 1)
        )
    with pytest.raises(StaleDataError):
        lifecycle.reassign(db.session, referral, world.lead, colleague, "Verlof", NOW)
        db.session.commit()
    db.session.rollback()
    assert _outbox() == []
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == colleague.id)
        )
        == 1  # only the referral's arrival in the queue, from before
    )


def test_the_account_page_saves_the_choice(client, world):
    client.login(world.toeleider.email)
    page = HTMLParser(client.get("/account").get_data(as_text=True))
    checked = page.css_first("input[name=preference][checked]")
    assert checked.attributes["value"] == "none"
    response = client.post("/account/mail", {"preference": "digest"})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(User, world.toeleider.id).mail_preference is MailPreference.DIGEST
    refused = client.post("/account/mail", {"preference": "always"})
    assert refused.status_code == 422
    error = HTMLParser(refused.get_data(as_text=True)).css_first("#preference-error")
    assert error is not None and error.text()


def test_desk_workers_have_no_mail_choice(client, world):
    client.login(world.desk.email)
    page = HTMLParser(client.get("/account").get_data(as_text=True))
    assert page.css_first("input[name=preference]") is None
    assert client.post("/account/mail", {"preference": "digest"}).status_code == 403


# Delivery -------------------------------------------------------------------------------


def test_a_mail_server_that_is_down_leaves_the_mail_to_retry_and_it_arrives_once(world):
    colleague = _colleague(world, MailPreference.IMMEDIATE)
    _book(world, add_referral(db.session, world), colleague)
    port = _free_port()  # nothing listens there yet
    down = send_due(db.session, _settings(port), NOW)
    assert (down.sent, down.failed) == (0, 1)
    db.session.expire_all()
    [waiting] = _outbox()
    assert waiting.attempts == 1 and waiting.sent_at is None
    assert waiting.next_attempt_at == NOW + timedelta(minutes=1)
    assert waiting.last_error == "ConnectionRefusedError"
    server = MailServer(port)
    server.start()
    try:
        # Back, but the retry is not due yet.
        assert send_due(db.session, _settings(port), NOW + timedelta(seconds=30)).sent == 0
        assert send_due(db.session, _settings(port), NOW + timedelta(minutes=2)).sent == 1
        assert send_due(db.session, _settings(port), NOW + timedelta(minutes=30)).sent == 0
        assert len(server.inbox.messages) == 1
    finally:
        server.stop()
    db.session.expire_all()
    [sent] = _outbox()
    assert sent.attempts == 2 and sent.sent_at == NOW + timedelta(minutes=2)
    assert sent.next_attempt_at is None and sent.last_error is None


def test_retries_wait_twice_as_long_each_time_up_to_six_hours():
    assert [retry_delay(n) for n in (1, 2, 3)] == [
        timedelta(minutes=1),
        timedelta(minutes=2),
        timedelta(minutes=4),
    ]
    assert retry_delay(12) == LONGEST_WAIT == timedelta(hours=6)


def test_after_too_many_attempts_a_mail_stays_unsent_in_the_outbox(world):
    db.session.add(
        OutboxMail(
            recipient="x@lindeveld.be",
            subject="s",
            body="b",
            created_at=NOW,
            attempts=MAX_ATTEMPTS - 1,
            next_attempt_at=NOW,
        )
    )
    db.session.commit()
    result = send_due(db.session, _settings(_free_port()), NOW)
    assert result.given_up == 1
    db.session.expire_all()
    [kept] = _outbox()
    assert kept.next_attempt_at is None and kept.sent_at is None
    assert kept.attempts == MAX_ATTEMPTS


def test_the_send_mail_command_sends_what_is_due(app, world, smtp_server, monkeypatch):
    colleague = _colleague(world, MailPreference.DIGEST)
    add_referral(db.session, world)
    monkeypatch.setitem(app.config, "PORTAL_SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "PORTAL_SMTP_PORT", smtp_server.port)
    result = app.test_cli_runner().invoke(args=["send-mail"])
    assert result.exit_code == 0, result.output
    assert "1 digests; sent 1," in result.output
    assert smtp_server.inbox.recipients == [[colleague.email]]
    _without_resident(result.output)


def test_without_a_mail_server_the_command_says_the_mail_waits(app, world, monkeypatch):
    _colleague(world, MailPreference.DIGEST)
    add_referral(db.session, world)
    monkeypatch.setitem(app.config, "PORTAL_SMTP_HOST", "")
    result = app.test_cli_runner().invoke(args=["send-mail"])
    assert result.exit_code == 0, result.output
    assert "PORTAL_SMTP_HOST is not set: 1 e-mails wait in the outbox." in result.output


def test_the_worker_loop_keeps_going_every_interval(app, world, smtp_server, monkeypatch):
    _colleague(world, MailPreference.DIGEST)
    add_referral(db.session, world)
    monkeypatch.setitem(app.config, "PORTAL_SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "PORTAL_SMTP_PORT", smtp_server.port)
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 2:
            raise SystemExit(0)

    monkeypatch.setattr("portal.commands.time.sleep", sleep)
    result = app.test_cli_runner().invoke(args=["send-mail", "--loop", "--interval", "5"])
    assert result.exit_code == 0, result.output
    assert waits == [5, 5]
    # The second run found nothing new: one digest a day.
    assert len(smtp_server.inbox.messages) == 1
