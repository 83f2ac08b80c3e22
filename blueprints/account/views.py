"""Routes of "Moje konto": parse the form → call the service → 303 with a message, or 422.

Every page shows personal data, so all of them need a login (ASVS V4.1.1), are sent with
Cache-Control: no-store (core.security) and mark their content `hx-history="false"`.
"""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from blueprints.forms_common import resolve_locality_field
from core import audit
from core import totp as totp_rules
from core.extensions import client_ip, configured_limit, limiter
from core.htmx import render
from core.login import start_session
from core.password_policy import strength_hint
from core.roles import patient_only
from core.tokens import TokenExpired, TokenInvalid
from models.accounts import Account
from services import account_changes as service
from services.rules import clinic_rules

from . import bp
from .forms import ConfirmForm, ConsentForm, EmailChangeForm, PasswordChangeForm, PersonalDataForm

# The two-step verification pages serve staff accounts too (they have no patient data).
STAFF_TWO_FACTOR_PAGES = frozenset(
    {
        "account.two_factor",
        "account.two_factor_start",
        "account.two_factor_setup",
        "account.regenerate_codes",
        "account.disable_two_factor",
    }
)
ADDRESS_FIELDS = ("street", "house_number", "flat_number", "postal_code")


def _me() -> Account:
    """The logged-in account, freshly read: never an id taken from the request (ASVS V4.2.1)."""
    return Account.get_by_id(current_user.id)


@bp.before_request
@login_required
def _require_login():
    """Every page of the area needs a login, the e-mail confirmation link too: it proves
    both the mailbox and the account (the login page returns to it through `next`).
    A staff account has no patient: it is sent to the staff side, except for two-step
    verification, which every staff account must set up (core.roles)."""
    if request.endpoint in STAFF_TWO_FACTOR_PAGES and getattr(current_user, "is_staff", False):
        return None
    return patient_only()


# --- overview -------------------------------------------------------------------------------


@bp.route("")
def overview():
    account = _me()
    audit.read("account", account.patient_id, "account", account.id)
    return render(
        "account/overview.html",
        account=account,
        patient=account.patient,
        methods=service.login_methods(account),
        consents=service.consent_states(account),
        recovery_left=totp_rules.unused_recovery_codes(account) if account.totp_secret else 0,
    )


# --- personal data --------------------------------------------------------------------------


@bp.route("/data", methods=["GET", "POST"])
def personal_data():
    """Same validation as registration (ASVS V5.1.x); PESEL and birth date stay read-only."""
    account = _me()
    patient = account.patient
    if request.method != "POST":
        audit.read("personal_data", patient.id, "patient", patient.id)
        form = PersonalDataForm(
            data={
                "first_name": patient.first_name,
                "last_name": patient.last_name,
                "phone": patient.phone,
                **{name: getattr(patient, name) for name in ADDRESS_FIELDS},
                "locality": patient.locality.label if patient.locality_id else "",
            }
        )
        return render("account/personal_data.html", form=form, patient=patient, candidates=[])

    form = PersonalDataForm()
    valid = form.validate_on_submit()
    locality, candidates = resolve_locality_field(form, request.form.get("locality_choice") or "")
    if not valid or locality is None:
        return render(
            "account/personal_data.html",
            status=422,
            form=form,
            patient=patient,
            candidates=candidates,
        )
    service.update_personal_data(
        account,
        service.PersonalData(
            first_name=form.first_name.data,
            last_name=form.last_name.data,
            phone=form.phone.data,
            street=form.street.data or "",
            house_number=form.house_number.data,
            flat_number=form.flat_number.data or "",
            postal_code=form.postal_code.data,
            locality=locality,
        ),
    )
    flash(_("Zapisano dane osobowe."), "success")
    return redirect(url_for("account.overview"), 303)


# --- e-mail ---------------------------------------------------------------------------------


@bp.route("/email", methods=["GET", "POST"])
@limiter.limit(configured_limit("ACCOUNT_CHANGE_RATE_LIMIT", "10 per hour"), methods=["POST"])
def email():
    """ASVS V3.7.1 needs the password; the new address confirms by link; V2.2.3 old one told."""
    account = _me()
    form = EmailChangeForm()
    form.current_email = account.email
    if form.validate_on_submit():
        try:
            service.request_email_change(account, form.current_password.data, form.email.data)
        except service.WrongPassword as error:
            form.current_password.errors.append(error.message)
        else:
            flash(
                _(
                    "Wysłaliśmy link na nowy adres. Adres konta zmieni się po jego otwarciu; "
                    "link jest ważny %(hours)s godz.",
                    hours=clinic_rules().email_change_max_age_hours,
                ),
                "success",
            )
            return redirect(url_for("account.overview"), 303)
    status = 422 if request.method == "POST" else 200
    return render("account/email.html", status=status, form=form, account=account)


@bp.route("/email/confirm/<token>", methods=["GET", "POST"])
def confirm_email(token: str):
    """GET shows a button (mail scanners that open links change nothing); POST switches."""
    account = _me()
    try:
        owner, new_email = service.account_from_email_token(token)
        if owner.id != account.id:
            raise TokenInvalid("another account")
    except TokenExpired:
        return render("account/email_link_problem.html", status=400, expired=True)
    except TokenInvalid:
        return render("account/email_link_problem.html", status=400, expired=False)
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            service.confirm_email_change(token)
        except (service.EmailChangeRefused, TokenInvalid):
            return render("account/email_link_problem.html", status=409, expired=False)
        flash(_("Adres e-mail konta został zmieniony."), "success")
        return redirect(url_for("account.overview"), 303)
    return render("account/email_confirm.html", form=form, new_email=new_email, token=token)


# --- password -------------------------------------------------------------------------------


@bp.route("/password", methods=["GET", "POST"])
@limiter.limit(configured_limit("ACCOUNT_CHANGE_RATE_LIMIT", "10 per hour"), methods=["POST"])
def password():
    """ASVS V2.1.5/V2.1.6 change with the current password; V3.3.3 other sessions end."""
    account = _me()
    form = PasswordChangeForm()
    form.user_inputs = (account.login, account.email)
    if form.validate_on_submit():
        try:
            changed = service.change_password(
                account, form.current_password.data, form.password.data
            )
        except service.WrongPassword as error:
            form.current_password.errors.append(error.message)
        else:
            start_session(changed)
            flash(_("Hasło zostało zmienione. Pozostałe sesje zostały wylogowane."), "success")
            return redirect(url_for("account.overview"), 303)
    status = 422 if request.method == "POST" else 200
    hint = strength_hint(form.password.data) if form.password.data else ""
    return render("account/password.html", status=status, form=form, password_hint=hint)


# --- consents -------------------------------------------------------------------------------


@bp.route("/consents")
def consents():
    account = _me()
    audit.read("consents", account.patient_id, "account", account.id)
    return render(
        "account/consents.html",
        states=service.consent_states(account),
        history=service.consent_history(account),
        form=ConsentForm(),
    )


@bp.route("/consents/<int:consent_id>", methods=["POST"])
def change_consent(consent_id: int):
    """Every grant or withdrawal is a new record; required consents cannot be withdrawn here."""
    account = _me()
    consent = service.consent_for(account, consent_id)
    if consent is None:
        abort(404)
    form = ConsentForm()
    if not form.validate_on_submit():
        flash(_("Nie udało się zapisać zmiany. Spróbuj ponownie."), "error")
        return render(
            "account/consents.html",
            status=422,
            states=service.consent_states(account),
            history=service.consent_history(account),
            form=form,
        )
    granted = form.decision.data == "grant"
    try:
        service.set_consent(account, consent, granted, client_ip())
    except (service.ConsentNotChangeable, service.ConsentRetired) as error:
        flash(error.message, "error")
        return render(
            "account/consents.html",
            status=409,
            states=service.consent_states(account),
            history=service.consent_history(account),
            form=ConsentForm(),
        )
    flash(
        _("Udzielono zgody: %(title)s.", title=consent.title)
        if granted
        else _("Wycofano zgodę: %(title)s.", title=consent.title),
        "success",
    )
    return redirect(url_for("account.consents"), 303)
