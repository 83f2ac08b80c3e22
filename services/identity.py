"""Identity verification ("autoryzacja"): the desk saw the patient's ID. Until then an
account may book what the clinic's `UNVERIFIED_CAN_BOOK` allows:

- `all` (the default): every activated account books online. The e-mail link already proves
  the mailbox, and a clinic that starts using Wizyta has no verified patients yet;
- `known-patients`: an unverified account books only when its patient is known to the
  clinic — registered by the desk (a person who phoned) or with a visit that took place;
- `none`: an unverified account books nothing online; it calls or comes to the desk.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app, has_app_context
from flask_babel import gettext as _

from core.errors import DomainError
from models.accounts import Account
from models.base import utcnow
from models.booking import Appointment
from models.clinic import Slot
from models.patients import Patient

MODES = ("all", "known-patients", "none")


class IdentityNotVerified(DomainError):
    """The clinic's rule keeps this unverified account from booking online."""

    status = 403

    def __init__(self, mode: str) -> None:
        super().__init__(mode)
        self.mode = mode

    @property
    def message(self) -> str:
        phone = current_app.config.get("ADMIN_CONTACT_PHONE", "") if has_app_context() else ""
        return _(
            "Przychodnia przyjmuje rezerwacje online tylko z kont potwierdzonych w rejestracji. "
            "Przyjdź do rejestracji z dowodem osobistym (potwierdzenie zajmuje chwilę) albo "
            "zadzwoń: %(phone)s — zarezerwujemy wizytę przez telefon.",
            phone=phone,
        )


def mode() -> str:
    value = current_app.config.get("UNVERIFIED_CAN_BOOK", "all") if has_app_context() else "all"
    return value if value in MODES else "all"


def is_verified(account: Account) -> bool:
    return account.identity_verified_at is not None


def is_known_patient(patient_id: int | None, now: datetime | None = None) -> bool:
    """Registered by the desk, or had a visit that took place (not cancelled, in the past)."""
    if patient_id is None:
        return False
    now = now or utcnow()
    if Patient.select().where((Patient.id == patient_id) & Patient.registered_at_desk).exists():
        return True
    return (
        Appointment.select()
        .join(Slot, on=(Appointment.slot == Slot.id))
        .where(
            (Appointment.patient == patient_id)
            & Appointment.status.in_(("booked", "completed"))
            & (Slot.starts_at < now)
        )
        .exists()
    )


def booking_refusal(account: Account, now: datetime | None = None) -> IdentityNotVerified | None:
    """None when the account may book online now; otherwise the refusal to show."""
    rule = mode()
    if rule == "all" or not account.is_patient or is_verified(account):
        return None
    if rule == "known-patients" and is_known_patient(account.patient_id, now):
        return None
    return IdentityNotVerified(rule)


def check_may_book(account: Account, now: datetime | None = None) -> None:
    refusal = booking_refusal(account, now)
    if refusal is not None:
        raise refusal
