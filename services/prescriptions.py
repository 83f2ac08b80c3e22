"""Repeat prescriptions: the patient orders ("zamów receptę"), withdraws while submitted;
a doctor issues a prescription (from an order or new) with its access code, or rejects.

A second open order for the same medicine is refused by the database itself: an order's
items carry `open_medicine` (the normalised name) while the order is submitted, under a
unique index with the patient; the IntegrityError becomes MedicineAlreadyOrdered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import peewee as pw
from flask_babel import gettext as _

from core.errors import DomainError
from core.timeutil import to_local
from models.accounts import Account
from models.base import utcnow, write_transaction
from models.clinic import StaffMember
from models.medical import Prescription, PrescriptionItem, PrescriptionOrder, PrescriptionOrderItem
from models.patients import Patient
from services.medical_records import Page, access_code, paginate

MAX_ITEMS = 5
MAX_PACKAGES = 6
MEDICINE_MAX = 200
NOTE_MAX = 500
VALID_DAYS = 30
OPEN_ORDERS_MAX = 5


class PrescriptionError(DomainError):
    """Base of the prescription refusals."""

    status = 409


class OrderInvalid(PrescriptionError):
    """The order form is not complete or not sensible (422); `field` names the part of the
    form to mark: "staff", "medicines" or "note"."""

    status = 422

    def __init__(self, message: str, field: str = "medicines") -> None:
        super().__init__(message)
        self._message = message
        self.field = field

    @property
    def message(self) -> str:
        return self._message


class MedicineAlreadyOrdered(PrescriptionError):
    def __init__(self, medicine: str) -> None:
        super().__init__(medicine)
        self.medicine = medicine

    @property
    def message(self) -> str:
        return _(
            "Zamówienie na „%(medicine)s” czeka już na decyzję lekarza. Poczekaj na receptę "
            "albo wycofaj tamto zamówienie i złóż nowe.",
            medicine=self.medicine,
        )


class TooManyOpenOrders(PrescriptionError):
    status = 429

    @property
    def message(self) -> str:
        return _(
            "Masz już %(count)s zamówień czekających na lekarza. Poczekaj, aż lekarz je rozpatrzy.",
            count=OPEN_ORDERS_MAX,
        )


class OrderNotOpen(PrescriptionError):
    @property
    def message(self) -> str:
        return _("To zamówienie zostało już rozpatrzone lub wycofane; nie można go zmienić.")


@dataclass(frozen=True)
class OrderLine:
    medicine: str
    packages: int


def normalise_medicine(name: str) -> str:
    """The key two orders of one medicine share: lower case, single spaces."""
    return re.sub(r"\s+", " ", name).strip().lower()[:MEDICINE_MAX]


def standing_medicines(patient: Patient) -> list[str]:
    """The medicines of the patient's earlier prescriptions, each once, newest first."""
    rows = (
        PrescriptionItem.select(PrescriptionItem.medicine, Prescription.issued_at)
        .join(Prescription)
        .where(Prescription.patient == patient.id)
        .order_by(Prescription.issued_at.desc())
        .limit(200)
    )
    seen: dict[str, str] = {}
    for row in rows:
        seen.setdefault(normalise_medicine(row.medicine), row.medicine)
    return list(seen.values())


def order_doctors(patient: Patient) -> list[StaffMember]:
    """Whom an order can go to: the doctors who prescribed for the patient first, then
    every active staff member with a title (the clinic's doctors)."""
    earlier = [
        row.staff_id
        for row in Prescription.select(Prescription.staff)
        .where(Prescription.patient == patient.id)
        .distinct()
    ]
    staff = list(
        StaffMember.select()
        .where(StaffMember.active & (StaffMember.title != ""))
        .order_by(StaffMember.last_name, StaffMember.first_name)
    )
    return sorted(staff, key=lambda s: s.id not in earlier)


def order_prescription(
    account: Account | None,
    patient: Patient,
    staff_id: int | None,
    lines: list[OrderLine],
    note: str = "",
) -> PrescriptionOrder:
    """Submit an order; OrderInvalid for a bad form, MedicineAlreadyOrdered when one of the
    medicines waits in another open order, TooManyOpenOrders over the limit."""
    lines = [OrderLine(x.medicine.strip(), x.packages) for x in lines if x.medicine.strip()]
    if not lines:
        raise OrderInvalid(_("Wybierz lub wpisz co najmniej jeden lek."))
    if len(lines) > MAX_ITEMS:
        raise OrderInvalid(_("Jedno zamówienie może mieć najwyżej %(n)s leków.", n=MAX_ITEMS))
    keys = [normalise_medicine(line.medicine) for line in lines]
    if len(set(keys)) != len(keys):
        raise OrderInvalid(_("Każdy lek wpisz tylko raz."))
    for line in lines:
        if len(line.medicine) > MEDICINE_MAX:
            raise OrderInvalid(_("Nazwa leku może mieć najwyżej 200 znaków."))
        if not 1 <= line.packages <= MAX_PACKAGES:
            raise OrderInvalid(_("Liczba opakowań: od 1 do %(n)s.", n=MAX_PACKAGES))
    if len(note) > NOTE_MAX:
        raise OrderInvalid(_("Uwagi mogą mieć najwyżej 500 znaków."), "note")
    doctor = StaffMember.get_or_none((StaffMember.id == staff_id) & StaffMember.active)
    if doctor is None:
        raise OrderInvalid(_("Wybierz lekarza z listy."), "staff")
    open_orders = (
        PrescriptionOrder.select()
        .where(
            (PrescriptionOrder.patient == patient.id) & (PrescriptionOrder.status == "submitted")
        )
        .count()
    )
    if open_orders >= OPEN_ORDERS_MAX:
        raise TooManyOpenOrders()
    try:
        with write_transaction():
            order = PrescriptionOrder.create(
                patient=patient, staff=doctor, ordered_by=account, note=note.strip()
            )
            for line, key in zip(lines, keys, strict=True):
                PrescriptionOrderItem.create(
                    order=order,
                    patient=patient,
                    medicine=line.medicine,
                    packages=line.packages,
                    open_medicine=key,
                )
    except pw.IntegrityError:
        taken = (
            PrescriptionOrderItem.select(PrescriptionOrderItem.medicine)
            .where(
                (PrescriptionOrderItem.patient == patient.id)
                & PrescriptionOrderItem.open_medicine.in_(keys)
            )
            .first()
        )
        raise MedicineAlreadyOrdered(taken.medicine if taken else lines[0].medicine) from None
    return order


def _close(order: PrescriptionOrder, status: str, **changes) -> None:
    """Move a submitted order to `status`; OrderNotOpen when it is not submitted any more
    (a conditional UPDATE, so two clicks or two staff members cannot both close it)."""
    changed = (
        PrescriptionOrder.update(status=status, handled_at=utcnow(), **changes)
        .where((PrescriptionOrder.id == order.id) & (PrescriptionOrder.status == "submitted"))
        .execute()
    )
    if not changed:
        raise OrderNotOpen()
    PrescriptionOrderItem.update(open_medicine=None).where(
        PrescriptionOrderItem.order == order.id
    ).execute()
    order.status = status
    for name, value in changes.items():
        setattr(order, name, value)


def withdraw_order(order: PrescriptionOrder) -> None:
    """The patient withdraws an order the doctor has not handled yet."""
    with write_transaction():
        _close(order, "withdrawn")


def reject_order(order: PrescriptionOrder, reason: str) -> None:
    """The doctor refuses an order, saying why (the patient sees the reason)."""
    reason = reason.strip()
    if not reason or len(reason) > NOTE_MAX:
        raise OrderInvalid(_("Podaj powód odmowy (najwyżej 500 znaków)."))
    with write_transaction():
        _close(order, "rejected", reject_reason=reason)


def issue_prescription(
    patient: Patient,
    staff: StaffMember,
    lines: list[OrderLine] | None = None,
    order: PrescriptionOrder | None = None,
    valid_days: int = VALID_DAYS,
    note: str = "",
    dosages: dict[str, str] | None = None,
) -> Prescription:
    """Issue an e-prescription with a fresh access code: new (`lines`) or for an order
    (its medicines unless `lines` says otherwise); the order becomes "issued"."""
    if order is not None and order.patient_id != patient.id:
        raise OrderInvalid(_("Zamówienie dotyczy innego pacjenta."))
    if lines is None and order is not None:
        lines = [OrderLine(i.medicine, i.packages) for i in order.items]
    lines = [line for line in lines or [] if line.medicine.strip()]
    if not lines:
        raise OrderInvalid(_("Recepta musi mieć co najmniej jeden lek."))
    if not 1 <= valid_days <= 365:
        raise OrderInvalid(_("Recepta może być ważna od 1 do 365 dni."))
    dosages = dosages or {}
    with write_transaction():
        issued_at = utcnow()
        prescription = Prescription.create(
            patient=patient,
            staff=staff,
            issued_at=issued_at,
            valid_until=to_local(issued_at).date() + timedelta(days=valid_days),
            access_code=access_code(),
            note=note.strip()[:NOTE_MAX],
        )
        for line in lines:
            PrescriptionItem.create(
                prescription=prescription,
                medicine=line.medicine.strip()[:MEDICINE_MAX],
                packages=line.packages,
                dosage=dosages.get(line.medicine, "")[:200],
            )
        if order is not None:
            _close(order, "issued", prescription=prescription.id)
    return prescription


def order_for(patient: Patient, order_id: int) -> PrescriptionOrder | None:
    """The patient's order, or None when the id is not theirs (filtered in the query)."""
    return PrescriptionOrder.get_or_none(
        (PrescriptionOrder.id == order_id) & (PrescriptionOrder.patient == patient.id)
    )


def orders(patient: Patient, page: int = 1) -> Page:
    query = (
        PrescriptionOrder.select(PrescriptionOrder, StaffMember)
        .join(StaffMember)
        .where(PrescriptionOrder.patient == patient.id)
        .order_by(PrescriptionOrder.created_at.desc(), PrescriptionOrder.id.desc())
    )
    result = paginate(query, page)
    _attach_items(result.rows, PrescriptionOrderItem, PrescriptionOrderItem.order)
    return result


def prescriptions(patient: Patient, page: int = 1, medicine: str = "") -> Page:
    query = (
        Prescription.select(Prescription, StaffMember)
        .join(StaffMember)
        .where(Prescription.patient == patient.id)
        .order_by(Prescription.issued_at.desc(), Prescription.id.desc())
    )
    if medicine:
        pattern = "%" + medicine.replace("%", "").replace("_", "").replace("\\", "") + "%"
        query = query.where(
            Prescription.id.in_(
                PrescriptionItem.select(PrescriptionItem.prescription).where(
                    PrescriptionItem.medicine**pattern
                )
            )
        )
    result = paginate(query, page)
    _attach_items(result.rows, PrescriptionItem, PrescriptionItem.prescription)
    return result


def _attach_items(rows: list, model: type[pw.Model], parent: pw.ForeignKeyField) -> None:
    """Give each row `lines` (its items) in one query instead of one per row."""
    by_parent: dict[int, list] = {row.id: [] for row in rows}
    if by_parent:
        for item in model.select().where(parent.in_(list(by_parent))).order_by(model.id):
            by_parent[getattr(item, parent.name + "_id")].append(item)
    for row in rows:
        row.lines = by_parent[row.id]
