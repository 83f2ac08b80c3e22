"""Routes of "Moje konto": parse the form → call the service → 303 with a message, or 422.

Every page shows personal data, so all of them need a login (ASVS V4.1.1), are sent with
Cache-Control: no-store (core.security) and mark their content `hx-history="false"`.
"""

from __future__ import annotations

import secrets
import time

from flask import abort, current_app, flash, redirect, request, session, url_for
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

from . import bp
from .forms import (
    ConfirmForm,
    ConfirmTwoFactorForm,
    ConsentForm,
    EmailChangeForm,
    PasswordChangeForm,
    PersonalDataForm,
    ReauthTwoFactorForm,
)

TOTP_SETUP = "totp_setup"
TOTP_SETUP_SECONDS = 600
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
                    hours=current_app.config.get("EMAIL_CHANGE_MAX_AGE_HOURS", 24),
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


# --- two-factor -----------------------------------------------------------------------------


def _setup_nonce() -> str | None:
    data = session.get(TOTP_SETUP)
    if not isinstance(data, dict) or data.get("a") != current_user.id:
        return None
    started = data.get("t")
    if not isinstance(started, int) or time.time() - started > TOTP_SETUP_SECONDS:
        return None
    nonce = data.get("n")
    return nonce if isinstance(nonce, str) and len(nonce) <= 64 else None


def _two_factor_page(account: Account, status: int = 200, **forms):
    return render(
        "account/two_factor.html",
        status=status,
        account=account,
        start_form=ConfirmForm(),
        disable_form=forms.get("disable_form") or ReauthTwoFactorForm(prefix="disable"),
        codes_form=forms.get("codes_form") or ReauthTwoFactorForm(prefix="codes"),
        recovery_left=totp_rules.unused_recovery_codes(account) if account.totp_secret else 0,
    )


@bp.route("/2fa")
def two_factor():
    return _two_factor_page(_me())


@bp.route("/2fa/start", methods=["POST"])
def two_factor_start():
    """A new secret for this set-up: only a random nonce goes into the session."""
    account = _me()
    if account.totp_secret:
        flash(_("Weryfikacja dwuetapowa jest już włączona."), "info")
        return redirect(url_for("account.two_factor"), 303)
    session[TOTP_SETUP] = {"a": account.id, "n": secrets.token_urlsafe(16), "t": int(time.time())}
    service.record_setup_started(account)
    return redirect(url_for("account.two_factor_setup"), 303)


@bp.route("/2fa/setup", methods=["GET", "POST"])
@limiter.limit(configured_limit("ACCOUNT_CHANGE_RATE_LIMIT", "10 per hour"), methods=["POST"])
def two_factor_setup():
    """The QR code and the secret as text; confirming a current code switches 2FA on.

    ASVS V2.8.x: the secret is derived on the server from the session nonce (never a hidden
    field or cookie value). On success the 10 recovery codes are shown in this response
    only, not after a redirect: they are stored hashed, so no later page can show them.
    """
    account = _me()
    if account.totp_secret:
        flash(_("Weryfikacja dwuetapowa jest już włączona."), "info")
        return redirect(url_for("account.two_factor"), 303)
    nonce = _setup_nonce()
    if nonce is None:
        flash(_("Zacznij włączanie weryfikacji dwuetapowej od początku."), "info")
        return redirect(url_for("account.two_factor"), 303)
    secret = service.pending_secret(account, nonce)
    form = ConfirmTwoFactorForm()
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate_on_submit():
            try:
                codes = service.enable_two_factor(account, secret, form.code.data)
            except service.WrongCode:
                form.code.errors.append(
                    _("Kod się nie zgadza. Sprawdź czas w telefonie i wpisz aktualny kod.")
                )
            else:
                session.pop(TOTP_SETUP, None)
                return render("account/recovery_codes.html", codes=codes, enabled=True)
    uri = totp_rules.provisioning_uri(account, secret)
    return render(
        "account/two_factor_setup.html",
        status=status,
        form=form,
        qr_svg=totp_rules.qr_svg(uri),
        secret_groups=[secret[i : i + 4] for i in range(0, len(secret), 4)],
    )


def _reauth_refused(
    account: Account, form_name: str, form, error: service.AccountChangeRefused | None = None
):
    if error is not None:
        field = form.current_password if isinstance(error, service.WrongPassword) else form.code
        field.errors.append(error.message)
    return _two_factor_page(account, status=422, **{form_name: form})


@bp.route("/2fa/recovery-codes", methods=["POST"])
@limiter.limit(configured_limit("ACCOUNT_CHANGE_RATE_LIMIT", "10 per hour"))
def regenerate_codes():
    """New recovery codes (ASVS V3.7.1 password + code); shown in this response only."""
    account = _me()
    if not account.totp_secret:
        return redirect(url_for("account.two_factor"), 303)
    form = ReauthTwoFactorForm(prefix="codes")
    if not form.validate_on_submit():
        return _reauth_refused(account, "codes_form", form)
    try:
        codes = service.regenerate_recovery_codes(
            account, form.current_password.data, form.code.data
        )
    except (service.WrongPassword, service.WrongCode) as error:
        return _reauth_refused(account, "codes_form", form, error)
    return render("account/recovery_codes.html", codes=codes, enabled=False)


@bp.route("/2fa/disable", methods=["POST"])
@limiter.limit(configured_limit("ACCOUNT_CHANGE_RATE_LIMIT", "10 per hour"))
def disable_two_factor():
    """ASVS V3.7.1 switching 2FA off needs the password and a code; audit-logged, e-mailed."""
    account = _me()
    if not account.totp_secret:
        return redirect(url_for("account.two_factor"), 303)
    if account.is_staff and current_app.config.get("STAFF_REQUIRE_2FA", True):
        flash(
            _("Konto personelu musi mieć weryfikację dwuetapową; nie można jej wyłączyć."), "error"
        )
        return redirect(url_for("account.two_factor"), 303)
    form = ReauthTwoFactorForm(prefix="disable")
    if not form.validate_on_submit():
        return _reauth_refused(account, "disable_form", form)
    try:
        service.disable_two_factor(account, form.current_password.data, form.code.data)
    except (service.WrongPassword, service.WrongCode) as error:
        return _reauth_refused(account, "disable_form", form, error)
    flash(_("Weryfikacja dwuetapowa została wyłączona."), "success")
    return redirect(url_for("account.two_factor"), 303)
