"""Forms on the referral page; each carries the version it was read at."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from ..formtools import options
from ..labels import CHANNEL_LABELS, CLOSING_OUTCOME_LABELS, CONTACT_OUTCOME_LABELS


class VersionedForm(FlaskForm):
    version = HiddenField()


class ContactAttemptForm(VersionedForm):
    channel = SelectField(
        _l("Kanaal"),
        choices=options((c.value, label) for c, label in CHANNEL_LABELS.items()),
        validators=[InputRequired(_l("Kies een kanaal."))],
    )
    outcome = SelectField(
        _l("Resultaat"),
        choices=options((o.value, label) for o, label in CONTACT_OUTCOME_LABELS.items()),
        validators=[InputRequired(_l("Kies een resultaat."))],
    )
    note = TextAreaField(
        _l("Notitie"),
        validators=[Optional(), Length(max=500, message=_l("Hoogstens %(max)d tekens."))],
    )


class OfferForm(VersionedForm):
    accepted = RadioField(
        _l("Aanvaardt de persoon het gesprek?"),
        choices=options([("ja", _l("Ja")), ("nee", _l("Nee"))]),
        validators=[InputRequired(_l("Kies ja of nee."))],
    )


class UnclaimForm(VersionedForm):
    reason = TextAreaField(
        _l("Waarom geeft u deze persoon terug?"),
        validators=[
            InputRequired(_l("Geef een reden.")),
            Length(max=300, message=_l("Hoogstens %(max)d tekens.")),
        ],
    )


class CloseForm(VersionedForm):
    outcome = SelectField(
        _l("Resultaat"),
        choices=options(
            [("", _l("— kies —"))]
            + [(o.value, label) for o, label in CLOSING_OUTCOME_LABELS.items()]
        ),
        validators=[InputRequired(_l("Kies een resultaat om af te sluiten."))],
    )
    note = TextAreaField(
        _l("Toelichting"),
        validators=[Optional(), Length(max=500, message=_l("Hoogstens %(max)d tekens."))],
    )


class ReassignForm(VersionedForm):
    owner = SelectField(_l("Nieuwe toeleider"), coerce=int)
    reason = TextAreaField(
        _l("Reden"),
        validators=[
            InputRequired(_l("Geef een reden.")),
            Length(max=300, message=_l("Hoogstens %(max)d tekens.")),
        ],
    )
