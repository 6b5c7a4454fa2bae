"""Demo data: two municipalities, their services and partners, users for every role, and
about 300 referrals over the last six months in every lifecycle state."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import select

from .accounts import create_user
from .demo_texts import DEMO_LETTERHEADS, DEMO_TEXTS
from .desk.intake import reference_for
from .desk.rules import name_key, residence
from .extensions import DbSession
from .formtools import given
from .languages import dutch_name
from .models import (
    Activity,
    ActivityKind,
    AgiiStatus,
    Appointment,
    AppointmentStatus,
    AvailabilityKind,
    AvailabilitySlot,
    Channel,
    ClosingOutcome,
    ContactAttempt,
    HouseholdChild,
    InterpreterMode,
    InterpreterRequest,
    InterpreterStatus,
    Kpi,
    Language,
    MessageText,
    MonitoringParameter,
    Municipality,
    NeedCategory,
    PartnerReferral,
    PartnerReferralStatus,
    Person,
    PlaceStatus,
    Programme,
    ProgrammePlace,
    Referral,
    ReferralState,
    Role,
    SchoolItem,
    SchoolItemStatus,
    Service,
    Theme,
    TimelineEvent,
    User,
)
from .referrals import agii, school
from .referrals.channels import channels_for
from .referrals.lifecycle import priority_at
from .search.keys import refresh_search_keys
from .settings import queue_weights

DEMO_PASSWORD = "demo-wachtwoord"  # noqa: S105 -- the demo data's published password
DEMO_DOMAIN = "lindeveld.be"
MUNICIPALITIES = [("Lindeveld", "99991"), ("Beekmere", "99992")]
SERVICES = ["Onthaal", "Burgerzaken", "Vreemdelingendienst", "Integratiedienst", "Sociale dienst"]
PARTNERS = [
    "Huis van het Nederlands",
    "VDAB",
    "Agentschap Integratie en Inburgering",
    "Centrum voor Basiseducatie",
    "Basisschool De Linde",
    "Kind en Gezin",
]
NEED_CATEGORIES = [
    "Nederlands leren",
    "Werk zoeken",
    "Wonen",
    "Kinderopvang en school",
    "Gezondheid",
    "Administratie en papieren",
    "Vrije tijd",
    "Geld en schulden",
]
MONITORING = [
    ("Kent de persoon het Huis van het Nederlands?", "yes_no", None),
    ("Aantal kinderen in het gezin dat naar school gaat", "number", None),
    (
        "Hoe kwam de persoon bij de gemeente terecht?",
        "choice",
        "via het loket\nvia vrienden of familie\nvia een partner",
    ),
]
THEMES = [
    "Nederlands leren en oefenen",
    "Administratie",
    "Werk (VDAB, werkwinkel)",
    "Kinderopvang en onderwijs",
    "Vrije tijd",
    "Gezondheid",
    "Welzijn",
    "Wonen",
    "Sociale zekerheid",
    "Rechten en plichten",
]
# Contact languages with a weight that resembles a Flemish desk's year.
LANGUAGE_WEIGHTS = {
    "ar": 22,
    "uk": 14,
    "ro": 9,
    "tr": 8,
    "en": 8,
    "fr": 7,
    "ps": 6,
    "fa-AF": 5,
    "ti": 5,
    "ru": 4,
    "so": 4,
    "pl": 3,
    "bg": 3,
    "es": 3,
    "sq": 2,
    "am": 2,
    "nl": 1,
    "pt": 2,
    "fa": 2,
}
GIVEN = {
    "ar": ["Mohammed", "Fatima", "Ahmad", "Rania", "Omar", "Layla", "Yusuf", "Noor"],
    "uk": ["Olena", "Andrii", "Iryna", "Oleksandr", "Natalia", "Dmytro"],
    "ro": ["Andrei", "Ioana", "Mihai", "Elena", "Vasile"],
    "tr": ["Ayşe", "Mehmet", "Elif", "Mustafa", "Zeynep"],
    "ps": ["Ahmad Shah", "Gul", "Zarmina", "Rahmatullah"],
    "fa-AF": ["Farid", "Mariam", "Habib", "Shabnam"],
    "ti": ["Semhar", "Yonas", "Helen", "Tesfay"],
    "so": ["Abdi", "Hodan", "Faadumo", "Mahad"],
}
FAMILY = {
    "ar": ["Al-Hassan", "Haddad", "Khalil", "Saleh", "Nasser", "Mansour"],
    "uk": ["Shevchenko", "Kovalenko", "Bondarenko", "Melnyk", "Tkachenko"],
    "ro": ["Popescu", "Ionescu", "Dumitru", "Stan"],
    "tr": ["Yılmaz", "Kaya", "Demir", "Şahin", "Çelik"],
    "ps": ["Ahmadzai", "Stanekzai", "Wardak"],
    "fa-AF": ["Rahimi", "Hashimi", "Karimi"],
    "ti": ["Tesfamariam", "Gebremedhin", "Haile"],
    "so": ["Mohamed", "Warsame", "Abdullahi"],
}
OTHER_GIVEN = ["Anna", "Jan", "Maria", "Piotr", "Sofia", "John", "Camille", "Lucas", "Elena"]
OTHER_FAMILY = ["Nowak", "Smith", "Dubois", "Garcia", "Petrov", "Ivanova", "Silva", "Hoxha"]


@dataclass
class DemoLogin:
    email: str
    role: str


DEMO_USERS = [
    ("beheer", "Bart Beheerder", [Role.ADMIN], [], 0),
    ("loket", "Lotte Loket", [Role.DESK], ["nl", "fr", "en"], 0),
    ("loket.beekmere", "Bram Balie", [Role.DESK], ["nl"], 1),
    ("toeleider.ar", "Samira Toeleider", [Role.TOELEIDER], ["nl", "ar", "fr"], None),
    ("toeleider.uk", "Oksana Toeleider", [Role.TOELEIDER], ["nl", "uk", "ru", "en"], None),
    ("toeleider.ps", "Wahid Toeleider", [Role.TOELEIDER], ["nl", "ps", "fa-AF", "fa", "en"], None),
    ("toeleider.ti", "Selam Toeleider", [Role.TOELEIDER], ["nl", "ti", "am", "en"], None),
    (
        "teamverantwoordelijke",
        "Tine Teamverantwoordelijke",
        [Role.LEAD, Role.TOELEIDER],
        ["nl", "en", "fr"],
        None,
    ),
    # A referring partner: registers families it meets and hears back (Huis van het Kind).
    ("partner", "Petra Partner", [Role.PARTNER], ["nl"], 0),
]
# The partner organisation of the demo's partner user.
DEMO_REFERRING_PARTNER = "Kind en Gezin"


def demo_logins(session: DbSession) -> list[tuple[str, str]]:
    """The demo accounts that exist and can log in, with their roles in Dutch."""
    from .labels import role_label

    emails = [f"{local}@{DEMO_DOMAIN}" for local, *_ in DEMO_USERS]
    users = session.scalars(select(User).where(User.email.in_(emails), User.active.is_(True)))
    return [(u.email, ", ".join(role_label(r) for r in sorted(u.roles))) for u in users]


def seed_demo(session: DbSession, now: datetime, seed: int = 2026) -> bool:
    """Load the demo data once; return False when it was already there."""
    if session.scalar(select(Municipality).where(Municipality.nis_code == MUNICIPALITIES[0][1])):
        return False
    rng = random.Random(seed)  # noqa: S311 -- seeded for repeatable demo data, not for secrets
    municipalities = [
        Municipality(name=n, nis_code=c, **DEMO_LETTERHEADS.get(c, {})) for n, c in MUNICIPALITIES
    ]
    session.add_all(municipalities)
    services = {
        (m.nis_code, name): Service(name=name, municipality=m)
        for m in municipalities
        for name in SERVICES
    }
    partners = [Service(name=name, is_partner=True) for name in PARTNERS]
    session.add_all([*services.values(), *partners])
    for i, name in enumerate(THEMES):
        session.add(Theme(name=name, position=i * 10, is_dutch_learning=i == 0))
    session.add_all(NeedCategory(name=name) for name in NEED_CATEGORIES)
    session.add_all(
        MonitoringParameter(question=q, kind=k, choices_text=c, position=i)
        for i, (q, k, c) in enumerate(MONITORING)
    )
    for code in LANGUAGE_WEIGHTS:
        if session.get(Language, code) is None:
            session.add(Language(code=code, name=dutch_name(code)))
    session.flush()
    for code, messages in DEMO_TEXTS.items():
        for kind, body in messages.items():
            session.add(MessageText(kind=kind, language_code=code, body=body, updated_at=now))

    users: list[User] = []
    for local, full_name, roles, languages, municipality_index in DEMO_USERS:
        in_municipalities = (
            [m.id for m in municipalities]
            if municipality_index is None
            else []
            if Role.ADMIN in roles
            else [municipalities[municipality_index].id]
        )
        home = municipalities[municipality_index or 0]
        if Role.PARTNER in roles:
            service = next(p for p in partners if p.name == DEMO_REFERRING_PARTNER)
        else:
            service = services[
                (home.nis_code, "Onthaal" if Role.DESK in roles else "Integratiedienst")
            ]
        users.append(
            create_user(
                session,
                email=f"{local}@{DEMO_DOMAIN}",
                full_name=full_name,
                password=DEMO_PASSWORD,
                roles=roles,
                municipality_ids=in_municipalities,
                service_id=service.id,
                language_codes=languages,
            )
        )
    session.flush()
    for user in users:
        if Role.TOELEIDER in user.roles:
            session.add_all(
                AvailabilitySlot(
                    user_id=user.id,
                    weekday=day,
                    starts=time(9),
                    ends=time(12),
                    kind=AvailabilityKind.CONVERSATIONS,
                )
                for day in range(4)
            )
            session.add(
                AvailabilitySlot(
                    user_id=user.id,
                    weekday=4,
                    starts=time(9),
                    ends=time(12),
                    kind=AvailabilityKind.DESK_DUTY,
                )
            )
    channels = _seed_channels(session, partners, users)
    _seed_referrals(session, rng, now, municipalities, services, partners, users)
    _seed_follow_up_and_group_work(session, rng, now, municipalities, partners, users, channels)
    _seed_school_and_agii(session, rng, now)
    return True


DEMO_SCHOOLS = [
    "Basisschool De Linde",
    "Vrije Basisschool Sint-Jozef",
    "Gemeentelijke Basisschool De Regenboog",
    "GO! Atheneum",
    "Sint-Vincentiuscollege",
]


def _seed_school_and_agii(session: DbSession, rng: random.Random, now: datetime) -> None:
    """Schools found for most children of files that came far, some still unknown (a few
    overdue), and referrals to Agii for newcomers after their conversation."""
    open_picked_up = session.scalars(
        select(Referral)
        .where(
            Referral.state.in_(
                [ReferralState.SCHEDULED, ReferralState.HELD, ReferralState.FOLLOWING_UP]
            ),
            Referral.owner_id.is_not(None),
        )
        .order_by(Referral.id)
    ).all()
    for referral in open_picked_up:
        owner = given(referral.owner)
        items = session.scalars(
            select(SchoolItem).where(SchoolItem.referral_id == referral.id).order_by(SchoolItem.id)
        ).all()
        for item in items:
            chance = rng.random()
            if chance < 0.25:
                continue  # still unknown: the lead's list shows it
            if item.kind == "information":
                status, school_name = SchoolItemStatus.INFORMED, None
            elif chance < 0.8:
                status, school_name = SchoolItemStatus.ENROLLED, rng.choice(DEMO_SCHOOLS)
            else:
                status = rng.choice(
                    [SchoolItemStatus.REFERRED_EDUCATION_DESK, SchoolItemStatus.REFERRED_AGII]
                )
                school_name = None
            at = min(item.created_at + timedelta(days=rng.randint(3, 25)), now)
            school.update_item(
                session,
                item,
                referral,
                owner,
                at,
                status=status,
                school_name=school_name,
                note=None,
            )
        if not referral.is_newcomer or referral.state == ReferralState.SCHEDULED:
            continue
        if rng.random() < 0.3:
            continue
        handed = rng.choice(
            [AgiiStatus.TO_REFER, AgiiStatus.REFERRED, AgiiStatus.REFERRED, AgiiStatus.REGISTERED]
            + [AgiiStatus.STARTED, AgiiStatus.NOT_APPLICABLE]
        )
        at = min(given(referral.claimed_at) + timedelta(days=rng.randint(14, 40)), now)
        parts = {"civic_orientation", "dutch_course"} if rng.random() < 0.8 else {"dutch_course"}
        if rng.random() < 0.4:
            parts.add("participation_network")
        if not referral.has_work and rng.random() < 0.5:
            parts.add("work_pathway")
        agii.save(
            session,
            referral,
            owner,
            at,
            agii.AgiiDetails(
                obliged=None
                if handed == AgiiStatus.TO_REFER
                else handed != AgiiStatus.NOT_APPLICABLE and rng.random() < 0.85,
                parts=frozenset(parts) if handed != AgiiStatus.NOT_APPLICABLE else frozenset(),
                status=handed,
                referred_on=at.date(),
                agii_reference=f"AG-{at.year}-{referral.id:05d}"
                if handed in (AgiiStatus.REGISTERED, AgiiStatus.STARTED)
                else None,
            ),
        )


# Teams and partners through which people are reached, for the KPI breakdown.
TEAM_CHANNELS = ["Toeleiders", "Jobcoach", "Brugfiguren scholen", "Sociale dienst"]
PARTNER_CHANNELS = {
    "Huis van het Nederlands": "Huis van het Nederlands",
    "VDAB": "VDAB",
    "Basisschool De Linde": "Brugfiguren scholen",
}
# A KPI: name, target, unit, rule, and a theme index or an activity kind (or None).
KpiDefinition = tuple[str, int, str, str, int | str | None]
DEMO_KPIS: list[KpiDefinition] = [
    ("Gezinnen bereikt", 300, "households", "reached", None),
    ("Personen toegeleid naar werk", 100, "people", "led_to_partner", 2),
    ("Personen toegeleid naar Nederlands leren", 150, "people", "led_to_partner", 0),
    ("Kinderen en jongeren naar sport", 180, "children", "activity", "sport"),
    ("Kinderen en jongeren naar cultuur", 180, "children", "activity", "culture"),
    (
        "Oefenkansen Nederlands op conversatietafels",
        300,
        "practice",
        "activity",
        "conversation_table",
    ),
]


def add_kpis(
    session: DbSession, definitions: list[KpiDefinition], themes: list[Theme], start_month: int
) -> None:
    """KPIs from (name, target, unit, rule, restriction): a theme index or an activity kind."""
    for position, (name, target, unit, rule, restriction) in enumerate(definitions):
        kpi = Kpi(
            name=name,
            target=target,
            unit=unit,
            rule=rule,
            theme_id=themes[restriction].id if isinstance(restriction, int) else None,
            start_month=start_month,
            position=position,
        )
        if isinstance(restriction, str):
            kpi.set_activity_kinds([ActivityKind(restriction)])
        session.add(kpi)


def _seed_channels(
    session: DbSession, partners: list[Service], users: list[User]
) -> dict[str, Channel]:
    """The teams and partner channels, before any work is recorded under them."""
    channels = {name: Channel(name=name) for name in TEAM_CHANNELS}
    for channel_name in PARTNER_CHANNELS.values():
        channels.setdefault(channel_name, Channel(name=channel_name))
    session.add_all(channels.values())
    session.flush()
    for partner in partners:
        if partner.name in PARTNER_CHANNELS:
            partner.channel_id = channels[PARTNER_CHANNELS[partner.name]].id
    toeleiders = [u for u in users if Role.TOELEIDER in u.roles]
    for i, user in enumerate(toeleiders):
        user.channel_id = channels["Jobcoach" if i == 1 else "Toeleiders"].id
    session.flush()
    return channels


def _seed_follow_up_and_group_work(
    session: DbSession,
    rng: random.Random,
    now: datetime,
    municipalities: list[Municipality],
    partners: list[Service],
    users: list[User],
    channels: dict[str, Channel],
) -> None:
    """KPIs, partner referrals, group activities and programmes with a waiting list."""
    toeleiders = [u for u in users if Role.TOELEIDER in u.roles]
    owners = {u.id: u for u in toeleiders}
    themes = list(session.scalars(select(Theme).order_by(Theme.position)))
    add_kpis(session, DEMO_KPIS, themes, start_month=10)
    followed = session.scalars(
        select(Referral)
        .where(
            Referral.state.in_([ReferralState.FOLLOWING_UP, ReferralState.CLOSED]),
            Referral.owner_id.is_not(None),
        )
        .order_by(Referral.id)
    ).all()
    # Only open files hold a place or wait for one: closing a file releases its places.
    following = [r for r in followed if r.state == ReferralState.FOLLOWING_UP]
    by_name = {p.name: p for p in partners}
    offers = [("Huis van het Nederlands", 0), ("VDAB", 2), ("Basisschool De Linde", 3)]
    today = now.date()
    for referral in followed:
        for partner_name, theme_index in rng.sample(offers, rng.randint(1, 2)):
            referred_on = min(
                (referral.claimed_at or referral.created_at).date()
                + timedelta(days=rng.randint(10, 30)),
                today,
            )
            age = (today - referred_on).days
            status = (
                rng.choice(
                    [PartnerReferralStatus.ARRIVED] * 3 + [PartnerReferralStatus.NOT_ARRIVED]
                )
                if age > 21
                else PartnerReferralStatus.PROPOSED
            )
            session.add(
                PartnerReferral(
                    referral_id=referral.id,
                    partner_id=by_name[partner_name].id,
                    theme_id=themes[theme_index].id,
                    referred_on=referred_on,
                    status=status.value,
                    created_by_id=referral.owner_id,
                    updated_at=now,
                    **channels_for(session, referral, owners[given(referral.owner_id)]),
                )
            )
    kinds = list(ActivityKind)
    for n in range(48):
        held_on = today - timedelta(days=rng.randint(0, 330))
        kind = rng.choice(kinds)
        participants = rng.randint(6, 25)
        young = (
            rng.randint(participants // 2, participants)
            if kind in (ActivityKind.SPORT, ActivityKind.CULTURE)
            else rng.randint(0, 3)
        )
        session.add(
            Activity(
                municipality_id=municipalities[n % 3 // 2].id,
                held_on=held_on,
                channel_id=channels[rng.choice(ACTIVITY_CHANNELS)].id,
                partner_id=by_name["Huis van het Nederlands"].id
                if kind is ActivityKind.CONVERSATION_TABLE
                else None,
                kind=kind.value,
                title=DEMO_ACTIVITY_TITLES[kind],
                participants=participants,
                young_participants=young,
                created_by_id=rng.choice(toeleiders).id,
                created_at=datetime.combine(held_on, time(17)),
            )
        )
    huis = by_name["Huis van het Nederlands"].id
    evening = Programme(partner_id=huis, name="NT2 avondles", capacity=12)
    practice = Programme(partner_id=huis, name="Oefengroep Nederlands", capacity=10)
    session.add_all([evening, practice])
    session.flush()

    # First come, first served, as the portal does it: the earliest get the places. Everyone
    # on a programme was led there by a partner referral in the Dutch theme.
    def since(referral: Referral) -> datetime:
        return min((referral.claimed_at or referral.created_at) + timedelta(days=14), now)

    taking = [(evening, r) for r in following[:17]] + [(practice, r) for r in following[17:23]]
    taking.sort(key=lambda pair: since(pair[1]))
    taken: dict[int, int] = {}
    for programme, referral in taking:
        free = taken.get(programme.id, 0) < programme.capacity
        taken[programme.id] = taken.get(programme.id, 0) + free
        session.add(
            ProgrammePlace(
                programme_id=programme.id,
                referral_id=referral.id,
                status=(PlaceStatus.ENROLLED if free else PlaceStatus.WAITING).value,
                waiting_since=since(referral),
                enrolled_at=since(referral) if free else None,
            )
        )
        session.add(
            PartnerReferral(
                referral_id=referral.id,
                partner_id=huis,
                theme_id=themes[0].id,
                referred_on=since(referral).date(),
                status=PartnerReferralStatus.ARRIVED,
                created_by_id=referral.owner_id,
                updated_at=now,
                **channels_for(session, referral, owners[given(referral.owner_id)]),
            )
        )


ACTIVITY_CHANNELS = ["Toeleiders", "Brugfiguren scholen", "Jobcoach"]
DEMO_ACTIVITY_TITLES = {
    ActivityKind.CONVERSATION_TABLE: "Praattafel in de bibliotheek",
    ActivityKind.PRACTICE_GROUP: "Oefengroep Nederlands op de markt",
    ActivityKind.SPORT: "Zwemnamiddag met de sportdienst",
    ActivityKind.CULTURE: "Bezoek aan het cultuurcentrum",
    ActivityKind.OTHER: "Infomoment kinderopvang",
}


def _seed_referrals(
    session: DbSession,
    rng: random.Random,
    now: datetime,
    municipalities: list[Municipality],
    services: dict[tuple[str, str], Service],
    partners: list[Service],
    users: list[User],
) -> None:
    desk_workers = [u for u in users if Role.DESK in u.roles]
    toeleiders = [u for u in users if Role.TOELEIDER in u.roles]
    codes = list(LANGUAGE_WEIGHTS)
    weights = list(LANGUAGE_WEIGHTS.values())
    states = list(ReferralState)
    today = now.date()
    # The next free hour per toeleider for demo appointments: from next Monday, 9 to 12.
    monday = today + timedelta(days=7 - today.weekday())
    next_free = {u.id: datetime.combine(monday, time(9)) for u in toeleiders}
    weights_in_queue = queue_weights(session)
    closed_files: list[tuple[Person, datetime]] = []
    for n in range(300):
        # A few from today, so that the desk's "today" list and the queue's top show something.
        age_days = 0 if n < 5 else int(rng.triangular(0, 182, 20))
        created = datetime.combine(
            today - timedelta(days=age_days), datetime.min.time()
        ) + timedelta(hours=rng.randint(8, 15), minutes=rng.randint(0, 59))
        created = min(created, now - timedelta(minutes=n % 50 + 1))  # never in the future
        # Older files have moved further along the lifecycle.
        furthest = min(len(states) - 1, 1 + age_days // 14)
        state = states[rng.randint(0, furthest)] if age_days > 2 else ReferralState.NEW
        code = rng.choices(codes, weights)[0]
        given = rng.choice(GIVEN.get(code, OTHER_GIVEN))
        family = rng.choice(FAMILY.get(code, OTHER_FAMILY))
        full_name = f"{given} {family}"
        municipality = municipalities[0] if rng.random() < 0.7 else municipalities[1]
        desk = next((u for u in desk_workers if municipality in u.municipalities), desk_workers[0])
        newcomer = rng.random() < 0.65
        registered = created.date() - timedelta(
            days=rng.randint(3, 300) if newcomer else rng.randint(400, 4000)
        )
        has_children = rng.random() < 0.55
        source = (
            rng.choice(partners)
            if rng.random() < 0.2
            else services[(municipality.nis_code, rng.choice(SERVICES))]
        )
        speakers = [t for t in toeleiders if code in {lang.code for lang in t.languages}]
        owner = rng.choice(speakers or toeleiders) if state != ReferralState.NEW else None
        # Some residents come back years later: a new referral for a person already known.
        earlier = [p for p, closed in closed_files if closed < created]
        returning = rng.choice(earlier) if earlier and n % 10 == 0 else None
        person = returning or Person(
            full_name=full_name,
            name_key=name_key(full_name),
            birth_year=rng.randint(today.year - 65, today.year - 18),
            phone=f"+324{rng.choice('6789')}{rng.randint(0, 9_999_999):07d}",
            created_at=created,
        )
        referral = Referral(
            person=person,
            municipality=municipality,
            state=state.value,
            outcome=rng.choice(list(ClosingOutcome)).value
            if state == ReferralState.CLOSED
            else None,
            dutch_difficult=code != "nl" and rng.random() < 0.85,
            has_work=rng.random() < 0.3,
            has_children=has_children,
            contact_language_code=code,
            home_language_code="ar" if code == "fr" and rng.random() < 0.3 else None,
            adults=rng.choice([1, 1, 1, 2, 2, 3]),
            registered_on=registered,
            is_newcomer=residence(registered, created.date()).is_newcomer,
            source_service=source,
            consent_given=True,
            consent_recorded_by=desk,
            consent_recorded_at=created,
            created_by=desk,
            created_at=created,
            owner=owner,
            claimed_at=min(created + timedelta(days=rng.randint(0, 3)), now) if owner else None,
            closed_at=min(created + timedelta(days=rng.randint(10, 60)), now)
            if state == ReferralState.CLOSED
            else None,
        )
        referral.priority_at = priority_at(created, referral, weights_in_queue)
        if has_children:
            referral.children = [
                HouseholdChild(birth_year=rng.randint(today.year - 17, today.year))
                for _ in range(rng.randint(1, 4))
            ]
        session.add(referral)
        session.flush()
        referral.reference = reference_for(referral.id, created.year)
        if returning is None:
            refresh_search_keys(person, session)
        session.add(
            TimelineEvent(
                referral_id=referral.id,
                at=created,
                actor_id=desk.id,
                kind="registered",
                from_state=None,
                to_state="new",
            )
        )
        # The children of newcomers get their school follow-up, as at the desk.
        school.add_missing_items(session, referral, desk, created)
        if owner is not None and referral.claimed_at is not None:
            session.add(
                TimelineEvent(
                    referral_id=referral.id,
                    at=referral.claimed_at,
                    actor_id=owner.id,
                    kind="claimed",
                    from_state="new",
                    to_state="claimed",
                )
            )
        if owner is not None and state != ReferralState.CLAIMED:
            _demo_contacts(session, rng, referral, owner, now)
        if owner is not None and state not in (ReferralState.CLAIMED, ReferralState.CONTACTED):
            _demo_appointment(session, referral, owner, state, now, next_free)
            referral.conversation_accepted = True
        if referral.outcome == ClosingOutcome.DECLINED:
            referral.conversation_accepted = False
        if owner is not None and state == ReferralState.CLAIMED and rng.random() < 0.25:
            _demo_unreached(session, referral, owner, now)
        if referral.closed_at is not None and owner is not None:
            closed_files.append((person, referral.closed_at))
            session.add(
                TimelineEvent(
                    referral_id=referral.id,
                    at=referral.closed_at,
                    actor_id=owner.id,
                    kind="closed",
                    to_state="closed",
                    from_state="following_up",
                    detail=referral.outcome,
                )
            )


def _demo_unreached(session: DbSession, referral: Referral, owner: User, now: datetime) -> None:
    """Three calls without an answer: the file waits for an invitation letter."""
    at = referral.claimed_at or referral.created_at
    for hours in (3, 27, 51):
        session.add(
            ContactAttempt(
                referral_id=referral.id,
                at=min(at + timedelta(hours=hours), now - timedelta(minutes=5)),
                actor_id=owner.id,
                channel="phone",
                outcome="no_answer",
                **channels_for(session, referral, owner),
            )
        )
    referral.unreached_attempts = 3
    referral.needs_letter = True


def _demo_appointment(
    session: DbSession,
    referral: Referral,
    owner: User,
    state: ReferralState,
    now: datetime,
    next_free: dict[int, datetime],
) -> None:
    if state == ReferralState.SCHEDULED:
        starts = next_free[owner.id]
        following = starts + timedelta(hours=1)
        if following.hour >= 12:  # the next weekday at nine
            following = datetime.combine(starts.date() + timedelta(days=1), time(9))
            while following.weekday() > 3:
                following += timedelta(days=1)
        next_free[owner.id] = following
        status = AppointmentStatus.PLANNED
    else:
        starts = min(referral.created_at + timedelta(days=10), now - timedelta(days=1))
        starts = starts.replace(hour=10, minute=0, second=0)
        status = AppointmentStatus.HELD
    appointment = Appointment(
        referral_id=referral.id,
        toeleider_id=owner.id,
        kind="welcome" if referral.is_newcomer else "integration",
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        place="Gemeentehuis, onthaal",
        status=status.value,
        created_by_id=owner.id,
        created_at=referral.claimed_at or referral.created_at,
        **channels_for(session, referral, owner),
    )
    session.add(appointment)
    if referral.dutch_difficult and referral.contact_language_code != "nl":
        _demo_interpreter(appointment, referral, owner, status)


def _demo_interpreter(
    appointment: Appointment, referral: Referral, owner: User, status: AppointmentStatus
) -> None:
    """An interpreter of the social interpreting service for someone who speaks little Dutch:
    confirmed for a conversation that was held; for a planned one, asked for, or confirmed
    with the service's reference (so that the agenda, the slip and the report show both)."""
    confirmed = status == AppointmentStatus.HELD or referral.id % 2 == 0
    asked_at = appointment.created_at
    appointment.interpreter_request = InterpreterRequest(
        language_code=referral.contact_language_code,
        mode=InterpreterMode.PHONE if referral.id % 3 == 0 else InterpreterMode.ON_SITE,
        status=InterpreterStatus.CONFIRMED if confirmed else InterpreterStatus.REQUESTED,
        service_reference=f"ST-{referral.id:05d}" if confirmed else None,
        minutes=60,
        created_by_id=owner.id,
        created_at=asked_at,
        updated_by_id=owner.id,
        updated_at=asked_at + timedelta(days=1) if confirmed else asked_at,
    )


def _demo_contacts(
    session: DbSession, rng: random.Random, referral: Referral, owner: User, now: datetime
) -> None:
    """How the toeleider reached the person: by phone, at the desk, or after a letter."""
    at = referral.claimed_at or referral.created_at
    route = rng.choices(["phone", "desk", "letter"], [75, 10, 15])[0]
    steps: list[tuple[str, str]] = []
    if route == "letter":
        steps = [("phone", "no_answer")] * 3 + [("letter", "call_back"), ("phone", "reached")]
    elif route == "desk":
        steps = [("desk", "reached")]
    else:
        steps = [("phone", "no_answer")] * rng.randint(0, 2) + [("phone", "reached")]
    for channel, outcome in steps:
        at = min(at + timedelta(hours=rng.randint(4, 30)), now - timedelta(minutes=5))
        session.add(
            ContactAttempt(
                referral_id=referral.id,
                at=at,
                actor_id=owner.id,
                channel=channel,
                outcome=outcome,
                **channels_for(session, referral, owner),
            )
        )
