"""The intake form: every field with its Dutch label and its Dutch error messages."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import TextInput

from ..formtools import given, options
from ..inputs import ascii_int
from ..labels import LEGAL_BASIS_LABELS
from ..languages import name_lookup
from ..models import Language
from .intake import IntakeData
from .rules import PhoneError, clean_name, is_plausible_name, normalise_phone, parse_birth_years

YES_NO = options([("ja", _l("Ja")), ("nee", _l("Nee"))])
CHOOSE = _l("Kies ja of nee.")
NOTE_MAX = 500


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


DAY_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"]


class DayField(DateField):
    """A date typed as 31/12/2025 or picked as 2025-12-31, with a Dutch message."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Browsers without a date picker send what was typed, in the Belgian order.
        kwargs.setdefault("format", DAY_FORMATS)
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist or not "".join(valuelist).strip():
            self.data = None
            return
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError(_l("Geen geldige datum. Schrijf ze als 31/12/2025.")) from None


class WholeNumberField(IntegerField):
    """An integer field whose error for text like 'twee' is in Dutch.

    It renders as a text box with a numeric keyboard: a number input would let the browser
    drop what was typed ("veertien") and send nothing, so the user would lose it and be told
    the field is empty.
    """

    widget = TextInput()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("render_kw", {"inputmode": "numeric"})
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        text = valuelist[0].strip()
        negative = text.startswith("-")
        # ASCII digits only (int() also reads '١٢' and '1_000'), within an INTEGER column.
        number = ascii_int(text[1:] if negative else text)
        if number is None:
            self.data = None
            raise ValueError(_l("Vul een getal in."))
        self.data = -number if negative else number


class IntakeForm(FlaskForm):
    """One desk intake. Call `prepare` with the choices before validating or rendering."""

    consent = BooleanField(
        _l("De persoon gaat akkoord om gecontacteerd te worden"),
        validators=[
            DataRequired(_l("Zonder akkoord van de persoon kan er geen doorverwijzing komen."))
        ],
    )
    # A choice with a default, not radio buttons: the desk worker changes it only when the
    # municipality's own task, not the person's consent, is the ground.
    legal_basis = SelectField(
        _l("Rechtsgrond voor het verwerken van de gegevens"),
        choices=options(LEGAL_BASIS_LABELS.items()),
        default="consent",
        validators=[DataRequired(_l("Kies de rechtsgrond."))],
    )
    dutch_difficult = RadioField(
        _l("Is communiceren in het Nederlands moeilijk of onmogelijk, of is er een tolk mee?"),
        choices=YES_NO,
        validators=[InputRequired(CHOOSE)],
    )
    has_work = RadioField(
        _l("Heeft de persoon werk?"), choices=YES_NO, validators=[InputRequired(CHOOSE)]
    )
    has_children = RadioField(
        _l("Zijn er kinderen in het gezin?"), choices=YES_NO, validators=[InputRequired(CHOOSE)]
    )
    contact_language = StringField(
        _l("Contacttaal"),
        filters=[_strip],
        validators=[InputRequired(_l("Kies de taal waarin we de persoon contacteren."))],
    )
    full_name = StringField(
        _l("Naam"),
        filters=[_strip],
        validators=[
            InputRequired(_l("Vul de naam in.")),
            Length(max=160, message=_l("Een naam is hoogstens %(max)d tekens lang.")),
        ],
    )
    phone = StringField(_l("Telefoon"), filters=[_strip], validators=[Optional()])
    registered_on = DayField(
        _l("Ingeschreven in de gemeente sinds"),
        validators=[InputRequired(_l("Vul de datum van inschrijving in."))],
    )
    home_language = StringField(
        _l("Thuistaal, als die anders is"), filters=[_strip], validators=[Optional()]
    )
    birth_year = WholeNumberField(_l("Geboortejaar"), validators=[Optional()])
    email = StringField(
        _l("E-mail"),
        filters=[_strip],
        validators=[
            Optional(),
            Length(max=254, message=_l("Een e-mailadres is hoogstens %(max)d tekens lang.")),
            Email(_l("Dit is geen geldig e-mailadres."), check_deliverability=False),
        ],
    )
    address = StringField(
        _l("Adres"),
        filters=[_strip],
        validators=[
            Optional(),
            Length(max=300, message=_l("Een adres is hoogstens %(max)d tekens lang.")),
        ],
    )
    adults = WholeNumberField(
        _l("Volwassenen in het gezin"),
        default=1,
        validators=[
            InputRequired(_l("Vul het aantal volwassenen in.")),
            NumberRange(1, 20, _l("Tussen %(min)s en %(max)s volwassenen.")),
        ],
    )
    children_birth_years = StringField(
        _l("Geboortejaren van de kinderen"), filters=[_strip], validators=[Optional()]
    )
    municipality = SelectField(_l("Gemeente"), coerce=int)
    source_service = SelectField(_l("Doorverwezen door"), coerce=int)
    # Issued with the form (portal.desk.intake.new_form_token): the same form saved twice
    # registers one referral.
    form_token = HiddenField()
    note = TextAreaField(
        _l("Korte notitie"),
        filters=[_strip],
        validators=[
            Optional(),
            Length(max=NOTE_MAX, message=_l("Een notitie is hoogstens %(max)d tekens lang.")),
        ],
    )

    def prepare(
        self,
        *,
        languages: list[Language],
        municipalities: list[tuple[int, str]],
        services: list[tuple[int, str]],
        today: date,
        region: str,
    ) -> IntakeForm:
        """Set the choices that depend on the user and the database."""
        self.languages = languages
        # Dutch names and codes always; English names too for whoever works in English.
        self._language_lookup = name_lookup(languages)
        self.municipality.choices = options(municipalities)
        self.source_service.choices = options(services)
        self.today = today
        self.region = region
        self.phone_e164: str | None = None
        self.children_years: list[int] = []
        return self

    def language_code(self, value: str | None) -> str | None:
        return self._language_lookup.get((value or "").casefold())

    def validate_contact_language(self, field: StringField) -> None:
        if self.language_code(field.data) is None:
            raise ValidationError(_l("Onbekende taal. Kies een taal uit de lijst."))

    def validate_home_language(self, field: StringField) -> None:
        if field.data and self.language_code(field.data) is None:
            raise ValidationError(_l("Onbekende taal. Kies een taal uit de lijst."))

    def validate_full_name(self, field: StringField) -> None:
        field.data = clean_name(field.data or "")
        if not is_plausible_name(field.data):
            raise ValidationError(
                _l("Gebruik alleen letters, spaties, koppeltekens, punten en apostrofs.")
            )

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        if not (self.phone.data or self.email.data or self.address.data):
            # Optional() skips empty fields, so the one-of rule is checked for the form.
            self.phone.errors = [
                *self.phone.errors,
                _l("Geef een telefoonnummer, een e-mailadres of een adres."),
            ]
            return False
        return valid

    def validate_phone(self, field: StringField) -> None:
        if len(field.data or "") > 32:
            raise ValidationError(_l("Dit is geen geldig telefoonnummer."))
        try:
            self.phone_e164 = normalise_phone(field.data or "", self.region)
        except PhoneError:
            raise ValidationError(
                _l(
                    "Dit is geen geldig telefoonnummer. Een Belgisch nummer zoals 0470 12 34 56, "
                    "een buitenlands met landcode zoals +33 6 12 34 56 78."
                )
            ) from None

    def validate_registered_on(self, field: DateField) -> None:
        if field.data is None:
            return
        if field.data > self.today:
            raise ValidationError(_l("Deze datum ligt in de toekomst."))
        if field.data.year < 1900:
            raise ValidationError(_l("Deze datum ligt te ver in het verleden."))

    def validate_birth_year(self, field: IntegerField) -> None:
        if field.data is not None and not 1900 <= field.data <= self.today.year:
            raise ValidationError(
                _l("Een geboortejaar tussen 1900 en %(year)d.", year=self.today.year)
            )

    def validate_children_birth_years(self, field: StringField) -> None:
        if not field.data:
            return
        try:
            self.children_years = parse_birth_years(field.data, self.today.year)
        except ValueError:
            raise ValidationError(
                _l(
                    "Geef jaartallen gescheiden door komma's, bv. 2015, 2019, "
                    "niet ouder dan 30 jaar en niet in de toekomst."
                )
            ) from None

    def intake_data(self) -> IntakeData:
        """What a validated form records, for register_referral."""
        return IntakeData(
            municipality_id=self.municipality.data,
            dutch_difficult=self.dutch_difficult.data == "ja",
            has_work=self.has_work.data == "ja",
            has_children=self.has_children.data == "ja",
            contact_language_code=self.language_code(self.contact_language.data) or "",
            home_language_code=self.language_code(self.home_language.data),
            full_name=given(self.full_name.data),
            birth_year=self.birth_year.data,
            phone=self.phone_e164,
            email=self.email.data or None,
            address=self.address.data or None,
            adults=given(self.adults.data),
            children_birth_years=self.children_years,
            registered_on=given(self.registered_on.data),
            source_service_id=self.source_service.data,
            consent_given=bool(self.consent.data),
            note=self.note.data or None,
            legal_basis=self.legal_basis.data or "consent",
        )
