"""Routes of "Subkonta": the list, a new dependant, attaching an existing account, switching
whose data is on screen and detaching. Rules are in services/subaccounts.py.

Every dependant is found through the logged-in account (services.subaccounts.dependant_for):
another guardian's dependant, or any id that is not the account's, gives 404 (ASVS V4.2.1).
"""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.forms_common import resolve_locality_field
from core import audit
from core.active_person import (
    active_patient,
    is_dependant_on_screen,
    set_active_patient,
    switchable_people,
)
from core.errors import wait_message
from core.extensions import client_ip, configured_limit, limiter
from core.htmx import render
from core.security import safe_next
from models.accounts import Account
from models.patients import Patient
from services import accounts, guardian_sharing
from services import subaccounts as service

from . import bp
from .forms import ActivePersonForm, AttachForm, ConfirmForm, NewDependantForm, ShareForm

PERSON_FIELDS = ("phone", "street", "house_number", "flat_number", "postal_code")


@bp.app_context_processor
def _people_on_screen() -> dict:
    """The header names whose data is on screen and offers the switch on every page."""
    return {
        "active_patient": active_patient,
        "switchable_people": switchable_people,
        "dependant_on_screen": is_dependant_on_screen,
    }


def _me() -> Account:
    return Account.get_by_id(current_user.id)


def _dependant_or_404(account: Account, patient_id: int) -> Patient:
    person = service.dependant_for(account, patient_id)
    if person is None:
        audit.refused("patient", patient_id)
        abort(404)
    return person


def _failed_attempt(response) -> bool:
    """Like the login: only failed attempts count against the per-IP limit."""
    return response.status_code != 303


@bp.route("/subaccounts")
def subaccounts():
    account = _me()
    people = service.dependants_of(account)
    audit.read("subaccounts", account.patient_id, "account", account.id)
    return render(
        "account/subaccounts.html",
        account=account,
        own=account.patient,
        dependants=people,
        on_screen=active_patient(),
    )


@bp.route("/subaccounts/new", methods=["GET", "POST"])
@limiter.limit(configured_limit("ACCOUNT_CHANGE_RATE_LIMIT", "10 per hour"), methods=["POST"])
def new_subaccount():
    """A new dependant with the registration's rules; „PESEL opiekuna” for a newborn."""
    account = _me()
    own = account.patient
    if request.method != "POST":
        form = NewDependantForm(
            data={
                "last_name": own.last_name,
                **{name: getattr(own, name) for name in PERSON_FIELDS},
                "locality": own.locality.label if own.locality_id else "",
            }
        )
        return render("account/subaccount_new.html", form=form, candidates=[])
    form = NewDependantForm()
    valid = form.validate_on_submit()
    locality, candidates = resolve_locality_field(form, request.form.get("locality_choice") or "")
    if not valid or locality is None:
        return render("account/subaccount_new.html", status=422, form=form, candidates=candidates)
    try:
        person = service.add_dependant(
            account,
            service.NewDependant(
                first_name=form.first_name.data,
                last_name=form.last_name.data,
                pesel=None if form.guardian_pesel.data else form.pesel.data,
                birth_date=form.birth_date_value(),
                sex=form.sex.data if form.guardian_pesel.data else form.derived_sex,
                street=form.street.data or "",
                house_number=form.house_number.data,
                flat_number=form.flat_number.data or "",
                postal_code=form.postal_code.data,
                locality=locality,
                phone=form.phone.data,
            ),
        )
    except service.PeselTaken as error:
        form.pesel.errors.append(error.message)
        return render("account/subaccount_new.html", status=409, form=form, candidates=[])
    flash(_("Dodano subkonto: %(name)s.", name=person.full_name), "success")
    return redirect(url_for("account.subaccounts"), 303)


@bp.route("/subaccounts/attach", methods=["GET", "POST"])
@limiter.limit(
    configured_limit("LOGIN_RATE_LIMIT", "10 per minute"),
    methods=["POST"],
    deduct_when=_failed_attempt,
)
def attach_subaccount():
    """An existing account by its login and password: checked like a login (lock-out, IP
    block, ASVS V2.2.1), so the form cannot be used to guess passwords."""
    account = _me()
    form = AttachForm()
    if request.method != "POST":
        return render("account/subaccount_attach.html", form=form)
    status = 422
    if form.validate_on_submit():
        try:
            person = service.attach_account(
                account, form.login.data, form.password.data, client_ip()
            )
        except accounts.IpBlocked as error:
            seconds = error.retry_after()
            form.form_errors.append(wait_message(seconds))
            form.password.data = ""
            response = render("account/subaccount_attach.html", status=429, form=form)
            response.headers["Retry-After"] = str(seconds)
            return response
        except service.SubaccountRefused as error:
            form.form_errors.append(error.message)
            status = error.status
        else:
            flash(_("Dodano subkonto: %(name)s.", name=person.full_name), "success")
            return redirect(url_for("account.subaccounts"), 303)
    form.password.data = ""
    return render("account/subaccount_attach.html", status=status, form=form)


@bp.route("/active-person", methods=["POST"])
def active_person():
    """Switch whose data is on screen (the header's buttons, no JavaScript needed)."""
    account = _me()
    form = ActivePersonForm()
    if not form.validate_on_submit():
        abort(400)
    raw = (form.patient.data or "").strip()
    if raw != str(account.patient_id):
        person = _dependant_or_404(account, raw)
        set_active_patient(person.id)
        audit.record("subaccount.switch", patient_id=person.id, account_id=account.id)
    else:
        set_active_patient(account.patient_id)
    return redirect(safe_next(form.next.data, url_for("panel.index")), 303)


@bp.route("/subaccounts/<int:patient_id>/share", methods=["GET", "POST"])
@limiter.limit(configured_limit("ACCOUNT_CHANGE_RATE_LIMIT", "10 per hour"), methods=["POST"])
def share_subaccount(patient_id: int):
    """Give the other parent access: their login and e-mail address, both must match."""
    account = _me()
    person = _dependant_or_404(account, patient_id)
    form = ShareForm()
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate_on_submit():
            try:
                other = guardian_sharing.share_dependant(
                    account, person, form.login.data, form.email.data
                )
            except guardian_sharing.ShareRefused as error:
                form.form_errors.append(error.message)
                status = 422 if error.reason == "unknown" else error.status
            else:
                flash(
                    _(
                        "Udostępniono subkonto %(name)s kontu %(login)s.",
                        name=person.full_name,
                        login=other.login,
                    ),
                    "success",
                )
                return redirect(url_for("account.subaccounts"), 303)
    return render("account/subaccount_share.html", status=status, person=person, form=form)


@bp.route("/subaccounts/<int:patient_id>/detach", methods=["GET", "POST"])
def detach_subaccount(patient_id: int):
    """GET: the confirmation step (or why it cannot be done); POST: detach."""
    account = _me()
    person = _dependant_or_404(account, patient_id)
    refusal = service.detach_refusal(account, person)
    form = ConfirmForm()
    if request.method == "POST" and refusal is None and form.validate_on_submit():
        try:
            service.detach(account, person)
        except service.CannotDetach as error:
            refusal = error
        else:
            flash(_("Odłączono subkonto: %(name)s.", name=person.full_name), "success")
            return redirect(url_for("account.subaccounts"), 303)
    status = 409 if refusal is not None else (422 if request.method == "POST" else 200)
    return render(
        "account/subaccount_detach.html",
        status=status,
        person=person,
        refusal=refusal,
        problem=refusal.message if refusal is not None else "",
        form=form,
    )
