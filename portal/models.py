"""Database models: organisation, people who use the portal, and referrals."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime, time

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    Time,
    UniqueConstraint,
    false,
    func,
)
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import Model, db


class Role(enum.StrEnum):
    """What a user may do; a user may hold several."""

    DESK = "desk"
    TOELEIDER = "toeleider"
    LEAD = "lead"
    ADMIN = "admin"
    # Someone at a partner organisation (User.service) who refers residents and hears back.
    PARTNER = "partner"


class UiLocale(enum.StrEnum):
    """The language of the portal's own screens, per user (Babel locale identifiers)."""

    DUTCH = "nl_BE"
    ENGLISH = "en"


class MailPreference(enum.StrEnum):
    """Which notifications a user also gets by e-mail."""

    NONE = "none"
    # Bookings and reassignments at once, everything else in the daily digest.
    IMMEDIATE = "immediate"
    DIGEST = "digest"


class ReferralState(enum.StrEnum):
    """The lifecycle states of DESIGN.md."""

    NEW = "new"
    CLAIMED = "claimed"
    CONTACTED = "contacted"
    SCHEDULED = "scheduled"
    HELD = "held"
    FOLLOWING_UP = "following_up"
    CLOSED = "closed"


class ClosingOutcome(enum.StrEnum):
    COMPLETED = "completed"
    DECLINED = "declined"
    UNREACHABLE = "unreachable"
    MOVED_AWAY = "moved_away"
    PLAN_STOPPED = "plan_stopped"


class ContactChannel(enum.StrEnum):
    PHONE = "phone"
    SMS = "sms"
    EMAIL = "email"
    LETTER = "letter"
    DESK = "desk"


class ContactOutcome(enum.StrEnum):
    REACHED = "reached"
    NO_ANSWER = "no_answer"
    WRONG_NUMBER = "wrong_number"
    DECLINED = "declined"
    CALL_BACK = "call_back"


UNREACHED_OUTCOMES = frozenset({ContactOutcome.NO_ANSWER, ContactOutcome.WRONG_NUMBER})

OPEN_STATES = tuple(s.value for s in ReferralState if s is not ReferralState.CLOSED)

user_municipalities = Table(
    "user_municipality",
    db.metadata,
    Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    Column("municipality_id", ForeignKey("municipality.id", ondelete="CASCADE"), primary_key=True),
)

user_languages = Table(
    "user_language",
    db.metadata,
    Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    Column("language_code", ForeignKey("language.code", ondelete="CASCADE"), primary_key=True),
)


class Municipality(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    nis_code: Mapped[str] = mapped_column(String(5), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The letterhead of the slip and the letters: who sends them and how to answer.
    address: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(String(20))  # E.164
    email: Mapped[str | None] = mapped_column(String(254))
    opening_hours: Mapped[str | None] = mapped_column(String(300))
    contact_person: Mapped[str | None] = mapped_column(String(120))
    # A sanitised PNG or SVG (portal/messages/logo.py), at most LOGO_MAX_BYTES.
    logo: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    logo_type: Mapped[str | None] = mapped_column(String(20))

    def __str__(self) -> str:
        return self.name


class Channel(Model):
    """A team or partner through which people are reached or led: a KPI's breakdown."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def __str__(self) -> str:
        return self.name


class Service(Model):
    """A municipal service (desk) or a partner organisation that can refer people."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160))
    is_partner: Mapped[bool] = mapped_column(Boolean, default=False)
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipality.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # For a partner: the channel its people count under in the KPI breakdown.
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channel.id"))

    municipality: Mapped[Municipality | None] = relationship()
    channel: Mapped[Channel | None] = relationship()

    __table_args__ = (UniqueConstraint("name", "municipality_id"),)

    def __str__(self) -> str:
        return self.name


class Language(Model):
    """A language registered for contact; codes and names come from Babel's locale data."""

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def __str__(self) -> str:
        return self.name


class Theme(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Partner referrals in this theme count as "led to Dutch classes or practice".
    is_dutch_learning: Mapped[bool] = mapped_column(Boolean, default=False)

    def __str__(self) -> str:
        return self.name


def _stored_as_value(
    enum_class: type[enum.Enum], column: str | None = None, length: int = 20
) -> SAEnum:
    """An enum column holding the members' values ('toeleider'), checked by the database.

    The CHECK constraint is named after the column (`column`, default the enum's name in
    lower case) within its table, by the metadata's naming convention.
    """
    return SAEnum(
        enum_class,
        native_enum=False,
        create_constraint=True,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        name=column or enum_class.__name__.lower(),
    )


class UserRole(Model):
    """One role a user holds: a row each, so that 'who is a toeleider' is an indexed join."""

    __tablename__ = "user_role"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[Role] = mapped_column(_stored_as_value(Role), primary_key=True, index=True)


class User(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(160))
    password_hash: Mapped[str] = mapped_column(String(255))
    service_id: Mapped[int | None] = mapped_column(ForeignKey("service.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    # Secret part of the private iCalendar feed URL; None when the feed is off.
    calendar_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # The user's team, as a channel of the KPI breakdown.
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channel.id"))
    # Set when an admin chose the password: the user must pick their own at the next login.
    must_change_password: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    # The second factor's shared secret, encrypted (portal.auth.secrets); None: no second factor.
    totp_secret: Mapped[str | None] = mapped_column(String(255))
    mail_preference: Mapped[MailPreference] = mapped_column(
        _stored_as_value(MailPreference),
        default=MailPreference.NONE,
        server_default=MailPreference.NONE.value,
    )
    # The screens' language; what is printed for residents stays Dutch whatever it is.
    ui_locale: Mapped[UiLocale] = mapped_column(
        _stored_as_value(UiLocale, length=8),
        default=UiLocale.DUTCH,
        server_default=UiLocale.DUTCH.value,
    )

    service: Mapped[Service | None] = relationship()
    channel: Mapped[Channel | None] = relationship()
    municipalities: Mapped[list[Municipality]] = relationship(
        secondary=user_municipalities, order_by=Municipality.name
    )
    languages: Mapped[list[Language]] = relationship(
        secondary=user_languages, order_by=Language.name
    )
    role_rows: Mapped[list[UserRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by=UserRole.role
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(row.role for row in self.role_rows)

    @roles.setter
    def roles(self, value: set[Role] | frozenset[Role] | list[Role]) -> None:
        wanted = {Role(r) for r in value}
        kept = [row for row in self.role_rows if row.role in wanted]
        held = {row.role for row in kept}
        self.role_rows = kept + [UserRole(role=r) for r in sorted(wanted - held)]

    def has_role(self, role: Role) -> bool:
        return role in self.roles

    # Flask-Login protocol
    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)

    def __str__(self) -> str:
        return self.full_name


class Person(Model):
    """The resident referrals are about; one person may have several referrals over the years.

    What belongs to one intake and what the reports count (languages, household, registration
    date, indicators) stays on the referral, so that joining two persons changes no figure.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(String(160))
    # Case- and accent-folded name, for duplicate matching.
    name_key: Mapped[str] = mapped_column(String(160))
    birth_year: Mapped[int | None] = mapped_column(Integer)
    # E.164, as the intake normalises it.
    phone: Mapped[str | None] = mapped_column(String(32), index=True)
    email: Mapped[str | None] = mapped_column(String(254))
    address: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    anonymised_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Set when a user joined this person into another; undoing the join clears it.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    referrals: Mapped[list[Referral]] = relationship(
        back_populates="person", order_by="(Referral.created_at, Referral.id)"
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("ix_person_name_key_birth_year", "name_key", "birth_year"),
        # Removing persons (an undone import) checks that none was joined into them.
        Index("ix_person_merged_into_id", "merged_into_id"),
    )

    def __str__(self) -> str:
        return self.full_name


class PersonJoin(Model):
    """Two records found to be one person: the absorbed one's referrals moved to the kept one.

    `snapshot` (JSON) holds what undoing needs: the referrals that moved and the kept person's
    fields that were filled from the absorbed one.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    kept_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    absorbed_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    snapshot: Mapped[str] = mapped_column(Text)
    undone_at: Mapped[datetime | None] = mapped_column(DateTime)
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    kept: Mapped[Person] = relationship(foreign_keys=[kept_id])
    absorbed: Mapped[Person] = relationship(foreign_keys=[absorbed_id])
    actor: Mapped[User] = relationship(foreign_keys=[actor_id])


class Referral(Model):
    """One intake at a desk or by a partner, for one person or household."""

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str | None] = mapped_column(String(20), unique=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"))
    state: Mapped[ReferralState] = mapped_column(
        _stored_as_value(ReferralState), default=ReferralState.NEW
    )
    outcome: Mapped[ClosingOutcome | None] = mapped_column(_stored_as_value(ClosingOutcome))

    # The three indicators; None: not known (a referral from the population register, whose
    # list does not answer them), which the queue weighs as neither and the reports count apart.
    dutch_difficult: Mapped[bool | None] = mapped_column(Boolean)
    has_work: Mapped[bool | None] = mapped_column(Boolean)
    has_children: Mapped[bool | None] = mapped_column(Boolean)

    contact_language_code: Mapped[str] = mapped_column(ForeignKey("language.code"))
    home_language_code: Mapped[str | None] = mapped_column(ForeignKey("language.code"))

    # Who the referral is about; the identity and contact details live on the person.
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    adults: Mapped[int] = mapped_column(Integer, default=1)

    registered_on: Mapped[date] = mapped_column(Date)
    is_newcomer: Mapped[bool] = mapped_column(Boolean)

    source_service_id: Mapped[int] = mapped_column(ForeignKey("service.id"))
    consent_given: Mapped[bool] = mapped_column(Boolean)
    # The GDPR ground the municipality processes this person's data on (see LEGAL_BASES).
    legal_basis: Mapped[str] = mapped_column(
        String(20), default="consent", server_default="consent"
    )
    consent_recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    consent_recorded_at: Mapped[datetime] = mapped_column(DateTime)
    note: Mapped[str | None] = mapped_column(Text)

    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    # The queue's order: the registration time moved earlier by the indicator weights, so
    # that the queue is one indexed sort however many referrals wait.
    priority_at: Mapped[datetime] = mapped_column(DateTime)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime)
    unreached_attempts: Mapped[int] = mapped_column(Integer, default=0)
    needs_letter: Mapped[bool] = mapped_column(Boolean, default=False)
    # Whether the person accepted the offer of a conversation; None until they answered.
    conversation_accepted: Mapped[bool | None] = mapped_column(Boolean)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    # The person withdrew their agreement to be contacted: out of the queue and letter lists.
    consent_withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Personal data and free text removed at the end of the retention period or on request.
    anonymised_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The one-time token of the desk's intake form that created it: the same form sent again
    # (a double click, back and save) finds this referral instead of making a second one.
    intake_token: Mapped[str | None] = mapped_column(String(64), index=True, unique=True)
    # The first contact attempt with outcome 'reached', derived from the attempts and kept
    # up to date in every flush that changes them (portal/referrals/reach.py): the reports
    # count from these instead of searching every referral's history. No foreign key to the
    # attempt, so that the two tables do not depend on each other.
    reached_at: Mapped[datetime | None] = mapped_column(DateTime)
    reached_via: Mapped[str | None] = mapped_column(String(10))
    reached_attempt_id: Mapped[int | None] = mapped_column(Integer)
    # Set while the last contact attempt recorded asked to call back (Vandaag lists these).
    call_back_since: Mapped[datetime | None] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    person: Mapped[Person] = relationship(back_populates="referrals")
    municipality: Mapped[Municipality] = relationship()
    contact_language: Mapped[Language] = relationship(foreign_keys=[contact_language_code])
    home_language: Mapped[Language | None] = relationship(foreign_keys=[home_language_code])
    source_service: Mapped[Service] = relationship()
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    consent_recorded_by: Mapped[User] = relationship(foreign_keys=[consent_recorded_by_id])
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    children: Mapped[list[HouseholdChild]] = relationship(
        back_populates="referral",
        cascade="all, delete-orphan",
        order_by="(HouseholdChild.birth_year, HouseholdChild.id)",
    )
    # Read with the file (the file page); written through portal/referrals/agii.py.
    agii_referral: Mapped[AgiiReferral | None] = relationship(viewonly=True)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        # With the language, the queue's COUNT is answered from the index alone; with the id,
        # the lead's counts of open files with something overdue too (PostgreSQL; SQLite keeps
        # the rowid in every index).
        Index(
            "ix_referral_state_municipality",
            "state",
            "municipality_id",
            "contact_language_code",
            "id",
        ),
        Index("ix_referral_created_by_created_at", "created_by_id", "created_at"),
        Index("ix_referral_municipality_language", "municipality_id", "contact_language_code"),
        Index("ix_referral_queue", "state", "priority_at"),
        # The workload's open files per toeleider within the lead's municipalities.
        Index("ix_referral_owner_state", "owner_id", "state", "municipality_id", "id"),
        # The header search goes from persons to the files a user may see by this index alone.
        Index("ix_referral_person_municipality", "person_id", "municipality_id", "id"),
        Index("ix_referral_reached", "reached_at", "municipality_id"),
        # The lead's "letters to send": a few files among all of a municipality.
        Index("ix_referral_letter_municipality", "needs_letter", "municipality_id"),
    )

    @property
    def is_open(self) -> bool:
        return self.state != ReferralState.CLOSED


class PartnerFeedback(Model):
    """What the toeleider tells the partner who referred: did the person arrive, and a word.

    The referring partner reads these in their list; they read nothing else of the file.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referral.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    # None: not known (yet).
    arrived: Mapped[bool | None] = mapped_column(Boolean)
    message: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime)

    author: Mapped[User] = relationship()


class HouseholdChild(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referral.id", ondelete="CASCADE"), index=True
    )
    birth_year: Mapped[int] = mapped_column(Integer)

    referral: Mapped[Referral] = relationship(back_populates="children")
    # Read with the children (the file page); written through portal/referrals/school.py. At
    # most one of each kind: a toddler's information item, and the enrolment once of age.
    school_items: Mapped[list[SchoolItem]] = relationship(viewonly=True)


class AccessLogEntry(Model):
    """Who saw which resident's personal data, when, how and from where: for privacy audits.

    Append-only: no route or command changes or deletes an entry. An entry names the file,
    never the resident, so that it survives the file's anonymisation as a pseudonymous record.
    The one exception: undoing an import of the population register removes the files it
    made, and their entries then name the removed file by `reference` instead of by row.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    # None for a search or list that showed nobody: that it was asked is logged all the same.
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referral.id"))
    # The number of a file that no longer exists (an undone import), kept to name it.
    reference: Mapped[str | None] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(DateTime)
    address: Mapped[str | None] = mapped_column(String(64))

    user: Mapped[User] = relationship()
    referral: Mapped[Referral | None] = relationship()

    __table_args__ = (
        Index("ix_access_log_entry_referral_at", "referral_id", "at"),
        Index("ix_access_log_entry_user_at", "user_id", "at"),
        Index("ix_access_log_entry_at", "at"),
    )


class LoginSession(Model):
    """One login on one browser; the cookie carries only a token whose hash is the id.

    The server decides whether a session still holds: logged out, revoked by a password
    change or an admin, idle too long or past its absolute lifetime.
    """

    # SHA-256 of the random token in the session cookie, so that reading this table does not
    # give anyone a usable session.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime)
    address: Mapped[str | None] = mapped_column(String(64))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    # A password login that still waits for the second factor holds no access yet.
    second_factor_pending: Mapped[bool] = mapped_column(Boolean, default=False)


class RecoveryCode(Model):
    """A single-use code that stands in for the second factor when the phone is lost."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(DateTime)


class AdminLogEntry(Model):
    """One change an admin made to accounts or configuration, with the values before and after.

    Append-only, like the access log.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(DateTime)
    action: Mapped[str] = mapped_column(String(40))
    # What was changed: "user", or the catalogue's slug, or "settings"; and which one.
    target_kind: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[str | None] = mapped_column(String(40))
    target_label: Mapped[str | None] = mapped_column(String(200))
    # JSON: a list of [field, old value, new value].
    changes: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(String(64))

    actor: Mapped[User] = relationship()

    __table_args__ = (
        Index("ix_admin_log_entry_at", "at"),
        Index("ix_admin_log_entry_target", "target_kind", "target_id"),
    )


class TimelineEvent(Model):
    """One thing that happened to a referral: who, when, what, and the state it moved to."""

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(DateTime)
    actor_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    kind: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[ReferralState | None] = mapped_column(
        _stored_as_value(ReferralState, "from_state")
    )
    to_state: Mapped[ReferralState | None] = mapped_column(
        _stored_as_value(ReferralState, "to_state")
    )
    detail: Mapped[str | None] = mapped_column(Text)
    # `at` is when it was recorded; `happened_at` when it happened, if that was earlier.
    happened_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The contact attempt this event records, so that striking one strikes the other.
    contact_attempt_id: Mapped[int | None] = mapped_column(
        ForeignKey("contact_attempt.id", ondelete="SET NULL")
    )
    # Logged by mistake: struck through with a reason, never deleted.
    struck_at: Mapped[datetime | None] = mapped_column(DateTime)
    struck_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    struck_reason: Mapped[str | None] = mapped_column(Text)

    actor: Mapped[User] = relationship(foreign_keys=[actor_id])
    struck_by: Mapped[User | None] = relationship(foreign_keys=[struck_by_id])
    contact_attempt: Mapped[ContactAttempt | None] = relationship()

    __table_args__ = (Index("ix_timeline_event_referral_at", "referral_id", "at"),)

    @property
    def moment(self) -> datetime:
        """When it happened: the moment given, or else when it was recorded."""
        return self.happened_at or self.at


class ContactAttempt(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referral.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(DateTime)
    actor_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    channel: Mapped[ContactChannel] = mapped_column(_stored_as_value(ContactChannel))
    outcome: Mapped[ContactOutcome] = mapped_column(_stored_as_value(ContactOutcome))
    note: Mapped[str | None] = mapped_column(Text)
    # The KPI channel at the time of the attempt (see portal/referrals/channels.py).
    kpi_channel_id: Mapped[int | None] = mapped_column(ForeignKey("channel.id"))
    # The team of whoever did the work, at that time (a KPI may count per team).
    team_channel_id: Mapped[int | None] = mapped_column(ForeignKey("channel.id"))
    # `at` is when the attempt happened (the reports count it); this is when it was typed in.
    recorded_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Logged by mistake: struck through with a reason, never deleted; the reports skip it.
    struck_at: Mapped[datetime | None] = mapped_column(DateTime)
    struck_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    struck_reason: Mapped[str | None] = mapped_column(Text)

    actor: Mapped[User] = relationship(foreign_keys=[actor_id])
    referral: Mapped[Referral] = relationship()

    __table_args__ = (
        # Retention asks whether a referral was ever reached. The reports read the first
        # reach from the referral (portal/referrals/reach.py), not from here.
        Index("ix_contact_attempt_referral_outcome", "referral_id", "outcome", "id"),
    )


class Setting(Model):
    """A setting an admin can change, stored as text and read through portal.settings."""

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class MessageKind(enum.StrEnum):
    """A text that reaches the resident on paper (portal/messages/texts.py)."""

    SLIP = "slip"  # the desk's slip, no appointment yet
    SLIP_APPOINTMENT = "slip_appointment"  # the desk's slip with the booked appointment
    LETTER_NEWCOMER = "letter_newcomer"  # invitation letter after unanswered calls
    LETTER_LONG_TERM = "letter_long_term"
    REMINDER = "reminder"  # reminder of a planned appointment


class MessageText(Model):
    """An admin's text of one message in one language, with {placeholders}."""

    kind: Mapped[MessageKind] = mapped_column(
        _stored_as_value(MessageKind, "kind"), primary_key=True
    )
    language_code: Mapped[str] = mapped_column(
        ForeignKey("language.code", ondelete="CASCADE"), primary_key=True
    )
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime)

    # Known to the unit of work, so that a new language is written before its texts.
    language: Mapped[Language] = relationship()


class AvailabilityKind(enum.StrEnum):
    CONVERSATIONS = "conversations"
    DESK_DUTY = "desk_duty"


class AvailabilitySlot(Model):
    """A weekly period in which a toeleider holds conversations or is on desk duty."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)  # 0 = Monday
    starts: Mapped[time] = mapped_column(Time)
    ends: Mapped[time] = mapped_column(Time)
    kind: Mapped[AvailabilityKind] = mapped_column(_stored_as_value(AvailabilityKind))


class Absence(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(200))


class AppointmentKind(enum.StrEnum):
    WELCOME = "welcome"  # onthaalgesprek, for a newcomer
    INTEGRATION = "integration"  # integratiegesprek, for a long-term resident


class AppointmentStatus(enum.StrEnum):
    PLANNED = "planned"
    HELD = "held"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"
    RESCHEDULED = "rescheduled"


def new_calendar_uid() -> str:
    """A fresh iCalendar UID: random, so it says nothing about the file."""
    return f"{uuid.uuid4()}@onthaalportaal"


class Appointment(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referral.id", ondelete="CASCADE"), index=True
    )
    toeleider_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    kind: Mapped[AppointmentKind] = mapped_column(_stored_as_value(AppointmentKind))
    starts_at: Mapped[datetime] = mapped_column(DateTime)
    ends_at: Mapped[datetime] = mapped_column(DateTime)
    place: Mapped[str] = mapped_column(String(200))
    status: Mapped[AppointmentStatus] = mapped_column(
        _stored_as_value(AppointmentStatus), default=AppointmentStatus.PLANNED
    )
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # The KPI channel of the toeleider's work (see portal/referrals/channels.py).
    kpi_channel_id: Mapped[int | None] = mapped_column(ForeignKey("channel.id"))
    # The toeleider's team at that time (a KPI may count per team).
    team_channel_id: Mapped[int | None] = mapped_column(ForeignKey("channel.id"))
    # The event in subscribed calendars. A moved appointment is a new row that keeps the UID
    # with a higher sequence, so calendar programs move the event instead of adding one.
    calendar_uid: Mapped[str] = mapped_column(String(80), default=new_calendar_uid, index=True)
    sequence: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # When it was last moved or cancelled; None while it stands as it was made.
    changed_at: Mapped[datetime | None] = mapped_column(DateTime)

    referral: Mapped[Referral] = relationship()
    toeleider: Mapped[User] = relationship(foreign_keys=[toeleider_id])
    # The interpreter asked for it, in whatever status; a moved appointment takes it along.
    interpreter_request: Mapped[InterpreterRequest | None] = relationship(
        back_populates="appointment", passive_deletes=True
    )

    __table_args__ = (
        Index("ix_appointment_toeleider_starts", "toeleider_id", "starts_at"),
        # Today's appointments and the monthly counts filter on the start alone.
        Index("ix_appointment_starts_status", "starts_at", "status"),
    )

    @property
    def duration_minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    def cancel(self, at: datetime) -> None:
        """Cancelled: a new revision of the event, which subscribed calendars then drop."""
        self.status = AppointmentStatus.CANCELLED
        self.sequence = (self.sequence or 0) + 1  # unset until the row is flushed
        self.changed_at = at

    @property
    def interpreter(self) -> InterpreterRequest | None:
        """The interpreter still asked for or confirmed; None without one or once cancelled."""
        request = self.interpreter_request
        if request is None or request.status == InterpreterStatus.CANCELLED:
            return None
        return request


class InterpreterMode(enum.StrEnum):
    """How the interpreter takes part in the conversation."""

    ON_SITE = "on_site"
    PHONE = "phone"
    VIDEO = "video"


class InterpreterStatus(enum.StrEnum):
    REQUESTED = "requested"  # asked of the interpreting service, not yet confirmed
    CONFIRMED = "confirmed"  # the service confirmed an interpreter for the moment
    CANCELLED = "cancelled"


class InterpreterRequest(Model):
    """An interpreter asked of the interpreting service for one appointment.

    One per calendar event: when the appointment is moved (a new row), the request moves
    to the new row; when it is cancelled, so is the request.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(
        ForeignKey("appointment.id", ondelete="CASCADE"), unique=True
    )
    language_code: Mapped[str] = mapped_column(ForeignKey("language.code"))
    mode: Mapped[InterpreterMode] = mapped_column(
        _stored_as_value(InterpreterMode, "mode"), default=InterpreterMode.ON_SITE
    )
    status: Mapped[InterpreterStatus] = mapped_column(
        _stored_as_value(InterpreterStatus, "status"), default=InterpreterStatus.REQUESTED
    )
    # The interpreting service's own reference of the booking, to quote when calling it.
    service_reference: Mapped[str | None] = mapped_column(String(60))
    # The interpreter's planned time, in whole quarters of an hour: what the reports add up.
    minutes: Mapped[int] = mapped_column(Integer)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime)

    appointment: Mapped[Appointment] = relationship(back_populates="interpreter_request")
    language: Mapped[Language] = relationship()


class ParameterKind(enum.StrEnum):
    YES_NO = "yes_no"
    NUMBER = "number"
    CHOICE = "choice"
    TEXT = "text"


class MonitoringParameter(Model):
    """A question the municipality measures in every conversation."""

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipality.id"))
    question: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))
    # For kind 'choice': one option per line.
    choices_text: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    municipality: Mapped[Municipality | None] = relationship()

    @property
    def options(self) -> list[str]:
        return [line.strip() for line in (self.choices_text or "").splitlines() if line.strip()]


class NeedCategory(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def __str__(self) -> str:
        return self.name


conversation_themes = Table(
    "conversation_theme",
    db.metadata,
    Column("conversation_id", ForeignKey("conversation.id", ondelete="CASCADE"), primary_key=True),
    Column("theme_id", ForeignKey("theme.id"), primary_key=True),
)


class Conversation(Model):
    """The record of a held welcome or integration conversation."""

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referral.id", ondelete="CASCADE"), index=True
    )
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointment.id"))
    held_on: Mapped[date] = mapped_column(Date, index=True)
    notes: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime)
    # Held on the spot (a walk-in at desk duty), without an appointment made beforehand.
    walk_in: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    corrected_at: Mapped[datetime | None] = mapped_column(DateTime)
    corrected_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    recorded_by: Mapped[User] = relationship(foreign_keys=[recorded_by_id])
    corrected_by: Mapped[User | None] = relationship(foreign_keys=[corrected_by_id])
    themes: Mapped[list[Theme]] = relationship(
        secondary=conversation_themes, order_by=Theme.position
    )
    answers: Mapped[list[MonitoringAnswer]] = relationship(cascade="all, delete-orphan")
    needs: Mapped[list[Need]] = relationship(cascade="all, delete-orphan")
    revisions: Mapped[list[ConversationRevision]] = relationship(
        cascade="all, delete-orphan", order_by="ConversationRevision.id"
    )

    __mapper_args__ = {"version_id_col": version}


class ConversationRevision(Model):
    """An earlier version of a corrected conversation record, kept as it was."""

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversation.id", ondelete="CASCADE"), index=True
    )
    held_on: Mapped[date] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)
    # The themes as they were named then, so that the old version reads as it was.
    themes_text: Mapped[str] = mapped_column(Text)
    # Who wrote this version and when (the first recording or an earlier correction).
    written_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    written_at: Mapped[datetime] = mapped_column(DateTime)
    replaced_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    replaced_at: Mapped[datetime] = mapped_column(DateTime)

    written_by: Mapped[User] = relationship(foreign_keys=[written_by_id])
    replaced_by: Mapped[User] = relationship(foreign_keys=[replaced_by_id])


class MonitoringAnswer(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversation.id", ondelete="CASCADE"), index=True
    )
    parameter_id: Mapped[int] = mapped_column(ForeignKey("monitoring_parameter.id"))
    value: Mapped[str] = mapped_column(String(500))

    parameter: Mapped[MonitoringParameter] = relationship()


class Need(Model):
    """A need or question the person raised, in a category, for the reports."""

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversation.id", ondelete="CASCADE"), index=True
    )
    category_id: Mapped[int] = mapped_column(ForeignKey("need_category.id"))
    description: Mapped[str | None] = mapped_column(String(500))

    category: Mapped[NeedCategory] = relationship()


class SignalStatus(enum.StrEnum):
    NEW = "new"
    BROUGHT_TO_BOARD = "brought_to_board"
    ANSWERED = "answered"


class Signal(Model):
    """A need, threshold or gap in services, reported upward to policy."""

    id: Mapped[int] = mapped_column(primary_key=True)
    # Indexed: the file page and its feed read a file's signals.
    referral_id: Mapped[int | None] = mapped_column(
        ForeignKey("referral.id", ondelete="SET NULL"), index=True
    )
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"))
    theme_id: Mapped[int] = mapped_column(ForeignKey("theme.id"))
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[SignalStatus] = mapped_column(
        _stored_as_value(SignalStatus), default=SignalStatus.NEW
    )
    answer: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)

    theme: Mapped[Theme] = relationship()
    created_by: Mapped[User] = relationship()


class PartnerReferralStatus(enum.StrEnum):
    PROPOSED = "proposed"
    CONTACTED_PARTNER = "contacted_partner"
    ARRIVED = "arrived"
    NOT_ARRIVED = "not_arrived"


class PartnerReferral(Model):
    """Toeleiding: the person led to a partner's offer, and whether they arrived."""

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referral.id", ondelete="CASCADE"), index=True
    )
    partner_id: Mapped[int] = mapped_column(ForeignKey("service.id"))
    theme_id: Mapped[int] = mapped_column(ForeignKey("theme.id"))
    referred_on: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[PartnerReferralStatus] = mapped_column(
        _stored_as_value(PartnerReferralStatus), default=PartnerReferralStatus.PROPOSED
    )
    feedback: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    # The KPI channel at the time of the referral (see portal/referrals/channels.py).
    kpi_channel_id: Mapped[int | None] = mapped_column(ForeignKey("channel.id"))
    # The team of whoever recorded it, at that time (a KPI may count per team).
    team_channel_id: Mapped[int | None] = mapped_column(ForeignKey("channel.id"))

    partner: Mapped[Service] = relationship()
    theme: Mapped[Theme] = relationship()
    # The children of the household it concerns; none named: the whole household.
    children: Mapped[list[HouseholdChild]] = relationship(
        secondary="partner_referral_child", order_by="HouseholdChild.birth_year"
    )


class PartnerReferralChild(Model):
    """A child of the household that a partner referral concerns."""

    __tablename__ = "partner_referral_child"

    partner_referral_id: Mapped[int] = mapped_column(
        ForeignKey("partner_referral.id", ondelete="CASCADE"), primary_key=True
    )
    household_child_id: Mapped[int] = mapped_column(
        ForeignKey("household_child.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class FollowUpTask(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referral.id", ondelete="CASCADE"), index=True
    )
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    description: Mapped[str] = mapped_column(String(300))
    due_on: Mapped[date] = mapped_column(Date)
    done_at: Mapped[datetime | None] = mapped_column(DateTime)

    referral: Mapped[Referral] = relationship()

    __table_args__ = (
        Index("ix_follow_up_task_owner_due", "owner_id", "done_at", "due_on"),
        # The lead's overdue tasks, with the file each belongs to.
        Index("ix_follow_up_task_open_due", "done_at", "due_on", "referral_id"),
    )


class SchoolItemKind(enum.StrEnum):
    """What a child of a newcomer household is followed up for (portal/referrals/school.py)."""

    # Of compulsory school age: at which school is the child enrolled?
    ENROLMENT = "enrolment"
    # A toddler of a family that does not speak Dutch at home: information about the Huis van
    # het Kind and the kleuterschool.
    INFORMATION = "information"


class SchoolItemStatus(enum.StrEnum):
    OPEN = "open"
    ENROLLED = "enrolled"  # at the school named
    REFERRED_EDUCATION_DESK = "referred_education_desk"  # the municipality's onderwijsloket
    REFERRED_AGII = "referred_agii"
    INFORMED = "informed"  # the information item given
    NOT_APPLICABLE = "not_applicable"


class SchoolItem(Model):
    """The follow-up of one child of a newcomer household: school enrolment or information."""

    __tablename__ = "school_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referral.id", ondelete="CASCADE"), index=True
    )
    # One item of each kind per child (the table's unique constraint); removing the child
    # from the household removes its items.
    child_id: Mapped[int] = mapped_column(ForeignKey("household_child.id", ondelete="CASCADE"))
    kind: Mapped[SchoolItemKind] = mapped_column(_stored_as_value(SchoolItemKind, "kind"))
    status: Mapped[SchoolItemStatus] = mapped_column(
        _stored_as_value(SchoolItemStatus, "status", length=30), default=SchoolItemStatus.OPEN
    )
    school_name: Mapped[str | None] = mapped_column(String(160))
    note: Mapped[str | None] = mapped_column(String(300))
    due_on: Mapped[date] = mapped_column(Date)
    # The status the item had when closing its file settled it (a household that moved away):
    # reopening the file gives it back. None: the closing did not change it.
    status_before_closing: Mapped[SchoolItemStatus | None] = mapped_column(
        _stored_as_value(SchoolItemStatus, "status_before_closing", length=30)
    )
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime)

    child: Mapped[HouseholdChild] = relationship()
    referral: Mapped[Referral] = relationship()

    __table_args__ = (
        # Of two runs of the daily enrolment check at once, one adds the child's enrolment.
        UniqueConstraint("child_id", "kind", name="uq_school_item_child_id_kind"),
        # The lead's list of children without known school, the overdue ones first.
        Index("ix_school_item_kind_status_due", "kind", "status", "due_on"),
    )


class AgiiStatus(enum.StrEnum):
    """Where the referral to Agii for civic integration stands (README, 'Agii export')."""

    TO_REFER = "to_refer"
    REFERRED = "referred"
    REGISTERED = "registered"  # Agii registered the person (aangemeld)
    STARTED = "started"
    COMPLETED = "completed"
    NOT_APPLICABLE = "not_applicable"


class AgiiReferral(Model):
    """The referral of one file to Agii for civic integration, with what the agency asks."""

    __tablename__ = "agii_referral"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referral.id", ondelete="CASCADE"), unique=True
    )
    # Is the person obliged to follow civic integration? None: not known.
    obliged: Mapped[bool | None] = mapped_column(Boolean)
    # The parts of the trajectory the person is referred for.
    civic_orientation: Mapped[bool] = mapped_column(Boolean, default=False)
    dutch_course: Mapped[bool] = mapped_column(Boolean, default=False)
    participation_network: Mapped[bool] = mapped_column(Boolean, default=False)
    work_pathway: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[AgiiStatus] = mapped_column(
        _stored_as_value(AgiiStatus, "status"), default=AgiiStatus.TO_REFER
    )
    # The day the file was handed to Agii: the export's period counts from it.
    referred_on: Mapped[date | None] = mapped_column(Date, index=True)
    # Agii's own number of the person's file, once Agii gave one.
    agii_reference: Mapped[str | None] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(String(500))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime)

    referral: Mapped[Referral] = relationship()
    updated_by: Mapped[User] = relationship(foreign_keys=[updated_by_id])


class MilestoneStatus(enum.StrEnum):
    OPEN = "open"
    ACHIEVED = "achieved"
    STOPPED = "stopped"


class Milestone(Model):
    """A step of a long-term resident's development plan (POP)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referral.id", ondelete="CASCADE"), index=True
    )
    description: Mapped[str] = mapped_column(String(300))
    priority: Mapped[int] = mapped_column(Integer)  # 1 = highest
    target_on: Mapped[date] = mapped_column(Date)
    status: Mapped[MilestoneStatus] = mapped_column(
        _stored_as_value(MilestoneStatus), default=MilestoneStatus.OPEN
    )

    # The lead's overdue milestones, and each toeleider's on the workload page.
    __table_args__ = (Index("ix_milestone_status_target", "status", "target_on", "referral_id"),)


class KpiUnit(enum.StrEnum):
    PEOPLE = "people"  # adults of the households counted
    HOUSEHOLDS = "households"  # referrals counted
    CHILDREN = "children"  # children and young people of those households, or in activities
    PRACTICE = "practice"  # practice opportunities: participants of group activities


class KpiRule(enum.StrEnum):
    REACHED = "reached"
    CONVERSATION_HELD = "conversation_held"
    LED_TO_PARTNER = "led_to_partner"
    ARRIVED_AT_PARTNER = "arrived_at_partner"
    ACTIVITY = "activity"


class ActivityKind(enum.StrEnum):
    CONVERSATION_TABLE = "conversation_table"
    PRACTICE_GROUP = "practice_group"
    SPORT = "sport"
    CULTURE = "culture"
    OTHER = "other"


class ChannelBasis(enum.StrEnum):
    """What a KPI's breakdown per channel is."""

    REFERRER = "referrer"  # the referring partner's channel, else the worker's team
    TEAM = "team"  # the team of whoever did the work
    DESTINATION = "destination"  # the partner the person was led to


class Kpi(Model):
    """A target the municipality answers for over a project year, with its counting rule."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160))
    # The target of a project year without one of its own (see KpiTarget).
    target: Mapped[int] = mapped_column(Integer)
    unit: Mapped[KpiUnit] = mapped_column(_stored_as_value(KpiUnit))
    rule: Mapped[KpiRule] = mapped_column(_stored_as_value(KpiRule, length=30))
    # Only partner referrals in this theme (rules led/arrived); None: every theme.
    theme_id: Mapped[int | None] = mapped_column(ForeignKey("theme.id"))
    # Only files with a place (or a place waited for) on this programme; None: every file.
    programme_id: Mapped[int | None] = mapped_column(ForeignKey("programme.id"))
    channel_basis: Mapped[ChannelBasis] = mapped_column(
        _stored_as_value(ChannelBasis), default=ChannelBasis.REFERRER
    )
    # The month the project year starts in (1 = January, 10 = October).
    start_month: Mapped[int] = mapped_column(Integer, default=1)
    # None: counted over every municipality the lead answers for.
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipality.id"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    theme: Mapped[Theme | None] = relationship()
    programme: Mapped[Programme | None] = relationship()
    municipality: Mapped[Municipality | None] = relationship()
    targets: Mapped[list[KpiTarget]] = relationship(
        order_by="KpiTarget.start_year", cascade="all, delete-orphan"
    )
    kind_rows: Mapped[list[KpiActivityKind]] = relationship(
        order_by="KpiActivityKind.kind", cascade="all, delete-orphan"
    )
    # Only files referred by one of these services; none: every source.
    sources: Mapped[list[Service]] = relationship(secondary="kpi_source")
    # Only what counts under one of these channels; none: every channel.
    channels: Mapped[list[Channel]] = relationship(secondary="kpi_channel")

    def __str__(self) -> str:
        return self.name

    @property
    def activity_kinds(self) -> list[ActivityKind]:
        """Only activities of these kinds (rule activity); empty: every kind."""
        return [ActivityKind(row.kind) for row in self.kind_rows]

    def set_activity_kinds(self, kinds: list[ActivityKind]) -> None:
        kept = {row.kind: row for row in self.kind_rows}
        self.kind_rows = [kept.get(k) or KpiActivityKind(kind=k) for k in kinds]

    def target_for(self, start_year: int) -> int:
        """The target of the project year starting in start_year: its own, else the one of
        the last year before it that has one, else the KPI's target."""
        earlier = [t for t in self.targets if t.start_year <= start_year]
        return earlier[-1].target if earlier else self.target

    def set_target(self, start_year: int, target: int) -> None:
        """Set one project year's target; other years keep theirs."""
        for row in self.targets:
            if row.start_year == start_year:
                row.target = target
                return
        self.targets.append(KpiTarget(start_year=start_year, target=target))


class KpiTarget(Model):
    """A KPI's target for one project year, so that a new target leaves the past alone."""

    __tablename__ = "kpi_target"

    kpi_id: Mapped[int] = mapped_column(ForeignKey("kpi.id", ondelete="CASCADE"), primary_key=True)
    # The calendar year the project year starts in.
    start_year: Mapped[int] = mapped_column(Integer, primary_key=True)
    target: Mapped[int] = mapped_column(Integer)


class KpiActivityKind(Model):
    """A kind of group work a KPI counts."""

    __tablename__ = "kpi_activity_kind"

    kpi_id: Mapped[int] = mapped_column(ForeignKey("kpi.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[ActivityKind] = mapped_column(
        _stored_as_value(ActivityKind, length=30), primary_key=True
    )


class KpiSource(Model):
    __tablename__ = "kpi_source"

    kpi_id: Mapped[int] = mapped_column(ForeignKey("kpi.id", ondelete="CASCADE"), primary_key=True)
    service_id: Mapped[int] = mapped_column(
        ForeignKey("service.id", ondelete="CASCADE"), primary_key=True
    )


class KpiChannel(Model):
    __tablename__ = "kpi_channel"

    kpi_id: Mapped[int] = mapped_column(ForeignKey("kpi.id", ondelete="CASCADE"), primary_key=True)
    channel_id: Mapped[int] = mapped_column(
        ForeignKey("channel.id", ondelete="CASCADE"), primary_key=True
    )


class Activity(Model):
    """Group work that is not per person: a conversation table, a practice group, ..."""

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"))
    held_on: Mapped[date] = mapped_column(Date)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channel.id"))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("service.id"))
    kind: Mapped[ActivityKind] = mapped_column(_stored_as_value(ActivityKind, length=30))
    title: Mapped[str] = mapped_column(String(200))
    participants: Mapped[int] = mapped_column(Integer)
    # Of the participants, how many are children and young people.
    young_participants: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)

    municipality: Mapped[Municipality] = relationship()
    channel: Mapped[Channel] = relationship()
    partner: Mapped[Service | None] = relationship()
    created_by: Mapped[User] = relationship()

    __table_args__ = (Index("ix_activity_municipality_held_on", "municipality_id", "held_on"),)


class Programme(Model):
    """A partner's offer with a number of places; when it is full, people wait."""

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("service.id"))
    name: Mapped[str] = mapped_column(String(160))
    capacity: Mapped[int] = mapped_column(Integer)
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipality.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    partner: Mapped[Service] = relationship()
    municipality: Mapped[Municipality | None] = relationship()

    def __str__(self) -> str:
        return f"{self.name} ({self.partner.name})"


class PlaceStatus(enum.StrEnum):
    WAITING = "waiting"
    ENROLLED = "enrolled"
    LEFT = "left"


class ProgrammePlace(Model):
    """One person on a programme: enrolled in a place, or waiting for one since a date."""

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id"))
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id", ondelete="CASCADE"))
    status: Mapped[PlaceStatus] = mapped_column(_stored_as_value(PlaceStatus))
    waiting_since: Mapped[datetime] = mapped_column(DateTime)
    enrolled_at: Mapped[datetime | None] = mapped_column(DateTime)
    left_at: Mapped[datetime | None] = mapped_column(DateTime)

    programme: Mapped[Programme] = relationship()
    referral: Mapped[Referral] = relationship()

    __table_args__ = (
        Index("ix_programme_place_programme_status", "programme_id", "status", "waiting_since"),
        Index("ix_programme_place_referral", "referral_id"),
    )


class SearchKeyKind(enum.StrEnum):
    NAME = "name"
    PHONE = "phone"
    EMAIL = "email"


# Byte order on PostgreSQL, as SQLite compares: a prefix becomes one index range in both.
SEARCH_VALUE = String(160).with_variant(String(160, collation="C"), "postgresql")


class SearchKey(Model):
    """One normalised key a person is found by: a name part, the phone's digits, the e-mail.

    Kept by portal/search/keys.py whenever a person is created, changed or anonymised.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))
    value: Mapped[str] = mapped_column(SEARCH_VALUE)

    __table_args__ = (
        # With the person: a search reads the index alone, never the table's scattered rows.
        Index("ix_search_key_kind_value_person", "kind", "value", "person_id"),
        # The other parts of a name typed are looked up per person.
        Index("ix_search_key_person_kind_value", "person_id", "kind", "value"),
    )


class PageVisit(Model):
    """When a user last opened a page, so that it can show what is new since their last visit.

    `since` is the moment the page counts from: the visit before the current sitting, so that
    reloading the page does not empty its "new since" list.
    """

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    page: Mapped[str] = mapped_column(String(40), primary_key=True)
    visited_at: Mapped[datetime] = mapped_column(DateTime)
    since: Mapped[datetime | None] = mapped_column(DateTime)


class NotificationKind(enum.StrEnum):
    """What a notification tells its user (portal/notifications/records.py makes them)."""

    NEW_REFERRAL = "new_referral"
    APPOINTMENT_BOOKED = "appointment_booked"
    REASSIGNED = "reassigned"
    SIGNAL_ANSWERED = "signal_answered"
    PLACE_FREED = "place_freed"
    TASK_DUE = "task_due"


class Notification(Model):
    """Something new for one user about one file, until they open it.

    It names the file by reference (through the referral) and never the resident; `detail`
    holds only a moment, a programme's or a theme's name.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    kind: Mapped[NotificationKind] = mapped_column(_stored_as_value(NotificationKind, length=30))
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id", ondelete="CASCADE"))
    detail: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    read_at: Mapped[datetime | None] = mapped_column(DateTime)
    # When it went out by e-mail, at once or in a digest; None: not (yet) mailed.
    mailed_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Set for what must be told once only (a task due on a day, a place for one waiting spot).
    once_key: Mapped[str | None] = mapped_column(String(60))

    referral: Mapped[Referral] = relationship()

    __table_args__ = (
        # The header's counter on every page: one COUNT over this index.
        Index("ix_notification_user_read", "user_id", "read_at"),
        Index("ix_notification_user_created", "user_id", "created_at"),
        Index("ix_notification_referral", "referral_id"),
        UniqueConstraint("user_id", "once_key", name="uq_notification_user_once_key"),
    )


class OutboxMail(Model):
    """One e-mail to send, written in the transaction of what it tells.

    `flask send-mail` sends what is due; a failure waits longer each time (next_attempt_at),
    and `last_error` says what went wrong without any personal data.
    """

    __tablename__ = "outbox_mail"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # None once sent, or once given up after too many attempts.
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (Index("ix_outbox_mail_due", "next_attempt_at"),)


class MailDigest(Model):
    """The day a user's last daily digest was made, so that each day gets one at most."""

    __tablename__ = "mail_digest"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    last_day: Mapped[date] = mapped_column(Date)


class RegisterMapping(Model):
    """Which column of the population register's export holds what, per municipality.

    `columns` (JSON) maps each field of portal/register/rows.py to a header of the file; the
    next import pre-fills its choices from here.
    """

    __tablename__ = "register_mapping"

    municipality_id: Mapped[int] = mapped_column(
        ForeignKey("municipality.id", ondelete="CASCADE"), primary_key=True
    )
    columns: Mapped[str] = mapped_column(Text)
    default_language_code: Mapped[str | None] = mapped_column(ForeignKey("language.code"))
    updated_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class ImportStatus(enum.StrEnum):
    UPLOADED = "uploaded"  # read, waiting for the columns to be chosen
    PREVIEWED = "previewed"  # every row has its outcome; waiting for confirmation
    IMPORTED = "imported"
    UNDONE = "undone"


class ImportKind(enum.StrEnum):
    REGISTER = "register"  # the population register's new registrations, into the queue
    HISTORY = "history"  # a municipality's earlier registrations, with what happened since


class RowOutcome(enum.StrEnum):
    NEW_PERSON = "new_person"
    EXISTING_PERSON = "existing_person"  # a new referral for a person known before
    ALREADY_OPEN = "already_open"  # the person has an open file here: nothing added
    REFUSED = "refused"


class RegisterImport(Model):
    """One file of new registrations from the population register, from upload to undo.

    Its rows stage the file's content until it is imported; the import then keeps, per row,
    only what it made (no personal data), so that undoing knows what to remove.
    """

    __tablename__ = "register_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"))
    kind: Mapped[ImportKind] = mapped_column(
        _stored_as_value(ImportKind, "kind"), default=ImportKind.REGISTER, server_default="register"
    )
    status: Mapped[ImportStatus] = mapped_column(_stored_as_value(ImportStatus, "status"))
    file_name: Mapped[str] = mapped_column(String(200))
    # How the file was read: "UTF-8", "Windows-1252" or "XLSX".
    encoding: Mapped[str] = mapped_column(String(20))
    # JSON: the header row, as the columns to choose from.
    header: Mapped[str] = mapped_column(Text)
    row_count: Mapped[int] = mapped_column(Integer)
    default_language_code: Mapped[str | None] = mapped_column(ForeignKey("language.code"))
    # JSON: the columns chosen for this file's preview (field -> column name); confirming
    # reads the rows again with these, whatever was chosen for another file since.
    columns: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    imported_at: Mapped[datetime | None] = mapped_column(DateTime)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    undone_at: Mapped[datetime | None] = mapped_column(DateTime)
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    municipality: Mapped[Municipality] = relationship()
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    imported_by: Mapped[User | None] = relationship(foreign_keys=[imported_by_id])
    undone_by: Mapped[User | None] = relationship(foreign_keys=[undone_by_id])

    __table_args__ = (
        Index("ix_register_import_municipality_created", "municipality_id", "created_at"),
    )


class RegisterImportRow(Model):
    """One data row of an imported file: its line number, its values and what became of it."""

    __tablename__ = "register_import_row"

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("register_import.id", ondelete="CASCADE"))
    line: Mapped[int] = mapped_column(Integer)
    # JSON: the row's cells as read, until the import is made (then None).
    cells: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[RowOutcome | None] = mapped_column(
        _stored_as_value(RowOutcome, "outcome", length=20)
    )
    # Why the row was refused, in Dutch; or what else the preview should say about it.
    reason: Mapped[str | None] = mapped_column(String(300))
    # The values read with the mapping, for the preview; None once the import is made.
    full_name: Mapped[str | None] = mapped_column(String(160))
    birth_year: Mapped[int | None] = mapped_column(Integer)
    registered_on: Mapped[date | None] = mapped_column(Date)
    # Of earlier registrations (ImportKind.HISTORY): the dates the row gives of its history.
    intake_on: Mapped[date | None] = mapped_column(Date)
    reached_on: Mapped[date | None] = mapped_column(Date)
    held_on: Mapped[date | None] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    # The person it matched, and after the import the referral it made. No foreign keys:
    # removing 10,000 referrals at an undo would otherwise search this table for each one;
    # the undo clears them itself.
    person_id: Mapped[int | None] = mapped_column(Integer)
    referral_id: Mapped[int | None] = mapped_column(Integer)
    created_person: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (Index("ix_register_import_row_import_line", "import_id", "line"),)


class ReportMonth(Model):
    """How often the figures of a municipality's month changed: database triggers on every
    table the evaluation report counts add one, whichever statement made the change (see
    portal/reports/marks.py). No foreign key: a mark may outlive what it marks."""

    __tablename__ = "report_month"

    municipality_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)


class ReportTally(Model):
    """The evaluation report's counts of a municipality's month, as counted when its
    ReportMonth had `version` (0: no change recorded yet); JSON (portal/reports/tallies.py).
    Written by a report that found the month changed, one row at a time."""

    __tablename__ = "report_tally"

    municipality_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    figures: Mapped[str] = mapped_column(Text)


from .reports import marks as _marks  # noqa: E402  (imports nothing of the models)

_marks.listen(Model.metadata)
