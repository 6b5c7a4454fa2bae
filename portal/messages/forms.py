"""Forms of the admin's message texts and letterheads."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import Email, Length, Optional

from .texts import BODY_MAX


class MessageTextForm(FlaskForm):
    body = TextAreaField(
        _l("Tekst"),
        validators=[
            Length(max=BODY_MAX, message=_l("Ten hoogste %(max)d tekens.")),
        ],
    )


class LetterheadForm(FlaskForm):
    address = TextAreaField(_l("Adres van de dienst"), validators=[Optional(), Length(max=300)])
    phone = StringField(_l("Telefoon"), validators=[Optional(), Length(max=40)])
    email = StringField(
        _l("E-mailadres"),
        validators=[
            Optional(),
            Length(max=254),
            Email(message=_l("Dit is geen geldig e-mailadres."), check_deliverability=False),
        ],
    )
    opening_hours = StringField(_l("Openingsuren"), validators=[Optional(), Length(max=300)])
    contact_person = StringField(_l("Contactpersoon"), validators=[Optional(), Length(max=120)])
    logo = FileField(_l("Logo (PNG of SVG, ten hoogste 200 kB)"))
    remove_logo = BooleanField(_l("Logo weghalen"))
