"""Booking rules as plain functions: book, cancel and change a visit, each in one transaction.

The single-booking guarantee rests on the database: the unique indexes on
`Appointment.active_slot` and `AppointmentSlot.active_slot` (every slot a visit holds; a
service longer than one slot holds the consecutive slots it needs, taken in the same
transaction) and a conditional `UPDATE slot SET booked = true WHERE NOT booked`.
On SQLite the transaction starts with BEGIN IMMEDIATE (writers queue on the busy timeout
instead of failing on a lock upgrade); on PostgreSQL the patient's row is locked so the
per-specialty limit cannot be beaten by two parallel requests. An IntegrityError is caught
outside the atomic block (the transaction is already rolled back) and becomes SlotTaken.

book_in_transaction, move_in_transaction and cancel_in_transaction hold that transaction
once for both sides: the patient's book/change/cancel here and the desk's phone booking
(services.desk_booking) call them and add only their own audit event and mail.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import peewee as pw
from flask import current_app, has_app_context
from flask_babel import gettext as _

from core import audit, ics
from core.errors import DomainError
from core.mail import queue_mail
from core.timeutil import to_local
from models.accounts import Account, Guardianship
from models.base import is_sqlite, utcnow, write_transaction
from models.booking import Appointment, AppointmentSlot
from models.clinic import Facility, Service, Slot, Specialty, StaffMember
from models.patients import Patient
from services import identity
from services import service_fit as fit
from services.catalogue_cache import catalogue
from services.rules import ClinicRules, clinic_rules
from services.slot_search import nearest_free_slots

MAX_ID = 2**31 - 1
NOTE_MAX = 500


class BookingError(DomainError):
    """Base of the booking errors; `reason` is a short machine name for tests and logs,
    `message` what to tell the patient (under the configured rules; `message_with(rules)`
    under others)."""

    reason = "error"
    status = 409

    @property
    def message(self) -> str:
        return self.message_with(None)

    def message_with(self, rules: ClinicRules | None) -> str:
        return _message_for(self, rules)


class SlotNotFound(BookingError):
    reason = "not_found"
    status = 404


class SlotTaken(BookingError):
    """Somebody else holds the slot (or took it a moment ago)."""

    reason = "taken"


class SlotUnavailable(BookingError):
    """The slot is past, blocked, or cannot be booked online (no schedule, wrong service)."""

    def __init__(self, reason: str = "unavailable") -> None:
        super().__init__(reason)
        self.reason = reason


class BookingRuleBroken(BookingError):
    """A clinic rule refuses the booking: `horizon`, `notice`, `limit`, `note`, `age` or
    `referral`."""

    status = 422

    def __init__(self, reason: str, limit: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.limit = limit  # `limit`: the specialty's own limit when it has one


class PatientNotAllowed(BookingError):
    """The account may not book for this patient (not self, not a dependant)."""

    reason = "patient"
    status = 422


class AppointmentNotActive(BookingError):
    """The visit is already cancelled, moved or past."""

    reason = "not_active"


class TooLateToCancel(BookingError):
    """The visit is inside the cancel-notice window: only a call to the clinic can change it."""

    reason = "too_late"

    def __init__(self, phone: str = "") -> None:
        super().__init__(self.reason)
        self.phone = phone


# -- lookups ------------------------------------------------------------------------------


def valid_id(value: int | str | None) -> int | None:
    """A database id from the request, or None for anything that cannot be one."""
    if isinstance(value, int):
        return value if 0 < value <= MAX_ID else None
    raw = (value or "").strip()
    if not raw.isdigit() or len(raw) > 10:
        return None
    number = int(raw)
    return number if 0 < number <= MAX_ID else None


def patients_of(account: Account) -> list[Patient]:
    """Whom the account may book for: its own patient first, then its dependants."""
    dependants = (
        Patient.select()
        .join(Guardianship, on=(Guardianship.patient == Patient.id))
        .where(Guardianship.guardian == account.id)
        .order_by(Patient.last_name, Patient.first_name, Patient.id)
    )
    own = Patient.get_by_id(account.patient_id)
    return [own, *[p for p in dependants if p.id != own.id]]


def _patient_ids_subquery(account: Account) -> pw.Node:
    dependants = Guardianship.select(Guardianship.patient).where(
        Guardianship.guardian == account.id
    )
    return (Appointment.patient == account.patient_id) | Appointment.patient.in_(dependants)


def appointment_for(account: Account, appointment_id: int | str | None) -> Appointment | None:
    """The visit if it belongs to the account's patient or a dependant; None otherwise, so a
    stranger's id and a missing id look the same (ASVS V4.2.1)."""
    number = valid_id(appointment_id)
    if number is None:
        return None
    return (
        Appointment.select()
        .where((Appointment.id == number) & _patient_ids_subquery(account))
        .first()
    )


def slot_by_id(slot_id: int | str | None) -> Slot:
    number = valid_id(slot_id)
    slot = Slot.get_or_none(Slot.id == number) if number is not None else None
    if slot is None:
        raise SlotNotFound()
    return slot


def services_for_slot(slot: Slot, patient: Patient | None = None) -> list[Service]:
    """What may be booked in the slot (for the patient, when given): the services that fit
    it (service_fit), each with `run`, the slots it would hold."""
    return fit.fitting_services(slot, patient)


def pick_service(slot: Slot, service_id: int | str | None, patient: Patient) -> Service:
    """The service to book: the one asked for if it fits the slot and the patient, the only
    fitting one when none is asked for. Never a guess among several."""
    linked = fit.schedule_services(slot)
    if not linked:
        raise SlotUnavailable("no_service")
    fitting = fit.fitting_services(slot)
    number = valid_id(service_id)
    if service_id in (None, ""):
        if len(fitting) != 1:
            raise SlotUnavailable("service_required" if fitting else "service_does_not_fit")
        service = fitting[0]
    else:
        service = next((s for s in fitting if s.id == number), None)
        if service is None:
            linked_ids = {s.id for s in linked}
            raise SlotUnavailable(
                "service_does_not_fit" if number in linked_ids else "service_not_offered"
            )
    if not fit.age_fits(service, patient.birth_date, to_local(slot.starts_at).date()):
        raise BookingRuleBroken("age")
    return service


def held_slots(appointment: Appointment) -> list[Slot]:
    """The slots the visit holds (or held), in time order; at least its first slot."""
    slots = list(
        Slot.select()
        .join(AppointmentSlot, on=(AppointmentSlot.slot == Slot.id))
        .where(AppointmentSlot.appointment == appointment.id)
        .order_by(Slot.starts_at)
    )
    return slots or [appointment.slot]


def visit_ends_at(appointment: Appointment) -> datetime:
    return held_slots(appointment)[-1].ends_at


def check_referral(service: Service, slot: Slot, raw_code: str | None) -> str:
    """The normalised e-referral code when the visit needs one; "" when it does not."""
    if not fit.needs_referral(service, slot.funding):
        return ""
    code = fit.normalise_referral_code(raw_code)
    if not fit.referral_code_valid(code):
        raise BookingRuleBroken("referral")
    return code


def clinic_phone(facility: Facility | None = None) -> str:
    """The number a patient calls about a visit: the facility's own, else the clinic's."""
    if facility is not None and (facility.phone or "").strip():
        return facility.phone.strip()
    if has_app_context():
        return current_app.config["ADMIN_CONTACT_PHONE"]
    return ""


def _staff_and_facility_active(slot: Slot) -> bool:
    """A deactivated doctor or facility keeps its slots in the table, but none is bookable."""
    staff_ok = (
        StaffMember.select().where((StaffMember.id == slot.staff_id) & StaffMember.active).exists()
    )
    return staff_ok and (
        Facility.select().where((Facility.id == slot.facility_id) & Facility.active).exists()
    )


def check_slot_open(slot: Slot, rules: ClinicRules, now: datetime) -> None:
    """Raise when the slot cannot be booked right now, whoever asks."""
    if slot.starts_at <= now:
        raise SlotUnavailable("past")
    if slot.blocked or not _staff_and_facility_active(slot):
        raise SlotUnavailable("blocked")
    if slot.booked:
        raise SlotTaken()
    if slot.starts_at < rules.earliest(now):
        raise BookingRuleBroken("notice")
    latest = rules.latest(now)
    if latest is not None and slot.starts_at > latest:
        raise BookingRuleBroken("horizon")


def _specialty_limit(specialty_id: int, rules: ClinicRules) -> int:
    """The specialty's own limit of planned visits per patient (admin pages), else the
    clinic's; 0 means no limit."""
    own = Specialty.select(Specialty.booking_limit).where(Specialty.id == specialty_id).scalar()
    return rules.limit_per_specialty if own is None else own


def _active_in_specialty(patient_id: int, specialty_id: int, now: datetime) -> int:
    return (
        Appointment.select()
        .join(Slot, on=(Appointment.active_slot == Slot.id))
        .switch(Appointment)
        .join(Service, on=(Appointment.service == Service.id))
        .where(
            (Appointment.patient == patient_id)
            & (Appointment.status == "booked")
            & (Service.specialty == specialty_id)
            & (Slot.starts_at > now)
        )
        .count()
    )


def _transaction():
    return write_transaction()


def _lock_patient(patient_id: int) -> None:
    """Serialise one patient's bookings on PostgreSQL (SQLite already has one writer)."""
    if not is_sqlite():
        list(Patient.select(Patient.id).where(Patient.id == patient_id).for_update())


def _hold(appointment_id: int, slots: list[Slot]) -> None:
    """Record every slot the visit holds; the unique active_slot is the guard."""
    for slot in slots:
        AppointmentSlot.create(appointment=appointment_id, slot=slot.id, active_slot=slot.id)


def _take_slot(slot_id: int, rules: ClinicRules, now: datetime) -> None:
    """Mark the slot booked only if it is still free, open and in the future."""
    conditions = [
        Slot.id == slot_id,
        Slot.booked == False,  # noqa: E712
        Slot.blocked == False,  # noqa: E712
        Slot.starts_at >= rules.earliest(now),
    ]
    changed = Slot.update(booked=True).where(*conditions).execute()
    if changed != 1:
        fresh = Slot.get_by_id(slot_id)
        check_slot_open(fresh, rules, now)
        raise SlotTaken()


# -- mail -----------------------------------------------------------------------------------


def _uid(appointment: Appointment) -> str:
    host = "wizyta"
    if has_app_context():
        host = urlsplit(current_app.config["BASE_URL"]).hostname or host
    return f"appointment-{appointment.id}@{host}"


def describe(appointment: Appointment) -> dict[str, str]:
    slot = appointment.slot
    known = catalogue()  # no query for staff, place and service (the booking's write lock)
    staff = known.staff.get(slot.staff_id) or StaffMember.get_by_id(slot.staff_id)
    facility = known.facilities.get(slot.facility_id) or Facility.get_by_id(slot.facility_id)
    patient = Patient.get_by_id(appointment.patient_id)
    service = known.services.get(appointment.service_id) or Service.get_by_id(
        appointment.service_id
    )
    return {
        "when": to_local(slot.starts_at).strftime("%d.%m.%Y %H:%M"),
        "staff": staff.display_name,
        "service": service.name,
        "patient": patient.full_name,
        "location": f"{facility.name}, {facility.street}, {facility.postal_code} {facility.city}",
        "phone": clinic_phone(facility),
    }


def visit_url(appointment: Appointment) -> str:
    """The visit's page for links in e-mail (it asks for a login first). The path is one of
    the stable public paths (/panel/reservations/<id>), so no request context is needed."""
    base = current_app.config["BASE_URL"] if has_app_context() else ""
    return f"{base.rstrip('/')}/panel/reservations/{appointment.id}"


def calendar_file(appointment: Appointment, cancelled: bool = False) -> dict[str, Any]:
    """The visit as an .ics file (for mail and for the "Dodaj do kalendarza" download)."""
    info = describe(appointment)
    description = _("Pacjent: %(patient)s", patient=info["patient"])
    if info["phone"]:
        description += "\n" + _("Telefon placówki: %(phone)s", phone=info["phone"])
    data = ics.visit_event(
        uid=_uid(appointment),
        starts_at=appointment.slot.starts_at,
        ends_at=visit_ends_at(appointment),
        summary=f"{info['service']} — {info['staff']}",
        location=info["location"],
        description=description,
        cancelled=cancelled,
    )
    name = "odwolana-wizyta.ics" if cancelled else "wizyta.ics"
    return {"filename": name, "content_type": "text/calendar; charset=utf-8", "data": data}


def mail_body(appointment: Appointment, intro: str) -> list[str]:
    """The lines of a visit's e-mail: the intro, then who, when, what, with whom, where, the
    number to call and the link to the visit."""
    info = describe(appointment)
    return [
        intro,
        "",
        _("Pacjent: %(patient)s", patient=info["patient"]),
        _("Termin: %(when)s", when=info["when"]),
        _("Świadczenie: %(service)s", service=info["service"]),
        _("Personel: %(staff)s", staff=info["staff"]),
        _("Miejsce: %(location)s", location=info["location"]),
        _("Telefon placówki: %(phone)s", phone=info["phone"]),
        "",
        _("Szczegóły wizyty (po zalogowaniu): %(url)s", url=visit_url(appointment)),
    ]


def _mail(account: Account, subject: str, intro: str, appointment: Appointment, attachments):
    lines = [*mail_body(appointment, intro), _("Swoje wizyty zobaczysz w Panelu pacjenta.")]
    queue_mail(account.email, subject, "\n".join(lines), attachments=attachments)


# -- the three operations ---------------------------------------------------------------------


def clean_note(note: str | None) -> str:
    """The note trimmed; BookingRuleBroken("note") when too long or holding control characters."""
    note = (note or "").strip()
    if len(note) > NOTE_MAX or any(ord(c) < 32 and c not in "\r\n\t" for c in note):
        raise BookingRuleBroken("note")
    return note


def audit_visit(action: str, appointment: Appointment, by: Account, details: str) -> None:
    """The audit event of a booking, change or cancellation of `appointment` by `by`."""
    audit.record(
        action,
        patient_id=appointment.patient_id,
        object_type="appointment",
        object_id=appointment.id,
        details=details,
        account_id=by.id,
    )


def book_in_transaction(
    by: Account,
    patient: Patient,
    slot_id: int | str | None,
    service_id: int | str | None,
    *,
    note: str,
    referral_code: str,
    rules: ClinicRules,
    now: datetime,
    then: Callable[[Appointment], None],
    limit: int | None = None,
) -> Appointment:
    """The booking itself, shared by the patient's and the desk's path. Checks the slot
    (open, the service fits, the referral code), then in one transaction locks the patient,
    takes every slot of the service's run, checks the per-specialty limit (`limit`, else the
    specialty's own, else the clinic's), creates the visit and holds its slots;
    `then(appointment)` runs inside the same transaction (the caller's audit event and mail,
    so the outbox row commits with the visit or not at all). `note` is already clean
    (clean_note). Raises SlotNotFound, SlotUnavailable, SlotTaken (also when another booking
    won a slot) and BookingRuleBroken."""
    slot = slot_by_id(slot_id)
    check_slot_open(slot, rules, now)
    service = pick_service(slot, service_id, patient)
    referral_code = check_referral(service, slot, referral_code)
    patient_id = patient.id
    try:
        with _transaction():
            _lock_patient(patient_id)
            for held in service.run:
                _take_slot(held.id, rules, now)
            if limit is None:
                limit = _specialty_limit(service.specialty_id, rules)
            if limit and _active_in_specialty(patient_id, service.specialty_id, now) >= limit:
                raise BookingRuleBroken("limit", limit)
            appointment = Appointment.create(
                slot=slot.id,
                active_slot=slot.id,
                patient=patient_id,
                service=service.id,
                booked_by=by.id,
                note=note,
                referral_code=referral_code,
                created_at=now,
            )
            _hold(appointment.id, service.run)
            appointment.slot = Slot.get_by_id(slot.id)
            then(appointment)
    except pw.IntegrityError:
        raise SlotTaken() from None
    return appointment


def book(
    account: Account,
    slot_id: int,
    patient_id: int,
    service_id: int | str | None = None,
    note: str = "",
    *,
    referral_code: str = "",
    now: datetime | None = None,
    rules: ClinicRules | None = None,
) -> Appointment:
    """Book a slot (and the consecutive slots a longer service needs) for the account's
    patient or a dependant. Raises SlotNotFound, SlotTaken, SlotUnavailable,
    BookingRuleBroken or PatientNotAllowed."""
    now = now or utcnow()
    rules = rules or clinic_rules()
    note = clean_note(note)
    identity.check_may_book(account, now)
    patient = next((p for p in patients_of(account) if p.id == patient_id), None)
    if patient is None:
        raise PatientNotAllowed()

    def record(appointment: Appointment) -> None:
        details = f"slot={appointment.slot_id} service={appointment.service_id}"
        audit_visit("appointment.book", appointment, account, details)
        _mail(
            account,
            _("Potwierdzenie rezerwacji wizyty"),
            _("Zarezerwowano wizytę."),
            appointment,
            [calendar_file(appointment)],
        )

    return book_in_transaction(
        account,
        patient,
        slot_id,
        service_id,
        note=note,
        referral_code=referral_code,
        rules=rules,
        now=now,
        then=record,
    )


def within_cancel_window(starts_at: datetime, rules: ClinicRules, now: datetime) -> bool:
    """A visit starting this soon can no longer be cancelled or moved online."""
    return starts_at < now + timedelta(hours=rules.cancel_notice_hours)


def check_cancellable(appointment: Appointment, rules: ClinicRules, now: datetime) -> None:
    """Raise unless the visit may be cancelled or moved online now (the one rule behind the
    panel's links, the cancel and change steps and the services that do the work)."""
    if appointment.status != "booked" or appointment.slot.starts_at <= now:
        raise AppointmentNotActive()
    if within_cancel_window(appointment.slot.starts_at, rules, now):
        raise TooLateToCancel(clinic_phone(Facility.get_or_none(id=appointment.slot.facility_id)))


def online_change_refusal(
    appointment: Appointment, rules: ClinicRules, now: datetime
) -> BookingError | None:
    """None when the visit may be changed and cancelled online now; otherwise why not."""
    try:
        check_cancellable(appointment, rules, now)
    except BookingError as error:
        return error
    return None


def cancel_window_warning(slot: Slot, rules: ClinicRules, now: datetime) -> str:
    """What to tell before booking (or moving into) a slot inside the cancel-notice window;
    empty when the visit could still be cancelled online afterwards."""
    if not within_cancel_window(slot.starts_at, rules, now):
        return ""
    phone = clinic_phone(Facility.get_or_none(id=slot.facility_id))
    return _(
        "Do wizyty zostało mniej niż %(hours)d godz. Tej wizyty nie odwołasz ani nie "
        "zmienisz online; zadzwoń: %(phone)s.",
        hours=rules.cancel_notice_hours,
        phone=phone,
    )


def alternatives_for(
    slot: Slot,
    service_id: int | None,
    rules: ClinicRules,
    now: datetime,
    limit: int = 5,
) -> list[Slot]:
    """What to offer when `slot` cannot be booked: the bookable free slots of the same kind
    nearest to its time, before or after it, in time order."""
    return nearest_free_slots(
        slot,
        service=service_id,
        limit=limit,
        not_before=rules.earliest(now),
        not_after=rules.latest(now),
    )


def _release(appointment: Appointment, status: str, now: datetime) -> None:
    """Take the visit off its slots and free them; raise if somebody did it first."""
    changed = (
        Appointment.update(active_slot=None, status=status, cancelled_at=now)
        .where((Appointment.id == appointment.id) & (Appointment.status == "booked"))
        .execute()
    )
    if changed != 1:
        raise AppointmentNotActive()
    held = {appointment.slot_id} | {
        row[0]
        for row in AppointmentSlot.select(AppointmentSlot.slot)
        .where(AppointmentSlot.appointment == appointment.id)
        .tuples()
    }
    AppointmentSlot.update(active_slot=None).where(
        AppointmentSlot.appointment == appointment.id
    ).execute()
    Slot.update(booked=False).where(Slot.id.in_(held)).execute()


def cancel_in_transaction(
    appointment: Appointment, *, now: datetime, then: Callable[[Appointment], None]
) -> Appointment:
    """The cancellation itself, shared by the patient's and the desk's path: in one
    transaction take the visit off its slots and free them (AppointmentNotActive if somebody
    did it first); `then(appointment)` runs inside the same transaction (audit and mail).
    The caller checks first whether it may cancel at all."""
    with _transaction():
        _release(appointment, "cancelled", now)
        then(appointment)
    appointment.status = "cancelled"
    appointment.active_slot = None
    appointment.cancelled_at = now
    return appointment


def cancel(
    account: Account,
    appointment: Appointment,
    *,
    now: datetime | None = None,
    rules: ClinicRules | None = None,
) -> Appointment:
    """Cancel a visit (found through appointment_for) and free its slot at once."""
    now = now or utcnow()
    rules = rules or clinic_rules()
    check_cancellable(appointment, rules, now)

    def record(appointment: Appointment) -> None:
        audit_visit("appointment.cancel", appointment, account, f"slot={appointment.slot_id}")
        _mail(
            account,
            _("Odwołanie wizyty"),
            _("Wizyta została odwołana."),
            appointment,
            [calendar_file(appointment, cancelled=True)],
        )

    return cancel_in_transaction(appointment, now=now, then=record)


def move_in_transaction(
    by: Account,
    appointment: Appointment,
    new_slot_id: int | str | None,
    *,
    rules: ClinicRules,
    now: datetime,
    then: Callable[[Appointment], None],
) -> Appointment:
    """The move itself, shared by the patient's and the desk's path. Checks the new slot
    (another one, the visit's service fits it, open), then in one transaction locks the
    patient, takes every slot of the service's run, releases the old visit as "moved",
    creates the new one with the same service, note and referral, holds its slots and points
    the old one's `moved_to` at it; `then(moved)` runs inside the same transaction (audit and
    mail). Either all of it happens or nothing; SlotTaken when another booking won a slot.
    The caller checks first whether it may move the visit at all. Returns the new visit."""
    new_slot = slot_by_id(new_slot_id)
    if new_slot.id == appointment.slot_id:
        raise SlotTaken()
    service = fitting_move(appointment, new_slot)
    check_slot_open(new_slot, rules, now)
    try:
        with _transaction():
            _lock_patient(appointment.patient_id)
            for held in service.run:
                _take_slot(held.id, rules, now)
            _release(appointment, "moved", now)
            moved = Appointment.create(
                slot=new_slot.id,
                active_slot=new_slot.id,
                patient=appointment.patient_id,
                service=appointment.service_id,
                booked_by=by.id,
                note=appointment.note,
                referral_code=appointment.referral_code,
                created_at=now,
            )
            _hold(moved.id, service.run)
            Appointment.update(moved_to=moved.id).where(Appointment.id == appointment.id).execute()
            moved.slot = Slot.get_by_id(new_slot.id)
            then(moved)
    except pw.IntegrityError:
        raise SlotTaken() from None
    return moved


def change(
    account: Account,
    appointment: Appointment,
    new_slot_id: int | str | None,
    *,
    now: datetime | None = None,
    rules: ClinicRules | None = None,
) -> Appointment:
    """Move a visit to another free slot where its service fits (the same funding, the
    consecutive slots a longer service needs): the new slots are booked and the old ones
    freed in one transaction, or nothing changes. Returns the new appointment."""
    now = now or utcnow()
    rules = rules or clinic_rules()
    check_cancellable(appointment, rules, now)

    def record(moved: Appointment) -> None:
        details = f"from={appointment.id} slot={appointment.slot_id}->{moved.slot_id}"
        audit_visit("appointment.change", moved, account, details)
        _mail(
            account,
            _("Zmiana terminu wizyty"),
            _("Termin wizyty został zmieniony. Nowy termin:"),
            moved,
            [calendar_file(moved), calendar_file(appointment, cancelled=True)],
        )

    return move_in_transaction(account, appointment, new_slot_id, rules=rules, now=now, then=record)


def fitting_move(appointment: Appointment, new_slot: Slot) -> Service:
    """The visit's service, if it fits the new slot for the same patient and funding (with
    `run`: the slots it would hold); raises SlotUnavailable otherwise."""
    patient = Patient.get_by_id(appointment.patient_id)
    service = next(
        (s for s in services_for_slot(new_slot, patient) if s.id == appointment.service_id),
        None,
    )
    old_funding = Slot.get_by_id(appointment.slot_id).funding
    if service is None or new_slot.funding != old_funding:
        raise SlotUnavailable("service_not_offered")
    return service


def _message_for(error: BookingError, rules: ClinicRules | None = None) -> str:
    """What to tell the patient about a refused booking, change or cancellation."""
    rules = rules or clinic_rules()
    reason = error.reason
    if isinstance(error, SlotTaken):
        return _("Ten termin jest już zajęty. Wybierz inny termin.")
    if isinstance(error, TooLateToCancel):
        return _(
            "Wizytę można odwołać lub przełożyć online najpóźniej %(hours)d godz. przed jej "
            "rozpoczęciem. Tej wizyty nie odwołasz ani nie zmienisz online; zadzwoń: %(phone)s.",
            hours=rules.cancel_notice_hours,
            phone=error.phone or clinic_phone(),
        )
    if isinstance(error, AppointmentNotActive):
        return _("Ta wizyta jest już odwołana, przeniesiona lub minęła.")
    if isinstance(error, PatientNotAllowed):
        return _("Wybierz osobę z listy.")
    messages = {
        "past": _("Ten termin już minął."),
        "blocked": _("Ten termin nie jest dostępny."),
        "notice": _(
            "Wizytę można zarezerwować najpóźniej %(hours)d godz. przed jej rozpoczęciem.",
            hours=rules.min_notice_hours,
        ),
        "horizon": _(
            "Wizyty można rezerwować najwyżej %(days)d dni naprzód.", days=rules.horizon_days
        ),
        "limit": _(
            "Ta osoba ma już %(limit)d zaplanowane wizyty w tej poradni. Odwołaj jedną z nich "
            "albo wybierz inną osobę.",
            limit=getattr(error, "limit", None) or rules.limit_per_specialty,
        ),
        "note": _("Uwagi mogą mieć najwyżej %(max)d znaków.", max=NOTE_MAX),
        "age": _(
            "To świadczenie jest przeznaczone dla pacjentów w innym wieku. Wybierz inne "
            "świadczenie albo inną osobę."
        ),
        "referral": _(
            "Podaj kod e-skierowania: 4 cyfry (kod dostępu) albo 44 cyfry (klucz e-skierowania)."
        ),
        "service_required": _("Wybierz świadczenie z listy."),
        "service_does_not_fit": _(
            "To świadczenie nie mieści się w tym terminie (trwa dłużej, a kolejny termin "
            "jest zajęty, albo ma inny rodzaj wizyty). Wybierz inny termin."
        ),
    }
    return messages.get(reason, _("Tego terminu nie można zarezerwować przez internet."))
