"""Forms of the desk: schedules, exceptions, slot generation, a patient who only phones."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from blueprints.forms_common import (
    first_name_field,
    last_name_field,
    normalize_pesel,
    phone_field,
    text_field,
)
from core import pesel as pesel_rules
from core.timeutil import local_today

DATE_MESSAGE = _l("Podaj datę w formacie RRRR-MM-DD.")
TIME_MESSAGE = _l("Podaj godzinę w formacie GG:MM.")
WEEKDAYS = [
    (0, _l("poniedziałek")),
    (1, _l("wtorek")),
    (2, _l("środa")),
    (3, _l("czwartek")),
    (4, _l("piątek")),
    (5, _l("sobota")),
    (6, _l("niedziela")),
]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _date(label, required: bool = True) -> DateField:
    validators = [InputRequired(DATE_MESSAGE)] if required else [Optional()]
    field = DateField(label, validators=validators, format="%Y-%m-%d")
    return field


class ScheduleForm(FlaskForm):
    staff = SelectField(
        _l("Personel"), coerce=int, validators=[DataRequired(_l("Wybierz osobę z listy."))]
    )
    facility = SelectField(
        _l("Placówka"), coerce=int, validators=[DataRequired(_l("Wybierz placówkę z listy."))]
    )
    weekday = SelectField(_l("Dzień tygodnia"), coerce=int, choices=WEEKDAYS)
    start_time = TimeField(_l("Od godziny"), validators=[InputRequired(TIME_MESSAGE)])
    end_time = TimeField(_l("Do godziny"), validators=[InputRequired(TIME_MESSAGE)])
    slot_minutes = IntegerField(
        _l("Długość terminu (minuty)"),
        default=15,
        validators=[
            InputRequired(_l("Podaj liczbę minut.")),
            NumberRange(5, 120, _l("Długość terminu: od 5 do 120 minut.")),
        ],
    )
    funding = SelectField(
        _l("Finansowanie"), choices=[("nfz", _l("NFZ")), ("private", _l("prywatnie"))]
    )
    mode = SelectField(
        _l("Forma wizyty"),
        choices=[("in_person", _l("w placówce")), ("remote", _l("zdalnie (teleporada)"))],
    )
    valid_from = _date(_l("Obowiązuje od"))
    valid_to = _date(_l("Obowiązuje do (nieobowiązkowe)"), required=False)
    services = MultiCheckboxField(_l("Świadczenia"), coerce=int, validate_choice=False)


class EndScheduleForm(FlaskForm):
    valid_to = _date(_l("Ostatni dzień grafiku"))


class ExceptionForm(FlaskForm):
    staff = SelectField(_l("Kogo dotyczy"), coerce=int)
    date_from = _date(_l("Od dnia"))
    date_to = _date(_l("Do dnia"))
    reason = text_field(_l("Powód (np. urlop, choroba, święto)"), 200, required=False)

    def validate_date_to(self, field) -> None:
        if self.date_from.data and field.data and field.data < self.date_from.data:
            raise ValidationError(_l("Data końca nie może być wcześniejsza niż początek."))


class GenerateForm(FlaskForm):
    date_from = _date(_l("Od dnia"))
    date_to = _date(_l("Do dnia"))

    def validate_date_to(self, field) -> None:
        if self.date_from.data and field.data:
            if field.data < self.date_from.data:
                raise ValidationError(_l("Data końca nie może być wcześniejsza niż początek."))
            if (field.data - self.date_from.data).days > 366:
                raise ValidationError(_l("Najwyżej rok naraz."))


class PhonePatientForm(FlaskForm):
    first_name = first_name_field()
    last_name = last_name_field()
    pesel = text_field(_l("PESEL (nieobowiązkowe)"), 11, required=False, normalize=normalize_pesel)
    birth_date = _date(_l("Data urodzenia (gdy brak PESEL)"), required=False)
    sex = SelectField(
        _l("Płeć (gdy brak PESEL)"),
        choices=[("", "—"), ("F", _l("kobieta")), ("M", _l("mężczyzna"))],
    )
    phone = phone_field()

    derived: tuple[date | None, str] = (None, "")

    def validate_pesel(self, field) -> None:
        if not field.data:
            return
        try:
            self.derived = pesel_rules.parse(field.data)
        except pesel_rules.InvalidPesel:
            raise ValidationError(_l("Nieprawidłowy numer PESEL.")) from None

    def validate_birth_date(self, field) -> None:
        if not self.pesel.data and not field.data:
            raise ValidationError(_l("Podaj PESEL albo datę urodzenia."))
        if field.data and field.data > local_today():
            raise ValidationError(_l("Data urodzenia nie może być w przyszłości."))

    def person(self) -> tuple[date, str]:
        if self.pesel.data and self.derived[0]:
            return self.derived[0], self.derived[1]
        return self.birth_date.data, self.sex.data or ""


class ReasonForm(FlaskForm):
    reason = text_field(_l("Powód (trafi do e-maila pacjenta)"), 200, required=False)


class PhoneBookingForm(FlaskForm):
    service = SelectField(_l("Świadczenie"), coerce=int, validate_choice=True)
    referral_code = StringField(_l("Kod e-skierowania (gdy wymagany)"))
    note = text_field(_l("Uwagi (nieobowiązkowe)"), 500, required=False)
