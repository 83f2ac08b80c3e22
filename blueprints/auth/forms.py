"""Forms of the auth area: log in, second step, registration, activation link, password reset.

Every text field is stripped, length-limited and checked against an allow-list (ASVS V5.1);
text that arrived as invalid UTF-8 (U+FFFD after decoding) or with control characters is
refused with a message instead of being stored.
"""

from __future__ import annotations

from datetime import date

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, ValidationError
from wtforms.widgets import PasswordInput

from blueprints.forms_common import (
    EMAIL_RE,
    LOGIN_RE,
    TOO_LONG,
    NewPasswordChecks,
    address_fields,
    birth_date_field,
    check_birth_date,
    first_name_field,
    last_name_field,
    parse_birth_date,
    pesel_field,
    phone_field,
    read_pesel,
    strip,
    text_field,
)
from core.password_policy import MAX_LENGTH as PASSWORD_MAX
from core.password_policy import password_problems
from services.standalone import is_under_16

# The standalone rule (services.subaccounts): registration never creates an account that could
# not be used, it says what to do instead.
UNDER_16 = _l(
    "Osoba poniżej 16 lat nie może mieć samodzielnego konta. Rodzic lub opiekun dodaje dziecko "
    "jako subkonto: na swoim koncie „Moje konto” → „Subkonta” → „Dodaj nowe subkonto”. Po "
    "16. urodzinach możesz założyć własne konto."
)


class LoginForm(FlaskForm):
    login = StringField(
        _l("Login"),
        validators=[DataRequired(_l("Podaj login.")), Length(max=64, message=TOO_LONG)],
        filters=[strip],
    )
    password = PasswordField(
        _l("Hasło"),
        validators=[DataRequired(_l("Podaj hasło.")), Length(max=PASSWORD_MAX, message=TOO_LONG)],
    )
    # Shown only past an IP block or an account lock caused elsewhere (ASVS V2.2.1).
    botcheck_challenge = HiddenField()
    botcheck_solution = HiddenField()
    botcheck_answer = StringField(_l("Pytanie kontrolne"), filters=[strip])


class CodeForm(FlaskForm):
    code = StringField(
        _l("Kod z aplikacji lub kod zapasowy"),
        validators=[DataRequired(_l("Podaj kod.")), Length(max=64, message=TOO_LONG)],
        filters=[strip],
    )


class EmailForm(FlaskForm):
    """Asking for a new activation link or a password reset: only the e-mail."""

    email = text_field(
        _l("Adres e-mail"), 254, pattern=EMAIL_RE, message=_l("Podaj poprawny adres e-mail.")
    )
    website = StringField(_l("Nie wypełniaj tego pola"), filters=[strip])


class NewPasswordForm(NewPasswordChecks, FlaskForm):
    password = PasswordField(_l("Nowe hasło"), validators=[DataRequired(_l("Podaj hasło."))])
    password_confirm = PasswordField(
        _l("Powtórz nowe hasło"), validators=[DataRequired(_l("Powtórz hasło."))]
    )


def _botcheck_answer_field() -> StringField:
    return StringField(_l("Pytanie kontrolne"), filters=[strip])


class RegistrationForm(FlaskForm):
    """DESIGN §4 field names; `consent_<id>` fields are added per clinic by `registration_form`."""

    first_name = first_name_field()
    last_name = last_name_field()
    pesel = pesel_field()
    no_pesel = BooleanField(_l("Nie mam numeru PESEL"))
    birth_date = birth_date_field()
    street, house_number, flat_number, postal_code, locality, locality_choice = address_fields()
    email = text_field(
        _l("Adres e-mail"),
        254,
        pattern=EMAIL_RE,
        message=_l("Podaj poprawny adres e-mail, np. jan@example.com."),
    )
    phone = phone_field()
    login = text_field(
        _l("Login"),
        64,
        pattern=LOGIN_RE,
        message=_l(
            "Od 3 do 64 znaków: litery bez polskich znaków, cyfry, kropka, myślnik, podkreślenie."
        ),
    )
    password = PasswordField(
        _l("Hasło"),
        validators=[DataRequired(_l("Podaj hasło."))],
        widget=PasswordInput(hide_value=False),
    )
    password_confirm = PasswordField(
        _l("Powtórz hasło"),
        validators=[DataRequired(_l("Powtórz hasło."))],
        widget=PasswordInput(hide_value=False),
    )
    website = StringField(_l("Nie wypełniaj tego pola"), filters=[strip])
    botcheck_challenge = HiddenField()
    botcheck_solution = HiddenField()
    botcheck_answer = _botcheck_answer_field()

    consent_fields: list[tuple[object, BooleanField]] = []
    derived_birth_date: date | None = None
    derived_sex: str = ""

    def validate_pesel(self, field) -> None:
        self.derived_birth_date, self.derived_sex = None, ""
        if self.no_pesel.data:
            return
        if not field.data:
            raise ValidationError(_l("Podaj PESEL albo zaznacz „Nie mam numeru PESEL”."))
        self.derived_birth_date, self.derived_sex = read_pesel(field.data)
        if is_under_16(self.derived_birth_date):
            raise ValidationError(UNDER_16)

    def validate_no_pesel(self, field) -> None:
        if field.data:
            raise ValidationError(
                _(
                    "Bez numeru PESEL nie można założyć samodzielnego konta. Rodzic lub opiekun "
                    "dodaje taką osobę jako subkonto („Moje konto” → „Subkonta” → „Dodaj nowe "
                    "subkonto”, pole „PESEL opiekuna”). Jeśli jesteś osobą dorosłą bez numeru "
                    "PESEL, zadzwoń do rejestracji: %(phone)s.",
                    phone=current_app.config.get("ADMIN_CONTACT_PHONE", ""),
                )
            )

    def validate_birth_date(self, field) -> None:
        if self.no_pesel.data or field.data:
            check_birth_date(field.data)

    def validate_password(self, field) -> None:
        problems = password_problems(
            field.data or "", user_inputs=(self.login.data or "", self.email.data or "")
        )
        if problems:
            raise ValidationError(problems[0])

    def validate_password_confirm(self, field) -> None:
        if field.data != self.password.data:
            raise ValidationError(_l("Hasła nie są takie same."))

    def birth_date_value(self) -> date | None:
        if self.no_pesel.data:
            return parse_birth_date(self.birth_date.data or "")
        return self.derived_birth_date

    def consent_ids(self) -> tuple[int, ...]:
        return tuple(consent.id for consent, f in self.consent_fields if f.data)


# The longest value each registration field may hold; anything longer is cut to one character
# more before a validator runs (so "too long" is still said) and never echoed back in full.
FIELD_CAPS = {"password": PASSWORD_MAX, "password_confirm": PASSWORD_MAX, "email": 254}
DEFAULT_CAP = 256
TOKEN_CAP = 1024  # signed hidden values (CSRF, anti-bot challenge)


def capped_formdata(formdata: MultiDict) -> MultiDict:
    """A copy of the submitted values, each cut to its field's cap (ASVS V5.1.4): the password
    policy and the other validators never run over megabytes, and no large value comes back."""
    capped: MultiDict = MultiDict()
    for name, value in formdata.items(multi=True):
        if name in ("csrf_token", "botcheck_challenge"):
            cap = TOKEN_CAP
        else:
            cap = FIELD_CAPS.get(name, DEFAULT_CAP)
        capped.add(name[:DEFAULT_CAP], value[: cap + 1])
    return capped


def registration_form(consents, **kwargs) -> RegistrationForm:
    """The registration form with one checkbox per active consent (required ones enforced)."""

    class ClinicRegistrationForm(RegistrationForm):
        pass

    for consent in consents:
        validators = (
            [DataRequired(_l("Ta zgoda jest wymagana do założenia konta."))]
            if consent.required
            else []
        )
        setattr(
            ClinicRegistrationForm,
            f"consent_{consent.id}",
            BooleanField(consent.title, validators=validators),
        )
    # created after the consents, so the bot question follows them as it does on the page
    ClinicRegistrationForm.botcheck_answer = _botcheck_answer_field()
    form = ClinicRegistrationForm(**kwargs)
    form.consent_fields = [(c, form[f"consent_{c.id}"]) for c in consents]
    return form
