"""The filter of the audit log pages: one person, one user, a period."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional

from ..desk.forms import DayField


class AuditFilterForm(FlaskForm):
    """Read from the query string, so that a filtered log has an address to keep and share."""

    class Meta:
        csrf = False

    reference = StringField(_l("Dossiernummer"), validators=[Optional(), Length(max=20)])
    user = SelectField(_l("Gebruiker"), coerce=int, validators=[Optional()])
    first_day = DayField(_l("Van"), validators=[Optional()])
    last_day = DayField(_l("Tot en met"), validators=[Optional()])


class EraseForm(FlaskForm):
    reference = StringField(
        _l("Typ het dossiernummer over om te bevestigen"),
        validators=[InputRequired(_l("Typ het dossiernummer over.")), Length(max=20)],
    )
