"""The doctor's side of a visit: opening it, closing it (completed or no-show) and what is
written on a completed visit. The records themselves are made by the panel's services
(prescriptions, medical_records, documents); this module adds the doctor's rules around them:

- a doctor reaches a patient only through a visit in their own agenda (`visit_for_doctor`
  filters by the visit's doctor in the query; anything else is None, answered 404);
- a visit is closed only from its start time on, and only once;
- prescriptions, referrals, vaccinations and documents are written on a completed visit.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _

from core.errors import DomainError
from core.timeutil import local_today, to_local
from models.accounts import Account
from models.base import utcnow, write_transaction
from models.booking import Appointment
from models.clinic import Facility, Service, Slot, StaffMember
from models.medical import (
    Document,
    Prescription,
    PrescriptionOrder,
    Recommendation,
    Referral,
    Vaccination,
)
from models.patients import Patient
from services import desk_queues, documents, medical_records, prescriptions

EARLIER_MAX = 20


class VisitRefused(DomainError):
    """The visit is not in a state that allows this (409) or the input is bad (422)."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self._message = message
        self.status = status

    @property
    def message(self) -> str:
        return self._message


@dataclass
class VisitCard:
    """What the doctor sees on opening a visit."""

    visit: Appointment
    slot: Slot
    patient: Patient
    service: Service
    facility: Facility
    age: int
    earlier: list[Appointment]
    recommendations: list[Recommendation]
    prescriptions: list[Prescription]
    referrals: list[Referral]
    vaccinations: list[Vaccination]
    documents: list[Document]
    open_orders: list[PrescriptionOrder]

    @property
    def started(self) -> bool:
        return self.slot.starts_at <= utcnow()


def age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def visit_for_doctor(doctor_id: int | None, visit_id: int) -> Appointment | None:
    """The visit when it is in this doctor's agenda, else None (one query, by doctor)."""
    if doctor_id is None:
        return None
    return (
        Appointment.select(Appointment, Slot)
        .join(Slot, on=(Appointment.slot == Slot.id))
        .where((Appointment.id == visit_id) & (Slot.staff == doctor_id))
        .first()
    )


def card(visit: Appointment) -> VisitCard:
    """Everything the visit page shows, in a handful of queries."""
    slot = Slot.get_by_id(visit.slot_id)
    patient = Patient.get_by_id(visit.patient_id)
    earlier = list(
        Appointment.select(Appointment, Slot, Service, StaffMember)
        .join(Slot, on=(Appointment.slot == Slot.id))
        .join(StaffMember, on=(Slot.staff == StaffMember.id))
        .switch(Appointment)
        .join(Service, on=(Appointment.service == Service.id))
        .where(
            (Appointment.patient == patient.id)
            & (Appointment.id != visit.id)
            & (Slot.starts_at < slot.starts_at)
        )
        .order_by(Slot.starts_at.desc())
        .limit(EARLIER_MAX)
    )
    own = Prescription.staff == slot.staff_id
    return VisitCard(
        visit=visit,
        slot=slot,
        patient=patient,
        service=Service.get_by_id(visit.service_id),
        facility=Facility.get_by_id(slot.facility_id),
        age=age_on(patient.birth_date, to_local(slot.starts_at).date()),
        earlier=earlier,
        recommendations=list(
            Recommendation.select()
            .where(Recommendation.appointment == visit.id)
            .order_by(Recommendation.id)
        ),
        prescriptions=list(
            Prescription.select()
            .where((Prescription.patient == patient.id) & own)
            .order_by(Prescription.issued_at.desc())
            .limit(10)
        ),
        referrals=list(
            Referral.select()
            .where((Referral.patient == patient.id) & (Referral.staff == slot.staff_id))
            .order_by(Referral.id.desc())
            .limit(10)
        ),
        vaccinations=list(
            Vaccination.select()
            .where(Vaccination.patient == patient.id)
            .order_by(Vaccination.on_date.desc())
            .limit(10)
        ),
        documents=list(
            Document.select()
            .where(Document.patient == patient.id)
            .order_by(Document.created_at.desc())
            .limit(10)
        ),
        open_orders=list(
            PrescriptionOrder.select()
            .where(
                (PrescriptionOrder.patient == patient.id)
                & (PrescriptionOrder.status == "submitted")
            )
            .order_by(PrescriptionOrder.created_at)
        ),
    )


def _started(visit: Appointment) -> None:
    slot = Slot.get_by_id(visit.slot_id)
    if slot.starts_at > utcnow():
        raise VisitRefused(_("Wizyta jeszcze się nie zaczęła; zamkniesz ją od jej godziny."))


def complete(visit: Appointment, doctor: StaffMember, recommendation: str = "") -> None:
    """Mark the visit completed (once it started), with an optional recommendation; a
    completed visit may get further recommendations the same way."""
    if visit.status == "booked":
        _started(visit)
    elif visit.status != "completed":
        raise VisitRefused(_("Tej wizyty nie można zakończyć: została odwołana lub przeniesiona."))
    texts = [recommendation] if recommendation.strip() else []
    try:
        medical_records.complete_visit(visit, doctor, texts)
    except medical_records.MedicalRecordError as error:
        raise VisitRefused(error.message, error.status) from None


def add_recommendation(visit: Appointment, doctor: StaffMember, text: str) -> None:
    require_completed(visit)
    if not text.strip():
        raise VisitRefused(_("Wpisz treść zalecenia."), 422)
    complete(visit, doctor, text)


def mark_no_show(visit: Appointment) -> None:
    """The patient did not come: only a booked visit that has started (conditional UPDATE)."""
    _started(visit)
    with write_transaction():
        changed = (
            Appointment.update(status="no_show")
            .where((Appointment.id == visit.id) & (Appointment.status == "booked"))
            .execute()
        )
    if not changed:
        raise VisitRefused(_("Tę wizytę już zamknięto albo odwołano."))
    visit.status = "no_show"


def require_completed(visit: Appointment) -> None:
    if visit.status != "completed":
        raise VisitRefused(_("Najpierw oznacz wizytę jako odbytą."))


def _patient(visit: Appointment) -> Patient:
    return Patient.get_by_id(visit.patient_id)


def issue_prescription(
    visit: Appointment,
    doctor: StaffMember,
    lines: list[prescriptions.OrderLine],
    order_id: int | None = None,
    note: str = "",
) -> Prescription:
    """A new prescription, or one for the patient's open order (its medicines)."""
    require_completed(visit)
    patient = _patient(visit)
    order = None
    if order_id is not None:
        order = prescriptions.order_for(patient, order_id)
        if order is None or order.status != "submitted":
            raise VisitRefused(_("Wybierz zamówienie pacjenta z listy."), 422)
    try:
        with write_transaction():
            made = prescriptions.issue_prescription(
                patient, doctor, lines=lines or None, order=order, note=note
            )
            if order is not None:  # the order changed status: the patient is told
                desk_queues.notify_issued(patient.id, doctor, made)
    except prescriptions.PrescriptionError as error:
        raise VisitRefused(error.message, error.status) from None
    return made


def issue_referral(
    visit: Appointment, doctor: StaffMember, target: str, diagnosis: str = ""
) -> Referral:
    require_completed(visit)
    try:
        return medical_records.issue_referral(_patient(visit), doctor, target, diagnosis=diagnosis)
    except medical_records.MedicalRecordError as error:
        raise VisitRefused(error.message, error.status) from None


def record_vaccination(
    visit: Appointment, name: str, on_date: date | None, status: str, dose: str = ""
) -> Vaccination:
    require_completed(visit)
    if status == "planned" and (on_date is None or on_date <= local_today()):
        raise VisitRefused(_("Szczepienie planowane musi mieć datę z przyszłości."), 422)
    facility = Facility.get_by_id(Slot.get_by_id(visit.slot_id).facility_id)
    try:
        return medical_records.record_vaccination(
            _patient(visit), name, on_date or local_today(), dose, status, facility
        )
    except medical_records.MedicalRecordError as error:
        raise VisitRefused(error.message, error.status) from None


def safe_file_name(name: str) -> bool:
    """A plain file name: no directory part, no "..", no control characters."""
    return (
        bool(name)
        and len(name) <= 200
        and not ("/" in name or "\\" in name or ".." in name or any(ord(c) < 32 for c in name))
    )


def share_document(
    visit: Appointment,
    account: Account,
    title: str,
    kind: str,
    content: bytes,
    file_name: str,
    storage_dir: str | os.PathLike,
    max_bytes: int,
) -> Document:
    """Through the panel's document service: type by magic bytes, size, random name on
    disk, SHA-256. Nothing is stored when any check fails."""
    require_completed(visit)
    if not safe_file_name(file_name):
        raise VisitRefused(_("Nazwa pliku nie może zawierać ścieżki ani znaków „..”."), 422)
    try:
        return documents.share_document(
            _patient(visit), title, kind, content, file_name, storage_dir, max_bytes, account
        )
    except documents.DocumentError as error:
        raise VisitRefused(error.message, error.status) from None
