"""The forms of an import: the file, the columns, and the confirmation."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import RadioField, SelectField
from wtforms.validators import DataRequired, ValidationError

from ..formtools import options
from ..models import ImportKind
from .rows import FIELDS, HISTORY_FIELDS, fields_of, required_fields_of

NOT_IN_FILE = ""


KIND_LABELS = {
    ImportKind.REGISTER: _l("Nieuwe inschrijvingen uit het bevolkingsregister, naar de wachtrij"),
    ImportKind.HISTORY: _l(
        "Eerdere inschrijvingen: dossiers van vóór het portaal, met de data van intake, "
        "bereik, gesprek en afsluiting, voor de rapporten"
    ),
}


class UploadForm(FlaskForm):
    kind = RadioField(
        _l("Soort bestand"),
        choices=options((k.value, label) for k, label in KIND_LABELS.items()),
        default=ImportKind.REGISTER.value,
        validators=[DataRequired(_l("Kies de soort bestand."))],
    )
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

    kind = ImportKind.REGISTER

    def prepare(
        self, header: list[str], languages: list[tuple[str, str]], kind: ImportKind
    ) -> MappingForm:
        self.kind = kind
        if kind is not ImportKind.HISTORY:
            for name in HISTORY_FIELDS:
                del self[name]
        columns = [(NOT_IN_FILE, _l("— niet in het bestand —")), *((h, h) for h in header if h)]
        for name in self.kind_fields:
            self[name].choices = options(columns)
        self.default_language.choices = options(languages)
        return self

    @property
    def kind_fields(self) -> dict[str, Any]:
        return fields_of(self.kind)

    def columns(self) -> dict[str, str]:
        return {name: self[name].data for name in self.kind_fields if self[name].data}

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        for name in required_fields_of(self.kind):
            if not self[name].data:
                self[name].errors = [*self[name].errors, _l("Kies de kolom die dit bevat.")]
                valid = False
        chosen: dict[str, str] = {}
        fields = self.kind_fields
        for name in fields:
            column = self[name].data
            if column and column in chosen:
                self[name].errors = [
                    *self[name].errors,
                    _l("Deze kolom is al gekozen voor '%(field)s'.", field=fields[chosen[column]]),
                ]
                valid = False
            elif column:
                chosen[column] = name
        return valid


for _name, _label in {**FIELDS, **HISTORY_FIELDS}.items():
    setattr(MappingForm, _name, SelectField(_label, validate_choice=True))
