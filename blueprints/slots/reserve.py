"""Routes of reserving a slot: GET /slots/<id>/reserve is the confirmation step, POST books.

The view parses the form and calls services.booking.book, which does the work in one
transaction; its named exceptions become 404 (unknown slot), 409 (taken or unavailable,
with the next free slots of the same kind) or 422 (a clinic rule, re-rendered form).
"""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, StopValidation, ValidationError

from core.active_person import active_patient
from core.extensions import client_ip, configured_limit, limiter
from core.htmx import render
from core.roles import patient_only
from core.timeutil import to_local
from models.accounts import Account
from models.base import utcnow
from models.booking import Appointment
from models.clinic import Slot
from services import booking, booking_checks, booking_errors, cancel_window, identity, visits
from services import service_fit as fit
from services.rules import clinic_rules
from services.slot_search import attach_related

from . import bp
from .links import search_back_url

TEMPLATE = "slots/reserve.html"
TAKEN_TEMPLATE = "slots/reserve_unavailable.html"


def _printable(_form, field) -> None:
    """Control characters (a NUL breaks PostgreSQL text) are refused, line breaks kept."""
    if any(ord(c) < 32 and c not in "\r\n\t" for c in field.data or ""):
        raise ValidationError(_l("Uwagi zawierają niedozwolone znaki."))


def _one_of_the_choices(_form, field) -> None:
    if field.data not in {value for value, _label in field.choices}:
        raise StopValidation(_l("Wybierz świadczenie z listy."))


REFERRAL_FORMAT = _l("Podaj kod e-skierowania: 4 cyfry (kod dostępu) albo 44 cyfry (klucz).")


def _referral_format(form, field) -> None:
    """Asked only when the chosen service needs an e-referral (NFZ); the format is checked
    here, the need once more by services.booking.book."""
    field.data = fit.normalise_referral_code(field.data)
    if form.service.data in form.needs_referral and not fit.referral_code_valid(field.data):
        raise StopValidation(REFERRAL_FORMAT)


class ReserveForm(FlaskForm):
    patient = SelectField(
        _l("Dla kogo jest wizyta"),
        coerce=int,
        validators=[DataRequired(_l("Wybierz osobę z listy."))],
        validate_choice=True,
    )
    # radio buttons without a default: the patient chooses, nothing is preselected
    service = RadioField(
        _l("Świadczenie"),
        coerce=visits.valid_id,
        validators=[_one_of_the_choices],
        validate_choice=False,
    )
    referral_code = StringField(
        _l("Kod e-skierowania"),
        validators=[Length(max=60, message=REFERRAL_FORMAT), _referral_format],
    )
    note = TextAreaField(
        _l("Uwagi dla rejestracji (nieobowiązkowe)"),
        validators=[
            Length(max=booking_errors.NOTE_MAX, message=_l("Uwagi mogą mieć najwyżej 500 znaków."))
        ],
    )


def _me() -> Account:
    """The account Flask-Login loaded for this request (no second read)."""
    return current_user._get_current_object()


def _load_related(slot: Slot) -> Slot:
    attach_related([slot])  # staff, facility, specialty from the cached catalogue
    return slot


def _back() -> dict[str, str]:
    """The patient's search, carried through the steps as `back` (only ever a /slots URL)."""
    url = search_back_url(request.values.get("back"))
    return {"back_url": url, "back": url.partition("?")[2]}


def _unavailable(slot: Slot, error: booking_errors.BookingError, service_id: int | None):
    """409: the slot cannot be booked; offer the free slots of the same kind nearest to it."""
    rules = clinic_rules()
    return render(
        TAKEN_TEMPLATE,
        status=409,
        slot=_load_related(slot),
        problem=error.message,
        alternatives=booking_checks.alternatives_for(slot, service_id, rules, utcnow()),
        service_id=service_id,
        **_back(),
    )


def _page(form: ReserveForm, slot: Slot, services, status: int = 200, problem: str = ""):
    rules = clinic_rules()
    return render(
        TEMPLATE,
        status=status,
        form=form,
        slot=_load_related(slot),
        services=services,
        problem=problem,
        warning=cancel_window.cancel_window_warning(slot, rules, utcnow()),
        ends_at=services[0].run[-1].ends_at if len(services) == 1 else None,
        **_back(),
    )


def _offered(slot: Slot, patients) -> list:
    """The services that fit the slot and at least one of the people the account books for."""
    day = to_local(slot.starts_at).date()
    return [s for s in booking_checks.services_for_slot(slot) if fit.fits_someone(s, patients, day)]


def _booking_key() -> str:
    """Per account, so patients behind one clinic or office NAT do not share a budget."""
    if current_user.is_authenticated:
        return f"account:{current_user.id}"
    return client_ip()


@bp.route("/slots/<int:slot_id>/reserve", methods=["GET", "POST"])
@login_required
@limiter.limit(
    configured_limit("BOOKING_RATE_LIMIT", "30 per minute"), methods=["POST"], key_func=_booking_key
)
def reserve(slot_id: int):
    if (elsewhere := patient_only()) is not None:
        return elsewhere
    try:
        slot = booking_checks.slot_by_id(slot_id)
    except booking_errors.SlotNotFound:
        abort(404)
    account = _me()
    identity.check_may_book(account)
    patients = visits.patients_of(account)
    services = _offered(slot, patients)
    asked_service = request.values.get("service", "")
    chosen = visits.valid_id(asked_service)
    if asked_service and chosen not in {s.id for s in fit.schedule_services(slot)}:
        abort(404)
    if asked_service and chosen not in {s.id for s in services}:
        fits_slot = chosen in {s.id for s in booking_checks.services_for_slot(slot)}
        error = booking_errors.BookingRuleBroken("age") if fits_slot else None
        return _unavailable(
            slot, error or booking_errors.SlotUnavailable("service_does_not_fit"), chosen
        )
    if chosen is None and len(services) == 1:
        chosen = services[0].id

    formdata = None
    if request.method == "POST":
        formdata = request.form.copy()
        if chosen is not None and not formdata.get("service"):
            formdata["service"] = str(chosen)
    form = ReserveForm(formdata=formdata)
    form.patient.choices = [
        (p.id, p.full_name if p.id == account.patient_id else f"{p.full_name} ({_('podopieczny')})")
        for p in patients
    ]
    form.service.choices = [(s.id, s.name) for s in services]
    form.needs_referral = {s.id for s in services if fit.needs_referral(s, slot.funding)}
    rules = clinic_rules()

    if not services:
        if not fit.schedule_services(slot):
            return _unavailable(slot, booking_errors.SlotUnavailable("no_service"), None)
        if booking_checks.services_for_slot(slot):  # they fit the slot, not these people's age
            return _unavailable(slot, booking_errors.BookingRuleBroken("age"), None)
        return _unavailable(slot, booking_errors.SlotUnavailable("service_does_not_fit"), None)
    if request.method != "POST":
        try:
            booking_checks.check_slot_open(slot, rules, utcnow())
        except booking_errors.BookingError as error:
            return _unavailable(slot, error, chosen)
        # "Dla kogo" starts at the person whose data is on screen (the header's switch)
        on_screen = active_patient()
        form.patient.data = on_screen.id if on_screen is not None else account.patient_id
        if chosen is not None:
            form.service.data = chosen
        carried = fit.normalise_referral_code(request.args.get("referral_code", "")[:60])
        if fit.referral_code_valid(carried):  # from the panel's referral, via the search
            form.referral_code.data = carried
        return _page(form, slot, services)

    if not form.validate_on_submit():
        return _page(form, slot, services, status=422)
    try:
        appointment = booking.book(
            account,
            slot,
            form.patient.data,
            form.service.data,
            form.note.data or "",
            referral_code=form.referral_code.data or "",
            rules=rules,
            patients=patients,
        )
    except booking_errors.SlotTaken as error:
        mine = (
            Appointment.select()
            .where(
                (Appointment.active_slot == slot.id)
                & (Appointment.patient == form.patient.data)
                & (Appointment.booked_by == account.id)
            )
            .first()
        )
        if mine is not None:  # the same form sent twice: show the booking it made
            flash(_("Ta wizyta jest już zarezerwowana."), "info")
            return redirect(url_for("panel.reservation", appointment_id=mine.id), 303)
        return _unavailable(slot, error, form.service.data)
    except (booking_errors.SlotUnavailable, booking_errors.SlotNotFound) as error:
        return _unavailable(slot, error, form.service.data)
    except (booking_errors.BookingRuleBroken, booking_errors.PatientNotAllowed) as error:
        return _page(form, slot, services, status=422, problem=error.message)
    flash(_("Zarezerwowano wizytę. Potwierdzenie wysłaliśmy e-mailem."), "success")
    return redirect(url_for("panel.reservation", appointment_id=appointment.id), 303)
