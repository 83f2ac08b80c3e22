"""A patient's visits as the pages find them: ids from the request, whom an account may book
for, a visit the account may see, the slots a visit holds and the number to call about it."""

from __future__ import annotations

from datetime import datetime

import peewee as pw
from flask import current_app, has_app_context

from models.accounts import Account, Guardianship
from models.booking import Appointment, AppointmentSlot
from models.clinic import Facility, Service, Slot, StaffMember
from models.patients import Patient

MAX_ID = 2**31 - 1


def valid_id(value: int | str | None) -> int | None:
    """A database id from the request, or None for anything that cannot be one."""
    if isinstance(value, int):
        return value if 0 < value <= MAX_ID else None
    raw = (value or "").strip()
    if not raw.isdigit() or len(raw) > 10:
        return None
    number = int(raw)
    return number if 0 < number <= MAX_ID else None


def patients_of(account: Account) -> list[Patient]:
    """Whom the account may book for: its own patient first, then its dependants."""
    dependants = (
        Patient.select()
        .join(Guardianship, on=(Guardianship.patient == Patient.id))
        .where(Guardianship.guardian == account.id)
        .order_by(Patient.last_name, Patient.first_name, Patient.id)
    )
    own = Patient.get_by_id(account.patient_id)
    return [own, *[p for p in dependants if p.id != own.id]]


def _patient_ids_subquery(account: Account) -> pw.Node:
    dependants = Guardianship.select(Guardianship.patient).where(
        Guardianship.guardian == account.id
    )
    return (Appointment.patient == account.patient_id) | Appointment.patient.in_(dependants)


def appointment_for(account: Account, appointment_id: int | str | None) -> Appointment | None:
    """The visit if it belongs to the account's patient or a dependant; None otherwise, so a
    stranger's id and a missing id look the same (ASVS V4.2.1)."""
    number = valid_id(appointment_id)
    if number is None:
        return None
    return (
        Appointment.select()
        .where((Appointment.id == number) & _patient_ids_subquery(account))
        .first()
    )


def held_slots(appointment: Appointment) -> list[Slot]:
    """The slots the visit holds (or held), in time order; at least its first slot."""
    known = getattr(appointment, "held_run", None)  # set by the booking that just made it
    if known:
        return sorted(known, key=lambda s: s.starts_at)
    slots = list(
        Slot.select()
        .join(AppointmentSlot, on=(AppointmentSlot.slot == Slot.id))
        .where(AppointmentSlot.appointment == appointment.id)
        .order_by(Slot.starts_at)
    )
    return slots or [appointment.slot]


def visit_ends_at(appointment: Appointment) -> datetime:
    return held_slots(appointment)[-1].ends_at


def clinic_phone(facility: Facility | None = None) -> str:
    """The number a patient calls about a visit: the facility's own, else the clinic's."""
    if facility is not None and (facility.phone or "").strip():
        return facility.phone.strip()
    if has_app_context():
        return current_app.config["ADMIN_CONTACT_PHONE"]
    return ""


def person_visits(
    person_id: int, *, upcoming_after: datetime | None = None, limit: int = 500
) -> list[Appointment]:
    """A person's visits with their slot, staff, facility, service and patient, in one query:
    newest first; or, with `upcoming_after`, the booked ones after that time, soonest first
    (`limit=1`: the next visit, asked of the database rather than found among 500)."""
    rows = (
        Appointment.select(Appointment, Slot, Service, Patient, StaffMember, Facility)
        .join(Slot, on=(Appointment.slot == Slot.id))
        .join(StaffMember, on=(Slot.staff == StaffMember.id))
        .switch(Slot)
        .join(Facility, on=(Slot.facility == Facility.id))
        .switch(Appointment)
        .join(Service, on=(Appointment.service == Service.id))
        .switch(Appointment)
        .join(Patient, on=(Appointment.patient == Patient.id))
        .where(Appointment.patient == person_id)
    )
    if upcoming_after is not None:
        rows = rows.where(
            (Appointment.status == "booked") & (Slot.starts_at > upcoming_after)
        ).order_by(Slot.starts_at, Appointment.id)
    else:
        rows = rows.order_by(Slot.starts_at.desc(), Appointment.id.desc())
    return list(rows.limit(limit))
