"""The desk's patients: search, a person who only phones, account actions after an ID
check, and booking, moving or cancelling on the patient's behalf (services.desk_booking:
the same rules and guarantee as online)."""

from __future__ import annotations

from datetime import time

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _

from core import audit
from core.htmx import render
from core.roles import role_required
from core.timeutil import local_to_utc
from models.base import utcnow
from models.booking import Appointment
from models.clinic import Facility, Service, Slot, StaffMember
from models.patients import Patient
from services import booking, desk_booking, desk_patients, identity
from services import service_fit as fit
from services.rules import clinic_rules

from . import bp
from .common import DESK, arg_date, arg_id, arg_page, facility_choices, me, staff_choices, today
from .forms import PhoneBookingForm, PhonePatientForm, ReasonForm

SLOTS_PAGE = 30


def _patient_or_404(patient_id: int) -> Patient:
    patient = desk_patients.patient_by_id(patient_id)
    if patient is None:
        abort(404)
    return patient


def _visit_or_404(appointment_id: int) -> Appointment:
    visit = Appointment.get_or_none(Appointment.id == appointment_id)
    if visit is None:
        abort(404)
    return _load(visit)


def _load(visit: Appointment) -> Appointment:
    visit.slot = Slot.get_by_id(visit.slot_id)
    visit.slot.staff = StaffMember.get_by_id(visit.slot.staff_id)
    visit.slot.facility = Facility.get_by_id(visit.slot.facility_id)
    visit.service = Service.get_by_id(visit.service_id)
    visit.patient = Patient.get_by_id(visit.patient_id)
    return visit


@bp.get("/patients")
@role_required(*DESK)
def patients():
    query = (request.args.get("q") or "").strip()[:100]
    page = arg_page()
    rows, has_more = desk_patients.find_patients(query, page)
    if query:
        audit.record("read.patient_search", object_type="patient", details=f"results={len(rows)}")
    return render(
        "staff/patients.html", block="results", rows=rows, has_more=has_more, page=page, q=query
    )


@bp.route("/patients/new", methods=["GET", "POST"])
@role_required(*DESK)
def patient_new():
    form = PhonePatientForm()
    if request.method == "GET":
        return render("staff/patient_new.html", form=form)
    if not form.validate_on_submit():
        return render("staff/patient_new.html", form=form, status=422)
    born, sex = form.person()
    data = desk_patients.PhonePatient(
        first_name=form.first_name.data,
        last_name=form.last_name.data,
        pesel=form.pesel.data or None,
        birth_date=born,
        sex=sex,
        phone=form.phone.data,
    )
    try:
        patient = desk_patients.register_phone_patient(me(), data)
    except desk_patients.DeskRefused as error:
        form.pesel.errors = [error.message]
        return render("staff/patient_new.html", form=form, status=409)
    flash(_("Zapisano pacjenta."), "success")
    return redirect(url_for("staff.patient", patient_id=patient.id), 303)


@bp.get("/patients/<int:patient_id>")
@role_required(*DESK)
def patient(patient_id: int):
    person = _patient_or_404(patient_id)
    account = desk_patients.account_of(person)
    visits = [
        _load(v)
        for v in Appointment.select()
        .where(Appointment.patient == person.id)
        .order_by(Appointment.created_at.desc(), Appointment.id.desc())
        .limit(50)
    ]
    now = utcnow()
    audit.read("desk.patient", person.id, "patient", person.id)
    return render(
        "staff/patient.html",
        person=person,
        account=account,
        guardians=desk_patients.guardians_of(person),
        upcoming=[v for v in visits if v.status == "booked" and v.slot.starts_at > now],
        other=[v for v in visits if not (v.status == "booked" and v.slot.starts_at > now)],
        locked=bool(account and account.locked_until and account.locked_until > now),
        rule=identity.mode(),
    )


@bp.post("/patients/<int:patient_id>/account/<action>")
@role_required(*DESK)
def account_action(patient_id: int, action: str):
    person = _patient_or_404(patient_id)
    account = desk_patients.account_of(person)
    if account is None or action not in desk_patients.ACCOUNT_ACTIONS:
        abort(404)
    message = desk_patients.account_action(me(), account, action)
    flash(message, "success")
    return redirect(url_for("staff.patient", patient_id=person.id), 303)


def _free_slots(staff_id, facility_id, day, page: int) -> tuple[list[Slot], bool]:
    rules = clinic_rules()
    earliest = rules.earliest(utcnow())
    start = max(earliest, local_to_utc(day, time.min)) if day else earliest
    query = (
        Slot.select(Slot, StaffMember, Facility)
        .join(StaffMember, on=(Slot.staff == StaffMember.id))
        .switch(Slot)
        .join(Facility, on=(Slot.facility == Facility.id))
        .where(
            ~Slot.booked
            & ~Slot.blocked
            & Slot.schedule.is_null(False)
            & (Slot.starts_at >= start)
            & StaffMember.active
        )
    )
    if staff_id:
        query = query.where(Slot.staff == staff_id)
    if facility_id:
        query = query.where(Slot.facility == facility_id)
    latest = rules.latest(utcnow())
    if latest is not None:
        query = query.where(Slot.starts_at <= latest)
    rows = list(
        query.order_by(Slot.starts_at, Slot.id)
        .offset((page - 1) * SLOTS_PAGE)
        .limit(SLOTS_PAGE + 1)
    )
    return rows[:SLOTS_PAGE], len(rows) > SLOTS_PAGE


@bp.get("/patients/<int:patient_id>/book")
@role_required(*DESK)
def book_pick(patient_id: int):
    person = _patient_or_404(patient_id)
    staff_id, facility_id, day, page = (
        arg_id("staff"),
        arg_id("facility"),
        arg_date("date", today()),
        arg_page(),
    )
    slots, has_more = _free_slots(staff_id, facility_id, day, page)
    return render(
        "staff/book_pick.html",
        block="results",
        person=person,
        slots=slots,
        has_more=has_more,
        page=page,
        staff_id=staff_id,
        facility_id=facility_id,
        day=day,
        staff=staff_choices(),
        facilities=facility_choices(),
    )


@bp.route("/patients/<int:patient_id>/book/<int:slot_id>", methods=["GET", "POST"])
@role_required(*DESK)
def book(patient_id: int, slot_id: int):
    person = _patient_or_404(patient_id)
    try:
        slot = booking.slot_by_id(slot_id)
    except booking.SlotNotFound:
        abort(404)
    slot.staff = StaffMember.get_by_id(slot.staff_id)
    slot.facility = Facility.get_by_id(slot.facility_id)
    services = booking.services_for_slot(slot, person)
    form = PhoneBookingForm()
    form.service.choices = [(s.id, s.name) for s in services]
    problem = ""
    status = 200
    if not services:
        problem = booking.SlotUnavailable("service_does_not_fit").message
        status = 409
    elif request.method == "POST" and form.validate_on_submit():
        try:
            visit = desk_booking.book_for(
                me(),
                person,
                slot.id,
                form.service.data,
                form.note.data or "",
                referral_code=form.referral_code.data or "",
            )
        except booking.BookingError as error:
            problem, status = error.message, error.status
        else:
            flash(_("Zarezerwowano wizytę."), "success")
            return redirect(url_for("staff.patient", patient_id=person.id, visit=visit.id), 303)
    elif request.method == "POST":
        status = 422
    needs_referral = any(fit.needs_referral(s, slot.funding) for s in services)
    return render(
        "staff/book.html",
        status=status,
        person=person,
        slot=slot,
        form=form,
        problem=problem,
        needs_referral=needs_referral,
    )


@bp.route("/visits/<int:appointment_id>/cancel", methods=["GET", "POST"])
@role_required(*DESK)
def visit_cancel(appointment_id: int):
    visit = _visit_or_404(appointment_id)
    form = ReasonForm()
    problem, status = "", 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                desk_booking.cancel_for(me(), visit, form.reason.data or "")
            except booking.BookingError as error:
                problem, status = error.message, error.status
            else:
                flash(_("Wizyta odwołana. Pacjent dostanie e-mail."), "success")
                return redirect(url_for("staff.patient", patient_id=visit.patient_id), 303)
        else:
            status = 422
    return render("staff/visit_cancel.html", visit=visit, form=form, problem=problem, status=status)


@bp.route("/visits/<int:appointment_id>/change", methods=["GET", "POST"])
@role_required(*DESK)
def visit_change(appointment_id: int):
    visit = _visit_or_404(appointment_id)
    form = ReasonForm()
    problem, status = "", 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                desk_booking.change_for(
                    me(), visit, request.form.get("slot"), form.reason.data or ""
                )
            except booking.BookingError as error:
                problem, status = error.message, error.status
            else:
                flash(_("Wizyta przeniesiona. Pacjent dostanie e-mail."), "success")
                return redirect(url_for("staff.patient", patient_id=visit.patient_id), 303)
        else:
            status = 422
    same_staff = request.values.get("any") != "1"
    slots = desk_booking.free_slots_for_move(visit, same_staff=same_staff)
    for slot in slots:
        slot.staff = StaffMember.get_by_id(slot.staff_id)
        slot.facility = Facility.get_by_id(slot.facility_id)
    return render(
        "staff/visit_change.html",
        visit=visit,
        form=form,
        slots=slots,
        same_staff=same_staff,
        problem=problem,
        status=status,
    )
