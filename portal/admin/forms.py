"""Admin forms: users and the catalogues."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
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
from wtforms.widgets import CheckboxInput, ListWidget

from ..auth.passwords import MIN_LENGTH
from ..formtools import options
from ..labels import ROLE_LABELS


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


PASSWORD_RULE = Length(
    min=MIN_LENGTH, max=200, message=_l("Een wachtwoord telt minstens %(min)d tekens.")
)


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
    languages = CheckboxesField(_l("Talen die de persoon spreekt"))
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


class ToggleForm(FlaskForm):
    """A bare POST with a CSRF token, for (de)activating."""


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
    municipality_id = SelectField(_l("Gemeente"), coerce=int)
    active = BooleanField(_l("Actief"), default=True)


class ThemeForm(FlaskForm):
    name = StringField(
        _l("Naam"), validators=[InputRequired(_l("Vul een naam in.")), Length(max=120)]
    )
    position = IntegerField(
        _l("Volgorde"), default=0, validators=[Optional(), NumberRange(0, 1000)]
    )
    active = BooleanField(_l("Actief"), default=True)


class LanguageForm(FlaskForm):
    # Required when adding; a language's code never changes afterwards.
    code = StringField(_l("Taal"), validators=[Optional()])
    active = BooleanField(_l("Actief"), default=True)
    next_steps_text = TextAreaField(
        _l("Tekst 'Wat gebeurt er nu?' in deze taal (voor strookjes en brieven)"),
        validators=[Optional(), Length(max=2000)],
    )


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
        choices=options(
            [
                ("yes_no", _l("ja/nee")),
                ("number", _l("getal")),
                ("choice", _l("keuze")),
                ("text", _l("tekst")),
            ]
        ),
    )
    choices_text = TextAreaField(
        _l("Keuzes (één per regel, voor soort 'keuze')"), validators=[Optional(), Length(max=2000)]
    )
    municipality_id = SelectField(_l("Gemeente"), coerce=int)
    position = IntegerField(
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
}


def _setting_field(key: str, low: int, high: int) -> IntegerField:
    return IntegerField(
        SETTING_LABELS[key],
        validators=[
            InputRequired(_l("Vul een getal in.")),
            NumberRange(low, high, _l("Tussen %(min)s en %(max)s.")),
        ],
    )


class SettingsForm(FlaskForm):
    queue_weight_dutch_difficult_days = _setting_field("queue_weight_dutch_difficult_days", 0, 365)
    queue_weight_no_work_days = _setting_field("queue_weight_no_work_days", 0, 365)
    queue_weight_children_days = _setting_field("queue_weight_children_days", 0, 365)
    letter_after_unreached_attempts = _setting_field("letter_after_unreached_attempts", 1, 20)
    unclaimed_working_days = _setting_field("unclaimed_working_days", 1, 60)
