"""The file page's data: everything the template shows, loaded in a fixed number of queries.

The template receives this and never queries; however many attempts, appointments or events a
file has, the page costs the same number of statements (tests/test_file_page_queries.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload, selectinload

from ..access import may_give_partner_feedback
from ..accounts import toeleiders_of
from ..extensions import DbSession
from ..labels import AGII_PART_LABELS, SETTLE_LABELS
from ..models import (
    AgiiReferral,
    Appointment,
    Conversation,
    FollowUpTask,
    HouseholdChild,
    InterpreterRequest,
    Milestone,
    MonitoringParameter,
    NeedCategory,
    PartnerFeedback,
    PartnerReferral,
    Referral,
    ReferralState,
    Service,
    Signal,
    Theme,
    TimelineEvent,
    User,
)
from ..partners.feedback import feedback_for
from . import interpreters, programmes, school
from .agii import chosen_parts
from .feed import NAME_ONLY, FeedItem, build_feed, feed_events, file_conversations, file_signals
from .lifecycle import (
    SETTLE_CHOICES,
    SETTLE_DEFAULTS,
    Action,
    OpenItems,
    allowed_actions,
    next_steps,
)

# Which section of the page each action lives in, when it is not a next step at the top.
SECTIONS: dict[str, tuple[Action, ...]] = {
    "contact": (
        Action.CONTACT_ATTEMPT,
        Action.ANSWER_OFFER,
        Action.UNCLAIM,
        Action.REASSIGN,
    ),
    "conversation": (Action.SCHEDULE, Action.RECORD_CONVERSATION),
    "followup": (
        Action.REFER_TO_PARTNER,
        Action.TASK,
        Action.MILESTONE,
        Action.PROGRAMME,
        Action.CLOSE,
        Action.REOPEN,
    ),
}
# The form of each action that has one, by its prefix on the page.
ACTION_FORMS: dict[Action, str] = {
    Action.CONTACT_ATTEMPT: "attempt",
    Action.ANSWER_OFFER: "offer",
    Action.UNCLAIM: "unclaim",
    Action.REASSIGN: "reassign",
    Action.SCHEDULE: "schedule",
    Action.RECORD_CONVERSATION: "conversation",
    Action.REFER_TO_PARTNER: "partner",
    Action.TASK: "task",
    Action.MILESTONE: "milestone",
    Action.PROGRAMME: "programme",
    Action.CLOSE: "close",
    Action.REOPEN: "reopen",
}
# The states in which the file has a conversation behind it, and so a follow-up to show.
FOLLOW_UP_STATES = frozenset({ReferralState.HELD, ReferralState.FOLLOWING_UP, ReferralState.CLOSED})


@dataclass
class Choices:
    """The options of the page's menus."""

    toeleiders: list[tuple[int, str]] = field(default_factory=list)
    partners: list[tuple[int, str]] = field(default_factory=list)
    themes: list[tuple[int, str]] = field(default_factory=list)
    programmes: list[tuple[int, str]] = field(default_factory=list)
    parameters: list[MonitoringParameter] = field(default_factory=list)
    need_categories: list[tuple[int, str]] = field(default_factory=list)
    languages: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class FilePage:
    """One referral with everything its page shows, and what the viewer may do on it."""

    referral: Referral
    events: list[TimelineEvent]
    appointments: list[Appointment]
    partner_referrals: list[PartnerReferral]
    tasks: list[FollowUpTask]
    milestones: list[Milestone]
    conversations: list[Conversation]
    signals: list[Signal]
    places: list[programmes.PlaceRow]
    allowed: frozenset[Action]
    next_steps: list[Action]
    choices: Choices
    open_items: OpenItems
    # The timeline as an activity feed (feed.py).
    feed: list[FeedItem] = field(default_factory=list)
    # For a file a partner referred: what that partner was told, and whether the viewer may.
    source_feedback: list[PartnerFeedback] = field(default_factory=list)
    may_give_source_feedback: bool = False
    # The children's school follow-up (school.py), youngest last, and the referral to Agii.
    school_items: list[school.ItemView] = field(default_factory=list)
    coming_enrolments: list[school.ComingEnrolment] = field(default_factory=list)
    agii: AgiiReferral | None = None

    @property
    def from_partner(self) -> bool:
        return bool(self.referral.source_service.is_partner)

    def may(self, action: Action | str) -> bool:
        return Action(action) in self.allowed

    def interpreter_changeable(self, appointment: Appointment) -> bool:
        """Whether the viewer may ask for or update this appointment's interpreter."""
        return self.may(Action.CHANGE_APPOINTMENT) and interpreters.changeable(appointment)

    def in_section(self, section: str) -> list[Action]:
        """The actions of a section the viewer may take that are not already at the top."""
        return [a for a in SECTIONS[section] if a in self.allowed and a not in self.next_steps]

    @property
    def agii_parts(self) -> list[str]:
        """The parts of the trajectory the person is referred to Agii for, by name."""
        if self.agii is None:
            return []
        return [str(AGII_PART_LABELS[p]) for p in chosen_parts(self.agii)]

    @property
    def pending_school_count(self) -> int:
        """The children with a school item still to be followed up, which closing settles."""
        return len({row.item.child_id for row in self.school_items if school.pending(row.item)})

    @property
    def has_follow_up(self) -> bool:
        return ReferralState(self.referral.state) in FOLLOW_UP_STATES

    @property
    def settle_rows(self) -> list[tuple[str, Any, str, list[tuple[str, str]]]]:
        """Each item still open that closing settles: (kind, item, its name, choices)."""

        def choices(kind: str) -> list[tuple[str, str]]:
            return [(c.value, str(SETTLE_LABELS[(kind, c.value)])) for c in SETTLE_CHOICES[kind]]

        rows: list[tuple[str, Any, str, list[tuple[str, str]]]] = []
        for p in self.open_items.partner_referrals:
            rows.append(("partner", p, f"{p.partner.name} · {p.theme.name}", choices("partner")))
        for t in self.open_items.tasks:
            rows.append(("task", t, t.description, choices("task")))
        for m in self.open_items.milestones:
            rows.append(("milestone", m, m.description, choices("milestone")))
        return rows

    @staticmethod
    def settle_default(kind: str) -> str:
        return SETTLE_DEFAULTS[kind].value


def load_referral(session: DbSession, referral_id: int) -> Referral | None:
    """The referral with what its header and facts show, in one statement."""
    return session.get(
        Referral,
        referral_id,
        options=[
            joinedload(Referral.person),
            joinedload(Referral.municipality),
            joinedload(Referral.contact_language),
            joinedload(Referral.home_language),
            joinedload(Referral.source_service),
            joinedload(Referral.owner).options(NAME_ONLY),
            joinedload(Referral.consent_recorded_by).options(NAME_ONLY),
            # The children's school items and the Agii referral in the same statements.
            selectinload(Referral.children).joinedload(HouseholdChild.school_items),
            joinedload(Referral.agii_referral),
        ],
    )


def build(session: DbSession, referral: Referral, user: User, today: date) -> FilePage:
    """Gather the file page for `user` on `today`."""
    rid = referral.id
    events = feed_events(session, rid)
    appointments = list(
        session.scalars(
            select(Appointment)
            .options(
                joinedload(Appointment.toeleider).options(NAME_ONLY),
                selectinload(Appointment.interpreter_request).joinedload(
                    InterpreterRequest.language
                ),
            )
            .where(Appointment.referral_id == rid)
            .order_by(Appointment.starts_at)
        )
    )
    partner_referrals = list(
        session.scalars(
            select(PartnerReferral)
            .options(
                joinedload(PartnerReferral.partner),
                joinedload(PartnerReferral.theme),
                # Not joined in: SQLite then plans the join of the link table with every
                # household child of the database (9 ms of a 38 ms page at 100,000 files).
                selectinload(PartnerReferral.children),
            )
            .where(PartnerReferral.referral_id == rid)
            .order_by(PartnerReferral.referred_on)
        ).unique()
    )
    tasks = list(
        session.scalars(
            select(FollowUpTask)
            .where(FollowUpTask.referral_id == rid)
            .order_by(FollowUpTask.done_at.is_not(None), FollowUpTask.due_on)
        )
    )
    milestones = list(
        session.scalars(
            select(Milestone)
            .where(Milestone.referral_id == rid)
            .order_by(Milestone.priority, Milestone.target_on)
        )
    )
    conversations = file_conversations(session, rid)
    signals = file_signals(session, rid)
    places = programmes.place_rows(session, referral)
    school_items = school.item_views(
        (item for c in referral.children for item in c.school_items), referral, today
    )
    allowed = allowed_actions(referral, user)
    from_partner = referral.source_service.is_partner
    # Only a file a partner referred costs this query.
    source_feedback = feedback_for(session, [rid])[rid] if from_partner else []
    return FilePage(
        referral=referral,
        events=events,
        appointments=appointments,
        partner_referrals=partner_referrals,
        tasks=tasks,
        milestones=milestones,
        conversations=conversations,
        signals=signals,
        places=places,
        allowed=allowed,
        next_steps=next_steps(referral, allowed),
        choices=menus(session, referral, allowed),
        open_items=OpenItems.among(
            partner_referrals, tasks, milestones, appointments, [row.place for row in places]
        ),
        feed=build_feed(referral, user, events, conversations, signals),
        source_feedback=source_feedback,
        may_give_source_feedback=from_partner and may_give_partner_feedback(user, referral),
        school_items=school_items,
        coming_enrolments=school.coming_enrolments(session, referral, today),
        agii=referral.agii_referral,
    )


def menus(
    session: DbSession, referral: Referral, allowed: frozenset[Action] | set[Action]
) -> Choices:
    """The menus of the forms for these actions only: a reader of the file costs no query."""
    choices = Choices()
    if allowed & {Action.REFER_TO_PARTNER, Action.RECORD_CONVERSATION}:
        choices.themes = active_themes(session)
    if allowed & {Action.SCHEDULE, Action.CHANGE_APPOINTMENT}:
        choices.languages = interpreters.language_choices(session)
    if Action.REASSIGN in allowed:
        choices.toeleiders = [
            (u.id, u.full_name) for u in toeleiders_of(session, [referral.municipality_id])
        ]
    if Action.REFER_TO_PARTNER in allowed:
        choices.partners = [
            (s.id, s.name)
            for s in session.scalars(
                select(Service)
                .where(Service.is_partner.is_(True), Service.active.is_(True))
                .where(
                    or_(
                        Service.municipality_id.is_(None),
                        Service.municipality_id == referral.municipality_id,
                    )
                )
                .order_by(Service.name)
            )
        ]
    if Action.PROGRAMME in allowed:
        choices.programmes = [
            (p.id, str(p)) for p in programmes.programmes_for(session, [referral.municipality_id])
        ]
    if Action.RECORD_CONVERSATION in allowed:
        choices.parameters = conversation_parameters(session, referral)
        choices.need_categories = [
            (c.id, c.name)
            for c in session.scalars(
                select(NeedCategory)
                .where(NeedCategory.active.is_(True))
                .order_by(NeedCategory.name)
            )
        ]
    return choices


def conversation_parameters(session: DbSession, referral: Referral) -> list[MonitoringParameter]:
    """The monitoring questions of the referral's municipality, in their order."""
    return list(
        session.scalars(
            select(MonitoringParameter)
            .where(MonitoringParameter.active.is_(True))
            .where(
                or_(
                    MonitoringParameter.municipality_id.is_(None),
                    MonitoringParameter.municipality_id == referral.municipality_id,
                )
            )
            .order_by(MonitoringParameter.position, MonitoringParameter.id)
        )
    )


def active_themes(session: DbSession) -> list[tuple[int, str]]:
    return [
        (t.id, t.name)
        for t in session.scalars(
            select(Theme).where(Theme.active.is_(True)).order_by(Theme.position, Theme.name)
        )
    ]
