from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, RadioField, StringField
from wtforms.validators import InputRequired, Length, ValidationError

from ..formtools import options
from ..i18n import CHOICES as LOCALE_CHOICES
from ..labels import MAIL_PREFERENCE_LABELS
from .passwords import password_problem


class PasswordRules:
    """A new password: long enough, not a known one, without the account's e-mail.

    The e-mail is the form's own `email` field, or the form's `rules_email` attribute when
    the form is about an existing account.
    """

    def __call__(self, form: Any, field: Any) -> None:
        email = getattr(form, "rules_email", None)
        if email is None and "email" in form:
            email = form["email"].data
        if len(field.data or "") > 200:
            raise ValidationError(_l("Hoogstens 200 tekens."))
        problem = password_problem(field.data or "", email)
        if problem:
            raise ValidationError(problem)


class LoginForm(FlaskForm):
    email = StringField(
        _l("E-mailadres"),
        validators=[InputRequired(_l("Vul uw e-mailadres in.")), Length(max=254)],
    )
    password = PasswordField(
        _l("Wachtwoord"),
        validators=[InputRequired(_l("Vul uw wachtwoord in.")), Length(max=500)],
    )
    next = HiddenField()
    resume = HiddenField()


class SecondFactorForm(FlaskForm):
    code = StringField(
        _l("Code"),
        validators=[InputRequired(_l("Vul de code in.")), Length(max=40)],
    )
    next = HiddenField()
    resume = HiddenField()


class LogoutForm(FlaskForm):
    pass


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(
        _l("Huidig wachtwoord"),
        validators=[InputRequired(_l("Vul uw huidige wachtwoord in.")), Length(max=500)],
    )
    new_password = PasswordField(
        _l("Nieuw wachtwoord"),
        validators=[InputRequired(_l("Vul een nieuw wachtwoord in.")), PasswordRules()],
    )
    confirm = PasswordField(
        _l("Nieuw wachtwoord nog eens"),
        validators=[InputRequired(_l("Vul het nieuwe wachtwoord nog eens in."))],
    )

    def validate_confirm(self, field: Any) -> None:
        if field.data != self.new_password.data:
            raise ValidationError(_l("De twee nieuwe wachtwoorden verschillen."))


class EnrolSecondFactorForm(FlaskForm):
    code = StringField(
        _l("Code uit de app"),
        validators=[InputRequired(_l("Vul de code uit de app in.")), Length(max=10)],
    )


class DisableSecondFactorForm(FlaskForm):
    password = PasswordField(
        _l("Wachtwoord"),
        validators=[InputRequired(_l("Vul uw wachtwoord in.")), Length(max=500)],
    )


class InterfaceLanguageForm(FlaskForm):
    # In both languages: whoever picked the wrong one can still find the way back.
    locale = RadioField(
        _l("Taal van het portaal / Portal language"),
        choices=options(LOCALE_CHOICES),
        validators=[InputRequired(_l("Kies een taal."))],
    )


class MailPreferenceForm(FlaskForm):
    preference = RadioField(
        _l("Meldingen per e-mail"),
        choices=options((value.value, label) for value, label in MAIL_PREFERENCE_LABELS.items()),
        validators=[InputRequired(_l("Kies hoe u meldingen per e-mail wilt krijgen."))],
    )
