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
from datetime import datetime

import peewee as pw
from flask_babel import gettext as _

from core import audit
from models.accounts import Account
from models.base import is_sqlite, utcnow, write_transaction
from models.booking import Appointment, AppointmentSlot
from models.clinic import Service, Slot, Specialty
from models.patients import Patient
from services import identity
from services.booking_checks import (
    check_referral,
    check_slot_open,
    clean_note,
    fitting_move,
    pick_service,
    services_for_slot,
    slot_by_id,
)
from services.booking_errors import (
    AppointmentNotActive,
    BookingError,
    BookingRuleBroken,
    PatientNotAllowed,
    SlotNotFound,
    SlotTaken,
    SlotUnavailable,
)
from services.cancel_window import check_cancellable
from services.rules import ClinicRules, clinic_rules
from services.visit_mail import calendar_file, mail_account
from services.visits import patients_of, valid_id

# The public API; the errors, services_for_slot, slot_by_id and valid_id are re-exported for
# the staff blueprints, which use them as services.booking.<name>.
__all__ = [
    "AppointmentNotActive",
    "BookingError",
    "BookingRuleBroken",
    "PatientNotAllowed",
    "SlotNotFound",
    "SlotTaken",
    "SlotUnavailable",
    "audit_visit",
    "book",
    "book_in_transaction",
    "cancel",
    "cancel_in_transaction",
    "change",
    "move_in_transaction",
    "services_for_slot",
    "slot_by_id",
    "valid_id",
]


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
        mail_account(
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
        mail_account(
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
        mail_account(
            account,
            _("Zmiana terminu wizyty"),
            _("Termin wizyty został zmieniony. Nowy termin:"),
            moved,
            [calendar_file(moved), calendar_file(appointment, cancelled=True)],
        )

    return move_in_transaction(account, appointment, new_slot_id, rules=rules, now=now, then=record)
