"""Sharing a dependant with a second guardian (the other parent's own login): both the login
and the e-mail address must match, no cycles, at most MAX_GUARDIANS; the new guardian is mailed."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _

from core import audit
from core.mail import queue_mail
from models.accounts import Account
from models.base import utcnow, write_transaction
from models.patients import Patient

from . import accounts
from .standalone import registration_phone
from .subaccounts import AttachRefused, add_guardian, guardians_upwards


class ShareRefused(AttachRefused):
    """The dependant cannot be shared with that account; `reason` names why."""

    @property
    def message(self) -> str:
        if self.reason == "unknown":
            return _(
                "Nie znaleźliśmy aktywnego konta pacjenta z tym loginem i tym adresem e-mail. "
                "Sprawdź oba pola."
            )
        if self.reason == "already":
            return _("To konto jest już opiekunem tej osoby.")
        if self.reason == "cycle":
            return _(
                "To konto nie może zostać opiekunem tej osoby: to jej własne konto albo ona "
                "jest jego opiekunem."
            )
        return super().message


def share_dependant(
    account: Account, dependant: Patient, login: str, email: str, now: datetime | None = None
) -> Account:
    """Make a second account (the other parent) a guardian of the dependant. The other
    account must match both its login and its e-mail address, so a typo cannot hand a
    child's data to a stranger; its owner is e-mailed. Raises ShareRefused."""
    now = now or utcnow()
    other = accounts.find_by_login(login)
    if other is None or other.email.lower() != (email or "").strip().lower():
        raise ShareRefused("unknown")
    if not other.is_patient or not other.is_active:
        raise ShareRefused("unknown")
    dependant_logins = {
        a.id for a in Account.select(Account.id).where(Account.patient == dependant.id)
    }
    if other.patient_id == dependant.id or dependant_logins & (
        guardians_upwards(other.patient_id) | {other.id}
    ):
        raise ShareRefused("cycle")
    with write_transaction():
        if refused := add_guardian(other.id, dependant.id, now):
            raise ShareRefused(refused)
        audit.record(
            "subaccount.share",
            patient_id=dependant.id,
            object_type="account",
            object_id=other.id,
            account_id=account.id,
        )
        queue_mail(
            other.email,
            _("Nowe subkonto w e-Rejestracji"),
            _(
                "Dzień dobry,\n\n%(guardian)s udostępnił(a) Ci subkonto: %(name)s. Możesz "
                "rezerwować wizyty tej osoby i widzieć jej rezerwacje: zaloguj się i wybierz ją "
                "w nagłówku strony.\n\nJeśli to pomyłka, odłącz subkonto w „Moje konto” → "
                "„Subkonta” albo zadzwoń do rejestracji: %(phone)s.\n",
                guardian=Patient.get_by_id(account.patient_id).full_name,
                name=dependant.full_name,
                phone=registration_phone(),
            ),
        )
    return other
