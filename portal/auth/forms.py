from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import InputRequired, Length


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


class LogoutForm(FlaskForm):
    pass
