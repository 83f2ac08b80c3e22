"""Forms of "Moje konto": the same field rules as registration (ASVS V5.1), re-authentication."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from blueprints.forms_common import (
    EMAIL_RE,
    NewPasswordChecks,
    first_name_field,
    flat_number_field,
    house_number_field,
    last_name_field,
    locality_field,
    phone_field,
    postal_code_field,
    street_field,
    strip,
    text_field,
)
from core.password_policy import MAX_LENGTH as PASSWORD_MAX


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
        filters=[strip],
    )


class PersonalDataForm(FlaskForm):
    """DESIGN §4 field names; PESEL and birth date are shown, never accepted from the form."""

    first_name = first_name_field()
    last_name = last_name_field()
    phone = phone_field()
    street = street_field()
    house_number = house_number_field()
    flat_number = flat_number_field()
    postal_code = postal_code_field()
    locality = locality_field()
    locality_choice = HiddenField()


class EmailChangeForm(FlaskForm):
    """ASVS V3.7.1 the current password confirms an e-mail change."""

    email = text_field(
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


class PasswordChangeForm(NewPasswordChecks, FlaskForm):
    """ASVS V2.1.6 the current password is required; V2.1.7 the policy applies."""

    current_password = _current_password()
    password = PasswordField(_l("Nowe hasło"), validators=[DataRequired(_l("Podaj nowe hasło."))])
    password_confirm = PasswordField(
        _l("Powtórz nowe hasło"), validators=[DataRequired(_l("Powtórz nowe hasło."))]
    )


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
        filters=[strip],
    )


class ReauthTwoFactorForm(FlaskForm):
    """ASVS V3.7.1 disabling 2FA or new recovery codes need the password and a code."""

    current_password = _current_password()
    code = _code()
