"""Free slots near a point: the days with slots nearest to a search that found none, and the
free slots of the same kind nearest to one that was taken (the 409 page's alternatives).
Both filter like the search (free_slots.filtered) and walk the time-ordered index a few rows
at a time, so their cost follows what they return, not the table."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from core.timeutil import local_to_utc, to_local
from models.base import utcnow
from models.clinic import Service, Slot

from .free_slots import attach_related, filtered
from .query import SearchQuery

SUGGESTED_DAYS = 3


def nearest_days(
    query: SearchQuery,
    *,
    now: datetime | None = None,
    not_after: datetime | None = None,
    count: int = SUGGESTED_DAYS,
) -> list[date]:
    """For an empty result: local days with free slots for the same filters, nearest to the
    searched range (the last day before it, then the first days after it)."""
    now = now or utcnow()
    lo = local_to_utc(query.date_from, time.min)
    hi = local_to_utc(query.date_to + timedelta(days=1), time.min)
    filters = dict(
        facility=query.facility,
        specialty=query.specialty,
        service=query.service,
        staff=query.staff,
        visit_type=query.visit_type,
    )
    days: list[date] = []
    if lo > now:
        before_hi = lo if not_after is None else min(lo, not_after)
        before = (
            filtered(Slot.select(Slot.starts_at), lo=now, hi=before_hi, **filters)
            .order_by(Slot.starts_at.desc(), Slot.id.desc())
            .first()
        )
        if before is not None:
            days.append(to_local(before.starts_at).date())
    start = max(hi, now)
    while len(days) < count:
        if not_after is not None and start >= not_after:
            break
        found = filtered(Slot.select(Slot.starts_at), lo=start, hi=not_after, **filters).first()
        if found is None:
            break
        day = to_local(found.starts_at).date()
        days.append(day)
        start = local_to_utc(day + timedelta(days=1), time.min)
    return sorted(days)


def nearest_free_slots(
    slot: Slot,
    service: Service | int | None = None,
    limit: int = 5,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
) -> list[Slot]:
    """The free slots of the same kind nearest in time to `slot` (for "this slot is taken"),
    before or after it, between `not_before` (default now) and `not_after`, in time order.
    Same kind: the same service when given, else the same specialty (or staff member, when
    the slot has no specialty); always the same funding and mode. `slot` itself never.
    Two index-ordered queries of at most `limit` rows each, one walking back from the slot's
    time and one forward, so the cost follows `limit`, not the table."""
    not_before = not_before or utcnow()
    service_id = service.id if isinstance(service, Service) else service
    filters: dict[str, object] = {"funding": slot.funding, "mode": slot.mode}
    if service_id is not None:
        filters["service"] = service_id
    elif slot.specialty_id is not None:
        filters["specialty"] = slot.specialty_id
    else:
        filters["staff"] = slot.staff_id
    pivot = max(slot.starts_at, not_before)
    before: list[Slot] = []
    if slot.starts_at > not_before:
        before = list(
            filtered(Slot.select(), lo=not_before, hi=pivot, **filters)
            .where(Slot.id != slot.id)
            .order_by(Slot.starts_at.desc(), Slot.id.desc())
            .limit(limit)
        )
    after = list(
        filtered(Slot.select(), lo=pivot, hi=not_after, **filters)
        .where(Slot.id != slot.id)
        .limit(limit)
    )
    nearest = sorted(
        before + after, key=lambda s: (abs((s.starts_at - slot.starts_at).total_seconds()), s.id)
    )[:limit]
    nearest.sort(key=lambda s: (s.starts_at, s.id))
    attach_related(nearest)
    return nearest
