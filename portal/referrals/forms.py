"""Forms on the referral page; each carries the version it was read at."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    Field,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from .. import clock
from ..admin.forms import CheckboxesField
from ..desk.forms import DayField, WholeNumberField
from ..formtools import dutch_options, options
from ..i18n import dutch_text
from ..labels import (
    AGII_PART_LABELS,
    AGII_STATUS_LABELS,
    CHANNEL_LABELS,
    CLOSING_OUTCOME_LABELS,
    CONTACT_OUTCOME_LABELS,
    MILESTONE_STATUS_LABELS,
    OBLIGED_LABELS,
    PARTNER_STATUS_LABELS,
    SCHOOL_STATUS_LABELS,
)
from ..models import (
    AgiiStatus,
    MonitoringParameter,
    ParameterKind,
    SchoolItemKind,
    SchoolItemStatus,
)
from .school import STATUSES as SCHOOL_STATUSES


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
        # No default: a second attempt must not be saved as 'reached' by accident.
        choices=options(
            [("", _l("— kies —"))]
            + [(o.value, label) for o, label in CONTACT_OUTCOME_LABELS.items()]
        ),
        validators=[InputRequired(_l("Kies een resultaat."))],
    )
    note = TextAreaField(
        _l("Notitie"),
        validators=[Optional(), Length(max=500, message=_l("Hoogstens %(max)d tekens."))],
    )
    # An attempt recorded afterwards: when it happened (empty: now).
    happened_on = DayField(_l("Gebeurd op (leeg: nu)"), validators=[Optional()])
    happened_time = TimeField(_l("Om"), validators=[Optional()])

    def validate_happened_time(self, field: TimeField) -> None:
        if self.happened_on.data and not field.data:
            raise ValidationError(_l("Vul ook een uur in."))

    def happened_at(self) -> datetime | None:
        if not self.happened_on.data or not self.happened_time.data:
            return None
        return datetime.combine(self.happened_on.data, self.happened_time.data)


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
    appointments = RadioField(
        _l("Geplande afspraken"),
        choices=options(
            [
                ("move", _l("naar de agenda van de nieuwe toeleider (waar die dan vrij is)")),
                ("cancel", _l("annuleren")),
            ]
        ),
        default="move",
        # Without planned appointments the page leaves the choice out.
        validators=[Optional()],
    )


class ReopenForm(VersionedForm):
    reason = TextAreaField(
        _l("Waarom heropent u dit dossier?"),
        validators=[
            InputRequired(_l("Geef een reden.")),
            Length(max=300, message=_l("Hoogstens %(max)d tekens.")),
        ],
    )


NEED_ROWS, SIGNAL_ROWS = 3, 2


def conversation_form(
    themes: list[tuple[int, str]],
    parameters: list[MonitoringParameter],
    categories: list[tuple[int, str]],
    base: type[FlaskForm] | None = None,
    **kwargs: object,
) -> FlaskForm:
    """The record of a held conversation, with this municipality's monitoring questions.

    `base` adds fields of its own (the walk-in's moment and place)."""

    class ConversationForm(base or VersionedForm):  # type: ignore[misc]
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

    for parameter in parameters:
        # An admin's question, in Dutch: marked as Dutch on a page in another language.
        label = dutch_text(parameter.question)
        required = [InputRequired(_l("Beantwoord deze vraag."))]
        field: Field
        if parameter.kind == ParameterKind.YES_NO:
            field = RadioField(
                label, choices=options([("ja", _l("Ja")), ("nee", _l("Nee"))]), validators=required
            )
        elif parameter.kind == ParameterKind.NUMBER:
            field = WholeNumberField(
                label, validators=[*required, NumberRange(0, 100000, _l("Een getal vanaf 0."))]
            )
        elif parameter.kind == ParameterKind.CHOICE:
            field = SelectField(
                label,
                choices=options([("", _l("— kies —"))])
                + dutch_options((o, o) for o in parameter.options),
                validators=required,
            )
        else:
            field = StringField(label, validators=[*required, Length(max=500)])
        setattr(ConversationForm, f"parameter_{parameter.id}", field)
    for n in range(1, NEED_ROWS + 1):
        setattr(
            ConversationForm,
            f"need_{n}_category",
            SelectField(
                _l("Vraag of nood %(n)d", n=n),
                coerce=int,
                default=0,
                choices=options([(0, _l("— geen —"))]) + dutch_options(categories),
            ),
        )
        setattr(
            ConversationForm,
            f"need_{n}_text",
            StringField(
                _l("Toelichting bij vraag %(n)d", n=n), validators=[Optional(), Length(max=500)]
            ),
        )
    for n in range(1, SIGNAL_ROWS + 1):
        setattr(
            ConversationForm,
            f"signal_{n}_theme",
            SelectField(
                _l("Signaal %(n)d: thema", n=n),
                coerce=int,
                default=0,
                choices=options([(0, _l("— geen signaal —"))]) + dutch_options(themes),
            ),
        )
        setattr(
            ConversationForm,
            f"signal_{n}_text",
            StringField(
                _l("Signaal %(n)d: wat loopt er mis?", n=n),
                validators=[Optional(), Length(max=1000)],
            ),
        )
    return ConversationForm(**kwargs)


class PartnerReferralForm(VersionedForm):
    partner = SelectField(_l("Partner"), coerce=int)
    theme = SelectField(_l("Thema"), coerce=int)
    referred_on = DayField(_l("Datum"), validators=[InputRequired(_l("Vul een datum in."))])
    # Shown only for a household with children; none ticked: the whole household.
    children = CheckboxesField(_l("Voor welke kinderen (geen: het hele gezin)"), coerce=int)


class PartnerStatusForm(VersionedForm):
    status = SelectField(_l("Opvolging"), choices=options(PARTNER_STATUS_LABELS.items()))
    feedback = StringField(_l("Terugkoppeling"), validators=[Optional(), Length(max=500)])
    # The partner referral a posted form was for: the page gives what was typed back there.
    item_id: int | None = None


class SourceFeedbackForm(VersionedForm):
    """Terugkoppeling aan de doorverwijzer: what the partner who referred is told."""

    arrived = RadioField(
        _l("Is de persoon aangekomen?"),
        choices=options([("yes", _l("Ja")), ("no", _l("Nee")), ("unknown", _l("Nog niet bekend"))]),
        default="unknown",
        validators=[InputRequired(_l("Kies ja, nee of nog niet bekend."))],
    )
    message = TextAreaField(
        _l("Korte boodschap voor de partner"),
        validators=[
            Optional(),
            Length(max=500, message=_l("Een boodschap is hoogstens %(max)d tekens lang.")),
        ],
    )


class TaskForm(VersionedForm):
    description = StringField(
        _l("Taak"), validators=[InputRequired(_l("Beschrijf de taak.")), Length(max=300)]
    )
    due_on = DayField(_l("Tegen"), validators=[InputRequired(_l("Vul een datum in."))])


class MilestoneForm(VersionedForm):
    description = StringField(
        _l("Mijlpaal"), validators=[InputRequired(_l("Beschrijf de mijlpaal.")), Length(max=300)]
    )
    priority = SelectField(
        _l("Prioriteit"),
        coerce=int,
        choices=options([(1, _l("hoog")), (2, _l("gemiddeld")), (3, _l("laag"))]),
    )
    target_on = DayField(_l("Streefdatum"), validators=[InputRequired(_l("Vul een datum in."))])


class MilestoneStatusForm(VersionedForm):
    status = SelectField(_l("Status"), choices=options(MILESTONE_STATUS_LABELS.items()))
    item_id: int | None = None  # as for PartnerStatusForm


class ProgrammeForm(VersionedForm):
    programme = SelectField(
        _l("Programma"),
        coerce=int,
        validators=[
            InputRequired(_l("Kies een programma.")),
            NumberRange(min=1, message=_l("Kies een programma.")),
        ],
    )


class PlaceForm(VersionedForm):
    """Grant a waiting person a place, or take someone off a programme."""


class SchoolItemForm(VersionedForm):
    """The school follow-up of one child; each item's form has its own prefix on the page."""

    status = SelectField(_l("Stand van zaken"), choices=[])
    # No Optional(): it would stop the check that an enrolled child has its school.
    school_name = StringField(
        _l("School"), validators=[Length(max=160, message=_l("Hoogstens %(max)d tekens."))]
    )
    note = StringField(
        _l("Notitie"),
        validators=[Optional(), Length(max=300, message=_l("Hoogstens %(max)d tekens."))],
    )
    # The item a posted form was for: the page gives what was typed back there.
    item_id: int | None = None

    def offer(self, kind: SchoolItemKind) -> None:
        """The statuses this kind of item can come to."""
        self.status.choices = options(
            (s.value, SCHOOL_STATUS_LABELS[s]) for s in SCHOOL_STATUSES[kind]
        )

    def validate_school_name(self, field: StringField) -> None:
        if self.status.data == SchoolItemStatus.ENROLLED.value and not (field.data or "").strip():
            raise ValidationError(_l("Vul de naam van de school in."))


class AgiiForm(VersionedForm):
    """The referral to Agii for civic integration."""

    obliged = RadioField(
        _l("Inburgeringsplichtig?"),
        choices=options(OBLIGED_LABELS.items()),
        default="unknown",
        validators=[InputRequired(_l("Kies ja, nee of nog niet bekend."))],
    )
    parts = CheckboxesField(
        _l("Onderdelen van het inburgeringstraject"),
        choices=options(AGII_PART_LABELS.items()),
        validators=[Optional()],
    )
    status = SelectField(
        _l("Status"), choices=options(AGII_STATUS_LABELS.items()), default=AgiiStatus.TO_REFER
    )
    referred_on = DayField(_l("Doorverwezen op (leeg: vandaag)"), validators=[Optional()])
    agii_reference = StringField(
        _l("Dossiernummer bij Agii"),
        validators=[Optional(), Length(max=40, message=_l("Hoogstens %(max)d tekens."))],
    )
    note = TextAreaField(
        _l("Notitie voor Agii"),
        validators=[Optional(), Length(max=500, message=_l("Hoogstens %(max)d tekens."))],
    )

    def validate_referred_on(self, field: DayField) -> None:
        if field.data and field.data > clock.today():
            raise ValidationError(_l("De dag van de verwijzing kan niet in de toekomst liggen."))
