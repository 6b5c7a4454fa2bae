"""Admin screens: users, municipalities, services and partners, languages, themes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from .. import clock
from ..access import Permission, requires
from ..accounts import (
    AccountChanged,
    AccountError,
    begin_account_change,
    check_partner,
    create_user,
    email_taken,
    toeleiders_of,
    update_user,
)
from ..audit import Change, changes_between, log_admin_action
from ..auth import second_factor
from ..auth.logins import end_all_logins
from ..auth.passwords import hash_password
from ..extensions import db
from ..formtools import CsrfForm, dutch_options, first_error, options, record_id, year_arg
from ..i18n import dutch_text
from ..labels import (
    ACTIVITY_KIND_LABELS,
    CHANNEL_BASIS_LABELS,
    PARAMETER_KIND_LABELS,
    RULE_LABELS,
    UNIT_LABELS,
    service_label,
)
from ..languages import (
    by_shown_name,
    in_name_order,
    language_catalogue,
    language_label,
    language_name,
)
from ..models import (
    ActivityKind,
    Channel,
    ChannelBasis,
    Kpi,
    KpiRule,
    KpiTarget,
    KpiUnit,
    Language,
    MonitoringParameter,
    Municipality,
    NeedCategory,
    ParameterKind,
    Programme,
    Service,
    Theme,
    User,
)
from ..referrals.handover import HandoverResult, Holdings, hand_over, holdings
from ..referrals.lifecycle import TransitionRefused, reprioritise_queue
from ..referrals.programmes import capacity_refusal, offer_free_place
from ..reports.kpis import project_year
from ..settings import DEFAULTS, get_int, get_text, set_int, set_text
from .forms import (
    SETTING_LABELS,
    ChannelForm,
    KpiForm,
    LanguageForm,
    MonitoringParameterForm,
    MunicipalityForm,
    NeedCategoryForm,
    NewUserForm,
    PasswordResetForm,
    PrivacyNoticeForm,
    ProgrammeForm,
    ServiceForm,
    SettingsForm,
    ThemeForm,
    UserForm,
)

bp = Blueprint("admin", __name__, url_prefix="/admin")


@dataclass
class Catalogue:
    """A list of things an admin maintains with one simple form."""

    slug: str
    model: type[Any]
    form: type[FlaskForm]
    title: Any
    columns: list[tuple[Any, Callable[[Any], Any]]]
    order_by: Any
    prepare: Callable[[Any], None] = lambda form: None
    apply: Callable[[Any, Any], None] = lambda form, obj: form.populate_obj(obj)
    load: Callable[[Any, Any], None] = field(default=lambda form, obj: form.process(obj=obj))
    # Checks that need the stored item (None when adding); it sets errors and says False.
    check: Callable[[Any, Any], bool] = lambda form, obj: True
    # The order of the list where the database cannot give it (names shown in the reader's
    # language); by default the order of order_by.
    arrange: Callable[[Sequence[Any]], Sequence[Any]] = lambda items: items


# Choices where the first option (0, or "" for text) stands for "none" or "all": stored as None.
NONE_CHOICES = ("municipality_id", "channel_id", "theme_id", "activity_kind")


def _apply_choices(form: Any, obj: Any) -> None:
    form.populate_obj(obj)
    for name in NONE_CHOICES:
        if name in form:
            setattr(obj, name, form[name].data or None)


def _load_choices(form: Any, obj: Any) -> None:
    form.process(obj=obj)
    for name in NONE_CHOICES:
        if name in form:
            form[name].data = getattr(obj, name) or ("" if name == "activity_kind" else 0)


def _municipality_choices(form: Any, everyone: str | None = None) -> None:
    municipalities = db.session.scalars(select(Municipality).order_by(Municipality.name))
    form.municipality_id.choices = options(
        [(0, everyone or _("Alle gemeenten"))] + [(m.id, m.name) for m in municipalities]
    )


def _shared_choices(form: Any) -> None:
    """A partner or an offer without a municipality of its own is shared by every
    municipality of the installation: their toeleiders all lead people to it."""
    _municipality_choices(form, _("Gedeeld door alle gemeenten"))


def _shared_or_own(item: Service | Programme) -> str:
    return item.municipality.name if item.municipality else _("gedeeld door alle gemeenten")


def _channel_choices() -> list[Any]:
    channels = db.session.scalars(select(Channel).order_by(Channel.name))
    return options([(0, _("Geen"))]) + dutch_options((c.id, c.name) for c in channels)


def _service_form_choices(form: ServiceForm) -> None:
    _shared_choices(form)
    form.channel_id.choices = _channel_choices()


def _kpi_form_choices(form: KpiForm) -> None:
    _municipality_choices(form)
    themes = db.session.scalars(select(Theme).order_by(Theme.position, Theme.name))
    form.theme_id.choices = options([(0, _("alle thema's"))]) + dutch_options(
        (t.id, t.name) for t in themes
    )
    services = db.session.scalars(select(Service).order_by(Service.name, Service.id))
    form.sources.choices = dutch_options((s.id, _service_label(s)) for s in services)
    programmes = db.session.scalars(select(Programme).order_by(Programme.name))
    form.programme_id.choices = options([(0, _("alle programma's"))]) + dutch_options(
        (p.id, str(p)) for p in programmes
    )
    channels = db.session.scalars(select(Channel).order_by(Channel.name))
    form.channels.choices = dutch_options((c.id, c.name) for c in channels)
    # The recent years and the next, and every year that has a target of its own.
    this_year = clock.today().year
    years = set(range(this_year - 6, this_year + 2)) | set(
        db.session.scalars(select(KpiTarget.start_year).distinct())
    )
    form.target_year.choices = options((y, f"{y}-{y + 1}") for y in sorted(years))
    if not form.is_submitted():
        form.target_year.data = project_year(form.start_month.data or 1, clock.today()).start.year


def _kpi_limits(kpi: Kpi) -> Markup:
    """What a KPI is limited to, for the list: theme, kinds, programme, channels, sources;
    the names from the catalogues marked as Dutch, the kinds in the reader's language."""
    stored = [kpi.theme.name] if kpi.theme else []
    kinds = [str(ACTIVITY_KIND_LABELS[a]) for a in kpi.activity_kinds]
    stored_after = [kpi.programme.name] if kpi.programme else []
    stored_after += [c.name for c in kpi.channels] + [s.name for s in kpi.sources]
    parts = [dutch_text(n) for n in stored] + kinds + [dutch_text(n) for n in stored_after]
    return Markup(", ").join(parts)


def _current_target(kpi: Kpi) -> str:
    year = project_year(kpi.start_month, clock.today()).start.year
    return f"{kpi.target_for(year)} {UNIT_LABELS[kpi.unit]}"


def _service_label(service: Service) -> str:
    return f"{service.name} ({service.municipality.name})" if service.municipality else service.name


def _apply_kpi(form: KpiForm, kpi: Kpi) -> None:
    kpi.name = form.name.data or ""
    kpi.rule = KpiRule(form.rule.data)
    kpi.unit = KpiUnit(form.unit.data)
    kpi.channel_basis = ChannelBasis(form.channel_basis.data)
    kpi.theme_id = form.theme_id.data or None
    kpi.programme_id = form.programme_id.data or None
    kpi.municipality_id = form.municipality_id.data or None
    kpi.start_month = form.start_month.data
    kpi.active = form.active.data
    kpi.position = form.position.data or 0
    kpi.set_activity_kinds([ActivityKind(k) for k in form.activity_kinds.data or []])
    kpi.sources = list(
        db.session.scalars(select(Service).where(Service.id.in_(form.sources.data or [])))
    )
    kpi.channels = list(
        db.session.scalars(select(Channel).where(Channel.id.in_(form.channels.data or [])))
    )
    target = form.target.data or 0
    if kpi.id is None:
        kpi.target = target
    # Only the project year chosen: the targets of other years stay as they were.
    kpi.set_target(form.target_year.data, target)


def _load_kpi(form: KpiForm, kpi: Kpi) -> None:
    form.process(obj=kpi)
    for name in ("municipality_id", "theme_id", "programme_id"):
        form[name].data = getattr(kpi, name) or 0
    form.activity_kinds.data = [k.value for k in kpi.activity_kinds]
    form.sources.data = [s.id for s in kpi.sources]
    form.channels.data = [c.id for c in kpi.channels]
    year = (
        year_arg(request.args.get("year"))
        or project_year(kpi.start_month, clock.today()).start.year
    )
    form.target_year.data = year
    form.target.data = kpi.target_for(year)
    if kpi.targets:
        form.target.description = _(
            "Doelen per projectjaar: %(years)s.",
            years=", ".join(f"{t.start_year}-{t.start_year + 1}: {t.target}" for t in kpi.targets),
        )


def _check_service(form: ServiceForm, service: Service | None) -> bool:
    """One shared service or partner of a name: the database's unique name per municipality
    does not hold where there is no municipality (NULLs differ)."""
    if form.municipality_id.data:
        return True
    same = db.session.scalar(
        select(Service.id).where(
            Service.name == (form.name.data or ""),
            Service.municipality_id.is_(None),
            Service.id != (service.id if service is not None else -1),
        )
    )
    if same is not None:
        form.name.errors = [_("Er is al een gedeelde dienst of partner met deze naam.")]
    return same is None


def _check_programme(form: ProgrammeForm, programme: Programme | None) -> bool:
    if programme is None or form.capacity.data is None:
        return True
    refusal = capacity_refusal(db.session, programme, form.capacity.data)
    if refusal:
        form.capacity.errors = [refusal]
    return refusal is None


def _apply_programme(form: ProgrammeForm, programme: Programme) -> None:
    _apply_choices(form, programme)
    if programme.id is not None:
        # More places, or the programme active again: the first in line may now have one.
        offer_free_place(db.session, programme, current_user, clock.now())


def _programme_form_choices(form: ProgrammeForm) -> None:
    _shared_choices(form)
    partners = db.session.scalars(
        select(Service).where(Service.is_partner.is_(True)).order_by(Service.name)
    )
    form.partner_id.choices = options([(0, _("Kies een partner"))]) + dutch_options(
        (p.id, p.name) for p in partners
    )


def _language_label(code: str) -> str:
    """'Arabisch (ar)', or 'Arabic (ar)' for an admin who works in English."""
    return f"{language_name(code, language_catalogue().get(code, code))} ({code})"


def _apply_language(form: LanguageForm, language: Language) -> None:
    if language.code is None:
        language.code = _language_code_from(form.code.data or "")
        language.name = language_catalogue()[language.code]
    language.active = form.active.data


def _load_language(form: LanguageForm, language: Language) -> None:
    form.process(obj=language)
    form.code.data = _language_label(language.code)


def _language_code_from(text: str) -> str:
    """Accept 'Arabisch (ar)', 'ar', 'Arabisch' or the name in the admin's language ('Arabic');
    raise KeyError for anything else."""
    text = text.strip()
    if text.endswith(")") and "(" in text:
        text = text[text.rindex("(") + 1 : -1]
    catalogue = language_catalogue()
    if text in catalogue:
        return text
    by_name = {name.casefold(): code for code, name in catalogue.items()}
    by_name.update((language_name(code, name).casefold(), code) for code, name in catalogue.items())
    return by_name[text.casefold()]


CATALOGUES = {
    c.slug: c
    for c in [
        Catalogue(
            "municipalities",
            Municipality,
            MunicipalityForm,
            _l("Gemeenten"),
            [(_l("Naam"), lambda m: m.name), (_l("NIS-code"), lambda m: m.nis_code)],
            Municipality.name,
        ),
        Catalogue(
            "services",
            Service,
            ServiceForm,
            _l("Diensten en partners"),
            [
                (_l("Naam"), lambda s: dutch_text(s.name)),
                (_l("Soort"), lambda s: _("partner") if s.is_partner else _("dienst")),
                (_l("Gemeente"), _shared_or_own),
            ],
            (Service.is_partner, Service.name),
            prepare=_service_form_choices,
            apply=_apply_choices,
            load=_load_choices,
            check=_check_service,
        ),
        Catalogue(
            "languages",
            Language,
            LanguageForm,
            _l("Talen"),
            [
                (_l("Taal"), language_label),
                (_l("Code"), lambda lang: lang.code),
            ],
            Language.name,
            apply=_apply_language,
            load=_load_language,
            arrange=in_name_order,
        ),
        Catalogue(
            "needs",
            NeedCategory,
            NeedCategoryForm,
            _l("Soorten vragen en noden"),
            [(_l("Naam"), lambda c: dutch_text(c.name))],
            NeedCategory.name,
        ),
        Catalogue(
            "parameters",
            MonitoringParameter,
            MonitoringParameterForm,
            _l("Monitoringsvragen"),
            [
                (_l("Vraag"), lambda p: dutch_text(p.question)),
                (_l("Soort"), lambda p: PARAMETER_KIND_LABELS[ParameterKind(p.kind)]),
                (_l("Gemeente"), lambda p: p.municipality.name if p.municipality else _("alle")),
            ],
            (MonitoringParameter.position, MonitoringParameter.id),
            prepare=_municipality_choices,
            apply=_apply_choices,
            load=_load_choices,
        ),
        Catalogue(
            "themes",
            Theme,
            ThemeForm,
            _l("Thema's"),
            [
                (_l("Naam"), lambda t: dutch_text(t.name)),
                (_l("Volgorde"), lambda t: t.position),
                (
                    _l("Telt als Nederlands leren"),
                    lambda t: _("ja") if t.is_dutch_learning else _("nee"),
                ),
            ],
            (Theme.position, Theme.name),
        ),
        Catalogue(
            "channels",
            Channel,
            ChannelForm,
            _l("Kanalen (teams en partners voor de KPI's)"),
            [(_l("Naam"), lambda c: dutch_text(c.name))],
            Channel.name,
        ),
        Catalogue(
            "kpis",
            Kpi,
            KpiForm,
            _l("KPI's"),
            [
                (_l("Naam"), lambda k: dutch_text(k.name)),
                (_l("Doel dit projectjaar"), _current_target),
                (_l("Telregel"), lambda k: RULE_LABELS[k.rule]),
                (_l("Kanaal"), lambda k: CHANNEL_BASIS_LABELS[k.channel_basis]),
                (_l("Beperking"), _kpi_limits),
                (_l("Gemeente"), lambda k: k.municipality.name if k.municipality else _("alle")),
            ],
            (Kpi.position, Kpi.name),
            prepare=_kpi_form_choices,
            apply=_apply_kpi,
            load=_load_kpi,
        ),
        Catalogue(
            "programmes",
            Programme,
            ProgrammeForm,
            _l("Programma's met plaatsen"),
            [
                (_l("Naam"), lambda p: dutch_text(p.name)),
                (_l("Partner"), lambda p: dutch_text(p.partner.name)),
                (_l("Plaatsen"), lambda p: p.capacity),
                (_l("Gemeente"), _shared_or_own),
            ],
            Programme.name,
            prepare=_programme_form_choices,
            apply=_apply_programme,
            load=_load_choices,
            check=_check_programme,
        ),
    ]
}


def _catalogue(slug: str) -> Catalogue:
    if slug not in CATALOGUES:
        abort(404)
    return CATALOGUES[slug]


@bp.get("/")
@requires(Permission.ADMINISTER)
def index() -> Any:
    """The admin's start page."""
    municipalities = db.session.scalars(select(Municipality).order_by(Municipality.name))
    return render_template(
        "admin/index.html", catalogues=CATALOGUES.values(), municipalities=municipalities
    )


@bp.get("/c/<slug>/")
@requires(Permission.ADMINISTER)
def catalogue_list(slug: str) -> Any:
    """Everything in one catalogue."""
    cat = _catalogue(slug)
    order = cat.order_by if isinstance(cat.order_by, tuple) else (cat.order_by,)
    items = cat.arrange(db.session.scalars(select(cat.model).order_by(*order)).all())
    return render_template(
        "admin/catalogue_list.html",
        cat=cat,
        items=items,
        key=lambda obj: db.inspect(obj).identity[0],
    )


@bp.route("/c/<slug>/new", methods=["GET", "POST"], defaults={"key": None})
@bp.route("/c/<slug>/<key>", methods=["GET", "POST"])
@requires(Permission.ADMINISTER)
def catalogue_edit(slug: str, key: str | None) -> Any:
    """Add an item to a catalogue, or change one."""
    cat = _catalogue(slug)
    obj = None
    if key is not None:
        pk: Any = key if cat.model is Language else record_id(key)
        if pk is None:
            abort(404)
        obj = db.session.get(cat.model, pk)
        if obj is None:
            abort(404)
    form = cat.form(formdata=None) if request.method == "GET" else cat.form()
    cat.prepare(form)
    if request.method == "GET":
        if obj is not None:
            cat.load(form, obj)
        return _render_catalogue_form(cat, form, obj)
    if not form.validate() or not cat.check(form, obj):
        return _render_catalogue_form(cat, form, obj, 422)
    target = obj if obj is not None else cat.model()
    before = _row_snapshot(obj) if obj is not None else {}
    if cat.model is Language and obj is None:
        try:
            _language_code_from(form.code.data or "")
        except KeyError:
            form.code.errors = [_("Onbekende taal. Kies een taal uit de lijst.")]
            return _render_catalogue_form(cat, form, obj, 422)
    cat.apply(form, target)
    if obj is None:
        db.session.add(target)
    try:
        db.session.flush()
        _log(
            "catalogue.create" if obj is None else "catalogue.update",
            slug,
            db.inspect(target).identity[0],
            str(target),
            changes_between(before, _row_snapshot(target)),
        )
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        form.form_errors.append(_("Dit bestaat al. Kies een andere naam of code."))
        return _render_catalogue_form(cat, form, obj, 422)
    flash(_("Bewaard."))
    return redirect(url_for("admin.catalogue_list", slug=slug), code=303)


def _row_snapshot(obj: Any) -> dict[str, Any]:
    """A catalogue item's stored columns, for the admin log; for a KPI also its targets per
    project year and its limits, which live in tables of their own."""
    snapshot = {c.key: getattr(obj, c.key) for c in db.inspect(type(obj)).column_attrs}
    if isinstance(obj, Kpi):
        snapshot.update(
            targets=", ".join(f"{t.start_year}: {t.target}" for t in obj.targets),
            activity_kinds=", ".join(obj.activity_kinds),
            sources=", ".join(sorted(s.name for s in obj.sources)),
            channels=", ".join(sorted(c.name for c in obj.channels)),
        )
    return snapshot


def _render_catalogue_form(cat: Catalogue, form: FlaskForm, obj: Any, status: int = 200) -> Any:
    all_languages = by_shown_name(language_catalogue().items())
    return (
        render_template(
            "admin/catalogue_form.html",
            cat=cat,
            form=form,
            obj=obj,
            focus=first_error(form),
            language_options=[_language_label(code) for code, _name in all_languages]
            if cat.model is Language
            else [],
        ),
        status,
    )


# Users ----------------------------------------------------------------------------------


def _prepare_user_form(form: UserForm) -> UserForm:
    form.municipalities.choices = options(
        (m.id, m.name) for m in db.session.scalars(select(Municipality).order_by(Municipality.name))
    )
    # The municipality's services, then the partner organisations a partner account refers for.
    services = db.session.scalars(
        select(Service)
        .options(joinedload(Service.municipality))
        .order_by(Service.is_partner, Service.name)
    )
    form.service.choices = options(
        [(0, _("Geen"))]
        + [
            (
                s.id,
                _("%(name)s (partner)", name=service_label(s))
                if s.is_partner
                else service_label(s),
            )
            for s in services
        ]
    )
    form.channel.choices = _channel_choices()
    form.languages.choices = options(
        by_shown_name(
            db.session.execute(
                select(Language.code, Language.name).where(Language.active.is_(True))
            )
        )
    )
    return form


@bp.get("/users/")
@requires(Permission.ADMINISTER)
def users() -> Any:
    """All accounts, active ones first."""
    return _users_page()


def _users_page(status: int = 200, conflict: str | None = None) -> Any:
    people = db.session.scalars(select(User).order_by(User.active.desc(), User.full_name)).all()
    page = render_template("admin/users.html", people=people, toggle=CsrfForm(), conflict=conflict)
    return page, status


def _user_snapshot(user: User) -> dict[str, Any]:
    """An account as the admin log records it: what an admin can change."""
    return {
        "email": user.email,
        "full_name": user.full_name,
        "roles": ", ".join(sorted(r.value for r in user.roles)),
        # Sorted: the order the lists were loaded or assigned in is no change.
        "municipalities": ", ".join(sorted(m.name for m in user.municipalities)),
        "languages": ", ".join(sorted(lang.code for lang in user.languages)),
        "service": user.service.name if user.service else None,
        "channel": user.channel.name if user.channel else None,
        "active": user.active,
    }


def _log(
    action: str, kind: str, target: Any, label: str | None, changes: list[Change] | None = None
) -> None:
    log_admin_action(
        db.session,
        actor=current_user,
        action=action,
        target_kind=kind,
        target_id=target,
        target_label=label,
        changes=changes or [],
        at=clock.now(),
        address=request.remote_addr,
    )


def _refused(form: UserForm, error: AccountError) -> None:
    target = form[error.field] if error.field and error.field in form else None
    if target is not None:
        target.errors = [error.message]
    else:
        form.form_errors.append(error.message)


@bp.route("/users/new", methods=["GET", "POST"])
@requires(Permission.ADMINISTER)
def user_new() -> Any:
    """Create an account."""
    form = _prepare_user_form(
        NewUserForm(formdata=None) if request.method == "GET" else NewUserForm()
    )
    if request.method == "POST" and form.validate():
        try:
            user = create_user(
                db.session,
                email=form.email.data or "",
                full_name=form.full_name.data or "",
                password=form.password.data or "",
                roles=form.roles.data or [],
                municipality_ids=form.municipalities.data or [],
                service_id=form.service.data or None,
                language_codes=form.languages.data or [],
                channel_id=form.channel.data or None,
            )
        except AccountError as error:
            _refused(form, error)
        else:
            # The admin chose this start password: it opens the account once.
            user.must_change_password = True
            db.session.flush()
            _log(
                "user.create",
                "user",
                user.id,
                user.full_name,
                changes_between({}, _user_snapshot(user)),
            )
            db.session.commit()
            flash(_("Gebruiker aangemaakt."))
            return redirect(url_for("admin.users"), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("admin/user_form.html", form=form, person=None), status


def _handover_choices(form: UserForm, person: User, removed: list[int]) -> None:
    colleagues = [u for u in toeleiders_of(db.session, removed) if u.id != person.id]
    form.handover.choices = options(
        [("", _("Kies wat er met deze dossiers gebeurt")), ("queue", _("Terug naar de wachtrij"))]
        + [(str(u.id), _("Overdragen aan %(name)s", name=u.full_name)) for u in colleagues]
    )


def _apply_user_form(form: UserForm, person: User) -> None:
    if email_taken(db.session, form.email.data or "", except_id=person.id):
        raise AccountError(_("Er is al een gebruiker met dit e-mailadres."), field="email")
    check_partner(db.session, form.roles.data or [], form.service.data or None)
    update_user(
        db.session,
        person,
        roles=form.roles.data or [],
        municipality_ids=form.municipalities.data or [],
        language_codes=form.languages.data or [],
        actor=current_user,
    )
    person.email = (form.email.data or "").strip().casefold()
    person.full_name = (form.full_name.data or "").strip()
    person.service_id = form.service.data or None
    person.channel_id = form.channel.data or None
    try:
        db.session.flush()
    except IntegrityError as error:
        # A colleague gave this address to someone else after the check above had read:
        # the unique index decides, and this admin is told as by the check.
        raise AccountError(
            _("Er is al een gebruiker met dit e-mailadres."), field="email"
        ) from error


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@requires(Permission.ADMINISTER)
def user_edit(user_id: int) -> Any:
    """Change an account's roles, municipalities, service and languages."""
    person = db.session.get(User, user_id) or abort(404)
    is_self = person.id == current_user.id
    if request.method == "GET":
        form = _prepare_user_form(UserForm(formdata=None, obj=person))
        form.roles.data = sorted(r.value for r in person.roles)
        form.municipalities.data = [m.id for m in person.municipalities]
        form.languages.data = [lang.code for lang in person.languages]
        form.service.data = person.service_id or 0
        form.channel.data = person.channel_id or 0
        form.version.data = str(person.version)
        _handover_choices(form, person, [])
        return render_template("admin/user_form.html", form=form, person=person, is_self=is_self)
    form = _prepare_user_form(UserForm())
    conflict = form.version.data != str(person.version)
    removed = sorted({m.id for m in person.municipalities} - set(form.municipalities.data or []))
    _handover_choices(form, person, removed)
    held = holdings(db.session, person, removed, clock.now())
    if form.validate() and not conflict:
        before = _user_snapshot(person)
        try:
            begin_account_change(db.session, person, form.version.data)
            if held:
                choice = form.handover.data or ""
                if not choice:
                    raise AccountError(
                        _("Kies wat er gebeurt met de dossiers en afspraken in deze gemeente."),
                        field="handover",
                    )
                to = None if choice == "queue" else db.session.get(User, record_id(choice) or 0)
                if choice != "queue" and to is None:
                    raise AccountError(_("Kies een toeleider uit de lijst."), field="handover")
                handed = hand_over(
                    db.session, held=held, leaving=person, to=to, actor=current_user, at=clock.now()
                )
            _apply_user_form(form, person)
        except AccountChanged:
            # A colleague saved first: show what they saved, keep what this admin typed.
            db.session.rollback()
            conflict = True
        except (AccountError, TransitionRefused) as error:
            db.session.rollback()
            if isinstance(error, TransitionRefused):
                error = AccountError(error.message, field="handover")
            _refused(form, error)
        else:
            changes = changes_between(before, _user_snapshot(person))
            if changes:
                _log("user.update", "user", person.id, person.full_name, changes)
            db.session.commit()
            if held:
                flash(_handover_message(handed))
            flash(_("Bewaard."))
            return redirect(url_for("admin.users"), code=303)
    return render_template(
        "admin/user_form.html",
        form=form,
        person=person,
        conflict=AccountChanged().message if conflict else None,
        held=held,
        held_text=_held_text(person, held) if held else None,
        is_self=is_self,
    ), 409 if conflict else 422


def _held_text(person: User, held: Holdings) -> str:
    files = ngettext("%(num)d open dossier", "%(num)d open dossiers", len(held.referrals))
    appointments = ngettext(
        "%(num)d geplande afspraak", "%(num)d geplande afspraken", len(held.appointments)
    )
    return _(
        "%(name)s heeft %(files)s en %(appointments)s in de gemeenten die u weghaalt.",
        name=person.full_name,
        files=files,
        appointments=appointments,
    )


def _handover_message(handed: HandoverResult) -> str:
    parts = []
    if handed.returned:
        parts.append(
            ngettext(
                "%(num)d dossier terug naar de wachtrij",
                "%(num)d dossiers terug naar de wachtrij",
                handed.returned,
            )
        )
    if handed.handed_over:
        parts.append(
            ngettext(
                "%(num)d dossier overgedragen", "%(num)d dossiers overgedragen", handed.handed_over
            )
        )
    if handed.appointments_moved:
        parts.append(
            ngettext(
                "%(num)d afspraak overgedragen",
                "%(num)d afspraken overgedragen",
                handed.appointments_moved,
            )
        )
    if handed.appointments_cancelled:
        parts.append(
            ngettext(
                "%(num)d afspraak geannuleerd",
                "%(num)d afspraken geannuleerd",
                handed.appointments_cancelled,
            )
        )
    return ", ".join(parts) + "."


@bp.post("/users/<int:user_id>/active")
@requires(Permission.ADMINISTER)
def user_toggle_active(user_id: int) -> Any:
    """Deactivate an account (it can no longer log in), or activate it again."""
    person = db.session.get(User, user_id) or abort(404)
    if person.id == current_user.id:
        flash(_("U kunt uw eigen account niet deactiveren."))
        return redirect(url_for("admin.users"), code=303)
    if CsrfForm().validate():
        try:
            # The button says what it will do (deactivate or activate): only for the account
            # as the page showed it, or a stale page would undo what a colleague just did.
            begin_account_change(db.session, person, request.form.get("version"))
        except AccountChanged:
            db.session.rollback()
            return _users_page(
                409,
                _(
                    "Iemand anders wijzigde deze gebruiker intussen. Er is niets gewijzigd: "
                    "hieronder staat hoe de gebruiker nu bewaard is."
                ),
            )
        person.active = not person.active
        if not person.active:
            # A deactivated account's open logins end now, and stay ended if it comes back.
            end_all_logins(db.session, user_id=person.id, at=clock.now())
        _log(
            "user.activate" if person.active else "user.deactivate",
            "user",
            person.id,
            person.full_name,
            [("active", not person.active, person.active)],
        )
        db.session.commit()
        flash(_("Gebruiker geactiveerd.") if person.active else _("Gebruiker gedeactiveerd."))
    return redirect(url_for("admin.users"), code=303)


@bp.route("/users/<int:user_id>/password", methods=["GET", "POST"])
@requires(Permission.ADMINISTER)
def user_password(user_id: int) -> Any:
    """Set a new password for someone who forgot theirs."""
    person = db.session.get(User, user_id) or abort(404)
    if person.id == current_user.id:
        flash(_("Uw eigen wachtwoord wijzigt u via uw eigen account, niet hier."))
        return redirect(url_for("admin.users"), code=303)
    form = PasswordResetForm(formdata=None) if request.method == "GET" else PasswordResetForm()
    form.rules_email = person.email
    if request.method == "POST" and form.validate():
        person.password_hash = hash_password(form.password.data or "")
        # The admin knows this password: it opens the account once, to choose a new one.
        person.must_change_password = True
        end_all_logins(db.session, user_id=person.id, at=clock.now())
        # The value itself is never logged, only that it changed.
        _log("user.password", "user", person.id, person.full_name)
        db.session.commit()
        flash(
            _(
                "Nieuw wachtwoord ingesteld voor %(name)s. Bij de volgende aanmelding kiest "
                "die zelf een nieuw; alle open sessies zijn afgemeld.",
                name=person.full_name,
            )
        )
        return redirect(url_for("admin.users"), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("admin/password_form.html", form=form, person=person), status


@bp.post("/users/<int:user_id>/sessions")
@requires(Permission.ADMINISTER)
def user_end_logins(user_id: int) -> Any:
    """Log a user out on every device (a lost laptop, a shared PC left logged in)."""
    person = db.session.get(User, user_id) or abort(404)
    if CsrfForm().validate():
        ended = end_all_logins(db.session, user_id=person.id, at=clock.now())
        _log("user.sessions_revoked", "user", person.id, person.full_name)
        db.session.commit()
        flash(
            ngettext(
                "%(num)d sessie afgemeld voor %(name)s.",
                "%(num)d sessies afgemeld voor %(name)s.",
                ended,
                name=person.full_name,
            )
        )
    return redirect(url_for("admin.user_edit", user_id=person.id), code=303)


@bp.post("/users/<int:user_id>/second-factor")
@requires(Permission.ADMINISTER)
def user_reset_second_factor(user_id: int) -> Any:
    """Turn off a user's second factor when their phone is lost; they set it up again."""
    person = db.session.get(User, user_id) or abort(404)
    if person.id == current_user.id:
        flash(_("Uw eigen tweede stap beheert u via uw eigen account, niet hier."))
    elif CsrfForm().validate() and person.totp_secret:
        second_factor.disable(db.session, person)
        end_all_logins(db.session, user_id=person.id, at=clock.now())
        _log("user.totp_reset", "user", person.id, person.full_name)
        db.session.commit()
        flash(_("Tweede stap uitgeschakeld voor %(name)s.", name=person.full_name))
    return redirect(url_for("admin.user_edit", user_id=person.id), code=303)


@bp.route("/privacy-notice", methods=["GET", "POST"])
@requires(Permission.ADMINISTER)
def privacy_notice() -> Any:
    """The privacy notice every slip carries: who processes the data, why, and the rights."""
    current = get_text(db.session, "privacy_notice")
    form = (
        PrivacyNoticeForm(formdata=None, data={"privacy_notice": current})
        if request.method == "GET"
        else PrivacyNoticeForm()
    )
    if request.method == "POST" and form.validate():
        text = (form.privacy_notice.data or "").strip()
        set_text(db.session, "privacy_notice", text)
        _log(
            "settings.update",
            "settings",
            "privacy_notice",
            _("Privacyverklaring"),
            changes_between({"privacy_notice": current}, {"privacy_notice": text}),
        )
        db.session.commit()
        flash(_("Privacyverklaring bewaard."))
        return redirect(url_for("admin.index"), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("admin/privacy_notice.html", form=form), status


@bp.route("/settings", methods=["GET", "POST"])
@requires(Permission.ADMINISTER)
def settings() -> Any:
    """The queue's indicator weights and the letter threshold."""
    if request.method == "GET":
        form = SettingsForm(formdata=None, data={k: get_int(db.session, k) for k in DEFAULTS})
        return render_template("admin/settings.html", form=form, labels=SETTING_LABELS)
    form = SettingsForm()
    if not form.validate():
        return render_template("admin/settings.html", form=form, labels=SETTING_LABELS), 422
    before = {k: get_int(db.session, k) for k in DEFAULTS}
    for key in DEFAULTS:
        set_int(db.session, key, form[key].data)
    _log(
        "settings.update",
        "settings",
        None,
        _("Instellingen"),
        changes_between(before, {k: form[k].data for k in DEFAULTS}),
    )
    reprioritise_queue(db.session)
    db.session.commit()
    flash(_("Instellingen bewaard. De wachtrij volgt de nieuwe gewichten."))
    return redirect(url_for("admin.settings"), code=303)
