"""Creating and changing the accounts of the people who use the portal."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from .auth.passwords import hash_password
from .extensions import DbSession
from .models import Language, Municipality, Role, Service, User, UserRole, user_municipalities


class AccountError(ValueError):
    """An account change that cannot be made as asked; the message says why, in Dutch."""

    def __init__(self, message: object, field: str | None = None):
        super().__init__(str(message))
        self.message = str(message)
        self.field = field


class AccountChanged(AccountError):
    """Someone else saved the account after the form was read."""

    def __init__(self) -> None:
        super().__init__(
            _l(
                "Iemand anders wijzigde deze gebruiker intussen. Hieronder staat wat nu bewaard "
                "is; uw wijzigingen zijn niet bewaard, maar staan nog in het formulier."
            )
        )


def begin_account_change(session: DbSession, user: User, seen_version: str | None) -> None:
    """Take the account for one save by an admin, or raise AccountChanged.

    The version moves on first, as an UPDATE ... WHERE version = the one read: it takes
    PostgreSQL's row lock and SQLite's write lock before anything else is written, and of
    two saves at once the second matches no row. It moves on for every save, also one that
    changes only languages or municipalities (rows of other tables, which would leave the
    account's own row, and so its version, as it was).
    """
    if seen_version != str(user.version):
        raise AccountChanged()
    user.version = user.version + 1
    try:
        session.flush()
    except StaleDataError as error:
        raise AccountChanged() from error


# Admins configure the portal; they do not read files. An account that could do both could
# give itself the files of any municipality, so the roles that read files never go with admin.
FILE_ROLES = frozenset({Role.LEAD, Role.TOELEIDER})


def check_roles(roles: Iterable[Role | str]) -> None:
    """Refuse a set of roles that would let one account both configure and read files."""
    wanted = {Role(r) for r in roles}
    if Role.ADMIN in wanted and wanted & FILE_ROLES:
        raise AccountError(
            _l(
                "Een beheerder kan geen toeleider of teamverantwoordelijke zijn. "
                "Gebruik daarvoor een tweede account."
            ),
            field="roles",
        )


def check_partner(session: DbSession, roles: Iterable[Role | str], service_id: int | None) -> None:
    """A partner account belongs to a partner organisation and holds no other role: it
    refers for that organisation, and municipal work needs an account of its own."""
    wanted = {Role(r) for r in roles}
    if Role.PARTNER not in wanted:
        return
    if len(wanted) > 1:
        raise AccountError(
            _l("Een partner heeft geen andere rol. Gebruik daarvoor een tweede account."),
            field="roles",
        )
    service = session.get(Service, service_id) if service_id else None
    if service is None or not service.is_partner:
        raise AccountError(
            _l("Kies de partnerorganisatie waarvoor deze partner doorverwijst."), field="service"
        )


def email_taken(session: DbSession, email: str, except_id: int | None = None) -> bool:
    stmt = select(User.id).where(func.lower(User.email) == email.strip().casefold())
    if except_id is not None:
        stmt = stmt.where(User.id != except_id)
    return session.scalar(stmt) is not None


def create_user(
    session: DbSession,
    *,
    email: str,
    full_name: str,
    password: str,
    roles: Iterable[Role | str],
    municipality_ids: Iterable[int] = (),
    service_id: int | None = None,
    language_codes: Iterable[str] = (),
    channel_id: int | None = None,
) -> User:
    """Add an active user; the caller commits."""
    if email_taken(session, email):
        raise AccountError(_l("Er is al een gebruiker met dit e-mailadres."), field="email")
    roles = list(roles)
    check_partner(session, roles, service_id)
    user = User(
        email=email.strip().casefold(),
        full_name=full_name.strip(),
        password_hash=hash_password(password),
        service_id=service_id,
        channel_id=channel_id,
    )
    update_user(
        session,
        user,
        roles=roles,
        municipality_ids=municipality_ids,
        language_codes=language_codes,
    )
    try:
        with session.begin_nested():
            session.add(user)
    except IntegrityError as error:
        # A colleague created this address after the check above had read: the unique index
        # decides, and this admin is told as by the check.
        raise AccountError(
            _l("Er is al een gebruiker met dit e-mailadres."), field="email"
        ) from error
    return user


def update_user(
    session: DbSession,
    user: User,
    *,
    roles: Iterable[Role | str],
    municipality_ids: Iterable[int],
    language_codes: Iterable[str],
    actor: User | None = None,
) -> None:
    """Set a user's roles, municipalities and spoken languages.

    `actor` is who makes the change (None: the command line); nobody changes their own
    roles or municipalities, so that no one can raise their own rights.
    """
    new_roles = {Role(r) for r in roles}
    ids = list(municipality_ids)
    if actor is not None and actor.id is not None and actor.id == user.id:
        if new_roles != set(user.roles):
            raise AccountError(_l("U kunt uw eigen rollen niet wijzigen."), field="roles")
        if set(ids) != {m.id for m in user.municipalities}:
            raise AccountError(
                _l("U kunt uw eigen gemeenten niet wijzigen."), field="municipalities"
            )
    check_roles(new_roles)
    user.roles = new_roles
    user.municipalities = (
        list(session.scalars(select(Municipality).where(Municipality.id.in_(ids)))) if ids else []
    )
    codes = list(language_codes)
    user.languages = (
        list(session.scalars(select(Language).where(Language.code.in_(codes)))) if codes else []
    )


def toeleiders_of(session: DbSession, municipality_ids: Iterable[int]) -> list[User]:
    """Active toeleiders working for any of these municipalities, by name, languages loaded."""
    ids = list(municipality_ids) or [-1]
    people = session.scalars(
        select(User)
        .join(user_municipalities)
        .where(user_municipalities.c.municipality_id.in_(ids), User.active.is_(True))
        .where(User.role_rows.any(UserRole.role == Role.TOELEIDER))
        .options(selectinload(User.languages))
        .distinct()
        .order_by(User.full_name)
    )
    return list(people)


SYSTEM_EMAIL = "systeem@onthaalportaal.invalid"


def system_user(session: DbSession) -> User:
    """The account scheduled work is recorded under: no roles, inactive, no usable password."""
    user = session.scalar(select(User).where(User.email == SYSTEM_EMAIL))
    if user is None:
        # "!" is no Argon2 hash: no password verifies against it.
        user = User(
            email=SYSTEM_EMAIL,
            full_name="Onthaalportaal",
            password_hash="!",  # noqa: S106 -- not a password: the mark of an account without one
            active=False,
        )
        user.roles = set()
        try:
            with session.begin_nested():
                session.add(user)
        except IntegrityError:  # made a moment ago by another scheduled run
            return session.scalars(select(User).where(User.email == SYSTEM_EMAIL)).one()
    return user
