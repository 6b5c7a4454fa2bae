"""The forms of an import: the file, the columns, and the confirmation."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField
from wtforms.validators import DataRequired, ValidationError

from ..formtools import options
from .rows import FIELDS, REQUIRED_FIELDS

NOT_IN_FILE = ""


class UploadForm(FlaskForm):
    municipality = SelectField(
        _l("Gemeente"), coerce=int, validators=[DataRequired(_l("Kies de gemeente."))]
    )
    file = FileField(
        _l("Bestand van het bevolkingsregister (CSV of Excel .xlsx, hoogstens 10 MB)"),
        render_kw={"accept": ".csv,.txt,.xlsx"},
    )

    def validate_file(self, field: FileField) -> None:
        if not field.data or not getattr(field.data, "filename", ""):
            raise ValidationError(_l("Kies het bestand met de nieuwe inschrijvingen."))


class MappingForm(FlaskForm):
    """Which column of the file holds what; one SelectField per field of rows.FIELDS."""

    default_language = SelectField(
        _l("Contacttaal als het bestand er geen geeft"),
        validators=[DataRequired(_l("Kies een taal."))],
    )

    def prepare(self, header: list[str], languages: list[tuple[str, str]]) -> MappingForm:
        columns = [(NOT_IN_FILE, _l("— niet in het bestand —")), *((h, h) for h in header if h)]
        for name in FIELDS:
            self[name].choices = options(columns)
        self.default_language.choices = options(languages)
        return self

    def columns(self) -> dict[str, str]:
        return {name: self[name].data for name in FIELDS if self[name].data}

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        for name in REQUIRED_FIELDS:
            if not self[name].data:
                self[name].errors = [*self[name].errors, _l("Kies de kolom die dit bevat.")]
                valid = False
        chosen: dict[str, str] = {}
        for name in FIELDS:
            column = self[name].data
            if column and column in chosen:
                self[name].errors = [
                    *self[name].errors,
                    _l("Deze kolom is al gekozen voor '%(field)s'.", field=FIELDS[chosen[column]]),
                ]
                valid = False
            elif column:
                chosen[column] = name
        return valid


for _name, _label in FIELDS.items():
    setattr(MappingForm, _name, SelectField(_label, validate_choice=True))
