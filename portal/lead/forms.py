"""Filters of the lead's lists and exports."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field
from wtforms.validators import StopValidation, ValidationError

from ..desk.forms import DayField

# A year and a day: the export of a whole work year or project year, leap years included.
LONGEST_PERIOD_DAYS = 366


class Given:
    """A day must be given: without a query string the default period stands (which
    InputRequired would refuse), and a typing error keeps its own message (which
    DataRequired would replace)."""

    def __init__(self, message: object):
        self.message = message

    def __call__(self, form: FlaskForm, field: Field) -> None:
        if field.data is None and not field.errors:
            raise StopValidation(str(self.message))


class PeriodForm(FlaskForm):
    """A period read from the query string, so that the download link repeats it."""

    class Meta:
        csrf = False

    first_day = DayField(_l("Van"), validators=[Given(_l("Vul een datum in."))])
    last_day = DayField(_l("Tot en met"), validators=[Given(_l("Vul een datum in."))])

    def validate_last_day(self, field: DayField) -> None:
        first: date | None = self.first_day.data
        if first is None or field.data is None:
            return
        if field.data < first:
            raise ValidationError(_l("Deze dag ligt voor de eerste dag van de periode."))
        if (field.data - first).days >= LONGEST_PERIOD_DAYS:
            raise ValidationError(
                _l("Kies een periode van hoogstens %(n)d dagen.", n=LONGEST_PERIOD_DAYS)
            )
