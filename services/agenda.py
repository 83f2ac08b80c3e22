"""The agenda: slots of a day or a week with the visit that holds each (patient, service)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta

from core.timeutil import local_to_utc
from models.booking import Appointment, AppointmentSlot
from models.clinic import Facility, Service, Slot, StaffMember
from models.patients import Patient

PAGE_SIZE = 100
DESK_ROLES = ("registrar", "admin")


class NotYourAgenda(LookupError):
    """A doctor asked for another doctor's agenda (the page answers 404)."""


def agenda_staff(role: str, own_staff_id: int | None, requested: int | None) -> int | None:
    """Whose agenda the account may see: the desk (registrar, admin) anyone's or everyone's
    (None); a doctor only their own, whatever the filter says ("all" included)."""
    if role in DESK_ROLES:
        return requested
    if own_staff_id is None or (requested is not None and requested != own_staff_id):
        raise NotYourAgenda()
    return own_staff_id


@dataclass
class AgendaRow:
    slot: Slot
    staff: StaffMember
    facility: Facility
    visit: Appointment | None
    patient: Patient | None
    service: Service | None

    @property
    def status(self) -> str:
        if self.slot.booked:
            return "booked"
        return "blocked" if self.slot.blocked else "free"


def agenda_rows(
    date_from: date,
    date_to: date,
    staff_id: int | None,
    facility_id: int | None,
    page: int = 1,
) -> tuple[list[AgendaRow], bool]:
    """One page of the agenda in time order, and whether another page follows."""
    lo = local_to_utc(date_from, time.min)
    hi = local_to_utc(date_to + timedelta(days=1), time.min)
    query = (
        Slot.select(Slot, StaffMember, Facility)
        .join(StaffMember, on=(Slot.staff == StaffMember.id))
        .switch(Slot)
        .join(Facility, on=(Slot.facility == Facility.id))
        .where((Slot.starts_at >= lo) & (Slot.starts_at < hi))
    )
    if staff_id is not None:
        query = query.where(Slot.staff == staff_id)
    if facility_id is not None:
        query = query.where(Slot.facility == facility_id)
    slots = list(
        query.order_by(Slot.starts_at, StaffMember.last_name, Slot.id)
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE + 1)
    )
    has_more = len(slots) > PAGE_SIZE
    slots = slots[:PAGE_SIZE]
    held = {
        slot_id: appointment
        for slot_id, appointment in (
            (row.active_slot_id, row.appointment)
            for row in AppointmentSlot.select(AppointmentSlot, Appointment, Patient, Service)
            .join(Appointment)
            .join(Patient, on=(Appointment.patient == Patient.id))
            .switch(Appointment)
            .join(Service, on=(Appointment.service == Service.id))
            .where(AppointmentSlot.active_slot.in_([s.id for s in slots if s.booked] or [0]))
        )
    }
    rows = []
    for slot in slots:
        visit = held.get(slot.id)
        rows.append(
            AgendaRow(
                slot=slot,
                staff=slot.staff,
                facility=slot.facility,
                visit=visit,
                patient=visit.patient if visit else None,
                service=visit.service if visit else None,
            )
        )
    return rows, has_more
