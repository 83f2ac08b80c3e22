"""Which service fits which slot: one rule for the search, the booking and the move.

A service is offered on a slot only when
- its funding (NFZ / private) and mode (in person / remote) match the slot's,
- the patient's age on the day of the visit is inside the service's optional age range,
- its duration fits: a service longer than one slot needs the consecutive free slots of the
  same schedule that cover it (booked together), or it is not offered there.

`fitting_services` and `consecutive_run` answer for one slot in Python; `fit_condition`
is the same rule as SQL for the search query (without the age, which depends on whom the
visit is for and is checked when booking).
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from datetime import date

import peewee as pw
from flask import has_request_context, request

from core.timeutil import to_local
from models.clinic import Schedule, ScheduleService, Service, Slot
from models.patients import Patient

MAX_RUN = 8  # a service needing more consecutive slots than this is not offered online
REFERRAL_CODE = re.compile(r"^([0-9]{4}|[0-9]{44})$")  # ASCII digits only


# -- the parts of the rule -------------------------------------------------------------------


def kind_fits(service: Service, funding: str, mode: str) -> bool:
    """The service may be given with this funding and in this mode."""
    funded = (funding == "nfz" and service.nfz) or (funding == "private" and service.private)
    mode_ok = (mode == "in_person" and service.in_person) or (mode == "remote" and service.remote)
    return bool(funded and mode_ok)


def age_on(birth_date: date, day: date) -> int:
    """Whole years of age on `day`."""
    years = day.year - birth_date.year
    if (day.month, day.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


def age_fits(service: Service, birth_date: date, day: date) -> bool:
    age = age_on(birth_date, day)
    if service.min_age is not None and age < service.min_age:
        return False
    return service.max_age is None or age <= service.max_age


def slots_needed(service: Service, slot_minutes: int) -> int:
    """How many consecutive slots of this length the service takes."""
    return max(1, math.ceil(service.duration_minutes / max(1, slot_minutes)))


def _slot_minutes(slot: Slot) -> int:
    return max(1, int((slot.ends_at - slot.starts_at).total_seconds() // 60))


def needs_referral(service: Service, funding: str) -> bool:
    """An NFZ visit to a service that needs one asks for the e-referral; a private one not."""
    return bool(service.requires_referral) and funding == "nfz"


def normalise_referral_code(raw: str | None) -> str:
    """Spaces and dashes people copy from the e-referral printout are dropped."""
    return re.sub(r"[\s-]", "", raw or "")


def referral_code_valid(code: str) -> bool:
    return bool(REFERRAL_CODE.match(code))


# -- one slot --------------------------------------------------------------------------------


def consecutive_run(slot: Slot, count: int) -> list[Slot] | None:
    """`slot` and the free slots right after it in the same schedule, `count` in all, each
    starting where the previous ends; None when they are not all there and free."""
    if count == 1:
        return [slot]
    if slot.schedule_id is None or count > MAX_RUN:
        return None
    following = list(
        Slot.select()
        .where(
            (Slot.schedule == slot.schedule_id)
            & (Slot.starts_at >= slot.ends_at)
            & (Slot.id != slot.id)
        )
        .order_by(Slot.starts_at, Slot.id)
        .limit(count - 1)
    )
    run = [slot]
    for nxt in following:
        if nxt.starts_at != run[-1].ends_at or nxt.booked or nxt.blocked:
            return None
        run.append(nxt)
    return run if len(run) == count else None


def schedule_services(slot: Slot) -> list[Service]:
    """The active services linked to the slot's schedule, by name."""
    if slot.schedule_id is None:
        return []
    return list(
        Service.select()
        .join(ScheduleService)
        .where((ScheduleService.schedule == slot.schedule_id) & (Service.active == True))  # noqa: E712
        .order_by(Service.name, Service.id)
    )


def fitting_services(slot: Slot, patient: Patient | None = None) -> list[Service]:
    """The services that can really be booked in the slot (for the patient, when given).
    Each has `run`: the slots it would hold."""
    day = to_local(slot.starts_at).date()
    fitting = []
    for service in schedule_services(slot):
        if not kind_fits(service, slot.funding, slot.mode):
            continue
        if patient is not None and not age_fits(service, patient.birth_date, day):
            continue
        run = consecutive_run(slot, slots_needed(service, _slot_minutes(slot)))
        if run is None:
            continue
        service.run = run
        fitting.append(service)
    return fitting


def fits_someone(service: Service, patients: list[Patient], day: date) -> bool:
    return any(age_fits(service, p.birth_date, day) for p in patients)


# -- the same rule as SQL, for the search ------------------------------------------------------


def _chain(count: int, previous: type[Slot] | pw.ModelAlias = Slot) -> pw.Node:
    """EXISTS: the next `count` slots of the same schedule follow without a gap, free."""
    nxt = Slot.alias(f"next_{count}")
    sub = nxt.select(pw.SQL("1")).where(
        (nxt.schedule == previous.schedule)
        & (nxt.starts_at == previous.ends_at)
        & (nxt.booked == False)  # noqa: E712
        & (nxt.blocked == False)  # noqa: E712
    )
    if count > 1:
        sub = sub.where(_chain(count - 1, nxt))
    return pw.fn.EXISTS(sub)


def fitting_schedules(service_id: int | None = None) -> dict[int, int]:
    """Schedule id → the fewest consecutive slots a fitting service needs there (funding and
    mode of the schedule; only `service_id` when given). The search runs this for every
    request, so it reads raw rows: no model objects, no value conversion."""
    rows = (
        ScheduleService.select(
            ScheduleService.schedule,
            Schedule.funding,
            Schedule.mode,
            Schedule.slot_minutes,
            Service.nfz,
            Service.private,
            Service.in_person,
            Service.remote,
            Service.duration_minutes,
        )
        .join(Schedule)
        .switch(ScheduleService)
        .join(Service)
        .where(Service.active == True)  # noqa: E712
    )
    if service_id is not None:
        rows = rows.where(Service.id == service_id)
    needed: dict[int, int] = {}
    # raw rows (0/1 or booleans, truthy either way): no per-value conversion
    for row in Schedule._meta.database.execute(rows).fetchall():
        schedule_id, funding, mode, minutes, nfz, private, in_person, remote, duration = row
        funded = nfz if funding == "nfz" else private if funding == "private" else False
        moded = in_person if mode == "in_person" else remote if mode == "remote" else False
        if not (funded and moded):
            continue
        count = max(1, math.ceil(duration / max(1, minutes)))
        if count > MAX_RUN:
            continue
        needed[schedule_id] = min(count, needed.get(schedule_id, count))
    return needed


def _cached(key: tuple, compute):
    """Within one request the schedules do not change: compute them once (the search asks
    for the page, the count and the suggestions). Outside a request, always fresh."""
    if not has_request_context():
        return compute()
    cache = request.environ.setdefault("wizyta.service_fit", {})
    if key not in cache:
        cache[key] = compute()
    return cache[key]


def fit_condition(service_id: int | None = None) -> pw.Node:
    """SQL for the search: the slot has a fitting service (the given one, when given) — its
    schedule offers it with the slot's funding and mode, and the consecutive slots it needs
    are free. Schedules are grouped by the slots needed, so the usual case is one IN list —
    or, without a service, a short NOT IN of the schedules where nothing fits in one slot."""
    needed = _cached(("needed", service_id), lambda: fitting_schedules(service_id))
    by_count: dict[int, list[int]] = defaultdict(list)
    for schedule_id, count in needed.items():
        by_count[count].append(schedule_id)
    if not by_count:
        return pw.SQL("1 = 0")
    terms = []
    for count, ids in sorted(by_count.items()):
        if count == 1 and service_id is None:
            term = _one_slot_schedules(set(ids))
        else:
            term = Slot.schedule.in_(sorted(ids))
        if count > 1:
            term = term & _chain(count - 1)
        terms.append(term)
    condition = terms[0]
    for term in terms[1:]:
        condition = condition | term
    if service_id is not None:
        service = Service.get_or_none(Service.id == service_id)
        if service is None:
            return pw.SQL("1 = 0")
        fundings = [f for f, ok in (("nfz", service.nfz), ("private", service.private)) if ok]
        modes = [
            m for m, ok in (("in_person", service.in_person), ("remote", service.remote)) if ok
        ]
        condition = condition & Slot.funding.in_(fundings) & Slot.mode.in_(modes)
    return condition


def _one_slot_schedules(ids: set[int]) -> pw.Node:
    """`schedule IN ids`, written as the shorter of IN and NOT IN (of all schedules, most
    usually fit: then the condition costs next to nothing per row)."""
    everything = set(
        _cached(("all",), lambda: [r for (r,) in Schedule.select(Schedule.id).tuples()])
    )
    others = everything - ids
    if len(others) >= len(ids):
        return Slot.schedule.in_(sorted(ids))
    present = Slot.schedule.is_null(False)
    return present & Slot.schedule.not_in(sorted(others)) if others else present
