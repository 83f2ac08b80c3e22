"""Free-slot search: the query parameters, the keyset-paged slot query and dependent choices."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import peewee as pw
from flask_babel import gettext as _

from core.timeutil import local_to_utc, to_local
from models.base import utcnow
from models.clinic import (
    Facility,
    Schedule,
    ScheduleService,
    Service,
    Slot,
    Specialty,
    StaffFacility,
    StaffMember,
    StaffSpecialty,
)
from services.service_fit import fit_condition, kind_fits

PAGE_SIZE = 30
DEFAULT_RANGE_DAYS = 14
MAX_RANGE_DAYS = 92
COUNT_CAP = 500  # counting stops here, so the count never costs more than this many rows
SUGGESTED_DAYS = 3
VISIT_TYPES = ("nfz", "private", "remote", "in_person")
ID_FIELDS = ("facility", "specialty", "service", "staff")
MAX_ID = 2**31 - 1
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2199, 12, 31)
_CURSOR = re.compile(r"^(\d{14})-(\d{1,10})$")


@dataclass(frozen=True)
class Cursor:
    """Where the next page starts: after this (starts_at, id)."""

    starts_at: datetime
    slot_id: int

    def encode(self) -> str:
        return f"{self.starts_at:%Y%m%d%H%M%S}-{self.slot_id}"

    @classmethod
    def decode(cls, raw: str | None) -> Cursor | None:
        """A cursor from the URL; anything malformed means "the first page"."""
        match = _CURSOR.match((raw or "").strip())
        if not match:
            return None
        try:
            starts_at = datetime.strptime(match.group(1), "%Y%m%d%H%M%S")
        except ValueError:
            return None
        return cls(starts_at, int(match.group(2)))


@dataclass(frozen=True)
class SearchQuery:
    """A validated search; dates are Europe/Warsaw days, both inclusive."""

    date_from: date
    date_to: date
    facility: int | None = None
    specialty: int | None = None
    service: int | None = None
    staff: int | None = None
    visit_type: str = ""

    def params(self, **changes: object) -> dict[str, str]:
        """The whole query as URL parameters (empty ones left out), with optional changes."""
        values: dict[str, object] = {
            "facility": self.facility,
            "specialty": self.specialty,
            "service": self.service,
            "staff": self.staff,
            "date_from": self.date_from.isoformat(),
            "date_to": self.date_to.isoformat(),
            "visit_type": self.visit_type,
            **changes,
        }
        return {k: str(v) for k, v in values.items() if v not in (None, "")}


@dataclass
class SearchPage:
    slots: list[Slot]
    next_cursor: Cursor | None
    services_by_schedule: dict[int, list[Service]] = field(default_factory=dict)


def _parse_id(raw: str) -> int | None:
    raw = raw.strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 10 or not 0 < int(raw) <= MAX_ID:
        raise ValueError(raw)
    return int(raw)


def _parse_date(raw: str) -> date | None:
    raw = raw.strip()
    if not raw:
        return None
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        raise ValueError(raw)
    value = date.fromisoformat(raw)
    if not EARLIEST_DATE <= value <= LATEST_DATE:  # far dates overflow the UTC conversion
        raise ValueError(raw)
    return value


def parse_query(args: Mapping[str, str], today: date) -> tuple[SearchQuery, dict[str, str]]:
    """Read the GET parameters. Returns the query (sane defaults where input was bad) and
    the messages per parameter; the query is only to be searched when there are none."""
    errors: dict[str, str] = {}
    ids: dict[str, int | None] = {}
    for name in ID_FIELDS:
        try:
            ids[name] = _parse_id(args.get(name, ""))
        except ValueError:
            ids[name] = None
            errors[name] = str(_("Wybierz pozycję z listy."))

    dates: dict[str, date | None] = {}
    for name in ("date_from", "date_to"):
        try:
            value = _parse_date(args.get(name, ""))
        except ValueError:
            value = None
            errors[name] = str(
                _(
                    "Podaj datę w formacie RRRR-MM-DD, od %(first)s do %(last)s.",
                    first=EARLIEST_DATE.isoformat(),
                    last=LATEST_DATE.isoformat(),
                )
            )
        dates[name] = value
    date_from = dates["date_from"] or today
    date_to = dates["date_to"] or date_from + timedelta(days=DEFAULT_RANGE_DAYS)
    if "date_from" not in errors and "date_to" not in errors:
        if date_to < date_from:
            errors["date_to"] = str(_("Data końcowa nie może być wcześniejsza niż początkowa."))
        elif (date_to - date_from).days + 1 > MAX_RANGE_DAYS:
            errors["date_to"] = str(
                _("Zakres dat może obejmować najwyżej %(days)d dni.", days=MAX_RANGE_DAYS)
            )
    if date_to < date_from or (date_to - date_from).days + 1 > MAX_RANGE_DAYS:
        date_to = date_from + timedelta(days=DEFAULT_RANGE_DAYS)

    visit_type = args.get("visit_type", "").strip()
    if visit_type not in ("", *VISIT_TYPES):
        errors["visit_type"] = str(_("Wybierz rodzaj wizyty z listy."))
        visit_type = ""

    query = SearchQuery(date_from=date_from, date_to=date_to, visit_type=visit_type, **ids)
    errors.update(check_references(query))
    return query, errors


def check_references(query: SearchQuery) -> dict[str, str]:
    """Ids that name nothing in the clinic are input errors, not empty results."""
    errors: dict[str, str] = {}
    for name, model in (
        ("facility", Facility),
        ("specialty", Specialty),
        ("service", Service),
        ("staff", StaffMember),
    ):
        value = getattr(query, name)
        if value is not None and not model.select(model.id).where(model.id == value).exists():
            errors[name] = str(_("Wybierz pozycję z listy."))
    return errors


def _visit_type_filter(visit_type: str) -> pw.Expression | None:
    if visit_type in ("nfz", "private"):
        return Slot.funding == visit_type
    if visit_type in ("remote", "in_person"):
        return Slot.mode == visit_type
    return None


def free_slot_query(
    query: SearchQuery,
    *,
    not_before: datetime,
    not_after: datetime | None = None,
    columns: Iterable[pw.Field] | None = None,
) -> pw.ModelSelect:
    """Free, bookable slots matching the filters, ordered by (starts_at, id); no paging."""
    lo = max(local_to_utc(query.date_from, time.min), not_before)
    hi = local_to_utc(query.date_to + timedelta(days=1), time.min)
    if not_after is not None:
        hi = min(hi, not_after)
    return _filtered(
        Slot.select(*(columns or ())),
        lo=lo,
        hi=hi,
        facility=query.facility,
        specialty=query.specialty,
        service=query.service,
        staff=query.staff,
        visit_type=query.visit_type,
    )


def _filtered(
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
    # only slots a service really fits: funding, mode and the consecutive slots it needs
    conditions.append(fit_condition(service))
    if funding is not None:
        conditions.append(Slot.funding == funding)
    if mode is not None:
        conditions.append(Slot.mode == mode)
    extra = _visit_type_filter(visit_type)
    if extra is not None:
        conditions.append(extra)
    conditions.extend(_inactive_exclusions())
    return select.where(*conditions).order_by(Slot.starts_at, Slot.id)


def _inactive_exclusions() -> list[pw.Expression]:
    """Slots of deactivated staff or facilities stay in the table but are never offered.
    The lists are short (usually empty), so the time-ordered index still drives the query."""
    staff = [s for (s,) in StaffMember.select(StaffMember.id).where(~StaffMember.active).tuples()]
    places = [f for (f,) in Facility.select(Facility.id).where(~Facility.active).tuples()]
    retired = [x for (x,) in Specialty.select(Specialty.id).where(~Specialty.active).tuples()]
    exclusions = []
    if staff:
        exclusions.append(Slot.staff.not_in(staff))
    if places:
        exclusions.append(Slot.facility.not_in(places))
    if retired:
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
    select = _after(free_slot_query(query, not_before=now, not_after=not_after), cursor)
    return select.limit(page_size + 1)


def search_page(
    query: SearchQuery,
    *,
    cursor: Cursor | None = None,
    now: datetime | None = None,
    not_after: datetime | None = None,
    page_size: int = PAGE_SIZE,
) -> SearchPage:
    """One page of free slots after `cursor`, with staff, facility and services loaded."""
    now = now or utcnow()
    select = page_query(query, cursor=cursor, now=now, not_after=not_after, page_size=page_size)
    slots = list(select)
    next_cursor = None
    if len(slots) > page_size:
        slots = slots[:page_size]
        next_cursor = Cursor(slots[-1].starts_at, slots[-1].id)
    return SearchPage(slots, next_cursor, attach_related(slots))


def attach_related(slots: list[Slot]) -> dict[int, list[Service]]:
    """Load the staff, facility and specialty of the slots in three small queries (no join,
    so the slot query keeps its index plan); returns the services of each schedule."""
    if not slots:
        return {}
    staff = {
        m.id: m for m in StaffMember.select().where(StaffMember.id.in_({s.staff_id for s in slots}))
    }
    facilities = {
        f.id: f for f in Facility.select().where(Facility.id.in_({s.facility_id for s in slots}))
    }
    specialty_ids = {s.specialty_id for s in slots if s.specialty_id}
    specialties = (
        {x.id: x for x in Specialty.select().where(Specialty.id.in_(specialty_ids))}
        if specialty_ids
        else {}
    )
    for slot in slots:
        slot.staff = staff[slot.staff_id]
        slot.facility = facilities[slot.facility_id]
        if slot.specialty_id:
            slot.specialty = specialties[slot.specialty_id]
    schedule_ids = {s.schedule_id for s in slots if s.schedule_id}
    services: dict[int, list[Service]] = {}
    if schedule_ids:
        links = (
            ScheduleService.select(ScheduleService.schedule, Service)
            .join(Service)
            .where(ScheduleService.schedule.in_(schedule_ids))
            .order_by(Service.name, Service.id)
        )
        for link in links:
            services.setdefault(link.schedule_id, []).append(link.service)
    return services


def count_free_slots(
    query: SearchQuery,
    *,
    now: datetime | None = None,
    not_after: datetime | None = None,
    cap: int = COUNT_CAP,
) -> int:
    """How many slots match, counting at most `cap + 1` (shown as "more than cap")."""
    now = now or utcnow()
    inner = free_slot_query(query, not_before=now, not_after=not_after, columns=[Slot.id])
    inner = inner.order_by().limit(cap + 1)
    return (
        pw.Select([inner.alias("matching")], [pw.fn.COUNT(pw.SQL("*"))])
        .bind(Slot._meta.database)
        .scalar()
    )


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
            _filtered(Slot.select(Slot.starts_at), lo=now, hi=before_hi, **filters)
            .order_by(Slot.starts_at.desc(), Slot.id.desc())
            .first()
        )
        if before is not None:
            days.append(to_local(before.starts_at).date())
    start = max(hi, now)
    while len(days) < count:
        if not_after is not None and start >= not_after:
            break
        found = _filtered(Slot.select(Slot.starts_at), lo=start, hi=not_after, **filters).first()
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
            _filtered(Slot.select(), lo=not_before, hi=pivot, **filters)
            .where(Slot.id != slot.id)
            .order_by(Slot.starts_at.desc(), Slot.id.desc())
            .limit(limit)
        )
    after = list(
        _filtered(Slot.select(), lo=pivot, hi=not_after, **filters)
        .where(Slot.id != slot.id)
        .limit(limit)
    )
    nearest = sorted(
        before + after, key=lambda s: (abs((s.starts_at - slot.starts_at).total_seconds()), s.id)
    )[:limit]
    nearest.sort(key=lambda s: (s.starts_at, s.id))
    attach_related(nearest)
    return nearest


# -- dependent choices ---------------------------------------------------------------


@dataclass
class Choices:
    facilities: list[Facility]
    specialties: list[Specialty]
    services: list[Service]
    staff: list[StaffMember]


def _with_selected(model: type[pw.Model], items: list, selected: int | None) -> list:
    """Options that fit, plus the selected one even if it does not fit the other filters."""
    if selected is not None and all(item.id != selected for item in items):
        extra = model.get_or_none(model.id == selected)
        if extra is not None:
            items = [extra, *items]
    return items


def _staff_ids_for_specialty(specialty_id: int) -> set[int]:
    linked = StaffSpecialty.select(StaffSpecialty.staff).where(
        StaffSpecialty.specialty == specialty_id
    )
    scheduled = (
        Schedule.select(Schedule.staff)
        .join(ScheduleService)
        .join(Service)
        .where(Service.specialty == specialty_id)
    )
    return {r[0] for r in linked.tuples()} | {r[0] for r in scheduled.tuples()}


def _staff_ids_for_service(service_id: int) -> set[int]:
    scheduled = (
        Schedule.select(Schedule.staff)
        .join(ScheduleService)
        .where(ScheduleService.service == service_id)
    )
    return {r[0] for r in scheduled.tuples()}


def _staff_ids_for_facility(facility_id: int) -> set[int]:
    linked = StaffFacility.select(StaffFacility.staff).where(StaffFacility.facility == facility_id)
    scheduled = Schedule.select(Schedule.staff).where(Schedule.facility == facility_id)
    return {r[0] for r in linked.tuples()} | {r[0] for r in scheduled.tuples()}


def _facility_ids_for_staff(staff_id: int) -> set[int]:
    linked = StaffFacility.select(StaffFacility.facility).where(StaffFacility.staff == staff_id)
    scheduled = Schedule.select(Schedule.facility).where(Schedule.staff == staff_id)
    return {r[0] for r in linked.tuples()} | {r[0] for r in scheduled.tuples()}


def choices_for(query: SearchQuery) -> Choices:
    """The options of each filter, narrowed by the others: a specialty narrows services
    and staff, a service narrows staff, a facility narrows staff, a staff member narrows
    facilities. A selected option always stays."""
    facilities = Facility.select().where(Facility.active == True)  # noqa: E712
    if query.staff is not None:
        facilities = facilities.where(Facility.id.in_(_facility_ids_for_staff(query.staff)))
    specialties = Specialty.select().where(Specialty.active == True)  # noqa: E712
    services = Service.select().where(Service.active == True)  # noqa: E712
    if query.specialty is not None:
        services = services.where(Service.specialty == query.specialty)
    staff = StaffMember.select().where(StaffMember.active == True)  # noqa: E712
    staff_ids: set[int] | None = None
    if query.specialty is not None:
        staff_ids = _staff_ids_for_specialty(query.specialty)
    if query.service is not None:
        ids = _staff_ids_for_service(query.service)
        staff_ids = ids if staff_ids is None else staff_ids & ids
    if query.facility is not None:
        ids = _staff_ids_for_facility(query.facility)
        staff_ids = ids if staff_ids is None else staff_ids & ids
    if staff_ids is not None:
        staff = staff.where(StaffMember.id.in_(staff_ids))
    return Choices(
        facilities=_with_selected(
            Facility, list(facilities.order_by(Facility.name, Facility.id)), query.facility
        ),
        specialties=_with_selected(
            Specialty, list(specialties.order_by(Specialty.name)), query.specialty
        ),
        services=_with_selected(
            Service, list(services.order_by(Service.name, Service.id)), query.service
        ),
        staff=_with_selected(
            StaffMember,
            list(staff.order_by(StaffMember.last_name, StaffMember.first_name, StaffMember.id)),
            query.staff,
        ),
    )


# -- grouping for display --------------------------------------------------------------


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
    for slot in slots:
        day = to_local(slot.starts_at).date()
        if not days or days[-1].day != day:
            days.append(DayGroup(day))
        group = by_key.get((day, slot.staff_id))
        if group is None:
            group = by_key[(day, slot.staff_id)] = StaffGroup(slot.staff)
            days[-1].staff.append(group)
        services = services_by_schedule.get(slot.schedule_id, []) if slot.schedule_id else []
        services = [s for s in services if kind_fits(s, slot.funding, slot.mode)]
        if service_id is not None:
            services = [s for s in services if s.id == service_id]
        last = group.runs[-1] if group.runs else None
        if (
            last is None
            or last.facility.id != slot.facility_id
            or last.funding != slot.funding
            or last.mode != slot.mode
            or [s.id for s in last.services] != [s.id for s in services]
        ):
            specialty = slot.specialty if slot.specialty_id else None
            last = SlotRun(slot.facility, slot.funding, slot.mode, services, specialty)
            group.runs.append(last)
        last.slots.append(slot)
    return days
