"""The form for correcting a person's details: the intake's fields and their checks."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import DateField, HiddenField
from wtforms.validators import ValidationError

from ..desk.forms import IntakeForm
from ..languages import name_lookup
from ..models import Language
from .corrections import PersonDetails


class CorrectionForm(IntakeForm):
    """The intake form without the indicators, the agreement and where the referral came from."""

    consent = None  # type: ignore[assignment]
    legal_basis = None  # type: ignore[assignment]
    dutch_difficult = None  # type: ignore[assignment]
    has_work = None  # type: ignore[assignment]
    has_children = None  # type: ignore[assignment]
    municipality = None  # type: ignore[assignment]
    source_service = None  # type: ignore[assignment]
    note = None  # type: ignore[assignment]
    version = HiddenField()
    # What the form was shown with: on a conflict it tells the user's changes from the rest.
    shown = HiddenField()

    def prepare_for(
        self, *, languages: list[Language], today: date, intake_day: date, region: str
    ) -> CorrectionForm:
        self.languages = languages
        # Dutch names and codes always; English names too for whoever works in English.
        self._language_lookup = name_lookup(languages)
        self.today = today
        self.intake_day = intake_day
        self.region = region
        self.phone_e164: str | None = None
        self.children_years: list[int] = []
        return self

    def fill(self, details: PersonDetails, names: dict[str, str]) -> None:
        """Show these details in the fields, languages by their names."""
        self.full_name.data = details.full_name
        self.birth_year.data = details.birth_year
        self.phone.data = details.phone or ""
        self.email.data = details.email or ""
        self.address.data = details.address or ""
        self.contact_language.data = names.get(details.contact_language_code, "")
        self.home_language.data = names.get(details.home_language_code or "", "")
        self.adults.data = details.adults
        self.children_birth_years.data = ", ".join(str(y) for y in details.children_birth_years)
        self.registered_on.data = details.registered_on

    def validate_registered_on(self, field: DateField) -> None:
        super().validate_registered_on(field)
        if field.data is not None and field.data > self.intake_day:
            raise ValidationError(_l("Deze datum ligt na de registratie van dit dossier."))

    def details(self) -> PersonDetails:
        """The validated values as plain details."""
        return PersonDetails(
            full_name=self.full_name.data or "",
            birth_year=self.birth_year.data,
            phone=self.phone_e164 if self.phone.data else None,
            email=self.email.data or None,
            address=self.address.data or None,
            contact_language_code=self.language_code(self.contact_language.data) or "",
            home_language_code=self.language_code(self.home_language.data),
            adults=self.adults.data or 1,
            children_birth_years=tuple(sorted(self.children_years)),
            registered_on=self.registered_on.data or self.intake_day,
        )
