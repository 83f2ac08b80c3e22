"""Forms of the auth area: log in, second step, registration, activation link, password reset.

Every text field is stripped, length-limited and checked against an allow-list (ASVS V5.1);
text that arrived as invalid UTF-8 (U+FFFD after decoding) or with control characters is
refused with a message instead of being stored.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError
from wtforms.widgets import PasswordInput

from core import pesel as pesel_rules
from core.password_policy import MAX_LENGTH as PASSWORD_MAX
from core.password_policy import password_problems
from models.clinic import Locality

from .service import resolve_locality

NAME_RE = r"^[^\W\d_]+(?:[ '’.\-][^\W\d_]+)*\.?$"
LOGIN_RE = r"^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$"
PHONE_RE = r"^\+?[0-9][0-9 ()-]{7,24}$"
POSTAL_RE = r"^[0-9]{2}-[0-9]{3}$"
STREET_RE = r"^[\w .,'’\"/()-]*$"
HOUSE_RE = r"^[0-9A-Za-z][0-9A-Za-z /-]*$"
# Local part: letters (also non-ASCII), digits and the usual signs; no '%', quotes or spaces.
EMAIL_RE = r"^[\w.!#$&'*+/=?^`{|}~-]{1,64}@[\w-]+(?:\.[\w-]+)+$"


_TOO_LONG = _l("Za długi tekst (najwyżej %(max)d znaków).")


def _strip(value):
    return value.strip() if isinstance(value, str) else value


_SEPARATORS = re.compile(r"[\s\u00a0\u2007\u202f\-\u2010-\u2015]")


def normalize_pesel(value):
    """A PESEL pasted as "850 1010 1235" or "85-10-10-12-35" is the same 11 digits."""
    if not isinstance(value, str):
        return value
    compact = _SEPARATORS.sub("", value)
    return compact if compact.isdigit() else value.strip()


def normalize_postal_code(value):
    """ "05 500", "05500" and " 05-500 " are all the postal code 05-500."""
    if not isinstance(value, str):
        return value
    m = re.fullmatch(r"\s*(\d{2})[\s\u00a0\-\u2010-\u2015]*(\d{3})\s*", value)
    return f"{m.group(1)}-{m.group(2)}" if m else value.strip()


def _clean_text(form, field) -> None:
    """Refuse broken encodings and control characters in any text field."""
    value = field.data
    if not isinstance(value, str):
        return
    if "\ufffd" in value:
        raise ValidationError(_l("Pole zawiera nieprawidłowo zakodowane znaki."))
    if any(unicodedata.category(c) in {"Cc", "Cf", "Cs", "Co", "Cn"} for c in value):
        raise ValidationError(_l("Pole zawiera niedozwolone znaki."))


def _text(
    label,
    max_length: int,
    required: bool | None = True,
    pattern: str | None = None,
    message=None,
    normalize=_strip,
):
    # required=None: no Optional(), so the form's own validate_<name> runs on empty input too.
    validators: list = []
    if required:
        validators.append(DataRequired(_l("To pole jest wymagane.")))
    elif required is not None:
        validators.append(Optional())
    validators += [
        Length(max=max_length, message=_TOO_LONG),
        _clean_text,
    ]
    if pattern:
        validators.append(Regexp(pattern, message=message or _l("Nieprawidłowy format.")))
    return StringField(label, validators=validators, filters=[normalize])


def parse_birth_date(text: str) -> date | None:
    text = (text or "").strip()
    for pattern in (r"^(\d{4})-(\d{2})-(\d{2})$", r"^(\d{2})\.(\d{2})\.(\d{4})$"):
        m = re.match(pattern, text)
        if m:
            parts = [int(p) for p in m.groups()]
            y, mo, d = parts if pattern.startswith(r"^(\d{4})") else parts[::-1]
            try:
                return date(y, mo, d)
            except ValueError:
                return None
    return None


# Fields shared by registration and "Moje konto": one definition, called in each class body
# (a call per class keeps WTForms' field order).


def first_name_field() -> StringField:
    return _text(
        _l("Imię"),
        100,
        pattern=NAME_RE,
        message=_l("Imię może zawierać litery, spację, myślnik i apostrof."),
    )


def last_name_field() -> StringField:
    return _text(
        _l("Nazwisko"),
        100,
        pattern=NAME_RE,
        message=_l("Nazwisko może zawierać litery, spację, myślnik i apostrof."),
    )


def phone_field() -> StringField:
    return _text(
        _l("Telefon"), 30, pattern=PHONE_RE, message=_l("Podaj numer telefonu, np. 600 100 200.")
    )


def street_field() -> StringField:
    return _text(
        _l("Ulica"),
        200,
        required=False,
        pattern=STREET_RE,
        message=_l("Ulica może zawierać litery, cyfry, spację, kropkę i myślnik."),
    )


def house_number_field() -> StringField:
    return _text(
        _l("Numer domu"), 20, pattern=HOUSE_RE, message=_l("Podaj numer domu, np. 12 lub 12A.")
    )


def flat_number_field() -> StringField:
    return _text(
        _l("Numer lokalu"),
        20,
        required=False,
        pattern=HOUSE_RE,
        message=_l("Podaj numer lokalu, np. 5."),
    )


def postal_code_field() -> StringField:
    return _text(
        _l("Kod pocztowy"),
        6,
        pattern=POSTAL_RE,
        message=_l("Kod pocztowy w formacie 00-000."),
        normalize=normalize_postal_code,
    )


def locality_field() -> StringField:
    return _text(_l("Miejscowość"), 120)


class LoginForm(FlaskForm):
    login = StringField(
        _l("Login"),
        validators=[DataRequired(_l("Podaj login.")), Length(max=64, message=_TOO_LONG)],
        filters=[_strip],
    )
    password = PasswordField(
        _l("Hasło"),
        validators=[DataRequired(_l("Podaj hasło.")), Length(max=PASSWORD_MAX, message=_TOO_LONG)],
    )
    # Shown only past an IP block or an account lock caused elsewhere (ASVS V2.2.1).
    botcheck_challenge = HiddenField()
    botcheck_solution = HiddenField()
    botcheck_answer = StringField(_l("Pytanie kontrolne"), filters=[_strip])


class CodeForm(FlaskForm):
    code = StringField(
        _l("Kod z aplikacji lub kod zapasowy"),
        validators=[DataRequired(_l("Podaj kod.")), Length(max=64, message=_TOO_LONG)],
        filters=[_strip],
    )


class EmailForm(FlaskForm):
    """Asking for a new activation link or a password reset: only the e-mail."""

    email = _text(
        _l("Adres e-mail"), 254, pattern=EMAIL_RE, message=_l("Podaj poprawny adres e-mail.")
    )
    website = StringField(_l("Nie wypełniaj tego pola"), filters=[_strip])


class NewPasswordChecks:
    """The password policy and the confirmation check for any form with `password` and
    `password_confirm` fields (a mixin without fields, so each form keeps its field order)."""

    user_inputs: tuple[str, ...] = ()

    def validate_password(self, field) -> None:
        problems = password_problems(field.data or "", user_inputs=self.user_inputs)
        if problems:
            raise ValidationError(problems[0])

    def validate_password_confirm(self, field) -> None:
        if field.data != self.password.data:
            raise ValidationError(_l("Hasła nie są takie same."))


class NewPasswordForm(NewPasswordChecks, FlaskForm):
    password = PasswordField(_l("Nowe hasło"), validators=[DataRequired(_l("Podaj hasło."))])
    password_confirm = PasswordField(
        _l("Powtórz nowe hasło"), validators=[DataRequired(_l("Powtórz hasło."))]
    )


def _botcheck_answer_field() -> StringField:
    return StringField(_l("Pytanie kontrolne"), filters=[_strip])


class RegistrationForm(FlaskForm):
    """DESIGN §4 field names; `consent_<id>` fields are added per clinic by `registration_form`."""

    first_name = first_name_field()
    last_name = last_name_field()
    pesel = _text(_l("PESEL"), 11, required=None, normalize=normalize_pesel)
    no_pesel = BooleanField(_l("Nie mam numeru PESEL"))
    birth_date = _text(_l("Data urodzenia"), 10, required=None)
    street = street_field()
    house_number = house_number_field()
    flat_number = flat_number_field()
    postal_code = postal_code_field()
    locality = locality_field()
    locality_choice = HiddenField()
    email = _text(
        _l("Adres e-mail"),
        254,
        pattern=EMAIL_RE,
        message=_l("Podaj poprawny adres e-mail, np. jan@example.com."),
    )
    phone = phone_field()
    login = _text(
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
    website = StringField(_l("Nie wypełniaj tego pola"), filters=[_strip])
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
        try:
            self.derived_birth_date, self.derived_sex = pesel_rules.parse(field.data)
        except pesel_rules.InvalidPesel:
            raise ValidationError(_l("Nieprawidłowy numer PESEL — sprawdź cyfry.")) from None
        if self.derived_birth_date > date.today():
            self.derived_birth_date = None
            raise ValidationError(_l("Nieprawidłowy numer PESEL — data urodzenia z przyszłości."))

    def validate_birth_date(self, field) -> None:
        if not self.no_pesel.data and not field.data:
            return
        if not field.data:
            raise ValidationError(_l("Bez numeru PESEL podaj datę urodzenia."))
        born = parse_birth_date(field.data)
        if born is None:
            raise ValidationError(_l("Podaj prawidłową datę urodzenia."))
        if born > date.today() or born.year < 1900:
            raise ValidationError(_l("Podaj prawdziwą datę urodzenia."))

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


def resolve_locality_field(form: FlaskForm, choice: str) -> tuple[Locality | None, list[Locality]]:
    """Turn the typed `locality` (or the candidate picked without JS) into a Locality; an
    unknown or ambiguous name becomes an error on the field, with candidates to choose."""
    locality, candidates = None, []
    if form.locality.data and not form.locality.errors:
        locality, candidates = resolve_locality(form.locality.data, choice)
        if locality is None:
            form.locality.errors.append(
                _l("Wybierz miejscowość z listy poniżej.")
                if candidates
                else _l(
                    "Nie znamy takiej miejscowości. Sprawdź pisownię lub zadzwoń do "
                    "rejestracji: %(phone)s.",
                    phone=current_app.config.get("ADMIN_CONTACT_PHONE", ""),
                )
            )
        else:
            form.locality.data = locality.label
    return locality, candidates
