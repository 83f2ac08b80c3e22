"""The standalone rule: an account whose owner is under 16 or has no PESEL, and has no
guardian, cannot be used on its own. Login refuses it (after the right password) and says
both ways out; registration does not create such an account. Sub-accounts
(services/subaccounts.py) are the way in; the 16th birthday lets a PESEL holder in alone.
"""

from __future__ import annotations

from datetime import date

from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _

from core import audit
from core.errors import DomainError
from core.timeutil import local_today
from models.accounts import Account, Guardianship
from models.patients import Patient

STANDALONE_AGE = 16


def registration_phone() -> str:
    return current_app.config.get("ADMIN_CONTACT_PHONE", "")


class CannotUseAlone(DomainError):
    """The standalone rule: an account of a person under 16 or without a PESEL, with no
    guardian, cannot be used on its own (login refuses it, registration does not create it)."""

    status = 403

    def __init__(self, reason: str, turns_16: date | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.turns_16 = turns_16

    @property
    def message(self) -> str:
        return _(
            "To konto nie spełnia określonych warunków, aby korzystać z niego samodzielnie: "
            "osoba poniżej 16 lat albo bez numeru PESEL może korzystać z e-Rejestracji tylko "
            "jako subkonto rodzica lub opiekuna."
        )

    @property
    def ways_out(self) -> list[str]:
        ways = [
            _(
                "Rodzic lub opiekun loguje się na swoje konto, otwiera „Moje konto” → "
                "„Subkonta” → „Dodaj istniejące konto” i podaje login i hasło tego konta. "
                "Potem z tego konta można korzystać także samodzielnie."
            )
        ]
        if self.turns_16 is not None:
            ways.append(
                _(
                    "Albo zaloguj się ponownie od %(day)s, gdy skończysz 16 lat — konto "
                    "zacznie działać samo, bez wizyty w rejestracji.",
                    day=format_date(self.turns_16, "long"),
                )
            )
        else:
            ways.append(
                _(
                    "Albo zadzwoń do rejestracji (%(phone)s), aby uzupełnić numer PESEL.",
                    phone=registration_phone(),
                )
            )
        return ways


def sixteenth_birthday(born: date) -> date:
    try:
        return born.replace(year=born.year + STANDALONE_AGE)
    except ValueError:  # born on 29 February: the birthday is 1 March
        return date(born.year + STANDALONE_AGE, 3, 1)


def is_under_16(born: date, today: date | None = None) -> bool:
    return (today or local_today()) < sixteenth_birthday(born)


def guardian_count(patient_id: int) -> int:
    return Guardianship.select().where(Guardianship.patient == patient_id).count()


def standalone_refusal(patient: Patient, today: date | None = None) -> CannotUseAlone | None:
    """None when the person may use an account alone; otherwise why not (under 16 or without
    a PESEL) — unless a guardian manages them."""
    under_16 = is_under_16(patient.birth_date, today)
    if not under_16 and patient.pesel:
        return None
    if guardian_count(patient.id):
        return None
    if not patient.pesel:
        return CannotUseAlone("no_pesel")
    return CannotUseAlone("under_16", sixteenth_birthday(patient.birth_date))


def check_standalone(account: Account, today: date | None = None) -> None:
    """Raise CannotUseAlone for a patient account that may not be used on its own."""
    if not account.is_patient:
        return
    refusal = standalone_refusal(Patient.get_by_id(account.patient_id), today)
    if refusal is not None:
        audit.record_for_account(account, "login.standalone_refused", refusal.reason)
        raise refusal
