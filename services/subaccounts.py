"""Sub-account rules ("Subkonta"): add a dependant, attach an existing account, share a
dependant with a second guardian, detach. The standalone rule is services/standalone.py.

A guardian's account is linked to a dependant patient by a `Guardianship` row; a dependant
has at most two guardians (both parents). Every lookup goes through the guardian's account,
so another guardian's dependant is simply not found (the views answer 404, ASVS V4.2.1).
Attaching an existing account checks its login and password exactly like logging in
(services.accounts.authenticate): a wrong password counts towards that account's lock-out
and the source's IP block.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import peewee as pw
from flask import current_app
from flask_babel import gettext as _

from core import audit
from core import pesel as pesel_rules
from core.errors import DomainError
from core.mail import queue_mail
from models.accounts import Account, Guardianship
from models.base import utcnow, write_transaction
from models.clinic import Locality
from models.patients import Patient

from . import accounts
from .standalone import guardian_count, is_under_16, registration_phone

MAX_GUARDIANS = 2


class SubaccountRefused(DomainError):
    """Base of the sub-account refusals; `message` says what to do instead."""

    status = 409


class PeselTaken(SubaccountRefused):
    @property
    def message(self) -> str:
        return _(
            "Osoba z tym numerem PESEL jest już pacjentem przychodni. Jeśli ma własne konto, "
            "dodaj je jako istniejące konto (login i hasło). Jeśli jest subkontem drugiego "
            "opiekuna, zadzwoń do rejestracji: %(phone)s.",
            phone=registration_phone(),
        )


class AttachRefused(SubaccountRefused):
    """An existing account cannot be attached; `reason` names why (tests and logs)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    @property
    def message(self) -> str:
        messages = {
            "self": _("To jest Twoje własne konto. Podaj login i hasło konta podopiecznego."),
            "cycle": _("To konto jest Twoim opiekunem, więc nie może zostać Twoim subkontem."),
            "already": _("To konto jest już Twoim subkontem."),
            "full": _(
                "Ta osoba ma już dwóch opiekunów. Jeden z nich musi najpierw odłączyć subkonto."
            ),
            "staff": _("Jako subkonto można dodać tylko konto pacjenta."),
            "locked": _(
                "To konto jest czasowo zablokowane po nieudanych próbach logowania. Spróbuj "
                "później albo zadzwoń do rejestracji: %(phone)s.",
                phone=registration_phone(),
            ),
            "disabled": _(
                "To konto jest wyłączone. Zadzwoń do rejestracji: %(phone)s.",
                phone=registration_phone(),
            ),
            "not_activated": _(
                "To konto nie zostało jeszcze aktywowane. Jego właściciel musi najpierw "
                "otworzyć link z wiadomości e-mail."
            ),
        }
        return messages.get(self.reason, _("Nie udało się dodać tego konta."))


class WrongAttachCredentials(SubaccountRefused):
    """Wrong login or wrong password: one message for both, as on the login page."""

    status = 422

    @property
    def message(self) -> str:
        return _(
            "Nieprawidłowy login lub hasło. Po %(n)s nieudanych próbach z rzędu konto zostaje "
            "czasowo zablokowane.",
            n=current_app.config["LOGIN_MAX_FAILURES"],
        )


class CannotDetach(SubaccountRefused):
    """Detaching would leave a person who cannot use an account alone without a guardian."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    @property
    def message(self) -> str:
        why = {
            "no_login": _("Ta osoba nie ma własnego konta (loginu i hasła)."),
            "no_pesel": _("Ta osoba nie ma numeru PESEL."),
            "under_16": _("Ta osoba nie ma jeszcze 16 lat."),
        }[self.reason]
        return (
            why
            + " "
            + _(
                "Subkonta nie można odłączyć, bo nikt nie mógłby z niego korzystać. Jeśli opiekę "
                "przejmuje ktoś inny, niech najpierw doda tę osobę jako swoje subkonto, a potem "
                "odłącz ją u siebie; w innych sprawach zadzwoń do rejestracji: %(phone)s.",
                phone=registration_phone(),
            )
        )


# --- lookups ---------------------------------------------------------------------------------


def dependants_of(account: Account) -> list[Patient]:
    """The account's dependants, by name; each with `has_login` and `guardians` (count)."""
    rows = list(
        Patient.select()
        .join(Guardianship, on=(Guardianship.patient == Patient.id))
        .where(Guardianship.guardian == account.id)
        .order_by(Patient.last_name, Patient.first_name, Patient.id)
    )
    ids = [p.id for p in rows] or [0]
    with_login = {
        a.patient_id for a in Account.select(Account.patient).where(Account.patient.in_(ids))
    }
    counts = dict(
        Guardianship.select(Guardianship.patient, pw.fn.COUNT(Guardianship.id))
        .where(Guardianship.patient.in_(ids))
        .group_by(Guardianship.patient)
        .tuples()
    )
    for person in rows:
        person.has_login = person.id in with_login
        person.guardians_count = counts.get(person.id, 0)
    return rows


def dependant_for(account: Account, patient_id: int | str | None) -> Patient | None:
    """The account's dependant with this id, or None for anyone else's (or no) id."""
    raw = str(patient_id or "")
    if not raw.isdigit() or len(raw) > 10:
        return None
    return (
        Patient.select()
        .join(Guardianship, on=(Guardianship.patient == Patient.id))
        .where((Guardianship.guardian == account.id) & (Patient.id == int(raw)))
        .first()
    )


# --- adding a new dependant ------------------------------------------------------------------


@dataclass
class NewDependant:
    first_name: str
    last_name: str
    pesel: str | None  # None: identified by the guardian's PESEL („PESEL opiekuna”)
    birth_date: date
    sex: str
    street: str
    house_number: str
    flat_number: str
    postal_code: str
    locality: Locality | None
    phone: str


def add_dependant(account: Account, data: NewDependant, now: datetime | None = None) -> Patient:
    """Create the dependant (no login of their own) and make the account their guardian."""
    now = now or utcnow()
    if data.pesel:
        data.birth_date, data.sex = pesel_rules.parse(data.pesel)
    try:
        with write_transaction():
            if data.pesel and Patient.select().where(Patient.pesel == data.pesel).exists():
                raise PeselTaken()
            person = Patient.create(
                first_name=data.first_name,
                last_name=data.last_name,
                pesel=data.pesel or None,
                birth_date=data.birth_date,
                sex=data.sex,
                street=data.street,
                house_number=data.house_number,
                flat_number=data.flat_number,
                postal_code=data.postal_code,
                locality=data.locality,
                phone=data.phone,
                created_at=now,
            )
            Guardianship.create(guardian=account.id, patient=person.id, created_at=now)
            audit.record(
                "subaccount.add",
                patient_id=person.id,
                object_type="patient",
                object_id=person.id,
                details="guardian_pesel" if not data.pesel else "",
                account_id=account.id,
            )
    except pw.IntegrityError:
        raise PeselTaken() from None
    return person


# --- attaching an existing account -----------------------------------------------------------


def add_guardian(guardian_id: int, patient_id: int, now: datetime) -> str:
    """Make the account a guardian of the person, inside the caller's write transaction.
    Returns "" when done, else why not: "already" (it is one) or "full" (MAX_GUARDIANS)."""
    if (
        Guardianship.select()
        .where((Guardianship.guardian == guardian_id) & (Guardianship.patient == patient_id))
        .exists()
    ):
        return "already"
    if guardian_count(patient_id) >= MAX_GUARDIANS:
        return "full"
    Guardianship.create(guardian=guardian_id, patient=patient_id, created_at=now)
    return ""


def guardians_upwards(patient_id: int) -> set[int]:
    """Every account that guards the patient, directly or through a chain of guardians."""
    found: set[int] = set()
    frontier = {patient_id}
    while frontier:
        rows = list(
            Account.select(Account.id, Account.patient)
            .join(Guardianship, on=(Guardianship.guardian == Account.id))
            .where(Guardianship.patient.in_(list(frontier)))
        )
        fresh = [a for a in rows if a.id not in found]
        found |= {a.id for a in fresh}
        frontier = {a.patient_id for a in fresh if a.patient_id}
    return found


def attach_account(
    account: Account, login: str, password: str, ip: str, now: datetime | None = None
) -> Patient:
    """Attach the patient account with this login and password as a dependant.

    The credentials are checked by services.accounts.authenticate, so a wrong password counts
    towards that account's lock-out and this IP's block, and a locked, disabled or not
    activated account is refused (told only after a correct password). Raises
    WrongAttachCredentials, AttachRefused or accounts.IpBlocked."""
    now = now or utcnow()
    try:
        target = accounts.authenticate(login, password, ip, now)
    except accounts.IpBlocked:
        raise
    except accounts.InvalidCredentials:
        raise WrongAttachCredentials() from None
    except accounts.AccountLocked:
        raise AttachRefused("locked") from None
    except accounts.AccountDisabled:
        raise AttachRefused("disabled") from None
    except accounts.NotActivated:
        raise AttachRefused("not_activated") from None
    if target.id == account.id:
        raise AttachRefused("self")
    if not target.is_patient:
        raise AttachRefused("staff")
    if target.id in guardians_upwards(account.patient_id):
        raise AttachRefused("cycle")
    with write_transaction():
        if refused := add_guardian(account.id, target.patient_id, now):
            raise AttachRefused(refused)
        audit.record(
            "subaccount.attach",
            patient_id=target.patient_id,
            object_type="account",
            object_id=target.id,
            account_id=account.id,
        )
        guardian = Patient.get_by_id(account.patient_id)
        queue_mail(
            target.email,
            _("Twoje konto jest teraz subkontem w e-Rejestracji"),
            _(
                "Dzień dobry,\n\n%(guardian)s dodał(a) Twoje konto jako swoje subkonto. Może "
                "teraz rezerwować wizyty w Twoim imieniu i widzieć Twoje rezerwacje. Twój login "
                "nadal działa.\n\nJeśli to nie Ty podałeś(-aś) swoje hasło, natychmiast je zmień "
                "i zadzwoń do rejestracji: %(phone)s.\n",
                guardian=guardian.full_name,
                phone=registration_phone(),
            ),
        )
    return Patient.get_by_id(target.patient_id)


# --- detaching -------------------------------------------------------------------------------


def detach_refusal(account: Account, dependant: Patient, today: date | None = None):
    """None when the account may detach the dependant; otherwise a CannotDetach. Another
    guardian who stays makes any detach possible: the person is never left alone."""
    if guardian_count(dependant.id) > 1:
        return None
    if not Account.select().where(Account.patient == dependant.id).exists():
        return CannotDetach("no_login")
    if not dependant.pesel:
        return CannotDetach("no_pesel")
    if is_under_16(dependant.birth_date, today):
        return CannotDetach("under_16")
    return None


def detach(account: Account, dependant: Patient, today: date | None = None) -> None:
    """Remove the account's guardianship of the dependant (found through dependant_for)."""
    with write_transaction():
        refusal = detach_refusal(account, dependant, today)
        if refusal is not None:
            raise refusal
        Guardianship.delete().where(
            (Guardianship.guardian == account.id) & (Guardianship.patient == dependant.id)
        ).execute()
        audit.record(
            "subaccount.detach",
            patient_id=dependant.id,
            object_type="patient",
            object_id=dependant.id,
            account_id=account.id,
        )
