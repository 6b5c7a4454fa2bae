"""Forms for correcting what was recorded and for work recorded afterwards."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, StringField, TextAreaField, TimeField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ..admin.forms import CheckboxesField
from ..agenda.booking import MAX_MINUTES, MIN_MINUTES
from ..desk.forms import DayField
from ..formtools import dutch_options
from .forms import VersionedForm


class WalkInFields(VersionedForm):
    """What a walk-in adds to the conversation record: when, how long and where."""

    held_time = TimeField(_l("Om"), validators=[InputRequired(_l("Vul een uur in."))])
    minutes = IntegerField(
        _l("Duur (minuten)"),
        default=30,
        validators=[
            InputRequired(_l("Vul een duur in.")),
            NumberRange(MIN_MINUTES, MAX_MINUTES, _l("Tussen %(min)s en %(max)s minuten.")),
        ],
    )
    place = StringField(
        _l("Plaats"),
        validators=[
            InputRequired(_l("Geef een plaats op.")),
            Length(max=200, message=_l("Hoogstens %(max)d tekens.")),
        ],
    )


class StrikeForm(FlaskForm):
    reason = TextAreaField(
        _l("Waarom haalt u dit door?"),
        validators=[
            InputRequired(_l("Geef een reden.")),
            Length(max=300, message=_l("Hoogstens %(max)d tekens.")),
        ],
    )


def correction_form(themes: list[tuple[int, str]], **kwargs: object) -> FlaskForm:
    """The parts of a conversation record that can be corrected afterwards."""

    class ConversationCorrectionForm(FlaskForm):
        version = HiddenField()
        held_on = DayField(
            _l("Gesprek gehouden op"), validators=[InputRequired(_l("Vul een datum in."))]
        )
        themes_covered = CheckboxesField(
            _l("Thema's die aan bod kwamen"),
            coerce=int,
            choices=dutch_options(themes),
            validators=[InputRequired(_l("Kies minstens één thema dat aan bod kwam."))],
        )
        notes = TextAreaField(
            _l("Notities"),
            validators=[Optional(), Length(max=2000, message=_l("Hoogstens %(max)d tekens."))],
        )

    return ConversationCorrectionForm(**kwargs)
