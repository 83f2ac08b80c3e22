"""The desk's two queues: prescription orders (assign to a doctor; the doctor issues or
rejects) and RODO requests (by deadline; assign, answer, close). The decisions themselves are
the panel's services (prescriptions, data_requests); this module lists, assigns and tells the
patient by e-mail, in the transaction of the change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _

from core.errors import DomainError
from core.mail import queue_mail
from core.timeutil import local_today, to_local
from models.accounts import Account
from models.back_office import RequestAssignment
from models.base import utcnow, write_transaction
from models.booking import Appointment
from models.clinic import StaffMember
from models.medical import DataRequest, Prescription, PrescriptionOrder, PrescriptionOrderItem
from models.patients import Patient
from services import data_requests, prescriptions
from services.desk_patients import mail_recipients

PAGE_SIZE = 30
DUE_SOON_DAYS = 7
ORDER_FILTERS = ("new", "mine", "all")


class QueueRefused(DomainError):
    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self._message = message
        self.status = status

    @property
    def message(self) -> str:
        return self._message


def _mail(patient_id: int, subject: str, body: str) -> None:
    for to in mail_recipients(patient_id):
        queue_mail(to, subject, _("Dzień dobry,\n\n") + body + "\n")


# --- prescription orders ----------------------------------------------------------------


def _with_visits():
    """Patients who have or had a visit at the clinic: the only ones a doctor may see."""
    return Appointment.select(Appointment.patient)


def order_queue(
    show: str,
    doctor_id: int | None,
    my_staff_id: int | None,
    page: int = 1,
    known_only: bool = False,
) -> tuple[list[PrescriptionOrder], bool]:
    """Orders, oldest waiting first: `new` (submitted), `mine` (submitted, to my_staff_id)
    or `all`; `doctor_id` narrows to one doctor; `known_only` (a doctor's view) keeps the
    patients who have or had a visit at the clinic."""
    query = (
        PrescriptionOrder.select(PrescriptionOrder, Patient, StaffMember)
        .join(Patient, on=(PrescriptionOrder.patient == Patient.id))
        .switch(PrescriptionOrder)
        .join(StaffMember, on=(PrescriptionOrder.staff == StaffMember.id))
    )
    if show in ("new", "mine"):
        query = query.where(PrescriptionOrder.status == "submitted")
    if show == "mine":
        query = query.where(PrescriptionOrder.staff == (my_staff_id or 0))
    if doctor_id is not None:
        query = query.where(PrescriptionOrder.staff == doctor_id)
    if known_only:
        query = query.where(PrescriptionOrder.patient.in_(_with_visits()))
    rows = list(
        query.order_by(PrescriptionOrder.created_at, PrescriptionOrder.id)
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE + 1)
    )
    _items(rows[:PAGE_SIZE])
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def _items(rows: list[PrescriptionOrder]) -> None:
    by_order: dict[int, list] = {row.id: [] for row in rows}
    if by_order:
        for item in PrescriptionOrderItem.select().where(
            PrescriptionOrderItem.order.in_(list(by_order))
        ):
            by_order[item.order_id].append(item)
    for row in rows:
        row.lines = by_order[row.id]


def order_by_id(order_id: int, doctor_id: int | None = None) -> PrescriptionOrder | None:
    """An order; for a doctor (`doctor_id`) only one addressed to them, of a patient who has
    or had a visit at the clinic."""
    query = PrescriptionOrder.select().where(PrescriptionOrder.id == order_id)
    if doctor_id is not None:
        query = query.where(
            (PrescriptionOrder.staff == doctor_id) & PrescriptionOrder.patient.in_(_with_visits())
        )
    order = query.first()
    if order is not None:
        _items([order])
    return order


def doctors_for(order: PrescriptionOrder) -> list[StaffMember]:
    """Whom the desk may pass an order to: the doctors the patient may order from."""
    return prescriptions.order_doctors(Patient.get_by_id(order.patient_id))


def assign_order(order: PrescriptionOrder, doctor_id: int | None) -> StaffMember:
    """The desk passes a waiting order to another doctor (only while it is submitted)."""
    doctor = next((m for m in doctors_for(order) if m.id == doctor_id), None)
    if doctor is None:
        raise QueueRefused(_("Wybierz lekarza z listy."), 422)
    changed = (
        PrescriptionOrder.update(staff=doctor.id)
        .where((PrescriptionOrder.id == order.id) & (PrescriptionOrder.status == "submitted"))
        .execute()
    )
    if not changed:
        raise QueueRefused(_("To zamówienie zostało już rozpatrzone lub wycofane."))
    order.staff = doctor
    return doctor


def issue_order(order: PrescriptionOrder, doctor: StaffMember) -> Prescription:
    """The doctor issues the order's prescription; the patient gets the access code."""
    patient = Patient.get_by_id(order.patient_id)
    with write_transaction():
        try:
            made = prescriptions.issue_prescription(patient, doctor, order=order)
        except prescriptions.PrescriptionError as error:
            raise QueueRefused(error.message, error.status) from None
        notify_issued(patient.id, doctor, made)
    return made


def notify_issued(patient_id: int, doctor: StaffMember, made: Prescription) -> None:
    """The e-mail of an order that became a prescription (from the queue or a visit)."""
    _mail(
        patient_id,
        _("Recepta wystawiona"),
        _(
            "lekarz %(doctor)s wystawił receptę, o którą prosiłeś(-aś). Kod dostępu: "
            "%(code)s. Receptę zobaczysz też w panelu pacjenta.",
            doctor=doctor.display_name,
            code=made.access_code,
        ),
    )


def reject_order(order: PrescriptionOrder, doctor: StaffMember, reason: str) -> None:
    with write_transaction():
        try:
            prescriptions.reject_order(order, reason)
        except prescriptions.PrescriptionError as error:
            raise QueueRefused(error.message, error.status) from None
        _mail(
            order.patient_id,
            _("Zamówienie recepty odrzucone"),
            _(
                "lekarz %(doctor)s nie wystawił recepty, o którą prosiłeś(-aś). Powód: %(reason)s",
                doctor=doctor.display_name,
                reason=reason.strip(),
            ),
        )


# --- RODO requests ----------------------------------------------------------------------


@dataclass
class QueuedRequest:
    request: DataRequest
    patient: Patient
    assignee: Account | None

    @property
    def due_soon(self) -> bool:
        return self.request.status == "submitted" and self.request.due_on <= local_today() + (
            timedelta(days=DUE_SOON_DAYS)
        )

    @property
    def overdue(self) -> bool:
        return self.request.status == "submitted" and self.request.due_on < local_today()


def request_queue(open_only: bool = True, page: int = 1) -> tuple[list[QueuedRequest], bool]:
    """Requests by deadline (the soonest first)."""
    query = DataRequest.select(DataRequest, Patient).join(
        Patient, on=(DataRequest.patient == Patient.id)
    )
    if open_only:
        query = query.where(DataRequest.status == "submitted")
    rows = list(
        query.order_by(DataRequest.due_on, DataRequest.id)
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE + 1)
    )
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    assigned = _assignees([r.id for r in rows])
    return [QueuedRequest(r, r.patient, assigned.get(r.id)) for r in rows], more


def _assignees(ids: list[int]) -> dict[int, Account]:
    if not ids:
        return {}
    return {
        row.request_id: row.account
        for row in RequestAssignment.select(RequestAssignment, Account)
        .join(Account)
        .where(RequestAssignment.request.in_(ids))
    }


def request_by_id(request_id: int) -> QueuedRequest | None:
    found = DataRequest.get_or_none(DataRequest.id == request_id)
    if found is None:
        return None
    return QueuedRequest(
        found, Patient.get_by_id(found.patient_id), _assignees([found.id]).get(found.id)
    )


def desk_accounts() -> list[Account]:
    return list(
        Account.select()
        .where(
            Account.role.in_(("registrar", "admin"))
            & Account.activated_at.is_null(False)
            & ~Account.disabled
        )
        .order_by(Account.login)
    )


def assign_request(request: DataRequest, account_id: int | None) -> Account:
    if request.status != "submitted":
        raise data_requests.RequestNotOpen()
    account = next((a for a in desk_accounts() if a.id == account_id), None)
    if account is None:
        raise QueueRefused(_("Wybierz osobę z listy."), 422)
    with write_transaction():
        RequestAssignment.delete().where(RequestAssignment.request == request.id).execute()
        RequestAssignment.create(request=request.id, account=account.id, assigned_at=utcnow())
    return account


def answer_request(request: DataRequest, staff: Account, answer: str, close: bool) -> None:
    """Answer (or close with an explanation); the patient sees it in the panel and by mail."""
    with write_transaction():
        data_requests.answer_request(request, answer, staff, close=close)
        _mail(
            request.patient_id,
            _("Odpowiedź na wniosek"),
            _(
                "przychodnia odpowiedziała na Twój wniosek z dnia %(day)s:\n\n%(answer)s\n\n"
                "Odpowiedź znajdziesz też w panelu pacjenta.",
                day=to_local(request.created_at).date().isoformat(),
                answer=answer.strip(),
            ),
        )


def due_date(request: DataRequest) -> date:
    return request.due_on
