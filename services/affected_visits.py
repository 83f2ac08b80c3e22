"""The desk's list of visits a schedule change left behind (services.schedule_changes finds
them), one page at a time with what the table shows loaded in a few queries."""

from __future__ import annotations

from models.booking import Appointment
from models.clinic import Service, Slot, StaffMember
from models.patients import Patient

from .paging import PER_PAGE, Page
from .schedule_changes import visits_to_resolve


def affected_page(staff_id: int | None, number: int, per_page: int = PER_PAGE) -> Page:
    """Page `number` (clamped to the last one) of the visits to move or cancel, in time order;
    each visit has its slot, patient, service and staff member attached."""
    visits = visits_to_resolve(staff_id)
    total = len(visits)
    last = max(1, -(-total // per_page))
    number = min(max(1, number), last)
    items = visits[(number - 1) * per_page : number * per_page]
    _attach(items)
    return Page(items, number, total, per_page)


def _by_id(model, ids: set[int]) -> dict:
    return {row.id: row for row in model.select().where(model.id.in_(list(ids) or [0]))}


def _attach(visits: list[Appointment]) -> None:
    slots = _by_id(Slot, {v.slot_id for v in visits})
    patients = _by_id(Patient, {v.patient_id for v in visits})
    services = _by_id(Service, {v.service_id for v in visits})
    staff = _by_id(StaffMember, {s.staff_id for s in slots.values()})
    for visit in visits:
        visit.slot = slots[visit.slot_id]
        visit.patient = patients[visit.patient_id]
        visit.service = services[visit.service_id]
        visit.staff = staff[visit.slot.staff_id]
