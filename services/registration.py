"""Registration rules as plain functions: register, activate, and the "send me a link"
requests (a new activation link, a password reset: services/password_reset.py).

Every function takes `now` so tests can shift time without sleeping.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import peewee
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from core import audit
from core.mail import queue_mail
from core.passwords import hash_password
from core.tokens import TokenInvalid, is_bound_to, mail_link, make_token, max_age, read_token
from models.accounts import Account, Consent, ConsentRecord, EmailRequest
from models.base import utcnow, write_transaction
from models.clinic import Locality
from models.patients import Patient

from . import password_reset
from .accounts import find_by_login, log

ACTIVATION = "activate"


class AlreadyActive(TokenInvalid):
    """A genuine activation link for an account that is already active."""


# --- registration -------------------------------------------------------------------------


@dataclass
class Registration:
    first_name: str
    last_name: str
    pesel: str | None
    birth_date: date
    sex: str
    email: str
    phone: str
    login: str
    password: str
    street: str
    house_number: str
    flat_number: str
    postal_code: str
    locality: Locality
    consent_ids: tuple[int, ...]


def activation_token(account: Account) -> str:
    """Bound to the activation state: once the account is active the link is used up."""
    return make_token(ACTIVATION, {"a": account.id}, bound_to=str(account.activated_at))


def _queue_activation(account: Account) -> None:
    link = mail_link("auth.activate", token=activation_token(account))
    hours = current_app.config["ACTIVATION_MAX_AGE_HOURS"]
    queue_mail(
        account.email,
        _("Aktywuj konto w e-Rejestracji"),
        _(
            "Dzień dobry,\n\naby aktywować konto w e-Rejestracji %(clinic)s, otwórz link:\n"
            "%(link)s\n\nLink jest ważny %(hours)s godz. i działa jeden raz. Jeśli to nie Ty "
            "zakładasz konto, zignoruj tę wiadomość.\n",
            clinic=current_app.config["CLINIC_NAME"],
            link=link,
            hours=hours,
        ),
    )


def _queue_already_registered(to: str) -> None:
    queue_mail(
        to,
        _("Próba założenia konta w e-Rejestracji"),
        _(
            "Dzień dobry,\n\nktoś (być może Ty) próbował założyć konto w e-Rejestracji "
            "%(clinic)s z danymi, które już należą do Twojego konta. Nowe konto nie zostało "
            "utworzone.\n\nJeśli nie pamiętasz hasła, skorzystaj z opcji „Nie pamiętam hasła”: "
            "%(link)s\n\nJeśli to nie Ty, zignoruj tę wiadomość.\n",
            clinic=current_app.config["CLINIC_NAME"],
            link=mail_link("auth.forgot_password"),
        ),
    )


def _queue_login_taken(to: str, login: str) -> None:
    queue_mail(
        to,
        _("Wybierz inny login w e-Rejestracji"),
        _(
            "Dzień dobry,\n\nlogin „%(login)s” jest już zajęty, więc konto nie zostało "
            "utworzone. Wypełnij formularz ponownie i wybierz inny login: %(link)s\n",
            login=login,
            link=mail_link("auth.register"),
        ),
    )


def _same(a: str, b: str) -> bool:
    return " ".join((a or "").split()).casefold() == " ".join((b or "").split()).casefold()


def joins_desk_record(holder: Patient, reg: Registration) -> bool:
    """A login may join a patient the desk registered (a person who phoned) only when the
    record has no login yet and the form repeats its data: first and last name, birth date
    and the phone number the desk wrote down. Otherwise the registration ends like any
    duplicate — the same page, so nobody learns that a record exists."""
    digits = "".join(c for c in reg.phone or "" if c.isdigit())[-9:]
    on_file = "".join(c for c in holder.phone or "" if c.isdigit())[-9:]
    return (
        holder.registered_at_desk
        and _same(holder.first_name, reg.first_name)
        and _same(holder.last_name, reg.last_name)
        and holder.birth_date == reg.birth_date
        and len(on_file) == 9
        and digits == on_file
    )


def _join(
    holder: Patient, reg: Registration, email: str, password_hash: str, ip: str, now: datetime
) -> Account:
    """The new login becomes the desk's record's; the address fills what the desk left out."""
    Patient.update(
        street=reg.street,
        house_number=reg.house_number,
        flat_number=reg.flat_number,
        postal_code=reg.postal_code,
        locality=reg.locality,
    ).where(Patient.id == holder.id).execute()
    account = Account.create(
        patient=holder, login=reg.login, email=email, password_hash=password_hash, created_at=now
    )
    for consent in Consent.select().where(Consent.id.in_(list(reg.consent_ids) or [0])):
        ConsentRecord.create(account=account, consent=consent, granted=True, at=now, ip=ip)
    _queue_activation(account)
    audit.record(
        "register.joined_desk_record",
        patient_id=holder.id,
        object_type="account",
        object_id=account.id,
        account_id=account.id,
    )
    return account


def register(reg: Registration, ip: str, now: datetime | None = None) -> Account | None:
    """Create the patient and the inactive account, store consents, queue the activation mail.

    ASVS V2.1.7, V2.3.1, V2.4.1. A duplicate e-mail, PESEL or login never shows on the page:
    the owner of the existing account (or the new address, for a taken login) gets a mail
    instead, and the caller shows the same "check your e-mail" page. Returns None then.
    """
    now = now or utcnow()
    password_hash = hash_password(reg.password)  # always, so both answers take the same time
    email = reg.email.strip().lower()
    try:
        with write_transaction():
            existing = Account.get_or_none(peewee.fn.LOWER(Account.email) == email)
            if existing is None and reg.pesel:
                holder = Patient.get_or_none(Patient.pesel == reg.pesel)
                if holder is not None:
                    existing = Account.get_or_none(Account.patient == holder)
                    if (
                        existing is None
                        and find_by_login(reg.login) is None
                        and joins_desk_record(holder, reg)
                    ):
                        return _join(holder, reg, email, password_hash, ip, now)
                    if existing is None:
                        log.info("Registration refused: PESEL belongs to a patient without login")
                        audit.record("register.duplicate", patient_id=holder.id, details="pesel")
                        return None
            if existing is not None:
                _queue_already_registered(existing.email)
                audit.record("register.duplicate", patient_id=existing.patient_id)
                return None
            if find_by_login(reg.login) is not None:
                _queue_login_taken(email, reg.login)
                audit.record("register.duplicate", details="login")
                return None
            patient = Patient.create(
                first_name=reg.first_name,
                last_name=reg.last_name,
                pesel=reg.pesel or None,
                birth_date=reg.birth_date,
                sex=reg.sex,
                street=reg.street,
                house_number=reg.house_number,
                flat_number=reg.flat_number,
                postal_code=reg.postal_code,
                locality=reg.locality,
                phone=reg.phone,
                created_at=now,
            )
            account = Account.create(
                patient=patient,
                login=reg.login,
                email=email,
                password_hash=password_hash,
                created_at=now,
            )
            for consent in Consent.select().where(Consent.id.in_(list(reg.consent_ids) or [0])):
                ConsentRecord.create(account=account, consent=consent, granted=True, at=now, ip=ip)
            _queue_activation(account)
            audit.record(
                "register",
                patient_id=patient.id,
                object_type="account",
                object_id=account.id,
                account_id=account.id,
            )
    except peewee.IntegrityError:
        # Another registration with the same data won the race: same answer as a duplicate.
        log.info("Registration lost a uniqueness race")
        return None
    return account


# --- activation ---------------------------------------------------------------------------


def account_from_activation(token: str) -> Account:
    """The account a genuine, unexpired, unused link activates; else TokenInvalid/Expired."""
    data = read_token(ACTIVATION, token, max_age("ACTIVATION_MAX_AGE_HOURS"))
    account = Account.get_or_none(Account.id == data.get("a"))
    if account is None:
        raise TokenInvalid("unknown account")
    if not is_bound_to(data, str(account.activated_at)):
        if account.activated_at is not None:
            raise AlreadyActive("already active")
        raise TokenInvalid("used")
    return account


def activate(token: str, now: datetime | None = None) -> Account:
    """ASVS V2.3.1 signed, expiring, single-use activation."""
    now = now or utcnow()
    account = account_from_activation(token)
    with write_transaction():
        changed = (
            Account.update(activated_at=now)
            .where((Account.id == account.id) & Account.activated_at.is_null())
            .execute()
        )
        if changed != 1:
            raise TokenInvalid("already used")
        audit.record_for_account(account, "account.activated")
    return Account.get_by_id(account.id)


# --- "send me a link" requests: the same work in the request for every address ------------

LINK_REQUEST_KINDS = ("activation", "reset")


def queue_link_request(kind: str, email: str, ip: str, locale: str = "pl") -> None:
    """ASVS V2.5.x: store the request for the worker — one insert, whether or not the address
    has an account. The lookup, the mail and the audit row happen in `process_link_requests`,
    outside the request, so the answer's timing does not tell who has an account."""
    if kind not in LINK_REQUEST_KINDS:
        raise ValueError(kind)
    EmailRequest.create(
        kind=kind, email=(email or "").strip().lower()[:254], ip=ip[:45], locale=locale[:8]
    )


def process_link_requests(limit: int = 100) -> int:
    """The worker's side: answer waiting link requests (each taken once, by deleting it in the
    transaction that queues its mail). Returns how many were handled."""
    handled = 0
    for row in list(EmailRequest.select().order_by(EmailRequest.id).limit(limit)):
        with write_transaction():
            if EmailRequest.delete().where(EmailRequest.id == row.id).execute() != 1:
                continue  # another worker took it
            with force_locale(row.locale or "pl"):
                if row.kind == "reset":
                    password_reset.request_password_reset(row.email, ip=row.ip)
                elif row.kind == "activation":
                    resend_activation(row.email)
        handled += 1
    return handled


def resend_activation(email: str) -> None:
    """Queue a new link if an inactive account has this e-mail; silent otherwise."""
    email = (email or "").strip().lower()
    if not email or len(email) > 254:
        return
    with write_transaction():
        account = Account.get_or_none(peewee.fn.LOWER(Account.email) == email)
        if account is not None and account.activated_at is None and not account.disabled:
            _queue_activation(account)
