"""Search results grouped for display: Warsaw days → staff members → runs of slots."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from core.timeutil import to_local
from models.clinic import Facility, Service, Slot, Specialty, StaffMember
from services.service_fit import kind_fits


@dataclass
class SlotRun:
    """Consecutive slots of one staff member on one day with the same place and kind."""

    facility: Facility
    funding: str
    mode: str
    services: list[Service]
    specialty: Specialty | None
    slots: list[Slot] = field(default_factory=list)


@dataclass
class StaffGroup:
    staff: StaffMember
    runs: list[SlotRun] = field(default_factory=list)

    @property
    def slot_count(self) -> int:
        return sum(len(run.slots) for run in self.runs)


@dataclass
class DayGroup:
    day: date
    staff: list[StaffGroup] = field(default_factory=list)


def group_by_day(
    slots: list[Slot],
    services_by_schedule: Mapping[int, list[Service]],
    service_id: int | None = None,
) -> list[DayGroup]:
    """Slots (in time order) → Warsaw days → staff members (in order of their first slot)
    → runs of slots sharing facility, services and visit type. Only the services whose
    funding and mode fit the slot are listed; with a chosen service only that one."""
    days: list[DayGroup] = []
    by_key: dict[tuple[date, int], StaffGroup] = {}
    # the services shown for a slot follow from its schedule and kind: worked out once each
    fitting: dict[tuple[int | None, str, str], list[Service]] = {}
    for slot in slots:
        day = to_local(slot.starts_at).date()
        if not days or days[-1].day != day:
            days.append(DayGroup(day))
        group = by_key.get((day, slot.staff_id))
        if group is None:
            group = by_key[(day, slot.staff_id)] = StaffGroup(slot.staff)
            days[-1].staff.append(group)
        kind = (slot.schedule_id, slot.funding, slot.mode)
        services = fitting.get(kind)
        if services is None:
            offered = services_by_schedule.get(slot.schedule_id, []) if slot.schedule_id else []
            services = fitting[kind] = [
                s
                for s in offered
                if kind_fits(s, slot.funding, slot.mode)
                and (service_id is None or s.id == service_id)
            ]
        last = group.runs[-1] if group.runs else None
        if (
            last is None
            or last.facility.id != slot.facility_id
            or last.funding != slot.funding
            or last.mode != slot.mode
            or (last.services is not services and last.services != services)
        ):
            specialty = slot.specialty if slot.specialty_id else None
            last = SlotRun(slot.facility, slot.funding, slot.mode, services, specialty)
            group.runs.append(last)
        last.slots.append(slot)
    return days
