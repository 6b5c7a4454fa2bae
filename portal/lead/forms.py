"""Filters of the lead's lists and exports."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.validators import InputRequired, ValidationError

from ..desk.forms import DayField

# A year and a day: the export of a whole work year or project year, leap years included.
LONGEST_PERIOD_DAYS = 366


class PeriodForm(FlaskForm):
    """A period read from the query string, so that the download link repeats it."""

    class Meta:
        csrf = False

    first_day = DayField(_l("Van"), validators=[InputRequired(_l("Vul een datum in."))])
    last_day = DayField(_l("Tot en met"), validators=[InputRequired(_l("Vul een datum in."))])

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
