"""Patients ("pacjent"); the guardian links between accounts and dependants are
models.accounts.Guardianship."""

from __future__ import annotations

import peewee as pw

from .base import BaseModel, utcnow
from .clinic import Locality


class Patient(BaseModel):
    """A person who can have visits; may or may not have a login of their own."""

    first_name = pw.CharField(max_length=100)
    last_name = pw.CharField(max_length=100)
    pesel = pw.CharField(max_length=11, null=True, unique=True)
    birth_date = pw.DateField()
    sex = pw.CharField(max_length=1, default="")  # "F", "M" or "" when unknown
    street = pw.CharField(max_length=200, default="")
    house_number = pw.CharField(max_length=20, default="")
    flat_number = pw.CharField(max_length=20, default="")
    postal_code = pw.CharField(max_length=6, default="")
    locality = pw.ForeignKeyField(Locality, null=True, on_delete="SET NULL")
    phone = pw.CharField(max_length=30, default="")
    created_at = pw.DateTimeField(default=utcnow)
    # registered by the desk (a person who phones); a login may later join this record
    registered_at_desk = pw.BooleanField(default=False)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


PATIENT_MODELS = [Patient]
