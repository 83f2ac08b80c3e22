"""The booking's named errors, shared by the patient's pages and the desk: each carries its
HTTP status, a short machine `reason` and what to tell the patient (message_for)."""

from __future__ import annotations

from flask_babel import gettext as _

from core.errors import DomainError
from services.rules import ClinicRules, clinic_rules
from services.visits import clinic_phone

NOTE_MAX = 500


class BookingError(DomainError):
    """Base of the booking errors; `reason` is a short machine name for tests and logs,
    `message` what to tell the patient (under the configured rules; `message_with(rules)`
    under others)."""

    reason = "error"
    status = 409

    @property
    def message(self) -> str:
        return self.message_with(None)

    def message_with(self, rules: ClinicRules | None) -> str:
        return message_for(self, rules)


class SlotNotFound(BookingError):
    reason = "not_found"
    status = 404


class SlotTaken(BookingError):
    """Somebody else holds the slot (or took it a moment ago)."""

    reason = "taken"


class SlotUnavailable(BookingError):
    """The slot is past, blocked, or cannot be booked online (no schedule, wrong service)."""

    def __init__(self, reason: str = "unavailable") -> None:
        super().__init__(reason)
        self.reason = reason


class BookingRuleBroken(BookingError):
    """A clinic rule refuses the booking: `horizon`, `notice`, `limit`, `note`, `age` or
    `referral`."""

    status = 422

    def __init__(self, reason: str, limit: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.limit = limit  # `limit`: the specialty's own limit when it has one


class PatientNotAllowed(BookingError):
    """The account may not book for this patient (not self, not a dependant)."""

    reason = "patient"
    status = 422


class AppointmentNotActive(BookingError):
    """The visit is already cancelled, moved or past."""

    reason = "not_active"


class TooLateToCancel(BookingError):
    """The visit is inside the cancel-notice window: only a call to the clinic can change it."""

    reason = "too_late"

    def __init__(self, phone: str = "") -> None:
        super().__init__(self.reason)
        self.phone = phone


def message_for(error: BookingError, rules: ClinicRules | None = None) -> str:
    """What to tell the patient about a refused booking, change or cancellation."""
    rules = rules or clinic_rules()
    reason = error.reason
    if isinstance(error, SlotTaken):
        return _("Ten termin jest już zajęty. Wybierz inny termin.")
    if isinstance(error, TooLateToCancel):
        return _(
            "Wizytę można odwołać lub przełożyć online najpóźniej %(hours)d godz. przed jej "
            "rozpoczęciem. Tej wizyty nie odwołasz ani nie zmienisz online; zadzwoń: %(phone)s.",
            hours=rules.cancel_notice_hours,
            phone=error.phone or clinic_phone(),
        )
    if isinstance(error, AppointmentNotActive):
        return _("Ta wizyta jest już odwołana, przeniesiona lub minęła.")
    if isinstance(error, PatientNotAllowed):
        return _("Wybierz osobę z listy.")
    messages = {
        "past": _("Ten termin już minął."),
        "blocked": _("Ten termin nie jest dostępny."),
        "notice": _(
            "Wizytę można zarezerwować najpóźniej %(hours)d godz. przed jej rozpoczęciem.",
            hours=rules.min_notice_hours,
        ),
        "horizon": _(
            "Wizyty można rezerwować najwyżej %(days)d dni naprzód.", days=rules.horizon_days
        ),
        "limit": _(
            "Ta osoba ma już %(limit)d zaplanowane wizyty w tej poradni. Odwołaj jedną z nich "
            "albo wybierz inną osobę.",
            limit=getattr(error, "limit", None) or rules.limit_per_specialty,
        ),
        "note": _("Uwagi mogą mieć najwyżej %(max)d znaków.", max=NOTE_MAX),
        "age": _(
            "To świadczenie jest przeznaczone dla pacjentów w innym wieku. Wybierz inne "
            "świadczenie albo inną osobę."
        ),
        "referral": _(
            "Podaj kod e-skierowania: 4 cyfry (kod dostępu) albo 44 cyfry (klucz e-skierowania)."
        ),
        "service_required": _("Wybierz świadczenie z listy."),
        "service_does_not_fit": _(
            "To świadczenie nie mieści się w tym terminie (trwa dłużej, a kolejny termin "
            "jest zajęty, albo ma inny rodzaj wizyty). Wybierz inny termin."
        ),
    }
    return messages.get(reason, _("Tego terminu nie można zarezerwować przez internet."))
