"""My account, two-step verification (TOTP): set it up (the secret stays on the server, the
session holds a nonce), new recovery codes, switch it off. Staff accounts use these pages too."""

from __future__ import annotations

import secrets
import time

from flask import current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core import totp as totp_rules
from core.extensions import configured_limit, limiter
from core.htmx import render
from models.accounts import Account
from services import account_changes as service
from services import two_factor as totp_service

from . import bp
from .forms import ConfirmForm, ConfirmTwoFactorForm, ReauthTwoFactorForm
from .views import _me

TOTP_SETUP = "totp_setup"


TOTP_SETUP_SECONDS = 600


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
    totp_service.record_setup_started(account)
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
    secret = totp_service.pending_secret(account, nonce)
    form = ConfirmTwoFactorForm()
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate_on_submit():
            try:
                codes = totp_service.enable_two_factor(account, secret, form.code.data)
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
        codes = totp_service.regenerate_recovery_codes(
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
        totp_service.disable_two_factor(account, form.current_password.data, form.code.data)
    except (service.WrongPassword, service.WrongCode) as error:
        return _reauth_refused(account, "disable_form", form, error)
    flash(_("Weryfikacja dwuetapowa została wyłączona."), "success")
    return redirect(url_for("account.two_factor"), 303)
