"""The form for recording a group activity."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, ValidationError

from .. import clock
from ..desk.forms import DayField, WholeNumberField
from ..formtools import options
from ..labels import ACTIVITY_KIND_LABELS


class ActivityForm(FlaskForm):
    held_on = DayField(_l("Datum"), validators=[InputRequired(_l("Vul een datum in."))])
    kind = SelectField(
        _l("Soort activiteit"),
        choices=options((k.value, label) for k, label in ACTIVITY_KIND_LABELS.items()),
    )
    title = StringField(
        _l("Omschrijving"),
        validators=[InputRequired(_l("Beschrijf de activiteit kort.")), Length(max=200)],
    )
    municipality = SelectField(
        _l("Gemeente"),
        coerce=int,
        validators=[NumberRange(min=1, message=_l("Kies een gemeente."))],
    )
    channel = SelectField(
        _l("Kanaal (team of partner)"),
        coerce=int,
        validators=[NumberRange(min=1, message=_l("Kies een kanaal."))],
    )
    partner = SelectField(_l("Partner (als een partner de activiteit organiseert)"), coerce=int)
    participants = WholeNumberField(
        _l("Aantal deelnemers"),
        validators=[
            InputRequired(_l("Vul het aantal deelnemers in.")),
            NumberRange(1, 10_000, _l("Tussen %(min)s en %(max)s.")),
        ],
    )
    young_participants = WholeNumberField(
        _l("Van wie kinderen en jongeren"),
        default=0,
        validators=[
            InputRequired(_l("Vul een getal in (0 als er geen waren).")),
            NumberRange(0, 10_000, _l("Tussen %(min)s en %(max)s.")),
        ],
    )

    def validate_held_on(self, field: DayField) -> None:
        # Activities are recorded after they happened; a typo in the year must not land
        # the activity in another project year unnoticed.
        today = clock.today()
        if field.data is not None and field.data > today:
            raise ValidationError(
                _l("Deze datum ligt in de toekomst. Registreer na de activiteit.")
            )
        if field.data is not None and field.data < today - timedelta(days=731):
            raise ValidationError(_l("Deze datum ligt meer dan twee jaar terug."))

    def validate_young_participants(self, field: WholeNumberField) -> None:
        if (
            field.data is not None
            and self.participants.data is not None
            and field.data > self.participants.data
        ):
            raise ValidationError(_l("Dat zijn er meer dan het aantal deelnemers."))
