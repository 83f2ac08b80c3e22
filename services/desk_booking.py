"""Booking by phone: the desk books, moves and cancels on a patient's behalf.

The same rules and the same single-booking guarantee as the patient's own booking: the
transaction, the conditional `UPDATE slot … WHERE NOT booked` and the unique `active_slot`
indexes come from services.booking, so a phone booking racing an online one for the same slot
ends with one winner and a SlotTaken for the other. What differs is only who acts (the staff
account, written to the audit log) and that the desk may cancel or move a visit inside the
cancel-notice window — that window is why a patient is told to call. The patient (or their
guardians, for a dependant) gets the e-mail; a person without a login gets none.
"""

from __future__ import annotations

from datetime import datetime

import peewee as pw
from flask_babel import gettext as _

from core import audit
from core.mail import queue_mail
from models.accounts import Account
from models.base import utcnow
from models.booking import Appointment
from models.clinic import Slot
from models.patients import Patient

from . import booking
from .booking import (
    AppointmentNotActive,
    BookingRuleBroken,
    BookingRules,
    SlotTaken,
    SlotUnavailable,
)
from .desk_patients import mail_recipients

# services.booking's transaction pieces: shared on purpose, so both sides keep one guarantee
_transaction = booking._transaction
_lock_patient = booking._lock_patient
_take_slot = booking._take_slot
_hold = booking._hold
_release = booking._release
_active_in_specialty = booking._active_in_specialty


def mail_patient(appointment: Appointment, subject: str, intro: str, attachments) -> int:
    """Queue the visit's e-mail to everyone who hears about the patient; returns how many."""
    info = booking.describe(appointment)
    lines = [
        intro,
        "",
        _("Pacjent: %(patient)s", patient=info["patient"]),
        _("Termin: %(when)s", when=info["when"]),
        _("Świadczenie: %(service)s", service=info["service"]),
        _("Personel: %(staff)s", staff=info["staff"]),
        _("Miejsce: %(location)s", location=info["location"]),
        _("Telefon placówki: %(phone)s", phone=info["phone"]),
        "",
        _("Szczegóły wizyty (po zalogowaniu): %(url)s", url=booking.visit_url(appointment)),
    ]
    recipients = mail_recipients(appointment.patient_id)
    for to in recipients:
        queue_mail(to, subject, "\n".join(lines), attachments=attachments)
    return len(recipients)


def book_for(
    staff: Account,
    patient: Patient,
    slot_id: int | str | None,
    service_id: int | str | None = None,
    note: str = "",
    *,
    referral_code: str = "",
    now: datetime | None = None,
    rules: BookingRules | None = None,
) -> Appointment:
    """Book a slot for the patient on the phone: the clinic's rules as online."""
    now = now or utcnow()
    rules = rules or BookingRules.from_config()
    note = (note or "").strip()
    if len(note) > booking.NOTE_MAX or any(ord(c) < 32 and c not in "\r\n\t" for c in note):
        raise BookingRuleBroken("note")
    slot = booking.slot_by_id(slot_id)
    booking.check_slot_open(slot, rules, now)
    service = booking.pick_service(slot, service_id, patient)
    referral_code = booking.check_referral(service, slot, referral_code)
    try:
        with _transaction():
            _lock_patient(patient.id)
            for held in service.run:
                _take_slot(held.id, rules, now)
            if rules.limit_per_specialty and (
                _active_in_specialty(patient.id, service.specialty_id, now)
                >= rules.limit_per_specialty
            ):
                raise BookingRuleBroken("limit")
            appointment = Appointment.create(
                slot=slot.id,
                active_slot=slot.id,
                patient=patient.id,
                service=service.id,
                booked_by=staff.id,
                note=note,
                referral_code=referral_code,
                created_at=now,
            )
            _hold(appointment.id, service.run)
            appointment.slot = Slot.get_by_id(slot.id)
            audit.record(
                "desk.appointment.book",
                patient_id=patient.id,
                object_type="appointment",
                object_id=appointment.id,
                details=f"slot={slot.id} service={service.id}",
                account_id=staff.id,
            )
            mail_patient(
                appointment,
                _("Potwierdzenie rezerwacji wizyty"),
                _("Rejestracja zarezerwowała dla Ciebie wizytę."),
                [booking.calendar_file(appointment)],
            )
    except pw.IntegrityError:
        raise SlotTaken() from None
    return appointment


def _check_active(appointment: Appointment, now: datetime) -> None:
    if appointment.status != "booked" or appointment.slot.starts_at <= now:
        raise AppointmentNotActive()


def cancel_for(
    staff: Account,
    appointment: Appointment,
    reason: str = "",
    *,
    now: datetime | None = None,
) -> Appointment:
    """Cancel on the patient's behalf (also inside the cancel-notice window) and mail them."""
    now = now or utcnow()
    _check_active(appointment, now)
    reason = " ".join((reason or "").split())[:200]
    with _transaction():
        _release(appointment, "cancelled", now)
        audit.record(
            "desk.appointment.cancel",
            patient_id=appointment.patient_id,
            object_type="appointment",
            object_id=appointment.id,
            details=f"slot={appointment.slot_id} {reason}".strip(),
            account_id=staff.id,
        )
        intro = _("Przychodnia odwołała wizytę.")
        if reason:
            intro += " " + _("Powód: %(reason)s", reason=reason)
        intro += " " + _(
            "Aby umówić nowy termin, wyszukaj go w e-Rejestracji albo zadzwoń: %(phone)s.",
            phone=booking.describe(appointment)["phone"],
        )
        mail_patient(
            appointment,
            _("Odwołanie wizyty"),
            intro,
            [booking.calendar_file(appointment, cancelled=True)],
        )
    appointment.status = "cancelled"
    appointment.active_slot = None
    return appointment


def change_for(
    staff: Account,
    appointment: Appointment,
    new_slot_id: int | str | None,
    reason: str = "",
    *,
    now: datetime | None = None,
    rules: BookingRules | None = None,
) -> Appointment:
    """Move the visit to another free slot where its service fits: the new slots taken and
    the old ones freed in one transaction, or nothing changes. Returns the new visit."""
    now = now or utcnow()
    rules = rules or BookingRules.from_config()
    _check_active(appointment, now)
    new_slot = booking.slot_by_id(new_slot_id)
    if new_slot.id == appointment.slot_id:
        raise SlotTaken()
    service = booking.fitting_move(appointment, new_slot)
    booking.check_slot_open(new_slot, rules, now)
    reason = " ".join((reason or "").split())[:200]
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
                booked_by=staff.id,
                note=appointment.note,
                referral_code=appointment.referral_code,
                created_at=now,
            )
            _hold(moved.id, service.run)
            Appointment.update(moved_to=moved.id).where(Appointment.id == appointment.id).execute()
            moved.slot = Slot.get_by_id(new_slot.id)
            audit.record(
                "desk.appointment.change",
                patient_id=appointment.patient_id,
                object_type="appointment",
                object_id=moved.id,
                details=f"from={appointment.id} slot={appointment.slot_id}->{new_slot.id} {reason}",
                account_id=staff.id,
            )
            intro = _("Przychodnia przeniosła Twoją wizytę na inny termin.")
            if reason:
                intro += " " + _("Powód: %(reason)s", reason=reason)
            intro += " " + _("Nowy termin:")
            mail_patient(
                moved,
                _("Zmiana terminu wizyty"),
                intro,
                [booking.calendar_file(moved), booking.calendar_file(appointment, cancelled=True)],
            )
    except pw.IntegrityError:
        raise SlotTaken() from None
    return moved


def free_slots_for_move(
    appointment: Appointment,
    *,
    same_staff: bool = True,
    now: datetime | None = None,
    rules: BookingRules | None = None,
    limit: int = 20,
) -> list[Slot]:
    """The free slots the visit could move to (its service fits, same funding), the same
    doctor's by default, in time order from the booking notice on."""
    now = now or utcnow()
    rules = rules or BookingRules.from_config()
    old = Slot.get_by_id(appointment.slot_id)
    query = Slot.select().where(
        ~Slot.booked
        & ~Slot.blocked
        & (Slot.starts_at >= rules.earliest(now))
        & (Slot.funding == old.funding)
        & (Slot.id != old.id)
    )
    if same_staff:
        query = query.where(Slot.staff == old.staff_id)
    latest = rules.latest(now)
    if latest is not None:
        query = query.where(Slot.starts_at <= latest)
    found: list[Slot] = []
    for slot in query.order_by(Slot.starts_at, Slot.id).limit(limit * 10):
        try:
            booking.fitting_move(appointment, slot)
        except SlotUnavailable:
            continue
        found.append(slot)
        if len(found) >= limit:
            break
    return found
