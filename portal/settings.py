"""Settings an admin can change, with their defaults."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from .extensions import DbSession
from .models import Setting

DEFAULTS: dict[str, int] = {
    # How many days of waiting each indicator is worth in the queue's order.
    "queue_weight_dutch_difficult_days": 14,
    "queue_weight_no_work_days": 7,
    "queue_weight_children_days": 7,
    # Unreached contact attempts after which the referral gets an invitation letter.
    "letter_after_unreached_attempts": 3,
    # The lead's Today page flags referrals nobody claimed within this many working days.
    "unclaimed_working_days": 3,
    # Retention: closed files are anonymised this many months after closing, files of people
    # never reached this many months after the intake.
    "retention_closed_months": 24,
    "retention_unreached_months": 12,
    # An attempt, a walk-in conversation or a partner referral may be recorded afterwards
    # with the moment it happened, at most this many days back.
    "backdating_max_days": 30,
    # A login nobody used for this many minutes ends (polling pages do not count as use).
    "session_idle_minutes": 60,
    # A desk worker finds their own registrations of this many days (today included) to
    # print a slip again.
    "desk_reprint_days": 7,
    # A child of compulsory school age in a newcomer household: its school enrolment is due
    # this many days after the household became known.
    "school_enrolment_days": 30,
}


@dataclass(frozen=True)
class QueueWeights:
    dutch_difficult_days: int
    no_work_days: int
    children_days: int


def get_int(session: DbSession, key: str) -> int:
    stored = session.scalar(select(Setting.value).where(Setting.key == key))
    return int(stored) if stored is not None else DEFAULTS[key]


def set_int(session: DbSession, key: str, value: int) -> None:
    if key not in DEFAULTS:
        raise KeyError(key)
    setting = session.get(Setting, key)
    if setting is None:
        session.add(Setting(key=key, value=str(value)))
    else:
        setting.value = str(value)


def queue_weights(session: DbSession) -> QueueWeights:
    return QueueWeights(
        dutch_difficult_days=get_int(session, "queue_weight_dutch_difficult_days"),
        no_work_days=get_int(session, "queue_weight_no_work_days"),
        children_days=get_int(session, "queue_weight_children_days"),
    )


# Texts an admin writes; the privacy notice is printed on every slip.
TEXT_KEYS = ("privacy_notice",)


def get_text(session: DbSession, key: str) -> str:
    if key not in TEXT_KEYS:
        raise KeyError(key)
    return session.scalar(select(Setting.value).where(Setting.key == key)) or ""


def set_text(session: DbSession, key: str, value: str) -> None:
    if key not in TEXT_KEYS:
        raise KeyError(key)
    setting = session.get(Setting, key)
    if setting is None:
        session.add(Setting(key=key, value=value))
    else:
        setting.value = value
