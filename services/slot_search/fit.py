"""The service-fit rule of services/service_fit.py as SQL, for the search query: a slot is
offered when its schedule has an active service of the slot's funding and mode and the
consecutive free slots that service needs. Which schedules qualify comes from the cached
catalogue; only the "next slots are free" part is left to the database."""

from __future__ import annotations

from collections import defaultdict

import peewee as pw

from models.clinic import Slot
from services.catalogue_cache import Catalogue


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


def _one_slot_schedules(known: Catalogue, ids: set[int]) -> pw.Node:
    """`schedule IN ids`, written as the shorter of IN and NOT IN (of all schedules, most
    usually fit: then the condition costs next to nothing per row)."""
    others = known.schedules.keys() - ids
    if len(others) >= len(ids):
        return Slot.schedule.in_(sorted(ids))
    present = Slot.schedule.is_null(False)
    return present & Slot.schedule.not_in(sorted(others)) if others else present


def fit_condition(known: Catalogue, service_id: int | None = None) -> pw.Node:
    """SQL: the slot has a fitting service (the given one, when given). Schedules are
    grouped by the slots needed, so the usual case is one IN list — or, without a
    service, a short NOT IN of the schedules where nothing fits in one slot."""
    by_count: dict[int, list[int]] = defaultdict(list)
    for schedule_id, count in known.fitting_schedules(service_id).items():
        by_count[count].append(schedule_id)
    if not by_count:
        return pw.SQL("1 = 0")
    terms = []
    for count, ids in sorted(by_count.items()):
        if count == 1 and service_id is None:
            term = _one_slot_schedules(known, set(ids))
        else:
            term = Slot.schedule.in_(sorted(ids))
        if count > 1:
            term = term & _chain(count - 1)
        terms.append(term)
    condition = terms[0]
    for term in terms[1:]:
        condition = condition | term
    if service_id is not None:
        service = known.services.get(service_id)
        if service is None:
            return pw.SQL("1 = 0")
        fundings = [f for f, ok in (("nfz", service.nfz), ("private", service.private)) if ok]
        modes = [
            m for m, ok in (("in_person", service.in_person), ("remote", service.remote)) if ok
        ]
        condition = condition & Slot.funding.in_(fundings) & Slot.mode.in_(modes)
    return condition
