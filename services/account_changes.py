"""Rules of "Moje konto": personal data, e-mail and password change, consents, two-factor.

Each function does one change in one transaction, queues the e-mail notice inside it
(ASVS V2.2.3) and writes the audit log; views map the named exceptions to pages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import peewee
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import audit
from core.errors import DomainError
from core.mail import queue_mail
from core.passwords import hash_password, verify_password
from core.tokens import TokenInvalid, is_bound_to, mail_link, make_token, read_token
from models.accounts import Account, Consent, ConsentRecord
from models.base import write_transaction
from models.clinic import Locality
from models.patients import Patient
from services.rules import clinic_rules

EMAIL_CHANGE = "email-change"


class AccountChangeRefused(DomainError):
    """Base of the refusals of "Moje konto"; `message` is what the page says."""


class WrongPassword(AccountChangeRefused):
    """The current password given to confirm a sensitive change is wrong (ASVS V3.7.1)."""

    status = 422

    @property
    def message(self) -> str:
        return _("Nieprawidłowe hasło.")


class WrongCode(AccountChangeRefused):
    """The TOTP or recovery code is wrong or already used."""

    status = 422

    @property
    def message(self) -> str:
        return _("Nieprawidłowy lub już użyty kod.")


class EmailChangeRefused(AccountChangeRefused):
    """The confirmation link cannot change the e-mail (used, replaced, or address taken)."""


class ConsentNotChangeable(AccountChangeRefused):
    """A required consent cannot be withdrawn here."""

    @property
    def message(self) -> str:
        return _(
            "Zgody wymaganej nie można wycofać w serwisie. Aby to zrobić, złóż wniosek RODO "
            "lub skontaktuj się z administratorem."
        )


class ConsentRetired(AccountChangeRefused):
    """An old version of a consent can be withdrawn but not granted again."""

    @property
    def message(self) -> str:
        return _("Ta wersja zgody nie jest już aktualna. Udziel zgody w nowej wersji.")


# --- login methods --------------------------------------------------------------------------


@dataclass(frozen=True)
class LoginMethod:
    """One way to log in; a later issue adds signed-declaration login as another entry."""

    code: str
    name: object
    description: object
    in_use: Callable[[Account], bool]
    manage_endpoint: str | None = None


LOGIN_METHODS: list[LoginMethod] = [
    LoginMethod(
        code="password",
        name=_l("Login i hasło"),
        description=_l("Logujesz się loginem i hasłem."),
        in_use=lambda account: not account.totp_secret,
        manage_endpoint="account.password",
    ),
    LoginMethod(
        code="password_totp",
        name=_l("Login, hasło i kod z aplikacji (weryfikacja dwuetapowa)"),
        description=_l(
            "Po haśle podajesz 6-cyfrowy kod z aplikacji uwierzytelniającej albo kod zapasowy."
        ),
        in_use=lambda account: bool(account.totp_secret),
        manage_endpoint="account.two_factor",
    ),
]


def login_methods(account: Account) -> list[tuple[LoginMethod, bool]]:
    return [(method, method.in_use(account)) for method in LOGIN_METHODS]


# --- helpers --------------------------------------------------------------------------------


def _clinic() -> str:
    return current_app.config["CLINIC_NAME"]


def notice(account: Account, subject: str, what: str, to: str | None = None) -> None:
    """Mail the account (or `to`) that something changed on it, with whom to call if it was
    not them (also used by services.two_factor)."""
    queue_mail(
        to or account.email,
        subject,
        _(
            "Dzień dobry,\n\n%(what)s\n\nJeśli to nie Ty, natychmiast zadzwoń do "
            "rejestracji %(clinic)s: %(phone)s, i zmień hasło.\n",
            what=what,
            clinic=_clinic(),
            phone=current_app.config["ADMIN_CONTACT_PHONE"],
        ),
    )


def check_password(account: Account, password: str) -> None:
    """ASVS V3.7.1 a sensitive change asks for the current password again."""
    if not verify_password(account.password_hash, password or ""):
        audit.record_for_account(account, "account.reauth_failed")
        raise WrongPassword()


# --- personal data --------------------------------------------------------------------------


@dataclass
class PersonalData:
    first_name: str
    last_name: str
    phone: str
    street: str
    house_number: str
    flat_number: str
    postal_code: str
    locality: Locality


def update_personal_data(account: Account, data: PersonalData) -> None:
    """PESEL, birth date and sex are not editable by the patient (they identify the person)."""
    patient = account.patient
    new_values = {
        "first_name": data.first_name,
        "last_name": data.last_name,
        "phone": data.phone,
        "street": data.street,
        "house_number": data.house_number,
        "flat_number": data.flat_number,
        "postal_code": data.postal_code,
        "locality_id": data.locality.id,
    }
    changed = [name for name, value in new_values.items() if getattr(patient, name) != value]
    with write_transaction():
        Patient.update({getattr(Patient, name): value for name, value in new_values.items()}).where(
            Patient.id == patient.id
        ).execute()
        audit.record(
            "account.personal_data_changed",
            patient_id=patient.id,
            object_type="patient",
            object_id=patient.id,
            account_id=account.id,
            details=",".join(changed),
        )


# --- e-mail change --------------------------------------------------------------------------


def _email_binding(account: Account) -> str:
    return f"{account.email}|{account.pending_email or ''}"


def request_email_change(account: Account, password: str, new_email: str) -> None:
    """Store the new address as pending and send it a confirmation link.

    ASVS V3.7.1 needs the current password; V2.2.3 the old address is told. Whether another
    account already uses the new address is not revealed here: the link goes out anyway and
    the confirmation refuses it with a generic message.
    """
    check_password(account, password)
    new_email = new_email.strip().lower()
    with write_transaction():
        Account.update(pending_email=new_email).where(Account.id == account.id).execute()
        account.pending_email = new_email
        token = make_token(
            EMAIL_CHANGE, {"a": account.id, "e": new_email}, bound_to=_email_binding(account)
        )
        hours = clinic_rules().email_change_max_age_hours
        queue_mail(
            new_email,
            _("Potwierdź nowy adres e-mail w e-Rejestracji"),
            _(
                "Dzień dobry,\n\naby ustawić ten adres jako adres konta w e-Rejestracji "
                "%(clinic)s, otwórz link:\n%(link)s\n\nLink jest ważny %(hours)s godz. i działa "
                "jeden raz. Jeśli to nie Ty, zignoruj tę wiadomość.\n",
                clinic=_clinic(),
                link=mail_link("account.confirm_email", token=token),
                hours=hours,
            ),
        )
        notice(
            account,
            _("Prośba o zmianę adresu e-mail"),
            _(
                "poproszono o zmianę adresu e-mail Twojego konta na %(new)s. Adres zmieni się "
                "dopiero po kliknięciu linku wysłanego na nowy adres.",
                new=new_email,
            ),
        )
        audit.record_for_account(account, "account.email_change_requested")


def account_from_email_token(token: str) -> tuple[Account, str]:
    """The account and new address a confirmation link names; TokenInvalid if it is spent."""
    hours = clinic_rules().email_change_max_age_hours
    data = read_token(EMAIL_CHANGE, token, hours * 3600)
    account_id, new_email = data.get("a"), data.get("e")
    if not isinstance(account_id, int) or not isinstance(new_email, str):
        raise TokenInvalid("bad payload")
    account = Account.get_or_none(Account.id == account_id)
    if account is None or account.pending_email != new_email:
        raise TokenInvalid("used or replaced")
    if not is_bound_to(data, _email_binding(account)):
        raise TokenInvalid("used")
    return account, new_email


def confirm_email_change(token: str) -> Account:
    """Switch the account to the confirmed address; the link then stops working."""
    account, new_email = account_from_email_token(token)
    old_email = account.email
    try:
        with write_transaction():
            taken = (
                Account.select()
                .where((peewee.fn.LOWER(Account.email) == new_email) & (Account.id != account.id))
                .exists()
            )
            if taken:
                raise EmailChangeRefused()
            changed = (
                Account.update(email=new_email, pending_email=None)
                .where((Account.id == account.id) & (Account.pending_email == new_email))
                .execute()
            )
            if changed != 1:
                raise EmailChangeRefused()
            account.email, account.pending_email = new_email, None
            notice(
                account,
                _("Adres e-mail konta został zmieniony"),
                _(
                    "adres e-mail Twojego konta w e-Rejestracji zmieniono na %(new)s.",
                    new=new_email,
                ),
                to=old_email,
            )
            audit.record_for_account(account, "account.email_changed")
    except peewee.IntegrityError:
        raise EmailChangeRefused() from None
    return account


# --- password -------------------------------------------------------------------------------


def change_password(account: Account, current_password: str, new_password: str) -> Account:
    """ASVS V2.1.5/V2.1.6 change with the current password; V3.3.3 other sessions end.

    The caller starts a fresh session for the returned account (new session version).
    """
    check_password(account, current_password)
    new_hash = hash_password(new_password)
    with write_transaction():
        Account.update(password_hash=new_hash, session_version=Account.session_version + 1).where(
            Account.id == account.id
        ).execute()
        notice(
            account,
            _("Hasło do konta zostało zmienione"),
            _(
                "hasło do Twojego konta w e-Rejestracji zostało zmienione, a pozostałe "
                "sesje wylogowane."
            ),
        )
        audit.record_for_account(account, "account.password_changed")
    return Account.get_by_id(account.id)


# --- consents -------------------------------------------------------------------------------


@dataclass
class ConsentState:
    consent: Consent
    granted: bool
    since: datetime | None


def consent_states(account: Account) -> list[ConsentState]:
    """Every active consent plus any the account ever answered, with its latest state."""
    records = list(
        ConsentRecord.select()
        .where(ConsentRecord.account == account.id)
        .order_by(ConsentRecord.at, ConsentRecord.id)
    )
    latest = {r.consent_id: r for r in records}
    consents = (
        Consent.select()
        .where(Consent.active | Consent.id.in_(list(latest) or [0]))
        .order_by(Consent.required.desc(), Consent.code, Consent.version)
    )
    return [
        ConsentState(
            consent=c,
            granted=bool(latest.get(c.id) and latest[c.id].granted),
            since=latest[c.id].at if c.id in latest else None,
        )
        for c in consents
    ]


def consent_history(account: Account) -> list[ConsentRecord]:
    return list(
        ConsentRecord.select(ConsentRecord, Consent)
        .join(Consent)
        .where(ConsentRecord.account == account.id)
        .order_by(ConsentRecord.at.desc(), ConsentRecord.id.desc())
    )


def consent_for(account: Account, consent_id: int) -> Consent | None:
    """A consent the account may answer: active, or one it answered before (to withdraw)."""
    answered = ConsentRecord.select(ConsentRecord.id).where(
        (ConsentRecord.account == account.id) & (ConsentRecord.consent == consent_id)
    )
    return Consent.get_or_none(
        (Consent.id == consent_id) & (Consent.active | peewee.fn.EXISTS(answered))
    )


def set_consent(account: Account, consent: Consent, granted: bool, ip: str) -> bool:
    """Record a grant or withdrawal (a new row; history is kept). False if nothing changed."""
    if not granted and consent.required:
        raise ConsentNotChangeable()
    if granted and not consent.active:
        raise ConsentRetired()
    with write_transaction():
        last = (
            ConsentRecord.select()
            .where((ConsentRecord.account == account.id) & (ConsentRecord.consent == consent.id))
            .order_by(ConsentRecord.at.desc(), ConsentRecord.id.desc())
            .first()
        )
        if (last is not None and last.granted) == granted:
            return False  # no change: a never-given consent cannot be withdrawn either
        ConsentRecord.create(account=account.id, consent=consent.id, granted=granted, ip=ip[:45])
        audit.record_for_account(
            account,
            "consent.granted" if granted else "consent.withdrawn",
            details=f"{consent.code} v{consent.version}",
        )
    return True
