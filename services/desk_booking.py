"""Booking by phone: the desk books, moves and cancels on a patient's behalf.

The same rules and the same single-booking guarantee as the patient's own booking: the
transaction (the conditional `UPDATE slot … WHERE NOT booked`, the unique `active_slot`
indexes) is services.booking's own — book_in_transaction, move_in_transaction and
cancel_in_transaction serve both sides; the desk adds only its audit event, its mail and the
reason — so a phone booking racing an online one for the same slot ends with one winner and
a SlotTaken for the other. What differs is only who acts (the staff account, written to the
audit log) and that the desk may cancel or move a visit inside the cancel-notice window —
that window is why a patient is told to call. The patient (or their guardians, for a
dependant) gets the e-mail; a person without a login gets none.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _

from core.mail import queue_mail
from models.accounts import Account
from models.base import utcnow
from models.booking import Appointment
from models.clinic import Slot
from models.patients import Patient

from . import booking, booking_checks, visit_mail
from .booking_errors import AppointmentNotActive, SlotUnavailable
from .desk_patients import mail_recipients
from .rules import ClinicRules, clinic_rules


def mail_patient(appointment: Appointment, subject: str, intro: str, attachments) -> int:
    """Queue the visit's e-mail to everyone who hears about the patient; returns how many."""
    body = "\n".join(visit_mail.mail_body(appointment, intro))
    recipients = mail_recipients(appointment.patient_id)
    for to in recipients:
        queue_mail(to, subject, body, attachments=attachments)
    return len(recipients)


def _clean_reason(reason: str | None) -> str:
    return " ".join((reason or "").split())[:200]


def book_for(
    staff: Account,
    patient: Patient,
    slot_id: int | str | None,
    service_id: int | str | None = None,
    note: str = "",
    *,
    referral_code: str = "",
    now: datetime | None = None,
    rules: ClinicRules | None = None,
) -> Appointment:
    """Book a slot for the patient on the phone: the clinic's rules as online."""
    now = now or utcnow()
    rules = rules or clinic_rules()
    note = booking_checks.clean_note(note)

    def record(appointment: Appointment) -> None:
        details = f"slot={appointment.slot_id} service={appointment.service_id}"
        booking.audit_visit("desk.appointment.book", appointment, staff, details)
        mail_patient(
            appointment,
            _("Potwierdzenie rezerwacji wizyty"),
            _("Rejestracja zarezerwowała dla Ciebie wizytę."),
            [visit_mail.calendar_file(appointment)],
        )

    return booking.book_in_transaction(
        staff,
        patient,
        slot_id,
        service_id,
        note=note,
        referral_code=referral_code,
        rules=rules,
        now=now,
        then=record,
    )


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
    reason = _clean_reason(reason)

    def record(appointment: Appointment) -> None:
        details = f"slot={appointment.slot_id} {reason}".strip()
        booking.audit_visit("desk.appointment.cancel", appointment, staff, details)
        intro = _("Przychodnia odwołała wizytę.")
        if reason:
            intro += " " + _("Powód: %(reason)s", reason=reason)
        intro += " " + _(
            "Aby umówić nowy termin, wyszukaj go w e-Rejestracji albo zadzwoń: %(phone)s.",
            phone=visit_mail.describe(appointment)["phone"],
        )
        mail_patient(
            appointment,
            _("Odwołanie wizyty"),
            intro,
            [visit_mail.calendar_file(appointment, cancelled=True)],
        )

    return booking.cancel_in_transaction(appointment, now=now, then=record)


def change_for(
    staff: Account,
    appointment: Appointment,
    new_slot_id: int | str | None,
    reason: str = "",
    *,
    now: datetime | None = None,
    rules: ClinicRules | None = None,
) -> Appointment:
    """Move the visit to another free slot where its service fits: the new slots taken and
    the old ones freed in one transaction, or nothing changes. Returns the new visit."""
    now = now or utcnow()
    rules = rules or clinic_rules()
    _check_active(appointment, now)
    reason = _clean_reason(reason)

    def record(moved: Appointment) -> None:
        details = f"from={appointment.id} slot={appointment.slot_id}->{moved.slot_id} {reason}"
        booking.audit_visit("desk.appointment.change", moved, staff, details)
        intro = _("Przychodnia przeniosła Twoją wizytę na inny termin.")
        if reason:
            intro += " " + _("Powód: %(reason)s", reason=reason)
        intro += " " + _("Nowy termin:")
        mail_patient(
            moved,
            _("Zmiana terminu wizyty"),
            intro,
            [
                visit_mail.calendar_file(moved),
                visit_mail.calendar_file(appointment, cancelled=True),
            ],
        )

    return booking.move_in_transaction(
        staff, appointment, new_slot_id, rules=rules, now=now, then=record
    )


def free_slots_for_move(
    appointment: Appointment,
    *,
    same_staff: bool = True,
    now: datetime | None = None,
    rules: ClinicRules | None = None,
    limit: int = 20,
) -> list[Slot]:
    """The free slots the visit could move to (its service fits, same funding), the same
    doctor's by default, in time order from the booking notice on."""
    now = now or utcnow()
    rules = rules or clinic_rules()
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
            booking_checks.fitting_move(appointment, slot)
        except SlotUnavailable:
            continue
        found.append(slot)
        if len(found) >= limit:
            break
    return found
