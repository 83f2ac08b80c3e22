"""Forms of "Moje konto": the same field rules as registration (ASVS V5.1), re-authentication."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, RadioField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from blueprints import forms_common as common
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
        filters=[common.strip],
    )


class PersonalDataForm(FlaskForm):
    """DESIGN §4 field names; PESEL and birth date are shown, never accepted from the form."""

    first_name = common.first_name_field()
    last_name = common.last_name_field()
    phone = common.phone_field()
    street, house_number, flat_number, postal_code, locality, locality_choice = (
        common.address_fields()
    )


class EmailChangeForm(FlaskForm):
    """ASVS V3.7.1 the current password confirms an e-mail change."""

    email = common.text_field(
        _l("Nowy adres e-mail"),
        254,
        pattern=common.EMAIL_RE,
        message=_l("Podaj poprawny adres e-mail, np. jan@example.com."),
    )
    current_password = _current_password()

    current_email: str = ""

    def validate_email(self, field) -> None:
        if (field.data or "").strip().lower() == self.current_email.lower():
            raise ValidationError(_l("To jest obecny adres e-mail konta."))


class PasswordChangeForm(common.NewPasswordChecks, FlaskForm):
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
        filters=[common.strip],
    )


class ReauthTwoFactorForm(FlaskForm):
    """ASVS V3.7.1 disabling 2FA or new recovery codes need the password and a code."""

    current_password = _current_password()
    code = _code()


# --- sub-accounts ---------------------------------------------------------------------------


class NewDependantForm(FlaskForm):
    """DESIGN §4: the registration's person fields plus `guardian_pesel`, `birth_date`, `sex`."""

    first_name = common.first_name_field()
    last_name = common.last_name_field()
    pesel = common.pesel_field()
    guardian_pesel = BooleanField(_l("PESEL opiekuna"))
    birth_date = common.birth_date_field()
    sex = RadioField(
        _l("Płeć"),
        choices=[("F", _l("kobieta")), ("M", _l("mężczyzna"))],
        validate_choice=False,
    )
    phone = common.phone_field()
    street, house_number, flat_number, postal_code, locality, locality_choice = (
        common.address_fields()
    )

    derived_birth_date: date | None = None
    derived_sex: str = ""

    def validate_pesel(self, field) -> None:
        self.derived_birth_date, self.derived_sex = None, ""
        if self.guardian_pesel.data:
            if field.data:
                raise ValidationError(
                    _l("Podaj PESEL albo zaznacz „PESEL opiekuna”, nie oba naraz.")
                )
            return
        if not field.data:
            raise ValidationError(
                _l("Podaj PESEL albo zaznacz „PESEL opiekuna”, gdy dziecko nie ma numeru.")
            )
        self.derived_birth_date, self.derived_sex = common.read_pesel(field.data)

    def validate_birth_date(self, field) -> None:
        if self.guardian_pesel.data:
            common.check_birth_date(field.data)

    def validate_sex(self, field) -> None:
        if self.guardian_pesel.data and field.data not in ("F", "M"):
            raise ValidationError(_l("Bez numeru PESEL wybierz płeć."))

    def birth_date_value(self) -> date | None:
        if self.guardian_pesel.data:
            return common.parse_birth_date(self.birth_date.data or "")
        return self.derived_birth_date


class AttachForm(FlaskForm):
    """An existing account, by its `login` and `password` (checked like a login)."""

    login = StringField(
        _l("Login konta podopiecznego"),
        validators=[DataRequired(_l("Podaj login.")), Length(max=64, message=common.TOO_LONG)],
        filters=[common.strip],
    )
    password = PasswordField(
        _l("Hasło konta podopiecznego"),
        validators=[
            DataRequired(_l("Podaj hasło.")),
            Length(max=PASSWORD_MAX, message=common.TOO_LONG),
        ],
    )


class ActivePersonForm(FlaskForm):
    """`patient`: whose data to show; `next`: the page to return to (checked by safe_next)."""

    patient = StringField(validators=[DataRequired(), Length(max=12)])
    next = HiddenField()


class ShareForm(FlaskForm):
    """The other guardian's account: both its `login` and its `email` must match."""

    login = StringField(
        _l("Login drugiego opiekuna"),
        validators=[DataRequired(_l("Podaj login.")), Length(max=64, message=common.TOO_LONG)],
        filters=[common.strip],
    )
    email = common.text_field(
        _l("Adres e-mail drugiego opiekuna"),
        254,
        pattern=common.EMAIL_RE,
        message=_l("Podaj poprawny adres e-mail, np. jan@example.com."),
    )
