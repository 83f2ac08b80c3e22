"""The clinic's catalogue, read once per process and kept until the database says it changed.

FOR CODE THAT WRITES THE CATALOGUE (facilities, specialties, services, staff, their
specialty/facility links, schedules and what each schedule offers): nothing to do. Triggers
on those tables (models/catalogue.py) bump `catalogue_version` in the writing transaction,
whoever writes, and every process — each gunicorn worker, on every machine — reloads its
copy at its next request. `bump_catalogue_version()` below does the same by hand, for a
write the triggers cannot see (say, data loaded with triggers disabled); calling it after
an ordinary write is harmless (one extra reload per process) and never needed.

FOR CODE THAT READS: `catalogue()` costs one indexed one-row query per request (the version;
the answer is kept for the rest of the request) and a reload of a few small tables only
when the version moved. Its model objects are shared between requests and threads: read
them, never change them (reload a row with `Model.get_by_id` to edit it).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

import peewee as pw
from flask import current_app, has_app_context, has_request_context, request

from models.base import QuietPool, db, write_transaction
from models.catalogue import bump_version, install_triggers, read_version, triggers_installed
from models.clinic import (
    Facility,
    Schedule,
    ScheduleService,
    Service,
    Specialty,
    StaffFacility,
    StaffMember,
    StaffSpecialty,
)
from models.settings import ClinicSetting
from services.service_fit import MAX_RUN, kind_fits

log = logging.getLogger("wizyta.catalogue")
_EXTENSION = "wizyta_catalogue"
_REQUEST_KEY = "wizyta.catalogue"
_MEMO_MAX = 4096  # distinct filter combinations kept per catalogue version
T = TypeVar("T")


@dataclass(frozen=True)
class ScheduleInfo:
    staff_id: int
    facility_id: int
    funding: str
    mode: str
    slot_minutes: int


@dataclass
class Catalogue:
    """Everything the search needs besides the slots. Dicts keep the database's order
    (by name), so lists built from them sort like the ORDER BY did."""

    version: int
    facilities: dict[int, Facility]
    specialties: dict[int, Specialty]
    services: dict[int, Service]
    staff: dict[int, StaffMember]
    schedules: dict[int, ScheduleInfo]
    schedule_services: dict[int, list[Service]]  # by service name, inactive ones too
    staff_specialties: dict[int, set[int]]
    staff_facilities: dict[int, set[int]]
    _fitting: dict[int | None, dict[int, int]] = field(default_factory=dict)
    _memo: dict[tuple, Any] = field(default_factory=dict)
    settings: list[tuple[str, str]] = field(default_factory=list)  # the admin's (key, value)

    @cached_property
    def inactive_staff(self) -> list[int]:
        return sorted(i for i, m in self.staff.items() if not m.active)

    @cached_property
    def inactive_facilities(self) -> list[int]:
        return sorted(i for i, f in self.facilities.items() if not f.active)

    @cached_property
    def retired_specialties(self) -> list[int]:
        return sorted(i for i, s in self.specialties.items() if not s.active)

    def remembered(self, key: tuple, make: Callable[[], T]) -> T:
        """`make()`, worked out once for this version of the catalogue: for what follows
        from the catalogue alone (a new version is a new object, so nothing goes stale)."""
        try:
            return self._memo[key]
        except KeyError:
            if len(self._memo) >= _MEMO_MAX:
                self._memo.clear()
            value = self._memo[key] = make()
            return value

    def fitting_schedules(self, service_id: int | None = None) -> dict[int, int]:
        """Schedule id → the fewest consecutive slots a fitting active service needs there
        (its funding and mode match the schedule's; only `service_id` when given)."""
        if service_id not in self._fitting:
            needed: dict[int, int] = {}
            for schedule_id, offered in self.schedule_services.items():
                info = self.schedules[schedule_id]
                for service in offered:
                    if not service.active or (service_id is not None and service.id != service_id):
                        continue
                    if not kind_fits(service, info.funding, info.mode):
                        continue
                    count = max(1, math.ceil(service.duration_minutes / max(1, info.slot_minutes)))
                    if count <= MAX_RUN:
                        needed[schedule_id] = min(count, needed.get(schedule_id, count))
            self._fitting[service_id] = needed
        return self._fitting[service_id]


def load(version: int) -> Catalogue:
    """Read the catalogue (eight small queries); `version` was read before, so the copy is
    at least that new."""
    schedule_services: dict[int, list[Service]] = {}
    services = {s.id: s for s in Service.select().order_by(Service.name, Service.id)}
    links = ScheduleService.select(ScheduleService.schedule, ScheduleService.service).order_by(
        ScheduleService.id
    )
    for schedule_id, service_id in links.tuples():
        schedule_services.setdefault(schedule_id, []).append(services[service_id])
    order = {service_id: n for n, service_id in enumerate(services)}
    for offered in schedule_services.values():
        offered.sort(key=lambda s: order[s.id])
    staff_specialties: dict[int, set[int]] = {}
    for staff_id, specialty_id in StaffSpecialty.select(
        StaffSpecialty.staff, StaffSpecialty.specialty
    ).tuples():
        staff_specialties.setdefault(staff_id, set()).add(specialty_id)
    staff_facilities: dict[int, set[int]] = {}
    for staff_id, facility_id in StaffFacility.select(
        StaffFacility.staff, StaffFacility.facility
    ).tuples():
        staff_facilities.setdefault(staff_id, set()).add(facility_id)
    schedules = {
        row[0]: ScheduleInfo(*row[1:])
        for row in Schedule.select(
            Schedule.id,
            Schedule.staff,
            Schedule.facility,
            Schedule.funding,
            Schedule.mode,
            Schedule.slot_minutes,
        ).tuples()
    }
    return Catalogue(
        version=version,
        settings=_stored_settings(),
        facilities={f.id: f for f in Facility.select().order_by(Facility.name, Facility.id)},
        specialties={s.id: s for s in Specialty.select().order_by(Specialty.name, Specialty.id)},
        services=services,
        staff={
            m.id: m
            for m in StaffMember.select().order_by(
                StaffMember.last_name, StaffMember.first_name, StaffMember.id
            )
        },
        schedules=schedules,
        schedule_services=schedule_services,
        staff_specialties=staff_specialties,
        staff_facilities=staff_facilities,
    )


def _stored_settings() -> list[tuple[str, str]]:
    """The admin's clinic settings; none in a database `init-db` has not upgraded yet."""
    try:
        return list(ClinicSetting.select(ClinicSetting.key, ClinicSetting.value).tuples())
    except (pw.OperationalError, pw.ProgrammingError):
        return []


class _Holder:
    """One app's cached copy (each app has its own: tests build an app per database)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.catalogue: Catalogue | None = None
        self.triggers_checked = False
        self.triggers_ok = False
        self.retry_at = 0.0


def _holder() -> _Holder | None:
    if not has_app_context():
        return None
    return current_app.extensions.setdefault(_EXTENSION, _Holder())


def _ensure_triggers(holder: _Holder) -> bool:
    """A database made by plain create_tables (tests, benches) gets its triggers here, once
    per process. Without them (no right to create them, or the write lock not got) nothing
    is cached, and the install is tried again a minute later."""
    if holder.triggers_checked:
        return holder.triggers_ok
    if time.monotonic() < holder.retry_at:
        return False
    with holder.lock:
        if not holder.triggers_checked:
            try:
                if not triggers_installed(db):
                    with write_transaction():  # SQLite: wait for the write lock, not fail
                        install_triggers(db)
                holder.triggers_ok = holder.triggers_checked = True
            except Exception as error:  # noqa: BLE001 - any failure means "do not cache"
                # not cached for now; a request a minute from now tries again
                log.warning("catalogue triggers missing (%s): the catalogue is not cached", error)
                holder.retry_at = time.monotonic() + 60
                return False
    return holder.triggers_ok


def catalogue() -> Catalogue:
    """The current catalogue: checked against the database once per request."""
    if has_request_context():
        kept = request.environ.get(_REQUEST_KEY)
        if kept is not None:
            return kept
    holder = _holder()
    if holder is None or not _ensure_triggers(holder):
        found = load(0)
    else:
        version = read_version(db)
        found = holder.catalogue
        if found is None or found.version != version:
            found = load(version)
            holder.catalogue = found  # one reference swap: readers see old or new, whole
    if has_request_context():
        request.environ[_REQUEST_KEY] = found
    return found


def connect_for_request() -> None:
    """Take the request's connection; on PostgreSQL read the catalogue's version at once.

    That read is the request's check that the pooled connection still works (the pool does
    not ping it with `SELECT 1`, models.base.QuietPool): one the server dropped — it
    was restarted, or a proxy closed an idle connection — fails here, is discarded, and a
    new one serves the request. Any other failure (no tables yet) is left to the pages' own
    handling, as before."""
    pool = db.obj
    if not isinstance(pool, QuietPool):
        db.connect(reuse_if_open=True)
        return
    with pool.unchecked():
        db.connect(reuse_if_open=True)
    try:
        catalogue()
    except (pw.DatabaseError, pw.InterfaceError):
        if not db.connection().closed:
            return
        log.warning("a pooled PostgreSQL connection was dropped by the server: reconnecting")
        db.close()
        db.connect()


def bump_catalogue_version() -> None:
    """Tell every process that the catalogue changed (the triggers already do on writes)."""
    bump_version(db)
    if has_request_context():
        request.environ.pop(_REQUEST_KEY, None)
