"""The desk's patients: find one by name, PESEL or phone, register a person who only phones,
and the account actions staff take after an ID check. Every action is audit-logged with the
staff account as the actor."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

import peewee as pw
from flask import current_app
from flask_babel import gettext as _

from core import audit
from core.errors import DomainError
from core.mail import queue_mail
from models.accounts import Account, Guardianship, RecoveryCode
from models.base import utcnow, write_transaction
from models.patients import Patient

from . import lockout, registration
from .accounts import end_sessions, unlock_account

PAGE_SIZE = 20


class DeskRefused(DomainError):
    """A desk action that cannot be done; `message` says why."""

    status = 409

    def __init__(self, text: str, status: int = 409) -> None:
        super().__init__(text)
        self.text = text
        self.status = status

    @property
    def message(self) -> str:
        return self.text


# --- finding a patient ----------------------------------------------------------------------


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value or "")


def find_patients(query: str, page: int = 1) -> tuple[list[Patient], bool]:
    """Patients matching every word of the query: 11 digits are a PESEL, 6+ digits a phone
    number (spaces and dashes ignored), words parts of the first or last name. Returns a page
    and whether there is a next one."""
    query = (query or "").strip()[:100]
    if not query:
        return [], False
    select = Patient.select()
    digits = _digits(query)
    if len(digits) == 11 and not re.search(r"[^\d\s-]", query):
        select = select.where(Patient.pesel == digits)
    elif len(digits) >= 6 and not re.search(r"[^\d\s+()-]", query):
        phone = pw.fn.REPLACE(pw.fn.REPLACE(Patient.phone, " ", ""), "-", "")
        select = select.where(phone.contains(digits[-9:]))
    else:
        for word in query.split()[:4]:
            select = select.where(
                Patient.first_name.contains(word) | Patient.last_name.contains(word)
            )
    page = max(1, min(page, 1000))
    rows = list(
        select.order_by(Patient.last_name, Patient.first_name, Patient.id)
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE + 1)
    )
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def patient_by_id(patient_id: int) -> Patient | None:
    return Patient.get_or_none(Patient.id == patient_id)


def account_of(patient: Patient) -> Account | None:
    return Account.get_or_none(Account.patient == patient.id)


def guardians_of(patient: Patient) -> list[Account]:
    return list(
        Account.select()
        .join(Guardianship, on=(Guardianship.guardian == Account.id))
        .where(Guardianship.patient == patient.id)
    )


def mail_recipients(patient_id: int) -> list[str]:
    """Who hears about the patient's visits: their own login, else their guardians'."""
    own = Account.get_or_none(Account.patient == patient_id)
    if own is not None:
        return [own.email]
    return [
        a.email
        for a in Account.select()
        .join(Guardianship, on=(Guardianship.guardian == Account.id))
        .where(Guardianship.patient == patient_id)
    ]


# --- a person who only phones ----------------------------------------------------------------


@dataclass
class PhonePatient:
    first_name: str
    last_name: str
    pesel: str | None
    birth_date: date
    sex: str
    phone: str


def register_phone_patient(staff: Account, data: PhonePatient) -> Patient:
    """A patient record without a login. A PESEL already on file is refused (staff may know:
    they see the register), so the desk opens that record instead of making a second one."""
    try:
        with write_transaction():
            patient = Patient.create(
                first_name=data.first_name.strip(),
                last_name=data.last_name.strip(),
                pesel=data.pesel or None,
                birth_date=data.birth_date,
                sex=data.sex,
                phone=data.phone.strip(),
                registered_at_desk=True,
            )
            audit.record(
                "desk.patient_registered",
                patient_id=patient.id,
                object_type="patient",
                object_id=patient.id,
                account_id=staff.id,
            )
    except pw.IntegrityError:
        raise DeskRefused(
            _("Pacjent z tym numerem PESEL jest już w rejestrze. Wyszukaj go po numerze PESEL.")
        ) from None
    return patient


# --- account actions after an ID check -------------------------------------------------------

ACCOUNT_ACTIONS = (
    "verify",
    "activate",
    "resend_activation",
    "unlock",
    "disable",
    "enable",
    "remind_login",
    "reset_two_factor",
)


def _notice(account: Account, subject: str, body: str) -> None:
    queue_mail(account.email, subject, _("Dzień dobry,\n\n") + body + "\n")


def _record(staff: Account, account: Account, action: str) -> None:
    audit.record(
        f"desk.account.{action}",
        patient_id=account.patient_id,
        object_type="account",
        object_id=account.id,
        account_id=staff.id,
    )


def account_action(staff: Account, account: Account, action: str, now: datetime | None = None):
    """Do one of ACCOUNT_ACTIONS on a patient's account; returns the message to show."""
    if action not in ACCOUNT_ACTIONS or not account.is_patient:
        raise DeskRefused(_("Nieznana operacja."), status=404)
    now = now or utcnow()
    phone = current_app.config.get("ADMIN_CONTACT_PHONE", "")
    with write_transaction():
        if action == "verify":
            Account.update(identity_verified_at=now).where(Account.id == account.id).execute()
            done = _("Potwierdzono tożsamość pacjenta.")
        elif action == "activate":
            Account.update(activated_at=pw.fn.COALESCE(Account.activated_at, now)).where(
                Account.id == account.id
            ).execute()
            done = _("Konto jest aktywne.")
        elif action == "resend_activation":
            if account.activated_at is not None:
                raise DeskRefused(_("Konto jest już aktywne."))
            registration.resend_activation(account.email)
            done = _("Wysłano nowy link aktywacyjny.")
        elif action == "unlock":
            unlock_account(account, by=staff)
            lockout.clear_all(account)
            done = _("Konto odblokowane.")
        elif action == "disable":
            Account.update(disabled=True).where(Account.id == account.id).execute()
            end_sessions(account)
            done = _("Konto wyłączone; sesje pacjenta zakończone.")
        elif action == "enable":
            Account.update(disabled=False).where(Account.id == account.id).execute()
            done = _("Konto włączone.")
        elif action == "remind_login":
            _notice(
                account,
                _("Twój login w e-Rejestracji"),
                _(
                    "na Twoją prośbę rejestracja przypomina login: %(login)s\n\nJeśli to nie Ty "
                    "prosiłeś, zadzwoń: %(phone)s.",
                    login=account.login,
                    phone=phone,
                ),
            )
            done = _("Wysłano e-mail z loginem.")
        else:
            Account.update(totp_secret=None, totp_last_step=None).where(
                Account.id == account.id
            ).execute()
            RecoveryCode.delete().where(RecoveryCode.account == account.id).execute()
            end_sessions(account)
            _notice(
                account,
                _("Wyłączono weryfikację dwuetapową"),
                _(
                    "po sprawdzeniu dowodu tożsamości rejestracja wyłączyła weryfikację "
                    "dwuetapową na Twoim koncie. Włącz ją ponownie w „Moje konto”. Jeśli to "
                    "nie Ty, zadzwoń: %(phone)s.",
                    phone=phone,
                ),
            )
            done = _("Wyłączono weryfikację dwuetapową; pacjent ustawi ją ponownie.")
        _record(staff, account, action)
    return done
