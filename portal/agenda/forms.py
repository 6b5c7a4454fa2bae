"""Agenda forms: availability, absences, planning and moving conversations."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, TimeField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from ..calendar_names import DAY_NAMES
from ..desk.forms import DayField
from ..formtools import options
from ..referrals.forms import VersionedForm

WEEKDAYS = DAY_NAMES


class SlotForm(FlaskForm):
    weekday = SelectField(_l("Dag"), coerce=int, choices=options(enumerate(WEEKDAYS)))
    starts = TimeField(_l("Van"), validators=[InputRequired(_l("Vul een beginuur in."))])
    ends = TimeField(_l("Tot"), validators=[InputRequired(_l("Vul een einduur in."))])
    kind = SelectField(
        _l("Soort"),
        choices=options([("conversations", _l("gesprekken")), ("desk_duty", _l("permanentie"))]),
    )

    def validate_ends(self, field: TimeField) -> None:
        if self.starts.data and field.data and field.data <= self.starts.data:
            raise ValidationError(_l("Het einduur ligt na het beginuur."))


class AbsenceForm(FlaskForm):
    first_day = DayField(_l("Eerste dag"), validators=[InputRequired(_l("Vul een datum in."))])
    last_day = DayField(_l("Laatste dag"), validators=[InputRequired(_l("Vul een datum in."))])
    note = StringField(_l("Notitie"), validators=[Optional(), Length(max=200)])

    def validate_last_day(self, field: DayField) -> None:
        if self.first_day.data and field.data and field.data < self.first_day.data:
            raise ValidationError(_l("De laatste dag ligt niet voor de eerste."))


class ScheduleForm(VersionedForm):
    day = DayField(_l("Datum"), validators=[InputRequired(_l("Vul een datum in."))])
    start = TimeField(_l("Uur"), validators=[InputRequired(_l("Vul een uur in."))])
    minutes = IntegerField(
        _l("Duur (minuten)"),
        default=60,
        validators=[
            InputRequired(_l("Vul een duur in.")),
            NumberRange(15, 240, _l("Tussen %(min)s en %(max)s minuten.")),
        ],
    )
    place = StringField(
        _l("Plaats"),
        default="Gemeentehuis, onthaal",
        validators=[InputRequired(_l("Geef een plaats op.")), Length(max=200)],
    )
    interpreter = BooleanField(_l("Tolk nodig"))
    confirm_outside = BooleanField(_l("Toch inplannen buiten de beschikbaarheid"))
    # Set by the view when the moment lies outside the availability: the checkbox shows.
    confirmation_asked: str | None = None


class AppointmentActionForm(VersionedForm):
    """Held or no-show: a POST with the version it was read at."""


class CancelForm(VersionedForm):
    reason = StringField(
        _l("Reden"), validators=[InputRequired(_l("Geef een reden.")), Length(max=300)]
    )
