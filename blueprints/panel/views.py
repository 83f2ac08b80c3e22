"""Routes of the patient panel: reservations of the patient and dependants, cancel, change.

Every page needs a login and shows personal data (hx-history="false", no-store). A visit
is always found through services.booking.appointment_for, which filters by owner in the
query: another patient's visit is a 404 (ASVS V4.2.1).
"""

from __future__ import annotations

from dataclasses import replace

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from blueprints.slots.search import search_response
from core import audit
from core.active_person import active_patient
from core.htmx import render
from core.roles import patient_only
from core.timeutil import local_today, to_local
from models.accounts import Account
from models.base import utcnow
from models.booking import Appointment
from models.clinic import Service, Slot
from models.patients import Patient
from services import booking, booking_checks, booking_errors, cancel_window, identity, visits
from services.catalogue_cache import catalogue
from services.rules import ClinicRules, clinic_rules
from services.slot_search import SearchQuery, attach_related, parse_query
from services.visits import person_visits

from . import bp

CHANGE_FILTERS = ("staff", "facility", "date_from", "date_to")
FIXED_FILTERS = ("service", "visit_type")


def _me() -> Account:
    return Account.get_by_id(current_user.id)


@bp.before_request
@login_required
def _require_login():
    return patient_only()


def _appointment_or_404(account: Account, appointment_id: int) -> Appointment:
    appointment = visits.appointment_for(account, appointment_id)
    if appointment is None:
        audit.refused("appointment", appointment_id)
        abort(404)
    _load(appointment)
    if request.method != "POST":
        audit.read("appointment", appointment.patient_id, "appointment", appointment.id)
    return appointment


def _load(appointment: Appointment) -> Appointment:
    attach_related([appointment.slot])  # staff, facility, specialty from the cached catalogue
    appointment.service = catalogue().services.get(appointment.service_id) or Service.get_by_id(
        appointment.service_id
    )
    appointment.patient = Patient.get_by_id(appointment.patient_id)
    _name_who_booked([appointment])
    return appointment


def _name_who_booked(visits: list[Appointment]) -> list[Appointment]:
    """Give each visit `booked_by_name`: the guardian (or the patient) whose account booked
    it, or the clinic's registration for a booking made by staff."""
    ids = {v.booked_by_id for v in visits if v.booked_by_id}
    names: dict[int, str] = {}
    if ids:
        owners = dict(
            Account.select(Account.id, Account.patient).where(Account.id.in_(list(ids))).tuples()
        )
        people = {
            p.id: p.full_name
            for p in Patient.select().where(Patient.id.in_([i for i in owners.values() if i]))
        }
        for account_id, patient_id in owners.items():
            names[account_id] = people.get(patient_id) or _("rejestracja przychodni")
    for visit in visits:
        visit.booked_by_name = names.get(visit.booked_by_id, "")
    return visits


def _mark_online_actions(visits: list[Appointment], rules: ClinicRules, now) -> list[Appointment]:
    """Give each visit `change_refusal`: empty when change and cancel are offered, else the
    explanation (with the phone to call) shown instead of links that would be refused."""
    for visit in visits:
        error = cancel_window.online_change_refusal(visit, rules, now)
        visit.change_refusal = error.message if error else ""
    return visits


def _visits(account: Account) -> list[Appointment]:
    """The visits of the person on screen (the account's patient or a dependant, switched in
    the header; active_patient() has checked the guardianship)."""
    return _name_who_booked(person_visits(_person_id(account)))


def _person_id(account: Account) -> int:
    on_screen = active_patient()
    return on_screen.id if on_screen is not None else account.patient_id


@bp.route("")
def index():
    account = _me()
    now = utcnow()
    upcoming = _name_who_booked(person_visits(_person_id(account), upcoming_after=now, limit=1))
    audit.read("panel", active_patient().id)
    refusal = identity.booking_refusal(account, now)
    return render(
        "panel/index.html",
        account=account,
        next_visit=upcoming[0] if upcoming else None,
        not_verified=refusal.message if refusal else "",
    )


@bp.route("/reservations")
def reservations():
    account = _me()
    now = utcnow()
    visits = _visits(account)
    upcoming = [a for a in visits if a.status == "booked" and a.slot.starts_at > now]
    upcoming.reverse()
    past = [a for a in visits if not (a.status == "booked" and a.slot.starts_at > now)]
    _mark_online_actions(upcoming, clinic_rules(), now)
    audit.read("reservations", active_patient().id)
    return render(
        "panel/reservations.html",
        upcoming=upcoming,
        past=past,
        own_patient_id=account.patient_id,
        now=now,
    )


@bp.route("/reservations/<int:appointment_id>")
def reservation(appointment_id: int):
    account = _me()
    appointment = _appointment_or_404(account, appointment_id)
    now = utcnow()
    _mark_online_actions([appointment], clinic_rules(), now)
    return render(
        "panel/reservation.html",
        appointment=appointment,
        active=appointment.status == "booked" and appointment.slot.starts_at > now,
        own_patient_id=account.patient_id,
    )


@bp.route("/reservations/<int:appointment_id>/cancel", methods=["GET", "POST"])
def cancel(appointment_id: int):
    account = _me()
    appointment = _appointment_or_404(account, appointment_id)
    rules = clinic_rules()
    problem = ""
    try:
        cancel_window.check_cancellable(appointment, rules, utcnow())
    except booking_errors.BookingError as error:
        problem = error.message
    if request.method == "POST" and not problem:
        try:
            booking.cancel(account, appointment, rules=rules)
        except booking_errors.BookingError as error:
            problem = error.message
        else:
            flash(_("Wizyta została odwołana. Potwierdzenie wysłaliśmy e-mailem."), "success")
            return redirect(url_for("panel.reservation", appointment_id=appointment.id), 303)
    status = 409 if problem else 200
    return render("panel/cancel.html", status=status, appointment=appointment, problem=problem)


def _new_slot_or_404(appointment: Appointment, raw: str | None) -> Slot:
    try:
        slot = booking_checks.slot_by_id(raw)
    except booking_errors.SlotNotFound:
        abort(404)
    attach_related([slot])
    return slot


@bp.route("/reservations/<int:appointment_id>/change", methods=["GET", "POST"])
def change(appointment_id: int):
    """GET: the slot search limited to where the visit's service fits, or with `slot` the
    confirmation of one; POST with `slot`: move the visit there."""
    account = _me()
    appointment = _appointment_or_404(account, appointment_id)
    rules = clinic_rules()
    now = utcnow()
    try:
        cancel_window.check_cancellable(appointment, rules, now)
    except booking_errors.BookingError as error:
        return render(
            "panel/change.html",
            status=409,
            appointment=appointment,
            problem=error.message,
        )

    raw_slot = request.values.get("slot")
    if raw_slot is not None:
        new_slot = _new_slot_or_404(appointment, raw_slot)
        problem = ""
        status = 200
        ends_at = None
        if request.method == "POST":
            try:
                moved = booking.change(account, appointment, new_slot.id, rules=rules)
            except booking_errors.BookingError as error:
                problem = error.message
                status = 409
            else:
                flash(
                    _("Termin wizyty został zmieniony. Potwierdzenie wysłaliśmy e-mailem."),
                    "success",
                )
                return redirect(url_for("panel.reservation", appointment_id=moved.id), 303)
        else:
            try:
                ends_at = booking_checks.fitting_move(appointment, new_slot).run[-1].ends_at
                booking_checks.check_slot_open(new_slot, rules, now)
            except booking_errors.BookingError as error:
                problem = error.message
                status = 409
        return render(
            "panel/change_confirm.html",
            status=status,
            appointment=appointment,
            new_slot=new_slot,
            problem=problem,
            warning=cancel_window.cancel_window_warning(new_slot, rules, now),
            ends_at=ends_at,
        )
    if request.method == "POST":
        abort(400)
    query, errors = _change_query(appointment)
    return search_response(
        "panel/change.html",
        query,
        errors,
        lambda params: url_for(
            "panel.change",
            appointment_id=appointment.id,
            **{k: v for k, v in params.items() if k not in FIXED_FILTERS},
        ),
        appointment=appointment,
        problem="",
        search_url=url_for("panel.change", appointment_id=appointment.id),
        search_fields=CHANGE_FILTERS,
        slot_href=lambda slot: url_for("panel.change", appointment_id=appointment.id, slot=slot.id),
        slot_action=_("Wybierz"),
    )


def _change_query(appointment: Appointment) -> tuple[SearchQuery, dict[str, str]]:
    """The /slots search limited to the visit: its service (which must fit the slot) and
    funding are fixed; staff, facility and dates are the patient's filters, the dates
    starting at the visit's day."""
    today = local_today()
    args = {name: request.args.get(name, "") for name in CHANGE_FILTERS}
    if not args["date_from"].strip():
        args["date_from"] = max(to_local(appointment.slot.starts_at).date(), today).isoformat()
    query, errors = parse_query(args, today)
    fixed = replace(query, service=appointment.service_id, visit_type=appointment.slot.funding)
    return fixed, errors
