"""The cancel-notice window: until when a visit may be cancelled or moved online, and what a
patient is told about a visit inside it (only a call to the clinic changes it then)."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _

from models.booking import Appointment
from models.clinic import Facility, Slot
from services.booking_errors import AppointmentNotActive, BookingError, TooLateToCancel
from services.rules import ClinicRules
from services.visits import clinic_phone


def within_cancel_window(starts_at: datetime, rules: ClinicRules, now: datetime) -> bool:
    """A visit starting this soon can no longer be cancelled or moved online."""
    return starts_at < now + timedelta(hours=rules.cancel_notice_hours)


def check_cancellable(appointment: Appointment, rules: ClinicRules, now: datetime) -> None:
    """Raise unless the visit may be cancelled or moved online now (the one rule behind the
    panel's links, the cancel and change steps and the services that do the work)."""
    if appointment.status != "booked" or appointment.slot.starts_at <= now:
        raise AppointmentNotActive()
    if within_cancel_window(appointment.slot.starts_at, rules, now):
        raise TooLateToCancel(clinic_phone(Facility.get_or_none(id=appointment.slot.facility_id)))


def online_change_refusal(
    appointment: Appointment, rules: ClinicRules, now: datetime
) -> BookingError | None:
    """None when the visit may be changed and cancelled online now; otherwise why not."""
    try:
        check_cancellable(appointment, rules, now)
    except BookingError as error:
        return error
    return None


def cancel_window_warning(slot: Slot, rules: ClinicRules, now: datetime) -> str:
    """What to tell before booking (or moving into) a slot inside the cancel-notice window;
    empty when the visit could still be cancelled online afterwards."""
    if not within_cancel_window(slot.starts_at, rules, now):
        return ""
    phone = clinic_phone(Facility.get_or_none(id=slot.facility_id))
    return _(
        "Do wizyty zostało mniej niż %(hours)d godz. Tej wizyty nie odwołasz ani nie "
        "zmienisz online; zadzwoń: %(phone)s.",
        hours=rules.cancel_notice_hours,
        phone=phone,
    )
