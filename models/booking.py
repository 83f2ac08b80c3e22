"""Appointments ("wizyta", "rezerwacja"): a booking of a slot for a patient."""

from __future__ import annotations

import peewee as pw

from .accounts import Account
from .base import BaseModel, utcnow
from .clinic import Service, Slot
from .patients import Patient


class Appointment(BaseModel):
    """`active_slot` equals `slot` while the booking holds it and is NULL afterwards.

    Its unique index is the real guard against double booking on both databases:
    two active bookings of one slot cannot exist, whatever the application does.
    """

    slot = pw.ForeignKeyField(Slot, backref="appointments", on_delete="RESTRICT")
    active_slot = pw.ForeignKeyField(
        Slot, null=True, unique=True, backref="active_appointment", on_delete="RESTRICT"
    )
    patient = pw.ForeignKeyField(Patient, backref="appointments", on_delete="CASCADE")
    service = pw.ForeignKeyField(Service, on_delete="RESTRICT")
    booked_by = pw.ForeignKeyField(Account, null=True, on_delete="SET NULL")
    status = pw.CharField(max_length=12, default="booked")
    note = pw.CharField(max_length=500, default="")
    created_at = pw.DateTimeField(default=utcnow)
    cancelled_at = pw.DateTimeField(null=True)
    moved_to = pw.ForeignKeyField("self", null=True, on_delete="SET NULL")
    # the e-referral ("e-skierowanie"): a 4-digit access code or the 44-digit key
    referral_code = pw.CharField(max_length=44, default="")

    class Meta:
        indexes = ((("patient", "status"), False),)


class AppointmentSlot(BaseModel):
    """Every slot a visit holds: one, or several consecutive ones for a longer service.

    `active_slot` equals `slot` while the visit holds it and is NULL afterwards; its unique
    index guards every held slot (not only the first) against a second active booking.
    """

    appointment = pw.ForeignKeyField(Appointment, backref="held_slots", on_delete="CASCADE")
    slot = pw.ForeignKeyField(Slot, on_delete="RESTRICT")
    active_slot = pw.ForeignKeyField(Slot, null=True, unique=True, on_delete="RESTRICT")


BOOKING_MODELS = [Appointment, AppointmentSlot]
