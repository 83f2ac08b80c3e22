"""Forms of the admin pages (Flask-WTF: CSRF on every POST, every field length-limited)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DecimalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError

from blueprints.forms_common import (
    EMAIL_RE,
    LOGIN_RE,
    NAME_RE,
    PHONE_RE,
    POSTAL_RE,
    clean_text,
    normalize_postal_code,
    strip,
    text_field,
)
from models.accounts import STAFF_ROLES

ROLE_LABELS = {
    "registrar": _l("Rejestracja"),
    "doctor": _l("Lekarz"),
    "admin": _l("Administrator"),
}
WHOLE = _l("Podaj liczbę całkowitą.")


def _int(label, low: int, high: int, required: bool = False) -> IntegerField:
    return IntegerField(
        label,
        validators=[
            DataRequired(_l("To pole jest wymagane.")) if required else Optional(),
            NumberRange(low, high, message=_l("Podaj liczbę od %(min)s do %(max)s.")),
        ],
    )


class FacilityForm(FlaskForm):
    name = text_field(_l("Nazwa"), 200)
    street = text_field(_l("Ulica i numer"), 200)
    postal_code = text_field(
        _l("Kod pocztowy"), 6, pattern=POSTAL_RE, message=_l("Kod w formacie 00-000.")
    )
    postal_code.kwargs["filters"] = [normalize_postal_code]
    city = text_field(_l("Miejscowość"), 100)
    phone = text_field(_l("Telefon"), 30, required=False, pattern=PHONE_RE)


class SpecialtyForm(FlaskForm):
    name = text_field(_l("Nazwa"), 120)
    booking_limit = _int(_l("Limit zaplanowanych wizyt pacjenta (puste = jak w klinice)"), 0, 50)


class ServiceForm(FlaskForm):
    name = text_field(_l("Nazwa"), 200)
    specialty = SelectField(_l("Specjalność"), coerce=int, validate_choice=True)
    duration_minutes = _int(_l("Czas trwania (min)"), 5, 480, required=True)
    nfz = BooleanField(_l("NFZ"))
    private = BooleanField(_l("Prywatnie"))
    in_person = BooleanField(_l("W placówce"))
    remote = BooleanField(_l("Teleporada"))
    price = DecimalField(
        _l("Cena (zł, dla wizyt prywatnych)"),
        places=2,
        validators=[Optional(), NumberRange(0, 100000, message=_l("Podaj cenę od 0 do 100000."))],
    )
    requires_referral = BooleanField(_l("Wymaga skierowania"))
    min_age = _int(_l("Wiek pacjenta od (lat)"), 0, 130)
    max_age = _int(_l("Wiek pacjenta do (lat)"), 0, 130)

    def validate_max_age(self, field) -> None:
        low = self.min_age.data
        if field.data is not None and low is not None and field.data < low:
            raise ValidationError(_l("Wiek „od” nie może być większy niż wiek „do”."))

    def validate_remote(self, field) -> None:
        if not (self.nfz.data or self.private.data) or not (
            self.in_person.data or self.remote.data
        ):
            raise ValidationError(
                _l("Zaznacz co najmniej jedno finansowanie (NFZ, prywatnie) i jedną formę wizyty.")
            )


class StaffForm(FlaskForm):
    title = text_field(_l("Tytuł (np. lek., dr n. med.)"), 60, required=False)
    first_name = text_field(_l("Imię"), 100, pattern=NAME_RE)
    last_name = text_field(_l("Nazwisko"), 100, pattern=NAME_RE)
    specialties = SelectMultipleField(_l("Specjalności"), coerce=int, validate_choice=True)
    facilities = SelectMultipleField(_l("Placówki"), coerce=int, validate_choice=True)
    has_login = BooleanField(_l("Konto personelu (logowanie)"))
    login = text_field(
        _l("Login"),
        64,
        required=False,
        pattern=LOGIN_RE,
        message=_l("Login: 3–64 znaki, litery, cyfry, kropka, podkreślenie lub myślnik."),
    )
    email = text_field(_l("E-mail"), 254, required=False, pattern=EMAIL_RE)
    role = SelectField(
        _l("Rola"), choices=[(r, ROLE_LABELS[r]) for r in STAFF_ROLES], validate_choice=True
    )
    disabled = BooleanField(_l("Konto zablokowane"))

    def validate_login(self, field) -> None:
        if self.has_login.data and not field.data:
            raise ValidationError(_l("To pole jest wymagane."))

    def validate_email(self, field) -> None:
        if self.has_login.data and not field.data:
            raise ValidationError(_l("To pole jest wymagane."))


class ConsentForm(FlaskForm):
    code = text_field(
        _l("Kod (litery, cyfry, - i _)"),
        40,
        pattern=r"^[a-z0-9][a-z0-9_-]*$",
        message=_l("Kod: małe litery, cyfry, - i _."),
    )
    title = text_field(_l("Tytuł"), 200)
    text = TextAreaField(
        _l("Treść"),
        validators=[DataRequired(_l("To pole jest wymagane.")), Length(max=20000), clean_text],
        filters=[strip],
    )
    required = BooleanField(_l("Wymagana (bez niej nie można założyć konta)"))


class ConsentVersionForm(FlaskForm):
    title = ConsentForm.title
    text = ConsentForm.text
    required = ConsentForm.required


class LocalityForm(FlaskForm):
    name = text_field(_l("Nazwa miejscowości"), 120, pattern=r"^[^\d<>]+$")
    commune = text_field(_l("Gmina"), 120)
    county = text_field(_l("Powiat"), 120, required=False)
    voivodeship = text_field(_l("Województwo"), 60)


class LocalityImportForm(FlaskForm):
    simc = FileField(_l("Plik SIMC (CSV z TERYT)"))
    terc = FileField(_l("Plik TERC (nieobowiązkowy: nazwy gmin i powiatów)"))


class ConfirmForm(FlaskForm):
    """A button that changes state: only the CSRF token."""


class ActiveForm(FlaskForm):
    active = SelectField(choices=[("1", "1"), ("0", "0")], validate_choice=True)


class IpForm(FlaskForm):
    ip = StringField(validators=[DataRequired(), Length(max=45), Regexp(r"^[0-9A-Fa-f.:]+$")])


def settings_form(settings, defaults: dict) -> type[FlaskForm]:
    """A form with one field per clinic setting; an empty field means the default."""

    class SettingsForm(FlaskForm):
        pass

    for setting in settings:
        hint = defaults.get(setting.key, "")
        if setting.kind == "int":
            field = _int(setting.label, setting.low, setting.high)
        elif setting.high > 300:
            field = TextAreaField(
                setting.label,
                validators=[Optional(), Length(max=setting.high), clean_text],
                filters=[strip],
            )
        else:
            field = StringField(
                setting.label,
                validators=[Optional(), Length(max=setting.high), clean_text],
                filters=[strip],
            )
        field.kwargs["description"] = str(hint)
        setattr(SettingsForm, setting.key.lower(), field)
    return SettingsForm
