"""Small builders for test data: each test makes what it needs."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache

from argon2 import PasswordHasher, profiles
from sqlalchemy.orm import Session

from portal.desk.intake import IntakeData, register_referral
from portal.languages import dutch_name
from portal.models import (
    Appointment,
    Language,
    MessageKind,
    MessageText,
    Municipality,
    PartnerReferral,
    Person,
    Role,
    Service,
    User,
)

PASSWORD = "juist-wachtwoord-123"


@cache
def password_hash() -> str:
    # The test app uses the cheapest Argon2 profile; hash the shared password once per run.
    return PasswordHasher.from_parameters(profiles.CHEAPEST).hash(PASSWORD)


@dataclass
class World:
    municipality: Municipality
    other_municipality: Municipality
    desk_service: Service
    partner: Service
    other_service: Service
    desk: User
    other_desk: User
    toeleider: User
    lead: User
    admin: User
    outsider: User


def add_language(session: Session, code: str, slip_text: str | None = None) -> Language:
    """A contact language; with `slip_text`, its text of the slip without an appointment."""
    language = Language(code=code, name=dutch_name(code) or code)
    session.add(language)
    if slip_text is not None:
        session.add(
            MessageText(
                kind=MessageKind.SLIP, language_code=code, body=slip_text, updated_at=datetime.now()
            )
        )
    return language


def add_user(
    session: Session,
    email: str,
    roles: list[Role],
    municipalities: list[Municipality],
    service: Service | None = None,
    languages: list[Language] | None = None,
    name: str | None = None,
) -> User:
    user = User(
        email=email,
        full_name=name or email.split("@")[0].replace(".", " ").title(),
        password_hash=password_hash(),
        service=service,
    )
    user.roles = set(roles)
    user.municipalities = list(municipalities)
    user.languages = list(languages or [])
    session.add(user)
    return user


def build_world(session: Session) -> World:
    """Two municipalities, services, languages and a user for every role."""
    home = Municipality(name="Lindeveld", nis_code="99991")
    other = Municipality(name="Beekmere", nis_code="99992")
    desk_service = Service(name="Onthaal", municipality=home)
    other_service = Service(name="Onthaal Beekmere", municipality=other)
    partner = Service(name="Huis van het Nederlands", is_partner=True)
    session.add_all([home, other, desk_service, other_service, partner])
    arabic = add_language(session, "ar", "خلال الأسابيع القادمة سيتصل بك مرشد")
    for code in ("nl", "fr", "uk", "ti", "en"):
        add_language(session, code)
    world = World(
        municipality=home,
        other_municipality=other,
        desk_service=desk_service,
        partner=partner,
        other_service=other_service,
        desk=add_user(
            session, "desk@lindeveld.be", [Role.DESK], [home], desk_service, name="Lotte Loket"
        ),
        other_desk=add_user(session, "desk2@lindeveld.be", [Role.DESK], [home], desk_service),
        toeleider=add_user(
            session, "toeleider@lindeveld.be", [Role.TOELEIDER], [home], desk_service, [arabic]
        ),
        lead=add_user(session, "lead@lindeveld.be", [Role.LEAD], [home, other]),
        admin=add_user(session, "admin@lindeveld.be", [Role.ADMIN], []),
        outsider=add_user(session, "desk@beekmere.be", [Role.DESK], [other], other_service),
    )
    session.commit()
    return world


def intake_data(world: World, **changes: object) -> IntakeData:
    values: dict[str, object] = dict(
        municipality_id=world.municipality.id,
        dutch_difficult=True,
        has_work=False,
        has_children=True,
        contact_language_code="ar",
        home_language_code=None,
        full_name="Rania Haddad",
        birth_year=1990,
        phone="+32470123456",
        email=None,
        address=None,
        adults=2,
        children_birth_years=[2016, 2019],
        registered_on=date(2026, 5, 4),
        source_service_id=world.desk_service.id,
        consent_given=True,
        note=None,
    )
    values.update(changes)
    return IntakeData(**values)  # type: ignore[arg-type]


def add_referral(
    session: Session,
    world: World,
    by: User | None = None,
    at: datetime | None = None,
    person: Person | None = None,
    **changes: object,
):
    """A referral registered at the desk; for a new person unless `person` is given."""
    referral = register_referral(
        session,
        intake_data(world, **changes),
        by or world.desk,
        at or datetime(2026, 11, 26, 9, 30),
        person=person,
    )
    session.commit()
    return referral


def add_held_appointment(
    session: Session, referral, toeleider: User, starts_at: datetime, **changes: object
) -> Appointment:
    """A one-hour conversation that was held, written straight to the table."""
    values: dict[str, object] = dict(
        referral_id=referral.id,
        toeleider_id=toeleider.id,
        kind="welcome",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        place="Onthaal",
        status="held",
        created_by_id=toeleider.id,
        created_at=starts_at,
    )
    values.update(changes)
    appointment = Appointment(**values)
    session.add(appointment)
    return appointment


def add_partner_referral(
    session: Session,
    referral,
    partner: Service,
    theme,
    referred_on: date,
    by: User,
    status: str = "proposed",
    **changes: object,
) -> PartnerReferral:
    """A referral to a partner's offer, written straight to the table."""
    item = PartnerReferral(
        referral_id=referral.id,
        partner_id=partner.id,
        theme_id=theme.id,
        referred_on=referred_on,
        status=status,
        created_by_id=by.id,
        updated_at=datetime.combine(referred_on, datetime.min.time()),
        **changes,
    )
    session.add(item)
    return item


def csv_rows(response) -> list[list[str]]:
    """A downloaded CSV (BOM, semicolons) as rows of cells."""
    text = response.get_data(as_text=True).lstrip("\ufeff")
    return list(csv.reader(io.StringIO(text), delimiter=";"))
