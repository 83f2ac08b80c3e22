"""The desk's schedule work: weekly schedules, exceptions (leave, holidays, a closed day),
generating slots, blocking single slots — and the rule that a change never removes or moves
a booked slot silently.

Free slots go at once; a booked one stays where it is and its visit appears in
`visits_to_resolve` until the desk moves it (to the same doctor's next free slot) or cancels
it with `resolve`, which mails every affected patient in that one action.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _

from core import audit
from core.errors import DomainError
from core.timeutil import local_to_utc, local_today, to_local
from models.accounts import Account
from models.base import utcnow, write_transaction
from models.booking import Appointment
from models.clinic import (
    FUNDING_CHOICES,
    MODE_CHOICES,
    Facility,
    Schedule,
    ScheduleException,
    ScheduleService,
    Service,
    Slot,
    StaffMember,
)

from . import scheduling
from .booking_errors import BookingError
from .desk_booking import cancel_for, change_for, free_slots_for_move

MAX_GENERATE_DAYS = 366


class ScheduleInvalid(DomainError):
    """Bad schedule input: `field` names the form field, `message` what is wrong."""

    status = 422

    def __init__(self, field_name: str, text: str) -> None:
        super().__init__(text)
        self.field = field_name
        self.text = text

    @property
    def message(self) -> str:
        return self.text


class SlotHasVisit(DomainError):
    """A booked slot cannot be blocked: move or cancel the visit first."""

    status = 409

    @property
    def message(self) -> str:
        return _("W tym terminie jest wizyta. Najpierw ją przenieś albo odwołaj.")


def _day_bounds(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    return (
        local_to_utc(date_from, time.min),
        local_to_utc(date_to + timedelta(days=1), time.min),
    )


# --- weekly schedules --------------------------------------------------------------------------


@dataclass
class ScheduleData:
    staff_id: int
    facility_id: int
    weekday: int
    start_time: time
    end_time: time
    slot_minutes: int
    funding: str
    mode: str
    valid_from: date
    valid_to: date | None
    service_ids: list[int] = field(default_factory=list)


def _check(data: ScheduleData) -> list[Service]:
    if not StaffMember.select().where(StaffMember.id == data.staff_id).exists():
        raise ScheduleInvalid("staff", _("Wybierz osobę z listy."))
    if not Facility.select().where(Facility.id == data.facility_id).exists():
        raise ScheduleInvalid("facility", _("Wybierz placówkę z listy."))
    if data.weekday not in range(7):
        raise ScheduleInvalid("weekday", _("Wybierz dzień tygodnia."))
    if data.end_time <= data.start_time:
        raise ScheduleInvalid("end_time", _("Koniec musi być później niż początek."))
    if not 5 <= data.slot_minutes <= 120:
        raise ScheduleInvalid("slot_minutes", _("Długość terminu: od 5 do 120 minut."))
    length = datetime.combine(date.min, data.end_time) - datetime.combine(date.min, data.start_time)
    if length < timedelta(minutes=data.slot_minutes):
        raise ScheduleInvalid("end_time", _("W tych godzinach nie zmieści się ani jeden termin."))
    if data.funding not in FUNDING_CHOICES or data.mode not in MODE_CHOICES:
        raise ScheduleInvalid("funding", _("Wybierz rodzaj wizyty."))
    if data.valid_to is not None and data.valid_to < data.valid_from:
        raise ScheduleInvalid("valid_to", _("Data końca nie może być wcześniejsza niż początek."))
    services = list(
        Service.select().where(Service.id.in_(data.service_ids or [0]) & Service.active)
    )
    if not services or len(services) != len(set(data.service_ids)):
        raise ScheduleInvalid("services", _("Wybierz co najmniej jedno świadczenie."))
    for service in services:
        funded = service.nfz if data.funding == "nfz" else service.private
        mode_ok = service.in_person if data.mode == "in_person" else service.remote
        if not (funded and mode_ok):
            raise ScheduleInvalid(
                "services",
                _(
                    "Świadczenie „%(name)s” nie ma tego rodzaju wizyty (NFZ/prywatnie, "
                    "w placówce/zdalnie).",
                    name=service.name,
                ),
            )
    return services


def create_schedule(actor: Account, data: ScheduleData) -> Schedule:
    services = _check(data)
    with write_transaction():
        schedule = Schedule.create(
            staff=data.staff_id,
            facility=data.facility_id,
            weekday=data.weekday,
            start_time=data.start_time,
            end_time=data.end_time,
            slot_minutes=data.slot_minutes,
            funding=data.funding,
            mode=data.mode,
            valid_from=data.valid_from,
            valid_to=data.valid_to,
        )
        for service in services:
            ScheduleService.create(schedule=schedule, service=service)
        audit.record(
            "desk.schedule.create",
            object_type="schedule",
            object_id=schedule.id,
            details=f"staff={data.staff_id} facility={data.facility_id} day={data.weekday}",
            account_id=actor.id,
        )
    return schedule


def end_schedule(actor: Account, schedule: Schedule, valid_to: date) -> list[Appointment]:
    """The schedule ends on `valid_to`: its free slots after it go, booked ones stay and are
    returned (they wait in visits_to_resolve)."""
    if valid_to < schedule.valid_from:
        raise ScheduleInvalid("valid_to", _("Data końca nie może być wcześniejsza niż początek."))
    after = local_to_utc(valid_to + timedelta(days=1), time.min)
    with write_transaction():
        Schedule.update(valid_to=valid_to).where(Schedule.id == schedule.id).execute()
        Slot.delete().where(
            (Slot.schedule == schedule.id) & (Slot.starts_at >= after) & ~Slot.booked
        ).execute()
        audit.record(
            "desk.schedule.end",
            object_type="schedule",
            object_id=schedule.id,
            details=f"valid_to={valid_to}",
            account_id=actor.id,
        )
    return _active_visits(Slot.schedule == schedule.id, Slot.starts_at >= after)


# --- exceptions: leave, holidays, a closed day ----------------------------------------------


def _active_visits(*conditions) -> list[Appointment]:
    query = (
        Appointment.select(Appointment, Slot)
        .join(Slot, on=(Appointment.active_slot == Slot.id))
        .where((Appointment.status == "booked") & (Slot.starts_at > utcnow()), *conditions)
        .order_by(Slot.starts_at, Appointment.id)
    )
    return list(query)


@dataclass
class ExceptionPreview:
    """What an exception will do: free slots removed per day, and the visits it touches."""

    removed_by_day: dict[date, int]
    visits: list[Appointment]

    @property
    def removed(self) -> int:
        return sum(self.removed_by_day.values())


def _range_check(date_from: date, date_to: date) -> None:
    if date_to < date_from:
        raise ScheduleInvalid("date_to", _("Data końca nie może być wcześniejsza niż początek."))
    if (date_to - date_from).days > MAX_GENERATE_DAYS:
        raise ScheduleInvalid("date_to", _("Najwyżej rok naraz."))


def preview_exception(staff_id: int | None, date_from: date, date_to: date) -> ExceptionPreview:
    _range_check(date_from, date_to)
    lo, hi = _day_bounds(date_from, date_to)
    where = [(Slot.starts_at >= lo), (Slot.starts_at < hi)]
    if staff_id is not None:
        where.append(Slot.staff == staff_id)
    removed: Counter[date] = Counter()
    for (starts_at,) in Slot.select(Slot.starts_at).where(~Slot.booked, *where).tuples():
        removed[to_local(starts_at).date()] += 1
    return ExceptionPreview(dict(sorted(removed.items())), _active_visits(*where))


def add_exception(
    actor: Account, staff_id: int | None, date_from: date, date_to: date, reason: str
) -> tuple[ScheduleException, list[Appointment]]:
    """Record the leave or holiday and remove its free slots; booked ones stay and come back
    as the visits to move or cancel."""
    _range_check(date_from, date_to)
    if staff_id is not None and not StaffMember.select().where(StaffMember.id == staff_id).exists():
        raise ScheduleInvalid("staff", _("Wybierz osobę z listy."))
    lo, hi = _day_bounds(date_from, date_to)
    with write_transaction():
        exception = ScheduleException.create(
            staff=staff_id, date_from=date_from, date_to=date_to, reason=reason.strip()[:200]
        )
        query = Slot.delete().where((Slot.starts_at >= lo) & (Slot.starts_at < hi) & ~Slot.booked)
        if staff_id is not None:
            query = query.where(Slot.staff == staff_id)
        removed = query.execute()
        audit.record(
            "desk.exception.create",
            object_type="schedule_exception",
            object_id=exception.id,
            details=f"staff={staff_id} {date_from}..{date_to} removed={removed}",
            account_id=actor.id,
        )
    where = [(Slot.starts_at >= lo), (Slot.starts_at < hi)]
    if staff_id is not None:
        where.append(Slot.staff == staff_id)
    return exception, _active_visits(*where)


# --- generating slots ------------------------------------------------------------------------


def preview_generation(date_from: date, date_to: date) -> dict[int, int]:
    """Per staff id, how many new slots generate_slots would create for the days."""
    _range_check(date_from, date_to)
    schedules = list(
        Schedule.select().where(
            (Schedule.valid_from <= date_to)
            & (Schedule.valid_to.is_null() | (Schedule.valid_to >= date_from))
        )
    )
    closed = scheduling._closed_days(date_from, date_to)
    existing = scheduling._existing_keys(date_from, date_to)
    now = utcnow()
    counts: Counter[int] = Counter()
    for day in scheduling._days(date_from, date_to):
        if day in closed.get(None, set()):
            continue
        for schedule in schedules:
            if schedule.weekday != day.weekday() or day < schedule.valid_from:
                continue
            if (schedule.valid_to and day > schedule.valid_to) or day in closed.get(
                schedule.staff_id, set()
            ):
                continue
            counts[schedule.staff_id] += sum(
                1 for _ in scheduling._rows(schedule, day, None, now, existing)
            )
    return dict(counts)


def generate(actor: Account, date_from: date, date_to: date) -> dict[str, int]:
    _range_check(date_from, date_to)
    result = scheduling.generate_slots(date_from, date_to)
    audit.record(
        "desk.slots.generate",
        details=f"{date_from}..{date_to} created={result['created']} removed={result['removed']}",
        account_id=actor.id,
    )
    return result


# --- single slots ----------------------------------------------------------------------------


def set_blocked(actor: Account, slot: Slot, blocked: bool) -> None:
    """Block a free slot (nobody can book it) or free a blocked one."""
    with write_transaction():
        changed = Slot.update(blocked=blocked).where((Slot.id == slot.id) & ~Slot.booked).execute()
        if changed != 1:
            raise SlotHasVisit()
        audit.record(
            "desk.slot.block" if blocked else "desk.slot.free",
            object_type="slot",
            object_id=slot.id,
            account_id=actor.id,
        )


# --- visits a change left behind -------------------------------------------------------------


def visits_to_resolve(staff_id: int | None = None) -> list[Appointment]:
    """Upcoming visits whose slot a change took away: on a day of leave or a holiday, on a
    blocked slot, or after the end of its schedule. They stay booked until the desk acts."""
    today = local_today()
    found: dict[int, Appointment] = {}
    exceptions = ScheduleException.select().where(ScheduleException.date_to >= today)
    if staff_id is not None:
        exceptions = exceptions.where(
            ScheduleException.staff.is_null() | (ScheduleException.staff == staff_id)
        )
    staff_filter = [Slot.staff == staff_id] if staff_id is not None else []
    for exc in exceptions:
        lo, hi = _day_bounds(max(exc.date_from, today), exc.date_to)
        where = [(Slot.starts_at >= lo), (Slot.starts_at < hi), *staff_filter]
        if exc.staff_id is not None:
            where.append(Slot.staff == exc.staff_id)
        for visit in _active_visits(*where):
            found[visit.id] = visit
    for visit in _active_visits(Slot.blocked, *staff_filter):
        found[visit.id] = visit
    ended = Schedule.select().where(
        Schedule.valid_to.is_null(False) & (Schedule.valid_to >= today - timedelta(days=1))
    )
    for schedule in ended:
        after = local_to_utc(schedule.valid_to + timedelta(days=1), time.min)
        for visit in _active_visits(
            Slot.schedule == schedule.id, Slot.starts_at >= after, *staff_filter
        ):
            found[visit.id] = visit
    return sorted(found.values(), key=lambda v: (v.slot.starts_at, v.id))


@dataclass
class Resolution:
    visit: Appointment
    outcome: str  # "moved", "cancelled" or "failed"
    new_visit: Appointment | None = None
    problem: str = ""


def _next_slot(visit: Appointment) -> Slot | None:
    candidates = free_slots_for_move(visit, same_staff=True)
    later = [s for s in candidates if s.starts_at > visit.slot.starts_at]
    return (later or candidates or [None])[0]


def resolve(
    actor: Account, visit_ids: list[int], action: str, reason: str = ""
) -> list[Resolution]:
    """Move each visit to its doctor's next free slot where its service fits, or cancel it;
    every patient gets the e-mail. A visit that cannot be moved (no free slot) is reported
    and stays booked, so nothing happens silently."""
    if action not in ("move", "cancel"):
        raise ScheduleInvalid("action", _("Wybierz: przenieś albo odwołaj."))
    pending = {v.id: v for v in visits_to_resolve()}
    results: list[Resolution] = []
    for visit_id in visit_ids:
        visit = pending.get(visit_id)
        if visit is None:
            continue
        try:
            if action == "cancel":
                cancel_for(actor, visit, reason)
                results.append(Resolution(visit, "cancelled"))
                continue
            target = _next_slot(visit)
            if target is None:
                results.append(Resolution(visit, "failed", problem=_("Brak wolnego terminu.")))
                continue
            moved = change_for(actor, visit, target.id, reason)
            results.append(Resolution(visit, "moved", new_visit=moved))
        except BookingError as error:
            results.append(Resolution(visit, "failed", problem=error.message))
    return results


def by_staff(counts: dict[int, int]) -> list[tuple[StaffMember, int]]:
    members = {m.id: m for m in StaffMember.select().where(StaffMember.id.in_(list(counts) or [0]))}
    grouped: defaultdict[int, int] = defaultdict(int, counts)
    return sorted(
        ((members[i], n) for i, n in grouped.items() if i in members),
        key=lambda pair: (pair[0].last_name, pair[0].first_name),
    )
