"""What the clinic recorded for a patient: prescriptions and their orders, vaccinations,
referrals, recommendations from visits, shared documents and RODO requests."""

from __future__ import annotations

import peewee as pw

from .accounts import Account
from .base import BaseModel, utcnow
from .booking import Appointment
from .clinic import Facility, Service, Specialty, StaffMember
from .patients import Patient

ORDER_STATUSES = ("submitted", "issued", "rejected", "withdrawn")
REQUEST_KINDS = ("information", "rectification", "documentation")
ACCESS_FORMS = ("copy", "scan", "inspection")
REQUEST_STATUSES = ("submitted", "answered", "closed", "withdrawn")


class Prescription(BaseModel):
    """An issued e-prescription ("e-recepta"): the patient collects it with the 4-digit
    access code and their PESEL."""

    patient = pw.ForeignKeyField(Patient, backref="prescriptions", on_delete="CASCADE")
    staff = pw.ForeignKeyField(StaffMember, on_delete="RESTRICT")
    issued_at = pw.DateTimeField(default=utcnow)
    valid_until = pw.DateField()
    access_code = pw.CharField(max_length=4)
    note = pw.CharField(max_length=500, default="")

    class Meta:
        indexes = ((("patient", "issued_at"), False),)


class PrescriptionItem(BaseModel):
    prescription = pw.ForeignKeyField(Prescription, backref="items", on_delete="CASCADE")
    medicine = pw.CharField(max_length=200)
    packages = pw.SmallIntegerField(default=1)
    dosage = pw.CharField(max_length=200, default="")


class PrescriptionOrder(BaseModel):
    """A patient's request for a repeat prescription ("zamówienie recepty")."""

    patient = pw.ForeignKeyField(Patient, backref="prescription_orders", on_delete="CASCADE")
    staff = pw.ForeignKeyField(StaffMember, on_delete="RESTRICT")
    ordered_by = pw.ForeignKeyField(Account, null=True, on_delete="SET NULL")
    status = pw.CharField(max_length=12, default="submitted")
    note = pw.CharField(max_length=500, default="")
    reject_reason = pw.CharField(max_length=500, default="")
    created_at = pw.DateTimeField(default=utcnow)
    handled_at = pw.DateTimeField(null=True)
    prescription = pw.ForeignKeyField(Prescription, null=True, on_delete="SET NULL")

    class Meta:
        indexes = ((("patient", "created_at"), False),)


class PrescriptionOrderItem(BaseModel):
    """One medicine of an order. `open_medicine` is the normalised name while the order is
    submitted and NULL afterwards: its unique index with the patient refuses a second open
    order for the same medicine on both databases, whatever the application does."""

    order = pw.ForeignKeyField(PrescriptionOrder, backref="items", on_delete="CASCADE")
    patient = pw.ForeignKeyField(Patient, on_delete="CASCADE")
    medicine = pw.CharField(max_length=200)
    packages = pw.SmallIntegerField(default=1)
    open_medicine = pw.CharField(max_length=200, null=True)

    class Meta:
        indexes = ((("patient", "open_medicine"), True),)


class Vaccination(BaseModel):
    """A vaccination given ("done") or planned, with its dose in the schedule."""

    patient = pw.ForeignKeyField(Patient, backref="vaccinations", on_delete="CASCADE")
    name = pw.CharField(max_length=200)
    dose = pw.CharField(max_length=60, default="")
    status = pw.CharField(max_length=10, default="done")  # done | planned
    on_date = pw.DateField()
    facility = pw.ForeignKeyField(Facility, null=True, on_delete="SET NULL")
    batch = pw.CharField(max_length=60, default="")
    note = pw.CharField(max_length=500, default="")

    class Meta:
        indexes = ((("patient", "on_date"), False),)


class Referral(BaseModel):
    """An e-referral ("e-skierowanie") to a specialty or a test, with its access code."""

    patient = pw.ForeignKeyField(Patient, backref="referrals", on_delete="CASCADE")
    staff = pw.ForeignKeyField(StaffMember, on_delete="RESTRICT")
    target = pw.CharField(max_length=200)
    specialty = pw.ForeignKeyField(Specialty, null=True, on_delete="SET NULL")
    service = pw.ForeignKeyField(Service, null=True, on_delete="SET NULL")
    issued_on = pw.DateField()
    valid_until = pw.DateField(null=True)
    access_code = pw.CharField(max_length=4)
    diagnosis = pw.CharField(max_length=200, default="")


class Recommendation(BaseModel):
    """The doctor's recommendation ("zalecenie") written when a visit was completed."""

    patient = pw.ForeignKeyField(Patient, backref="recommendations", on_delete="CASCADE")
    appointment = pw.ForeignKeyField(Appointment, backref="recommendations", on_delete="CASCADE")
    staff = pw.ForeignKeyField(StaffMember, on_delete="RESTRICT")
    text = pw.TextField()
    created_at = pw.DateTimeField(default=utcnow)


class Document(BaseModel):
    """A file the clinic shared with the patient; the bytes live in the document store
    (outside the web root) under `storage_name`, checked against `sha256` when served."""

    patient = pw.ForeignKeyField(Patient, backref="documents", on_delete="CASCADE")
    title = pw.CharField(max_length=200)
    kind = pw.CharField(max_length=30)
    content_type = pw.CharField(max_length=60)
    file_name = pw.CharField(max_length=200)
    storage_name = pw.CharField(max_length=80, unique=True)
    size = pw.IntegerField()
    sha256 = pw.CharField(max_length=64)
    created_at = pw.DateTimeField(default=utcnow)
    shared_by = pw.ForeignKeyField(Account, null=True, on_delete="SET NULL")

    class Meta:
        indexes = ((("patient", "created_at"), False),)


class DataRequest(BaseModel):
    """A RODO request ("wniosek"): information about processing (art. 15), rectification
    (art. 16) or access to the medical documentation (copy, scan or inspection)."""

    patient = pw.ForeignKeyField(Patient, backref="data_requests", on_delete="CASCADE")
    submitted_by = pw.ForeignKeyField(Account, null=True, on_delete="SET NULL")
    kind = pw.CharField(max_length=20)
    access_form = pw.CharField(max_length=12, default="")
    description = pw.TextField()
    status = pw.CharField(max_length=12, default="submitted")
    answer = pw.TextField(default="")
    created_at = pw.DateTimeField(default=utcnow)
    due_on = pw.DateField()
    handled_at = pw.DateTimeField(null=True)
    handled_by = pw.ForeignKeyField(
        Account, null=True, on_delete="SET NULL", backref="handled_requests"
    )


MEDICAL_MODELS = [
    Prescription,
    PrescriptionItem,
    PrescriptionOrder,
    PrescriptionOrderItem,
    Vaccination,
    Referral,
    Recommendation,
    Document,
    DataRequest,
]
