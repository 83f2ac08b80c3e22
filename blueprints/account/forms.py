"""Forms of "Moje konto": the same field rules as registration (ASVS V5.1), re-authentication."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from blueprints.auth.forms import (
    EMAIL_RE,
    HOUSE_RE,
    NAME_RE,
    PHONE_RE,
    POSTAL_RE,
    STREET_RE,
    _strip,
    _text,
)
from core.password_policy import MAX_LENGTH as PASSWORD_MAX
from core.password_policy import password_problems


def _current_password():
    return PasswordField(
        _l("Obecne hasło"),
        validators=[
            DataRequired(_l("Podaj obecne hasło.")),
            Length(max=PASSWORD_MAX, message=_l("Nieprawidłowe hasło.")),
        ],
    )


def _code():
    return StringField(
        _l("Kod z aplikacji lub kod zapasowy"),
        validators=[
            DataRequired(_l("Podaj kod.")),
            Length(max=64, message=_l("Nieprawidłowy kod.")),
        ],
        filters=[_strip],
    )


class PersonalDataForm(FlaskForm):
    """DESIGN §4 field names; PESEL and birth date are shown, never accepted from the form."""

    first_name = _text(
        _l("Imię"),
        100,
        pattern=NAME_RE,
        message=_l("Imię może zawierać litery, spację, myślnik i apostrof."),
    )
    last_name = _text(
        _l("Nazwisko"),
        100,
        pattern=NAME_RE,
        message=_l("Nazwisko może zawierać litery, spację, myślnik i apostrof."),
    )
    phone = _text(
        _l("Telefon"), 30, pattern=PHONE_RE, message=_l("Podaj numer telefonu, np. 600 100 200.")
    )
    street = _text(
        _l("Ulica"),
        200,
        required=False,
        pattern=STREET_RE,
        message=_l("Ulica może zawierać litery, cyfry, spację, kropkę i myślnik."),
    )
    house_number = _text(
        _l("Numer domu"), 20, pattern=HOUSE_RE, message=_l("Podaj numer domu, np. 12 lub 12A.")
    )
    flat_number = _text(
        _l("Numer lokalu"),
        20,
        required=False,
        pattern=HOUSE_RE,
        message=_l("Podaj numer lokalu, np. 5."),
    )
    postal_code = _text(
        _l("Kod pocztowy"), 6, pattern=POSTAL_RE, message=_l("Kod pocztowy w formacie 00-000.")
    )
    locality = _text(_l("Miejscowość"), 120)
    locality_choice = HiddenField()


class EmailChangeForm(FlaskForm):
    """ASVS V3.7.1 the current password confirms an e-mail change."""

    email = _text(
        _l("Nowy adres e-mail"),
        254,
        pattern=EMAIL_RE,
        message=_l("Podaj poprawny adres e-mail, np. jan@example.com."),
    )
    current_password = _current_password()

    current_email: str = ""

    def validate_email(self, field) -> None:
        if (field.data or "").strip().lower() == self.current_email.lower():
            raise ValidationError(_l("To jest obecny adres e-mail konta."))


class PasswordChangeForm(FlaskForm):
    """ASVS V2.1.6 the current password is required; V2.1.7 the policy applies."""

    current_password = _current_password()
    password = PasswordField(_l("Nowe hasło"), validators=[DataRequired(_l("Podaj nowe hasło."))])
    password_confirm = PasswordField(
        _l("Powtórz nowe hasło"), validators=[DataRequired(_l("Powtórz nowe hasło."))]
    )

    user_inputs: tuple[str, ...] = ()

    def validate_password(self, field) -> None:
        problems = password_problems(field.data or "", user_inputs=self.user_inputs)
        if problems:
            raise ValidationError(problems[0])

    def validate_password_confirm(self, field) -> None:
        if field.data != self.password.data:
            raise ValidationError(_l("Hasła nie są takie same."))


class ConsentForm(FlaskForm):
    """Grant or withdraw one consent; the consent is named by the URL."""

    decision = HiddenField(validators=[DataRequired()])

    def validate_decision(self, field) -> None:
        if field.data not in {"grant", "withdraw"}:
            raise ValidationError(_l("Nieprawidłowy wybór."))


class ConfirmForm(FlaskForm):
    """Only the CSRF token: a button that changes state (start 2FA set-up, confirm e-mail)."""


class ConfirmTwoFactorForm(FlaskForm):
    code = StringField(
        _l("Kod z aplikacji"),
        validators=[DataRequired(_l("Podaj 6-cyfrowy kod z aplikacji.")), Length(max=64)],
        filters=[_strip],
    )


class ReauthTwoFactorForm(FlaskForm):
    """ASVS V3.7.1 disabling 2FA or new recovery codes need the password and a code."""

    current_password = _current_password()
    code = _code()
