"""Appointments ("wizyta", "rezerwacja"): a booking of a slot for a patient."""

from __future__ import annotations

import peewee as pw

from .accounts import Account
from .base import BaseModel, utcnow
from .clinic import Service, Slot
from .patients import Patient

STATUSES = ("booked", "cancelled", "moved", "completed", "no_show")


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

    class Meta:
        indexes = ((("patient", "status"), False),)


BOOKING_MODELS = [Appointment]
