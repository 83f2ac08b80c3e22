"""Field rules shared by every form that takes a person's details (registration, "Moje konto",
later the staff side's patient forms): one definition of each field, called in each class body
(a call per class keeps WTForms' field order).

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
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from core import pesel as pesel_rules
from core.password_policy import password_problems
from core.timeutil import local_today
from models.clinic import Locality
from services.localities import resolve_locality_choice

NAME_RE = r"^[^\W\d_]+(?:[ '’.\-][^\W\d_]+)*\.?$"
LOGIN_RE = r"^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$"
PHONE_RE = r"^\+?[0-9][0-9 ()-]{7,24}$"
POSTAL_RE = r"^[0-9]{2}-[0-9]{3}$"
STREET_RE = r"^[\w .,'’\"/()-]*$"
HOUSE_RE = r"^[0-9A-Za-z][0-9A-Za-z /-]*$"
# Local part: letters (also non-ASCII), digits and the usual signs; no '%', quotes or spaces.
EMAIL_RE = r"^[\w.!#$&'*+/=?^`{|}~-]{1,64}@[\w-]+(?:\.[\w-]+)+$"


TOO_LONG = _l("Za długi tekst (najwyżej %(max)d znaków).")


def strip(value):
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


def clean_text(form, field) -> None:
    """Refuse broken encodings and control characters in any text field."""
    value = field.data
    if not isinstance(value, str):
        return
    if "\ufffd" in value:
        raise ValidationError(_l("Pole zawiera nieprawidłowo zakodowane znaki."))
    if any(unicodedata.category(c) in {"Cc", "Cf", "Cs", "Co", "Cn"} for c in value):
        raise ValidationError(_l("Pole zawiera niedozwolone znaki."))


def text_field(
    label,
    max_length: int,
    required: bool | None = True,
    pattern: str | None = None,
    message=None,
    normalize=strip,
):
    # required=None: no Optional(), so the form's own validate_<name> runs on empty input too.
    validators: list = []
    if required:
        validators.append(DataRequired(_l("To pole jest wymagane.")))
    elif required is not None:
        validators.append(Optional())
    validators += [
        Length(max=max_length, message=TOO_LONG),
        clean_text,
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
    return text_field(
        _l("Imię"),
        100,
        pattern=NAME_RE,
        message=_l("Imię może zawierać litery, spację, myślnik i apostrof."),
    )


def last_name_field() -> StringField:
    return text_field(
        _l("Nazwisko"),
        100,
        pattern=NAME_RE,
        message=_l("Nazwisko może zawierać litery, spację, myślnik i apostrof."),
    )


def phone_field() -> StringField:
    return text_field(
        _l("Telefon"), 30, pattern=PHONE_RE, message=_l("Podaj numer telefonu, np. 600 100 200.")
    )


def street_field() -> StringField:
    return text_field(
        _l("Ulica"),
        200,
        required=False,
        pattern=STREET_RE,
        message=_l("Ulica może zawierać litery, cyfry, spację, kropkę i myślnik."),
    )


def house_number_field() -> StringField:
    return text_field(
        _l("Numer domu"), 20, pattern=HOUSE_RE, message=_l("Podaj numer domu, np. 12 lub 12A.")
    )


def flat_number_field() -> StringField:
    return text_field(
        _l("Numer lokalu"),
        20,
        required=False,
        pattern=HOUSE_RE,
        message=_l("Podaj numer lokalu, np. 5."),
    )


def postal_code_field() -> StringField:
    return text_field(
        _l("Kod pocztowy"),
        6,
        pattern=POSTAL_RE,
        message=_l("Kod pocztowy w formacie 00-000."),
        normalize=normalize_postal_code,
    )


def locality_field() -> StringField:
    return text_field(_l("Miejscowość"), 120)


def pesel_field() -> StringField:
    """Required or not by the form's own validate_pesel (a person may have no PESEL)."""
    return text_field(_l("PESEL"), 11, required=None, normalize=normalize_pesel)


def birth_date_field() -> StringField:
    """Asked only without a PESEL; checked by the form's validate_birth_date."""
    return text_field(_l("Data urodzenia"), 10, required=None)


def address_fields() -> tuple[StringField, ...]:
    """street, house_number, flat_number, postal_code, locality and the hidden
    locality_choice, in this order (unpack them in the class body)."""
    return (
        street_field(),
        house_number_field(),
        flat_number_field(),
        postal_code_field(),
        locality_field(),
        HiddenField(),
    )


def read_pesel(value: str) -> tuple[date, str]:
    """The birth date and sex a PESEL holds; a wrong number or a birth date in the future is a
    ValidationError with the message the person sees."""
    try:
        born, sex = pesel_rules.parse(value)
    except pesel_rules.InvalidPesel:
        raise ValidationError(_l("Nieprawidłowy numer PESEL — sprawdź cyfry.")) from None
    if born > local_today():
        raise ValidationError(_l("Nieprawidłowy numer PESEL — data urodzenia z przyszłości."))
    return born, sex


def check_birth_date(text: str) -> None:
    """The birth date typed by someone without a PESEL: given, a real date, not in the future
    and not before 1900."""
    if not text:
        raise ValidationError(_l("Bez numeru PESEL podaj datę urodzenia."))
    born = parse_birth_date(text)
    if born is None:
        raise ValidationError(_l("Podaj prawidłową datę urodzenia."))
    if born > local_today() or born.year < 1900:
        raise ValidationError(_l("Podaj prawdziwą datę urodzenia."))


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


def resolve_locality_field(form: FlaskForm, choice: str) -> tuple[Locality | None, list[Locality]]:
    """Turn the typed `locality` (or the candidate picked without JS) into a Locality; an
    unknown or ambiguous name becomes an error on the field, with candidates to choose."""
    locality, candidates = None, []
    if form.locality.data and not form.locality.errors:
        locality, candidates = resolve_locality_choice(form.locality.data, choice)
        if locality is None:
            form.locality.errors.append(
                _l("Wybierz miejscowość z listy poniżej.")
                if candidates
                else _l(
                    "Nie znamy takiej miejscowości. Sprawdź pisownię lub zadzwoń do "
                    "rejestracji: %(phone)s.",
                    phone=current_app.config["ADMIN_CONTACT_PHONE"],
                )
            )
        else:
            form.locality.data = locality.label
    return locality, candidates
