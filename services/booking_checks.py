"""Whether a slot may be booked, whoever asks: the slot open (not past, blocked, taken, inside
the notice or past the horizon), the service that fits it and the patient, the e-referral
code, the note, a move's new slot, and what to offer instead."""

from __future__ import annotations

from datetime import datetime

from core.timeutil import to_local
from models.booking import Appointment
from models.clinic import Facility, Service, Slot, StaffMember
from models.patients import Patient
from services import service_fit as fit
from services.booking_errors import (
    NOTE_MAX,
    BookingRuleBroken,
    SlotNotFound,
    SlotTaken,
    SlotUnavailable,
)
from services.rules import ClinicRules
from services.slot_search import nearest_free_slots
from services.visits import valid_id


def slot_by_id(slot_id: int | str | None) -> Slot:
    number = valid_id(slot_id)
    slot = Slot.get_or_none(Slot.id == number) if number is not None else None
    if slot is None:
        raise SlotNotFound()
    return slot


def services_for_slot(slot: Slot, patient: Patient | None = None) -> list[Service]:
    """What may be booked in the slot (for the patient, when given): the services that fit
    it (service_fit), each with `run`, the slots it would hold."""
    return fit.fitting_services(slot, patient)


def pick_service(slot: Slot, service_id: int | str | None, patient: Patient) -> Service:
    """The service to book: the one asked for if it fits the slot and the patient, the only
    fitting one when none is asked for. Never a guess among several."""
    linked = fit.schedule_services(slot)
    if not linked:
        raise SlotUnavailable("no_service")
    fitting = fit.fitting_services(slot)
    number = valid_id(service_id)
    if service_id in (None, ""):
        if len(fitting) != 1:
            raise SlotUnavailable("service_required" if fitting else "service_does_not_fit")
        service = fitting[0]
    else:
        service = next((s for s in fitting if s.id == number), None)
        if service is None:
            linked_ids = {s.id for s in linked}
            raise SlotUnavailable(
                "service_does_not_fit" if number in linked_ids else "service_not_offered"
            )
    if not fit.age_fits(service, patient.birth_date, to_local(slot.starts_at).date()):
        raise BookingRuleBroken("age")
    return service


def check_referral(service: Service, slot: Slot, raw_code: str | None) -> str:
    """The normalised e-referral code when the visit needs one; "" when it does not."""
    if not fit.needs_referral(service, slot.funding):
        return ""
    code = fit.normalise_referral_code(raw_code)
    if not fit.referral_code_valid(code):
        raise BookingRuleBroken("referral")
    return code


def _staff_and_facility_active(slot: Slot) -> bool:
    """A deactivated doctor or facility keeps its slots in the table, but none is bookable."""
    staff_ok = (
        StaffMember.select().where((StaffMember.id == slot.staff_id) & StaffMember.active).exists()
    )
    return staff_ok and (
        Facility.select().where((Facility.id == slot.facility_id) & Facility.active).exists()
    )


def check_slot_open(slot: Slot, rules: ClinicRules, now: datetime) -> None:
    """Raise when the slot cannot be booked right now, whoever asks."""
    if slot.starts_at <= now:
        raise SlotUnavailable("past")
    if slot.blocked or not _staff_and_facility_active(slot):
        raise SlotUnavailable("blocked")
    if slot.booked:
        raise SlotTaken()
    if slot.starts_at < rules.earliest(now):
        raise BookingRuleBroken("notice")
    latest = rules.latest(now)
    if latest is not None and slot.starts_at > latest:
        raise BookingRuleBroken("horizon")


def clean_note(note: str | None) -> str:
    """The note trimmed; BookingRuleBroken("note") when too long or holding control characters."""
    note = (note or "").strip()
    if len(note) > NOTE_MAX or any(ord(c) < 32 and c not in "\r\n\t" for c in note):
        raise BookingRuleBroken("note")
    return note


def fitting_move(appointment: Appointment, new_slot: Slot) -> Service:
    """The visit's service, if it fits the new slot for the same patient and funding (with
    `run`: the slots it would hold); raises SlotUnavailable otherwise."""
    patient = Patient.get_by_id(appointment.patient_id)
    service = next(
        (s for s in services_for_slot(new_slot, patient) if s.id == appointment.service_id),
        None,
    )
    old_funding = Slot.get_by_id(appointment.slot_id).funding
    if service is None or new_slot.funding != old_funding:
        raise SlotUnavailable("service_not_offered")
    return service


def alternatives_for(
    slot: Slot,
    service_id: int | None,
    rules: ClinicRules,
    now: datetime,
    limit: int = 5,
) -> list[Slot]:
    """What to offer when `slot` cannot be booked: the bookable free slots of the same kind
    nearest to its time, before or after it, in time order."""
    return nearest_free_slots(
        slot,
        service=service_id,
        limit=limit,
        not_before=rules.earliest(now),
        not_after=rules.latest(now),
    )
