"""The options of each search filter, narrowed by the others (from the cached catalogue)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from models.clinic import Facility, Service, Specialty, StaffMember
from services.catalogue_cache import Catalogue, catalogue

from .query import SearchQuery


@dataclass
class Choices:
    facilities: list[Facility]
    specialties: list[Specialty]
    services: list[Service]
    staff: list[StaffMember]


def _with_selected(items: list, everything: Mapping[int, object], selected: int | None) -> list:
    """Options that fit, plus the selected one even if it does not fit the other filters."""
    if selected is not None and all(item.id != selected for item in items):
        extra = everything.get(selected)
        if extra is not None:
            items = [extra, *items]
    return items


def _staff_ids_for_specialty(known: Catalogue, specialty_id: int) -> set[int]:
    linked = {m for m, specs in known.staff_specialties.items() if specialty_id in specs}
    scheduled = {
        known.schedules[schedule_id].staff_id
        for schedule_id, offered in known.schedule_services.items()
        if any(s.specialty_id == specialty_id for s in offered)
    }
    return linked | scheduled


def _staff_ids_for_service(known: Catalogue, service_id: int) -> set[int]:
    return {
        known.schedules[schedule_id].staff_id
        for schedule_id, offered in known.schedule_services.items()
        if any(s.id == service_id for s in offered)
    }


def _staff_ids_for_facility(known: Catalogue, facility_id: int) -> set[int]:
    linked = {m for m, places in known.staff_facilities.items() if facility_id in places}
    scheduled = {i.staff_id for i in known.schedules.values() if i.facility_id == facility_id}
    return linked | scheduled


def _facility_ids_for_staff(known: Catalogue, staff_id: int) -> set[int]:
    linked = known.staff_facilities.get(staff_id, set())
    scheduled = {i.facility_id for i in known.schedules.values() if i.staff_id == staff_id}
    return linked | scheduled


def choices_for(query: SearchQuery) -> Choices:
    """The options of each filter, narrowed by the others: a specialty narrows services
    and staff, a service narrows staff, a facility narrows staff, a staff member narrows
    facilities. A selected option always stays. Worked out once per catalogue version and
    combination of filters (the lists are shared: read them, never change them)."""
    known = catalogue()
    key = ("choices", query.staff, query.specialty, query.service, query.facility)
    return known.remembered(key, lambda: _choices(known, query))


def _choices(known: Catalogue, query: SearchQuery) -> Choices:
    facilities = [f for f in known.facilities.values() if f.active]
    if query.staff is not None:
        places = _facility_ids_for_staff(known, query.staff)
        facilities = [f for f in facilities if f.id in places]
    services = [s for s in known.services.values() if s.active]
    if query.specialty is not None:
        services = [s for s in services if s.specialty_id == query.specialty]
    staff_ids: set[int] | None = None
    if query.specialty is not None:
        staff_ids = _staff_ids_for_specialty(known, query.specialty)
    if query.service is not None:
        ids = _staff_ids_for_service(known, query.service)
        staff_ids = ids if staff_ids is None else staff_ids & ids
    if query.facility is not None:
        ids = _staff_ids_for_facility(known, query.facility)
        staff_ids = ids if staff_ids is None else staff_ids & ids
    staff = [
        m for m in known.staff.values() if m.active and (staff_ids is None or m.id in staff_ids)
    ]
    return Choices(
        facilities=_with_selected(facilities, known.facilities, query.facility),
        specialties=_with_selected(
            [s for s in known.specialties.values() if s.active], known.specialties, query.specialty
        ),
        services=_with_selected(services, known.services, query.service),
        staff=_with_selected(staff, known.staff, query.staff),
    )
