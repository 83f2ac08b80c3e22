"""Forms of the doctor's visit page and the desk's queues."""

from __future__ import annotations

import unicodedata

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, IntegerField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from blueprints.forms_common import TOO_LONG, strip, text_field
from services.documents import KINDS


def clean_multiline(form, field) -> None:
    """Like clean_text, but a text area keeps its line breaks."""
    value = field.data
    if not isinstance(value, str):
        return
    if "\ufffd" in value:
        raise ValidationError(_l("Pole zawiera nieprawidłowo zakodowane znaki."))
    allowed = {"\n", "\r", "\t"}
    if any(
        c not in allowed and unicodedata.category(c) in {"Cc", "Cf", "Cs", "Co", "Cn"}
        for c in value
    ):
        raise ValidationError(_l("Pole zawiera niedozwolone znaki."))


def area(label, max_length: int, required: bool = True) -> TextAreaField:
    first = DataRequired(_l("To pole jest wymagane.")) if required else Optional()
    return TextAreaField(
        label,
        validators=[first, Length(max=max_length, message=TOO_LONG), clean_multiline],
        filters=[strip],
    )


class CompleteForm(FlaskForm):
    recommendation = area(_l("Zalecenia dla pacjenta (nieobowiązkowe)"), 4000, required=False)


class RecommendationForm(FlaskForm):
    recommendation = area(_l("Zalecenie dla pacjenta"), 4000)


def optional_text(value) -> str:
    return "" if value is None else str(value)


class PrescriptionForm(FlaskForm):
    order = SelectField(
        _l("Na podstawie zamówienia pacjenta"),
        coerce=optional_text,
        default="",
        validate_choice=True,
    )
    medicine = text_field(_l("Lek, dawka i postać"), 200, required=None)
    packages = IntegerField(
        _l("Liczba opakowań"),
        default=1,
        validators=[Optional(), NumberRange(1, 6, message=_l("Liczba opakowań: od 1 do 6."))],
    )
    note = text_field(_l("Dawkowanie i uwagi (nieobowiązkowe)"), 500, required=False)

    def validate_medicine(self, field) -> None:
        if not self.order.data and not field.data:
            raise ValidationError(_l("Wpisz lek albo wybierz zamówienie pacjenta."))


class ReferralForm(FlaskForm):
    target = text_field(_l("Cel skierowania (poradnia lub badanie)"), 200)
    diagnosis = text_field(_l("Rozpoznanie (nieobowiązkowe)"), 200, required=False)


class VaccinationForm(FlaskForm):
    name = text_field(_l("Szczepionka"), 200)
    dose = text_field(_l("Dawka (np. 1/3, nieobowiązkowe)"), 60, required=False)
    status = SelectField(
        _l("Stan"),
        choices=[("done", _l("wykonane dziś")), ("planned", _l("planowane"))],
        validate_choice=True,
    )
    on_date = DateField(
        _l("Data planowanego szczepienia"),
        validators=[Optional()],
        format="%Y-%m-%d",
    )


class DocumentForm(FlaskForm):
    title = text_field(_l("Tytuł dokumentu"), 200)
    kind = SelectField(_l("Rodzaj"), choices=list(KINDS.items()), validate_choice=True)
    file = FileField(_l("Plik (PDF, PNG lub JPEG)"))


class AssignDoctorForm(FlaskForm):
    doctor = SelectField(_l("Lekarz"), coerce=int, validate_choice=False)


class RejectForm(FlaskForm):
    reason = area(_l("Powód odmowy (zobaczy go pacjent)"), 500)


class AssignForm(FlaskForm):
    account = SelectField(_l("Osoba z rejestracji"), coerce=int, validate_choice=False)


class AnswerForm(FlaskForm):
    answer = area(_l("Odpowiedź dla pacjenta"), 4000)
