"""Agenda forms: availability, absences, planning and moving conversations, interpreters."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, TimeField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from ..calendar_names import DAY_NAMES
from ..desk.forms import DayField
from ..formtools import options
from ..labels import INTERPRETER_MODE_LABELS, INTERPRETER_STATUS_LABELS
from ..models import InterpreterMode
from ..referrals.forms import VersionedForm
from ..referrals.interpreters import InterpreterWish

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


class InterpreterWishFields:
    """'Tolk nodig?' where a conversation is planned; the view fills in the languages."""

    interpreter = BooleanField(_l("Tolk nodig?"))
    # Checked by the domain (an active language), so that a language made inactive meanwhile
    # gets a Dutch message instead of WTForms' own.
    interpreter_language = SelectField(_l("Taal van de tolk"), choices=[], validate_choice=False)
    interpreter_mode = SelectField(
        _l("Hoe neemt de tolk deel?"),
        choices=options(INTERPRETER_MODE_LABELS.items()),
        default=InterpreterMode.ON_SITE.value,
    )

    def interpreter_wish(self) -> InterpreterWish | None:
        if not self.interpreter.data:
            return None
        return InterpreterWish(
            language_code=self.interpreter_language.data or None,
            mode=InterpreterMode(self.interpreter_mode.data),
        )


class RescheduleForm(VersionedForm):
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
    confirm_outside = BooleanField(_l("Toch inplannen buiten de beschikbaarheid"))
    # Set by the view when the moment lies outside the availability: the checkbox shows.
    confirmation_asked: str | None = None


class ScheduleForm(RescheduleForm, InterpreterWishFields):
    """Plan the conversation, with an interpreter if needed."""


class InterpreterForm(VersionedForm):
    """The interpreter of one appointment: ask, note the service's answer, or cancel."""

    language = SelectField(_l("Taal van de tolk"), choices=[], validate_choice=False)
    mode = SelectField(
        _l("Hoe neemt de tolk deel?"), choices=options(INTERPRETER_MODE_LABELS.items())
    )
    status = SelectField(_l("Status"), choices=options(INTERPRETER_STATUS_LABELS.items()))
    service_reference = StringField(
        _l("Referentie van de tolkendienst"), validators=[Optional(), Length(max=60)]
    )
    minutes = IntegerField(
        _l("Duur van de tolk (minuten)"),
        validators=[
            Optional(),
            NumberRange(15, 240, _l("Tussen %(min)s en %(max)s minuten.")),
        ],
    )
    # The appointment a posted form was for: the page gives what was typed back there.
    item_id: int | None = None


class AppointmentActionForm(VersionedForm):
    """Held or no-show: a POST with the version it was read at."""


class CancelForm(VersionedForm):
    reason = StringField(
        _l("Reden"), validators=[InputRequired(_l("Geef een reden.")), Length(max=300)]
    )
