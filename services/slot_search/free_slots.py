"""The free-slot queries: one keyset-paged page and the capped count (the nearest days and
free slots, which filter the same way, are in nearest.py). Everything but the slots comes
from the cached catalogue, so a search page runs the version check and the page, which
carries the count: two queries."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

import peewee as pw

from core.timeutil import local_to_utc
from models.base import utcnow
from models.clinic import Facility, Service, Slot, Specialty, StaffMember
from services.catalogue_cache import Catalogue, catalogue

from .fit import fit_condition
from .prepared import prepared
from .query import Cursor, SearchQuery

PAGE_SIZE = 30
# counting stops here, so the count never costs more than this many rows; "ponad 100" tells a
# patient as much as an exact 437, and counting 500 sparse matches (one service) cost 1.5 ms
# of PostgreSQL's time per search, 100 cost 0.3 ms
COUNT_CAP = 100
FOUND = "found_count"  # the page's column carrying the count


@dataclass
class SearchPage:
    slots: list[Slot]
    next_cursor: Cursor | None
    services_by_schedule: dict[int, list[Service]] = field(default_factory=dict)
    total: int | None = None  # the capped count of all matches, when asked for


def _visit_type_filter(visit_type: str) -> pw.Expression | None:
    if visit_type in ("nfz", "private"):
        return Slot.funding == visit_type
    if visit_type in ("remote", "in_person"):
        return Slot.mode == visit_type
    return None


def _window(
    query: SearchQuery, not_before: datetime, not_after: datetime | None
) -> tuple[datetime, datetime]:
    """The UTC times the search covers: its Warsaw days, cut to what can be booked."""
    lo = max(local_to_utc(query.date_from, time.min), not_before)
    hi = local_to_utc(query.date_to + timedelta(days=1), time.min)
    if not_after is not None:
        hi = min(hi, not_after)
    return lo, hi


def free_slot_query(
    query: SearchQuery,
    *,
    not_before: datetime,
    not_after: datetime | None = None,
    columns: Iterable[pw.Field] | None = None,
) -> pw.ModelSelect:
    """Free, bookable slots matching the filters, ordered by (starts_at, id); no paging."""
    values = _values(query, not_before=not_before, not_after=not_after)
    return _select(query, values, *(columns or ()))


def _values(
    query: SearchQuery,
    *,
    not_before: datetime,
    not_after: datetime | None,
    limit: int | None = None,
    cursor: Cursor | None = None,
    count_limit: int | None = None,
) -> dict[str, Any]:
    """What changes between searches of one shape: the statement's parameters (prepared.py)."""
    lo, hi = _window(query, not_before, not_after)
    return {
        "count_limit": count_limit,
        "lo": lo,
        "hi": hi,
        "facility": query.facility,
        "specialty": query.specialty,
        "staff": query.staff,
        "after_at": cursor.starts_at if cursor else None,
        "after_id": cursor.slot_id if cursor else None,
        "limit": limit,
    }


def _select(query: SearchQuery, values: Mapping[str, Any], *columns: pw.Field) -> pw.ModelSelect:
    select = filtered(
        Slot.select(*columns),
        lo=values["lo"],
        hi=values["hi"],
        facility=values["facility"],
        specialty=values["specialty"],
        service=query.service,
        staff=values["staff"],
        visit_type=query.visit_type,
    )
    if values["after_at"] is not None:
        select = _after(select, Cursor(values["after_at"], values["after_id"]))
    return select


# what the results show and link by; not ends_at, the flags or created_at (a tenth of the
# page's database time went to reading columns nobody looked at)
PAGE_COLUMNS = (
    Slot.id,
    Slot.schedule,
    Slot.staff,
    Slot.facility,
    Slot.specialty,
    Slot.starts_at,
    Slot.funding,
    Slot.mode,
)


def _page_select(query: SearchQuery, values: Mapping[str, Any]) -> pw.ModelSelect:
    select = _select(query, values, *PAGE_COLUMNS)
    if values["count_limit"] is not None:
        # the capped count rides along as a column: one statement, one round trip
        counted = _count_select(query, values).alias(FOUND)
        select = select.select_extend(counted)
    return select.limit(values["limit"])


def _count_select(query: SearchQuery, values: Mapping[str, Any]) -> pw.Select:
    limit = values["count_limit"] if values["count_limit"] is not None else values["limit"]
    inner = _select(query, values, Slot.id).order_by().limit(limit)
    return pw.Select([inner.alias("matching")], [pw.fn.COUNT(pw.SQL("*"))]).bind(
        Slot._meta.database
    )


def filtered(
    select: pw.ModelSelect,
    *,
    lo: datetime,
    hi: datetime | None,
    facility: int | None = None,
    specialty: int | None = None,
    service: int | None = None,
    staff: int | None = None,
    visit_type: str = "",
    funding: str | None = None,
    mode: str | None = None,
) -> pw.ModelSelect:
    # booked/blocked as equalities, so the (booked, blocked, starts_at) index serves them
    conditions = [Slot.booked == False, Slot.blocked == False, Slot.starts_at >= lo]  # noqa: E712
    if hi is not None:
        conditions.append(Slot.starts_at < hi)
    if facility is not None:
        conditions.append(Slot.facility == facility)
    if specialty is not None:
        conditions.append(Slot.specialty == specialty)
    if staff is not None:
        conditions.append(Slot.staff == staff)
    known = catalogue()
    # only slots a service really fits: funding, mode and the consecutive slots it needs
    conditions.append(fit_condition(known, service))
    if funding is not None:
        conditions.append(Slot.funding == funding)
    if mode is not None:
        conditions.append(Slot.mode == mode)
    extra = _visit_type_filter(visit_type)
    if extra is not None:
        conditions.append(extra)
    conditions.extend(_inactive_exclusions(known))
    return select.where(*conditions).order_by(Slot.starts_at, Slot.id)


def _inactive_exclusions(known: Catalogue) -> list[pw.Expression]:
    """Slots of deactivated staff, facilities or specialties stay in the table but are never
    offered.
    The lists are short (usually empty), so the time-ordered index still drives the query."""
    exclusions = []
    if staff := known.inactive_staff:
        exclusions.append(Slot.staff.not_in(staff))
    if places := known.inactive_facilities:
        exclusions.append(Slot.facility.not_in(places))
    if retired := known.retired_specialties:
        exclusions.append(Slot.specialty.is_null() | Slot.specialty.not_in(retired))
    return exclusions


def _after(select: pw.ModelSelect, cursor: Cursor | None) -> pw.ModelSelect:
    if cursor is None:
        return select
    # The plain >= lets the index range start at the cursor; the OR breaks ties by id.
    return select.where(
        (Slot.starts_at >= cursor.starts_at)
        & (
            (Slot.starts_at > cursor.starts_at)
            | ((Slot.starts_at == cursor.starts_at) & (Slot.id > cursor.slot_id))
        )
    )


def page_query(
    query: SearchQuery,
    *,
    cursor: Cursor | None,
    now: datetime,
    not_after: datetime | None = None,
    page_size: int = PAGE_SIZE,
) -> pw.ModelSelect:
    """The main query of the search: one page (plus one row, to know if more follow)."""
    values = _values(query, not_before=now, not_after=not_after, limit=page_size + 1, cursor=cursor)
    return _page_select(query, values)


def search_page(
    query: SearchQuery,
    *,
    cursor: Cursor | None = None,
    now: datetime | None = None,
    not_after: datetime | None = None,
    page_size: int = PAGE_SIZE,
    count: bool = False,
) -> SearchPage:
    """One page of free slots after `cursor`, with staff, facility and services loaded;
    with `count` (a first page only) also how many match, at most COUNT_CAP + 1, read by
    the same statement."""
    if count and cursor is not None:
        raise ValueError("the count is of all matches: ask for it on the first page")
    values = _values(
        query,
        not_before=now or utcnow(),
        not_after=not_after,
        limit=page_size + 1,
        cursor=cursor,
        count_limit=COUNT_CAP + 1 if count else None,
    )
    shape = ("page", query.service, query.visit_type)
    statement = prepared(catalogue(), shape, values, lambda v: _page_select(query, v))
    if statement is None:
        slots = list(_page_select(query, values))
    else:
        sql, params = statement
        slots = _page_slots(Slot._meta.database.execute_sql(sql, params).fetchall(), count)
    total = (getattr(slots[0], FOUND) if slots else 0) if count else None
    next_cursor = None
    if len(slots) > page_size:
        slots = slots[:page_size]
        next_cursor = Cursor(slots[-1].starts_at, slots[-1].id)
    return SearchPage(slots, next_cursor, attach_related(slots), total)


_PAGE_FIELDS = tuple(column.name for column in PAGE_COLUMNS)


def _page_slots(rows: list[tuple], count: bool) -> list[Slot]:
    """Slot objects made straight from the page's rows (PAGE_COLUMNS, then the count when
    asked for). Peewee's row reader sets every field through its descriptor and passes every
    value through the field's converter: a tenth of the search page's time. Only the time
    needs converting, and only on SQLite (which returns text)."""
    to_time = Slot.starts_at.python_value
    slots = []
    for row in rows:
        data = dict(zip(_PAGE_FIELDS, row, strict=False))
        if not isinstance(data["starts_at"], datetime):
            data["starts_at"] = to_time(data["starts_at"])
        slot = Slot.__new__(Slot)
        slot.__data__, slot._dirty, slot.__rel__ = data, set(), {}
        if count:
            setattr(slot, FOUND, row[len(_PAGE_FIELDS)])
        slots.append(slot)
    return slots


def _missing(model: type[pw.Model], known: dict, ids: set[int]) -> dict:
    """Rows the cached catalogue lacks (written after this request read its version):
    read them from the database, so a slot is never shown without its doctor or place."""
    absent = ids - known.keys()
    if not absent:
        return known
    return {**known, **{row.id: row for row in model.select().where(model.id.in_(absent))}}


def attach_related(slots: list[Slot]) -> dict[int, list[Service]]:
    """Give the slots their staff member, facility and specialty from the cached catalogue
    (no query, so the slot query keeps its index plan); returns the services of each
    schedule."""
    if not slots:
        return {}
    known = catalogue()
    staff = _missing(StaffMember, known.staff, {s.staff_id for s in slots})
    facilities = _missing(Facility, known.facilities, {s.facility_id for s in slots})
    specialties = _missing(
        Specialty, known.specialties, {s.specialty_id for s in slots if s.specialty_id}
    )
    for slot in slots:
        # what `slot.staff = …` does, without the descriptor (the ids are already there)
        related = slot.__rel__
        related["staff"] = staff[slot.staff_id]
        related["facility"] = facilities[slot.facility_id]
        if slot.specialty_id:
            related["specialty"] = specialties[slot.specialty_id]
    return {
        schedule_id: known.schedule_services[schedule_id]
        for schedule_id in {s.schedule_id for s in slots if s.schedule_id}
        if schedule_id in known.schedule_services
    }


def count_free_slots(
    query: SearchQuery,
    *,
    now: datetime | None = None,
    not_after: datetime | None = None,
    cap: int = COUNT_CAP,
) -> int:
    """How many slots match, counting at most `cap + 1` (shown as "more than cap")."""
    values = _values(query, not_before=now or utcnow(), not_after=not_after, limit=cap + 1)
    shape = ("count", query.service, query.visit_type)
    statement = prepared(catalogue(), shape, values, lambda v: _count_select(query, v))
    if statement is None:
        return _count_select(query, values).scalar()
    sql, params = statement
    return Slot._meta.database.execute_sql(sql, params).fetchone()[0]
