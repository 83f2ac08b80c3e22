"""Which service fits which slot: one rule for the search, the booking and the move.

A service is offered on a slot only when
- its funding (NFZ / private) and mode (in person / remote) match the slot's,
- the patient's age on the day of the visit is inside the service's optional age range,
- its duration fits: a service longer than one slot needs the consecutive free slots of the
  same schedule that cover it (booked together), or it is not offered there.

`fitting_services` and `consecutive_run` answer for one slot in Python;
services/slot_search/fit.py is the same rule as SQL for the search query (without the age,
which depends on whom the visit is for and is checked when booking).
"""

from __future__ import annotations

import copy
import math
import re
from datetime import date

from core.timeutil import to_local
from models.clinic import Service, Slot
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
    """The active services linked to the slot's schedule, by name (from the cached
    catalogue: no query)."""
    from services.catalogue_cache import catalogue  # the catalogue uses this module's rule

    if slot.schedule_id is None:
        return []
    offered = catalogue().schedule_services.get(slot.schedule_id, [])
    return [_own_copy(service) for service in offered if service.active]


def _own_copy(service: Service) -> Service:
    """The caller's own copy of a shared catalogue row (`fitting_services` sets `run`)."""
    mine = copy.copy(service)
    mine.__data__ = dict(service.__data__)
    mine._dirty = set()
    return mine


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
