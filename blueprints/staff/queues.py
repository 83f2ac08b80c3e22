"""The desk's queues: prescription orders (`/staff/prescription-orders`: the desk assigns, the
order's doctor issues or rejects) and RODO requests (`/staff/requests`: by deadline; assign,
answer, close). Rules and e-mails: services.desk_queues on top of the panel's services."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _

from core import audit
from core.htmx import render
from core.roles import role_required
from models.clinic import StaffMember
from services import data_requests
from services import desk_queues as queues

from . import bp
from .common import ALL_STAFF, DESK, arg_id, arg_page, me, staff_choices
from .doctor_forms import AnswerForm, AssignDoctorForm, AssignForm, RejectForm


def _doctor_id() -> int | None:
    """For a doctor: their staff member (they see only orders addressed to them)."""
    return me().staff_member_id if me().role == "doctor" else None


# --- prescription orders ----------------------------------------------------------------


@bp.get("/prescription-orders")
@role_required(*ALL_STAFF)
def prescription_orders():
    show = request.args.get("show", "new")
    show = show if show in queues.ORDER_FILTERS else "new"
    doctor_id = _doctor_id() or arg_id("doctor")
    page = arg_page()
    rows, more = queues.order_queue(
        show, doctor_id, me().staff_member_id, page, known_only=me().role == "doctor"
    )
    audit.record("read.order_queue", object_type="prescription_order", details=f"{show} p{page}")
    return render(
        "staff/orders.html",
        block="results",
        rows=rows,
        has_more=more,
        page=page,
        show=show,
        doctor_id=doctor_id,
        doctors=staff_choices(),
        desk=me().role in DESK,
    )


def _order_or_404(order_id: int):
    doctor = me().staff_member_id if me().role == "doctor" else None
    if me().role == "doctor" and doctor is None:
        abort(404)
    order = queues.order_by_id(order_id, doctor)
    if order is None:
        audit.refused("prescription_order", order_id)
        abort(404)
    return order


def _order_page(order, status: int = 200, **forms):
    patient = order.patient
    audit.read("order", patient.id, "prescription_order", order.id)
    assign = forms.get("assign") or AssignDoctorForm(formdata=None, doctor=order.staff_id)
    assign.doctor.choices = [(m.id, m.display_name) for m in queues.doctors_for(order)]
    return render(
        "staff/order.html",
        status=status,
        order=order,
        patient=patient,
        assign_form=assign,
        reject_form=forms.get("reject") or RejectForm(formdata=None),
        desk=me().role in DESK,
        own=me().role == "doctor" and order.staff_id == me().staff_member_id,
    )


@bp.get("/prescription-orders/<int:order_id>")
@role_required(*ALL_STAFF)
def prescription_order(order_id: int):
    return _order_page(_order_or_404(order_id))


@bp.post("/prescription-orders/<int:order_id>/assign")
@role_required(*DESK)
def prescription_order_assign(order_id: int):
    order = _order_or_404(order_id)
    form = AssignDoctorForm()
    form.doctor.choices = [(m.id, m.display_name) for m in queues.doctors_for(order)]
    if not form.validate_on_submit():
        return _order_page(order, 422, assign=form)
    try:
        doctor = queues.assign_order(order, form.doctor.data)
    except queues.QueueRefused as error:
        flash(error.message, "error")
        return _order_page(order, error.status, assign=form)
    audit.staff_action(
        "order.assigned",
        patient_id=order.patient_id,
        object_type="prescription_order",
        object_id=order.id,
        details=f"staff={doctor.id}",
    )
    flash(_("Przekazano zamówienie: %(doctor)s.", doctor=doctor.display_name), "success")
    return redirect(url_for("staff.prescription_orders"), 303)


@bp.post("/prescription-orders/<int:order_id>/issue")
@role_required("doctor")
def prescription_order_issue(order_id: int):
    order = _order_or_404(order_id)
    try:
        made = queues.issue_order(order, StaffMember.get_by_id(me().staff_member_id))
    except queues.QueueRefused as error:
        flash(error.message, "error")
        return _order_page(order, error.status)
    audit.staff_action(
        "prescription.issued",
        patient_id=order.patient_id,
        object_type="prescription",
        object_id=made.id,
        details=f"order={order.id}",
    )
    flash(_("Wystawiono receptę. Kod dostępu: %(code)s.", code=made.access_code), "success")
    return redirect(url_for("staff.prescription_orders", show="mine"), 303)


@bp.post("/prescription-orders/<int:order_id>/reject")
@role_required("doctor")
def prescription_order_reject(order_id: int):
    order = _order_or_404(order_id)
    form = RejectForm()
    if not form.validate_on_submit():
        return _order_page(order, 422, reject=form)
    try:
        queues.reject_order(order, StaffMember.get_by_id(me().staff_member_id), form.reason.data)
    except queues.QueueRefused as error:
        flash(error.message, "error")
        return _order_page(order, error.status, reject=form)
    audit.staff_action(
        "order.rejected",
        patient_id=order.patient_id,
        object_type="prescription_order",
        object_id=order.id,
    )
    flash(_("Odrzucono zamówienie; pacjent dostanie e-mail z powodem."), "success")
    return redirect(url_for("staff.prescription_orders", show="mine"), 303)


# --- RODO requests ----------------------------------------------------------------------


@bp.get("/requests")
@role_required(*DESK)
def data_request_queue():
    open_only = request.args.get("show") != "all"
    page = arg_page()
    rows, more = queues.request_queue(open_only, page)
    audit.record("read.request_queue", object_type="data_request", details=f"p{page}")
    return render(
        "staff/requests.html",
        block="results",
        rows=rows,
        has_more=more,
        page=page,
        open_only=open_only,
        kinds=data_requests.KIND_LABELS,
        statuses=data_requests.STATUS_LABELS,
    )


def _request_or_404(request_id: int) -> queues.QueuedRequest:
    found = queues.request_by_id(request_id)
    if found is None:
        abort(404)
    return found


def _request_page(found: queues.QueuedRequest, status: int = 200, **forms):
    audit.read("data_request", found.patient.id, "data_request", found.request.id)
    assign = forms.get("assign") or AssignForm(
        formdata=None, account=found.assignee.id if found.assignee else me().id
    )
    assign.account.choices = [(a.id, a.login) for a in queues.desk_accounts()]
    return render(
        "staff/request.html",
        status=status,
        item=found,
        assign_form=assign,
        answer_form=forms.get("answer") or AnswerForm(formdata=None),
        kinds=data_requests.KIND_LABELS,
        forms=data_requests.ACCESS_FORM_LABELS,
        statuses=data_requests.STATUS_LABELS,
    )


@bp.get("/requests/<int:request_id>")
@role_required(*DESK)
def data_request(request_id: int):
    return _request_page(_request_or_404(request_id))


@bp.post("/requests/<int:request_id>/assign")
@role_required(*DESK)
def data_request_assign(request_id: int):
    found = _request_or_404(request_id)
    form = AssignForm()
    form.account.choices = [(a.id, a.login) for a in queues.desk_accounts()]
    if not form.validate_on_submit():
        return _request_page(found, 422, assign=form)
    try:
        account = queues.assign_request(found.request, form.account.data)
    except (queues.QueueRefused, data_requests.DataRequestError) as error:
        flash(error.message, "error")
        return _request_page(found, error.status, assign=form)
    audit.staff_action(
        "request.assigned",
        patient_id=found.patient.id,
        object_type="data_request",
        object_id=found.request.id,
        details=f"to={account.login}",
    )
    flash(_("Przypisano wniosek: %(login)s.", login=account.login), "success")
    return redirect(url_for("staff.data_request", request_id=request_id), 303)


@bp.post("/requests/<int:request_id>/answer")
@role_required(*DESK)
def data_request_answer(request_id: int):
    found = _request_or_404(request_id)
    form = AnswerForm()
    if not form.validate_on_submit():
        return _request_page(found, 422, answer=form)
    close = request.form.get("close") == "1"
    try:
        queues.answer_request(found.request, me(), form.answer.data, close)
    except data_requests.DataRequestError as error:
        flash(error.message, "error")
        return _request_page(found, error.status, answer=form)
    audit.staff_action(
        "request.closed" if close else "request.answered",
        patient_id=found.patient.id,
        object_type="data_request",
        object_id=found.request.id,
    )
    flash(
        _("Zamknięto wniosek.") if close else _("Wysłano odpowiedź; pacjent dostanie e-mail."),
        "success",
    )
    return redirect(url_for("staff.data_request_queue"), 303)
