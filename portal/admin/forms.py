"""Admin forms: users and the catalogues."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget, html_params

from ..auth.forms import PasswordRules
from ..calendar_names import MONTH_NAMES
from ..desk.forms import WholeNumberField
from ..formtools import options
from ..labels import (
    ACTIVITY_KIND_LABELS,
    CHANNEL_BASIS_LABELS,
    PARAMETER_KIND_LABELS,
    ROLE_LABELS,
    RULE_LABELS,
    UNIT_LABELS,
)
from ..models import ChannelBasis, KpiRule, KpiUnit
from ..reports.kpis import UNITS_FOR_RULE


class _CheckboxList(ListWidget):
    """Each box and its label in an item; a choice's language (a catalogue name, Dutch on a
    page in another language: portal.formtools.dutch_options) on its item."""

    def __call__(self, field: Any, **kwargs: Any) -> Markup:
        kwargs.setdefault("id", field.id)
        html = [f"<ul {html_params(**kwargs)}>"]
        for option in field:
            lang = (option.choice.render_kw or {}).get("lang")
            item = f"<li {html_params(lang=lang)}>" if lang else "<li>"
            html.append(f"{item}{option()} {option.label}</li>")
        html.append("</ul>")
        # As WTForms' own ListWidget: html_params escapes, the option and label are Markup.
        return Markup("".join(html))  # noqa: S704


class CheckboxesField(SelectMultipleField):
    widget = _CheckboxList(prefix_label=False)
    option_widget = CheckboxInput()


PASSWORD_RULE = PasswordRules()


class UserForm(FlaskForm):
    email = StringField(
        _l("E-mailadres"),
        validators=[
            InputRequired(_l("Vul een e-mailadres in.")),
            Length(max=254),
            Email(_l("Dit is geen geldig e-mailadres."), check_deliverability=False),
        ],
    )
    full_name = StringField(
        _l("Naam"), validators=[InputRequired(_l("Vul een naam in.")), Length(max=160)]
    )
    roles = CheckboxesField(
        _l("Rollen"),
        choices=options((r.value, label) for r, label in ROLE_LABELS.items()),
        validators=[InputRequired(_l("Kies minstens één rol."))],
    )
    municipalities = CheckboxesField(_l("Gemeenten"), coerce=int)
    service = SelectField(_l("Dienst"), coerce=int)
    # Optional: older clients and scripts that do not send it keep working.
    channel = SelectField(_l("Team (kanaal voor de KPI's)"), coerce=int, validators=[Optional()])
    languages = CheckboxesField(_l("Talen die de persoon spreekt"))
    # Asked only when a municipality is taken off someone who holds files there.
    handover = SelectField(
        _l("Wat gebeurt er met hun dossiers en afspraken daar?"),
        choices=options([("", "")]),
        validators=[Optional()],
    )
    version = HiddenField()


class NewUserForm(UserForm):
    password = PasswordField(
        _l("Startwachtwoord"),
        validators=[InputRequired(_l("Vul een wachtwoord in.")), PASSWORD_RULE],
    )


class PasswordResetForm(FlaskForm):
    password = PasswordField(
        _l("Nieuw wachtwoord"),
        validators=[InputRequired(_l("Vul een wachtwoord in.")), PASSWORD_RULE],
    )


class MunicipalityForm(FlaskForm):
    name = StringField(
        _l("Naam"), validators=[InputRequired(_l("Vul een naam in.")), Length(max=120)]
    )
    nis_code = StringField(
        _l("NIS-code"),
        validators=[
            InputRequired(_l("Vul de NIS-code in.")),
            Regexp(r"^\d{5}$", message=_l("Een NIS-code telt vijf cijfers.")),
        ],
    )
    active = BooleanField(_l("Actief"), default=True)


class ServiceForm(FlaskForm):
    name = StringField(
        _l("Naam"), validators=[InputRequired(_l("Vul een naam in.")), Length(max=160)]
    )
    is_partner = BooleanField(_l("Partnerorganisatie (geen dienst van de gemeente)"))
    municipality_id = SelectField(
        _l("Gemeente"),
        coerce=int,
        description=_l(
            "Gedeeld door alle gemeenten: de toeleiders en loketten van elke gemeente kunnen "
            "ernaar toeleiden of er doorverwijzingen van registreren."
        ),
    )
    channel_id = SelectField(
        _l("Kanaal voor de KPI's (voor een partner)"), coerce=int, validators=[Optional()]
    )
    active = BooleanField(_l("Actief"), default=True)


class ThemeForm(FlaskForm):
    name = StringField(
        _l("Naam"), validators=[InputRequired(_l("Vul een naam in.")), Length(max=120)]
    )
    position = WholeNumberField(
        _l("Volgorde"), default=0, validators=[Optional(), NumberRange(0, 1000)]
    )
    is_dutch_learning = BooleanField(
        _l("Toeleidingen in dit thema tellen als 'naar Nederlands leren of oefenen'")
    )
    active = BooleanField(_l("Actief"), default=True)


class ChannelForm(FlaskForm):
    name = StringField(
        _l("Naam"), validators=[InputRequired(_l("Vul een naam in.")), Length(max=120)]
    )
    active = BooleanField(_l("Actief"), default=True)


def _year_or_none(value: object) -> int | None:
    """A posted year; anything else None, which the form's own check refuses in Dutch."""
    try:
        return int(str(value))
    except ValueError:
        return None


PARTNER_RULES = (KpiRule.LED_TO_PARTNER, KpiRule.ARRIVED_AT_PARTNER)


class KpiForm(FlaskForm):
    name = StringField(
        _l("Naam"), validators=[InputRequired(_l("Vul een naam in.")), Length(max=160)]
    )
    target = WholeNumberField(
        _l("Doel"),
        validators=[
            InputRequired(_l("Vul het doel in als getal.")),
            NumberRange(1, 1_000_000, _l("Tussen %(min)s en %(max)s.")),
        ],
    )
    target_year = SelectField(
        _l("Doel voor het projectjaar dat begint in"), coerce=_year_or_none, validate_choice=False
    )
    rule = SelectField(
        _l("Telregel"), choices=options((r.value, label) for r, label in RULE_LABELS.items())
    )
    unit = SelectField(
        _l("Eenheid"), choices=options((u.value, label) for u, label in UNIT_LABELS.items())
    )
    channel_basis = SelectField(
        _l("Kanaal in de opsplitsing"),
        choices=options((b.value, label) for b, label in CHANNEL_BASIS_LABELS.items()),
        default=ChannelBasis.REFERRER.value,
    )
    theme_id = SelectField(_l("Thema (voor toeleidingen)"), coerce=int)
    activity_kinds = CheckboxesField(
        _l("Soorten activiteit (voor groepswerk; geen: alle soorten)"),
        choices=options((k.value, v) for k, v in ACTIVITY_KIND_LABELS.items()),
    )
    sources = CheckboxesField(_l("Alleen doorverwezen door (geen: iedereen)"), coerce=int)
    programme_id = SelectField(_l("Alleen wie in dit programma staat"), coerce=int)
    channels = CheckboxesField(_l("Alleen deze kanalen (geen: alle kanalen)"), coerce=int)
    start_month = SelectField(
        _l("Het projectjaar begint in"),
        coerce=int,
        choices=options((i + 1, name) for i, name in enumerate(MONTH_NAMES)),
        default=1,
    )
    municipality_id = SelectField(_l("Gemeente"), coerce=int)
    position = WholeNumberField(
        _l("Volgorde"), default=0, validators=[Optional(), NumberRange(0, 1000)]
    )
    active = BooleanField(_l("Actief"), default=True)

    def validate_unit(self, field: SelectField) -> None:
        # An unknown rule or unit already has its "not a valid choice" error.
        if self.rule.data not in set(KpiRule) or field.data not in set(KpiUnit):
            return
        rule = KpiRule(self.rule.data)
        if KpiUnit(field.data) not in UNITS_FOR_RULE[rule]:
            allowed = ", ".join(str(UNIT_LABELS[u]) for u in UNITS_FOR_RULE[rule])
            raise ValidationError(
                _l("Bij deze telregel kan de eenheid zijn: %(units)s.", units=allowed)
            )

    def validate_target_year(self, field: SelectField) -> None:
        if field.data not in {getattr(choice, "value", None) for choice in field.choices or []}:
            raise ValidationError(_l("Kies een projectjaar uit de lijst."))

    def validate_channel_basis(self, field: SelectField) -> None:
        if field.data == ChannelBasis.DESTINATION and self.rule.data not in PARTNER_RULES:
            raise ValidationError(
                _l("De partner waarnaar toegeleid werd, bestaat alleen bij toeleidingen.")
            )
        if field.data != ChannelBasis.REFERRER and self.rule.data == KpiRule.ACTIVITY:
            raise ValidationError(
                _l("Groepswerk telt onder het kanaal dat bij de activiteit geregistreerd werd.")
            )

    def validate_theme_id(self, field: SelectField) -> None:
        if field.data and self.rule.data not in PARTNER_RULES:
            raise ValidationError(_l("Een thema geldt alleen voor telregels over toeleidingen."))

    def validate_activity_kinds(self, field: CheckboxesField) -> None:
        if field.data and self.rule.data != KpiRule.ACTIVITY:
            raise ValidationError(_l("Een soort activiteit geldt alleen voor groepswerk."))

    def validate_sources(self, field: CheckboxesField) -> None:
        if field.data and self.rule.data == KpiRule.ACTIVITY:
            raise ValidationError(_l("Groepswerk telt deelnemers, geen dossiers van een bron."))

    def validate_programme_id(self, field: SelectField) -> None:
        if field.data and self.rule.data == KpiRule.ACTIVITY:
            raise ValidationError(_l("Groepswerk telt deelnemers, geen dossiers in een programma."))


class ProgrammeForm(FlaskForm):
    name = StringField(
        _l("Naam"), validators=[InputRequired(_l("Vul een naam in.")), Length(max=160)]
    )
    partner_id = SelectField(_l("Partner"), coerce=int)
    capacity = WholeNumberField(
        _l("Aantal plaatsen"),
        validators=[
            InputRequired(_l("Vul het aantal plaatsen in.")),
            NumberRange(1, 10_000, _l("Tussen %(min)s en %(max)s.")),
        ],
    )
    municipality_id = SelectField(
        _l("Gemeente"),
        coerce=int,
        description=_l(
            "Gedeeld door alle gemeenten: de toeleiders van elke gemeente kunnen er mensen "
            "voor inschrijven; de plaatsen en de wachtlijst zijn voor alle gemeenten samen."
        ),
    )
    active = BooleanField(_l("Actief"), default=True)

    def validate_partner_id(self, field: SelectField) -> None:
        if not field.data:
            raise ValidationError(_l("Kies een partner."))


class LanguageForm(FlaskForm):
    # Required when adding; a language's code never changes afterwards.
    code = StringField(_l("Taal"), validators=[Optional()])
    active = BooleanField(_l("Actief"), default=True)


class NeedCategoryForm(FlaskForm):
    name = StringField(
        _l("Naam"), validators=[InputRequired(_l("Vul een naam in.")), Length(max=120)]
    )
    active = BooleanField(_l("Actief"), default=True)


class MonitoringParameterForm(FlaskForm):
    question = StringField(
        _l("Vraag"), validators=[InputRequired(_l("Vul de vraag in.")), Length(max=200)]
    )
    kind = SelectField(
        _l("Soort antwoord"),
        choices=options([(k.value, label) for k, label in PARAMETER_KIND_LABELS.items()]),
    )
    choices_text = TextAreaField(
        _l("Keuzes (één per regel, voor soort 'keuze')"), validators=[Optional(), Length(max=2000)]
    )
    municipality_id = SelectField(_l("Gemeente"), coerce=int)
    position = WholeNumberField(
        _l("Volgorde"), default=0, validators=[Optional(), NumberRange(0, 1000)]
    )
    active = BooleanField(_l("Actief"), default=True)

    def validate_choices_text(self, field: TextAreaField) -> None:
        if (
            self.kind.data == "choice"
            and len([x for x in (field.data or "").splitlines() if x.strip()]) < 2
        ):
            raise ValidationError(_l("Geef minstens twee keuzes, één per regel."))


SETTING_LABELS = {
    "queue_weight_dutch_difficult_days": _l("Wachtrij: dagen voorrang als Nederlands moeilijk is"),
    "queue_weight_no_work_days": _l("Wachtrij: dagen voorrang zonder werk"),
    "queue_weight_children_days": _l("Wachtrij: dagen voorrang met kinderen"),
    "letter_after_unreached_attempts": _l("Uitnodigingsbrief na zoveel onbereikte pogingen"),
    "unclaimed_working_days": _l("Vandaag: niet opgenomen na zoveel werkdagen"),
    "retention_closed_months": _l("Bewaren: afgesloten dossiers anonimiseren na zoveel maanden"),
    "retention_unreached_months": _l(
        "Bewaren: nooit bereikte dossiers anonimiseren zoveel maanden na de registratie"
    ),
    "backdating_max_days": _l("Achteraf registreren: hoogstens zoveel dagen terug"),
    "session_idle_minutes": _l("Afmelden na zoveel minuten zonder activiteit"),
    "desk_reprint_days": _l("Loket: eigen registraties van zoveel dagen terugvinden"),
    "school_enrolment_days": _l(
        "Leerplicht: schoolinschrijving van een kind van een nieuwkomer binnen zoveel dagen"
    ),
}


def _setting_field(key: str, low: int, high: int) -> IntegerField:
    return IntegerField(
        SETTING_LABELS[key],
        validators=[
            InputRequired(_l("Vul een getal in.")),
            NumberRange(low, high, _l("Tussen %(min)s en %(max)s.")),
        ],
    )


class PrivacyNoticeForm(FlaskForm):
    privacy_notice = TextAreaField(
        _l("Privacyverklaring op het strookje"),
        validators=[Length(max=4000, message=_l("Hoogstens %(max)d tekens."))],
    )


class SettingsForm(FlaskForm):
    queue_weight_dutch_difficult_days = _setting_field("queue_weight_dutch_difficult_days", 0, 365)
    queue_weight_no_work_days = _setting_field("queue_weight_no_work_days", 0, 365)
    queue_weight_children_days = _setting_field("queue_weight_children_days", 0, 365)
    letter_after_unreached_attempts = _setting_field("letter_after_unreached_attempts", 1, 20)
    unclaimed_working_days = _setting_field("unclaimed_working_days", 1, 60)
    retention_closed_months = _setting_field("retention_closed_months", 1, 120)
    retention_unreached_months = _setting_field("retention_unreached_months", 1, 120)
    backdating_max_days = _setting_field("backdating_max_days", 0, 366)
    session_idle_minutes = _setting_field("session_idle_minutes", 5, 480)
    desk_reprint_days = _setting_field("desk_reprint_days", 1, 31)
    school_enrolment_days = _setting_field("school_enrolment_days", 1, 365)
