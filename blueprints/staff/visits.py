"""The doctor's visit page (`/staff/visits/<id>`): the patient, the service, the e-referral
code, the patient's note and earlier visits; closing the visit (completed or no-show) and,
on a completed visit, recommendations, a prescription, a referral, a vaccination and a shared
document. Only the visit's own doctor reaches it (anyone else: 404); each read is audited."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, url_for
from flask_babel import gettext as _

from core import audit
from core.htmx import render
from core.roles import role_required
from core.timeutil import to_local
from models.booking import Appointment
from models.clinic import StaffMember
from services import doctor_visits as visits
from services.prescriptions import OrderLine

from . import bp
from .common import me
from .doctor_forms import (
    CompleteForm,
    DocumentForm,
    PrescriptionForm,
    RecommendationForm,
    ReferralForm,
    VaccinationForm,
)

DOCTOR = ("doctor",)


def _doctor() -> StaffMember:
    account = me()
    if account.staff_member_id is None:
        abort(404)
    return StaffMember.get_by_id(account.staff_member_id)


def _visit_or_404(visit_id: int) -> Appointment:
    visit = visits.visit_for_doctor(me().staff_member_id, visit_id)
    if visit is None:
        audit.refused("appointment", visit_id)
        abort(404)
    return visit


def _page(visit: Appointment, status: int = 200, **forms):
    card = visits.card(visit)
    prescription = forms.get("prescription") or PrescriptionForm(formdata=None)
    prescription.order.choices = [("", _("— nowa recepta —"))] + [
        (str(o.id), _("zamówienie z %(day)s", day=to_local(o.created_at).date().isoformat()))
        for o in card.open_orders
    ]
    audit.read("doctor.visit", card.patient.id, "appointment", visit.id)
    return render(
        "staff/visit.html",
        status=status,
        card=card,
        complete_form=forms.get("complete") or CompleteForm(formdata=None),
        recommendation_form=forms.get("recommendation") or RecommendationForm(formdata=None),
        prescription_form=prescription,
        referral_form=forms.get("referral") or ReferralForm(formdata=None),
        vaccination_form=forms.get("vaccination") or VaccinationForm(formdata=None),
        document_form=forms.get("document") or DocumentForm(formdata=None),
        max_mb=current_app.config["DOCUMENT_MAX_BYTES"] / (1024 * 1024),
    )


def _done(visit: Appointment, message: str, action: str, object_type: str, object_id: int):
    audit.staff_action(
        action, patient_id=visit.patient_id, object_type=object_type, object_id=object_id
    )
    flash(message, "success")
    return redirect(url_for("staff.visit", visit_id=visit.id), 303)


def _refused(visit: Appointment, error: visits.VisitRefused, **forms):
    flash(error.message, "error")
    return _page(visit, status=error.status, **forms)


@bp.get("/visits/<int:visit_id>")
@role_required(*DOCTOR)
def visit(visit_id: int):
    return _page(_visit_or_404(visit_id))


@bp.post("/visits/<int:visit_id>/complete")
@role_required(*DOCTOR)
def visit_complete(visit_id: int):
    found = _visit_or_404(visit_id)
    form = CompleteForm()
    if not form.validate_on_submit():
        return _page(found, 422, complete=form)
    try:
        visits.complete(found, _doctor(), form.recommendation.data or "")
    except visits.VisitRefused as error:
        return _refused(found, error, complete=form)
    return _done(
        found, _("Wizyta oznaczona jako odbyta."), "visit.completed", "appointment", found.id
    )


@bp.post("/visits/<int:visit_id>/no-show")
@role_required(*DOCTOR)
def visit_no_show(visit_id: int):
    found = _visit_or_404(visit_id)
    form = CompleteForm()
    if not form.validate_on_submit():
        return _page(found, 422)
    try:
        visits.mark_no_show(found)
    except visits.VisitRefused as error:
        return _refused(found, error)
    return _done(
        found, _("Zapisano nieobecność pacjenta."), "visit.no_show", "appointment", found.id
    )


@bp.post("/visits/<int:visit_id>/recommendations")
@role_required(*DOCTOR)
def visit_recommendation(visit_id: int):
    found = _visit_or_404(visit_id)
    form = RecommendationForm()
    if not form.validate_on_submit():
        return _page(found, 422, recommendation=form)
    try:
        visits.add_recommendation(found, _doctor(), form.recommendation.data)
    except visits.VisitRefused as error:
        return _refused(found, error, recommendation=form)
    return _done(found, _("Zapisano zalecenie."), "visit.recommendation", "appointment", found.id)


@bp.post("/visits/<int:visit_id>/prescriptions")
@role_required(*DOCTOR)
def visit_prescription(visit_id: int):
    found = _visit_or_404(visit_id)
    form = PrescriptionForm()
    form.order.choices = [("", "")] + [(str(o.id), "") for o in visits.card(found).open_orders]
    if not form.validate_on_submit():
        return _page(found, 422, prescription=form)
    lines = [OrderLine(form.medicine.data, form.packages.data or 1)] if form.medicine.data else []
    try:
        made = visits.issue_prescription(
            found,
            _doctor(),
            lines,
            int(form.order.data) if form.order.data else None,
            (form.note.data or ""),
        )
    except visits.VisitRefused as error:
        return _refused(found, error, prescription=form)
    message = _("Wystawiono receptę. Kod dostępu: %(code)s.", code=made.access_code)
    return _done(found, message, "prescription.issued", "prescription", made.id)


@bp.post("/visits/<int:visit_id>/referrals")
@role_required(*DOCTOR)
def visit_referral(visit_id: int):
    found = _visit_or_404(visit_id)
    form = ReferralForm()
    if not form.validate_on_submit():
        return _page(found, 422, referral=form)
    try:
        made = visits.issue_referral(found, _doctor(), form.target.data, form.diagnosis.data or "")
    except visits.VisitRefused as error:
        return _refused(found, error, referral=form)
    message = _("Wystawiono skierowanie. Kod dostępu: %(code)s.", code=made.access_code)
    return _done(found, message, "referral.issued", "referral", made.id)


@bp.post("/visits/<int:visit_id>/vaccinations")
@role_required(*DOCTOR)
def visit_vaccination(visit_id: int):
    found = _visit_or_404(visit_id)
    form = VaccinationForm()
    if not form.validate_on_submit():
        return _page(found, 422, vaccination=form)
    try:
        made = visits.record_vaccination(
            found, form.name.data, form.on_date.data, form.status.data, form.dose.data or ""
        )
    except visits.VisitRefused as error:
        return _refused(found, error, vaccination=form)
    return _done(found, _("Zapisano szczepienie."), "vaccination.recorded", "vaccination", made.id)


@bp.post("/visits/<int:visit_id>/documents")
@role_required(*DOCTOR)
def visit_document(visit_id: int):
    limit = current_app.config["DOCUMENT_MAX_BYTES"]
    found = _visit_or_404(visit_id)
    too_big = visits.VisitRefused(
        _("Plik jest za duży (najwyżej %(mb).1f MB). Nic nie zapisano.", mb=limit / 1048576), 413
    )
    # the request's own limit for this route (core/uploads.py) let the form be read; a body
    # over it was refused with 413 before this view ran
    form = DocumentForm()
    if not form.validate_on_submit():
        return _page(found, 422, document=form)
    upload = form.file.data
    if upload is None or not getattr(upload, "filename", ""):
        form.file.errors = [_("Wybierz plik.")]
        return _page(found, 422, document=form)
    if not visits.safe_file_name(upload.filename):
        form.file.errors = [_("Nazwa pliku nie może zawierać ścieżki ani znaków „..”.")]
        return _page(found, 422, document=form)
    content = upload.stream.read(limit + 1)
    if len(content) > limit:
        return _refused(found, too_big, document=form)
    try:
        made = visits.share_document(
            found,
            me(),
            form.title.data,
            form.kind.data,
            content,
            upload.filename,
            current_app.config["DOCUMENTS_DIR"],
            limit,
        )
    except visits.VisitRefused as error:
        form.file.errors = [error.message]
        return _page(found, error.status, document=form)
    return _done(
        found, _("Udostępniono dokument pacjentowi."), "document.shared", "document", made.id
    )
