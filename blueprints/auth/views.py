"""Register, activate, log in (two steps), log out, forgotten password: parse → service → render."""

from __future__ import annotations

import logging
import time

from flask import after_this_request, current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from blueprints.forms_common import resolve_locality_field
from core import botcheck, input_guard, mail_status
from core.extensions import client_ip, configured_limit, limiter, select_locale
from core.htmx import render
from core.login import end_session, start_session
from core.password_policy import strength_hint
from core.roles import home_for
from core.security import safe_next
from core.tokens import TokenExpired, TokenInvalid
from models.accounts import Account, Consent
from services import accounts, registration

from . import bp, link_worker
from .forms import (
    CodeForm,
    EmailForm,
    LoginForm,
    NewPasswordForm,
    capped_formdata,
    registration_form,
)

log = logging.getLogger("wizyta.auth")

PENDING = "pending_2fa"
REGISTERED_EMAIL = "registered_email"
PENDING_SECONDS = 300
# Fields that validate on their own when the user leaves them (htmx `change`).
VALIDATED_FIELDS = (
    "first_name",
    "last_name",
    "pesel",
    "birth_date",
    "email",
    "phone",
    "login",
    "password",
    "password_confirm",
    "street",
    "house_number",
    "flat_number",
    "postal_code",
)


def _is_field_validation() -> bool:
    """An htmx request validating one field: it creates nothing, so it has its own, generous
    limit (a person types) instead of the registration's."""
    return (
        request.method == "POST"
        and request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-Trigger-Name") in VALIDATED_FIELDS
    )


def _login_challenge(form):
    """A fresh anti-bot challenge on the login form (past a block or a lock), or None."""
    if not botcheck.enabled():
        return None
    challenge = botcheck.new_challenge()
    form.botcheck_answer.label.text = challenge.question
    form.botcheck_answer.data = ""
    form.botcheck_solution.data = ""  # solved the previous challenge, not this one
    return challenge


def _login_challenge_passed(form) -> bool:
    """The login form carried a solved challenge (spent now, so it works once)."""
    if not botcheck.enabled() or not form.botcheck_challenge.data:
        return False
    nonce = botcheck.check(
        form.botcheck_challenge.data,
        form.botcheck_solution.data or "",
        form.botcheck_answer.data or "",
    )
    return bool(nonce) and botcheck.spend(nonce)


def _blocked_page(error: accounts.IpBlocked, form=None, next_path: str = ""):
    """429 for a blocked IP, with a login form behind a challenge: one attacker behind a
    clinic's NAT must not keep every patient there out (ASVS V2.2.1)."""
    form = form or LoginForm()
    form.password.data = ""
    response = render(
        "auth/blocked.html",
        status=429,
        until=error.until,
        form=form,
        next=next_path or url_for("public.home"),
        challenge=_login_challenge(form),
    )
    response.headers["Retry-After"] = str(error.retry_after())
    return response


# --- registration -------------------------------------------------------------------------


def _active_consents() -> list[Consent]:
    return list(
        Consent.select().where(Consent.active).order_by(Consent.required.desc(), Consent.id)
    )


def _derive(form) -> None:
    """Birth date and sex from a valid PESEL, for display even before the whole form is valid."""
    if form.no_pesel.data or form.derived_birth_date:
        return
    try:
        form.validate_pesel(form.pesel)
    except Exception:  # noqa: BLE001 - any invalid PESEL simply shows nothing derived
        form.derived_birth_date, form.derived_sex = None, ""


def _render_register(form, status: int, challenge=None, candidates=(), block=None):
    if challenge is not None:
        form.botcheck_answer.label.text = challenge.question
        form.botcheck_answer.summary_label = _("Pytanie kontrolne")
    # a full page re-render empties the password fields: a strength note would describe
    # text that is no longer there, so it asks for the password again instead
    if not form.password.data:
        hint = ""
    elif block is not None:
        hint = strength_hint(form.password.data)
    else:
        hint = _("Ze względów bezpieczeństwa wpisz hasło ponownie (oba pola).")
    return render(
        "auth/register.html",
        block=block,
        status=status,
        form=form,
        challenge=challenge,
        candidates=candidates,
        password_hint=hint,
        keep_password=block is not None,
    )


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(
    configured_limit("REGISTER_RATE_LIMIT", "10 per hour"),
    methods=["POST"],
    exempt_when=_is_field_validation,
)
@limiter.limit(
    configured_limit("REGISTER_FIELD_RATE_LIMIT", "300 per 10 minutes"),
    methods=["POST"],
    exempt_when=lambda: not _is_field_validation(),
    scope="register-field-check",
)
def register():
    """Utwórz konto: ASVS V2.1 password policy, V5.1 validation, anti-bot, no enumeration."""
    formdata = capped_formdata(request.form) if request.method == "POST" else None
    form = registration_form(_active_consents(), formdata=formdata)
    if request.method != "POST":
        challenge = botcheck.new_challenge() if botcheck.enabled() else None
        return _render_register(form, 200, challenge)

    if _is_field_validation():
        name = request.headers["HX-Trigger-Name"]
        form.validate()
        _derive(form)
        return _render_register(form, 200, block=f"field_{name}")

    if form.website.data:
        log.info("Registration honeypot filled from %s", client_ip())
        return redirect(url_for("auth.registered"), 303)

    valid = form.validate_on_submit()
    _derive(form)
    locality, candidates = resolve_locality_field(form, request.form.get("locality_choice", ""))

    challenge, nonce = None, None
    if botcheck.enabled():
        nonce = botcheck.check(
            form.botcheck_challenge.data or "",
            form.botcheck_solution.data or "",
            form.botcheck_answer.data or "",
        )
        if nonce is None:
            form.botcheck_answer.errors = [
                *form.botcheck_answer.errors,
                _("Odpowiedz na pytanie kontrolne."),
            ]
            form.botcheck_solution.data = ""
            form.botcheck_answer.data = ""
            challenge = botcheck.new_challenge()
        else:
            challenge = botcheck.challenge_from(form.botcheck_challenge.data)

    if not (valid and locality is not None and (nonce or not botcheck.enabled())):
        return _render_register(form, 422, challenge, candidates)
    if nonce and not botcheck.spend(nonce):
        form.botcheck_answer.errors = [_("Ta weryfikacja została już użyta. Odpowiedz ponownie.")]
        form.botcheck_solution.data = form.botcheck_answer.data = ""
        return _render_register(form, 422, botcheck.new_challenge(), candidates)

    registration.register(
        registration.Registration(
            first_name=form.first_name.data,
            last_name=form.last_name.data,
            pesel=None if form.no_pesel.data else form.pesel.data,
            birth_date=form.birth_date_value(),
            sex="" if form.no_pesel.data else form.derived_sex,
            email=form.email.data,
            phone=form.phone.data,
            login=form.login.data,
            password=form.password.data,
            street=form.street.data or "",
            house_number=form.house_number.data,
            flat_number=form.flat_number.data or "",
            postal_code=form.postal_code.data,
            locality=locality,
            consent_ids=form.consent_ids(),
        ),
        ip=client_ip(),
    )
    session[REGISTRATION_MAIL] = g.get("queued_mail_ids", [])
    # shown back on the next page so a typo in the address is noticed at once
    session[REGISTERED_EMAIL] = form.email.data
    return redirect(url_for("auth.registered"), 303)


REGISTRATION_MAIL = "registration_mail"


@bp.get("/register/done")
def registered():
    """Says only what is true of the mail: sent, on its way, or not sent yet (SMTP down)."""
    state = mail_status.delivery_state(session.get(REGISTRATION_MAIL, []))
    return render("auth/registered.html", mail_state=state, email=session.get(REGISTERED_EMAIL, ""))


# --- activation ---------------------------------------------------------------------------


def _link_problem(error: TokenInvalid, status: int = 400):
    expired = isinstance(error, TokenExpired)
    return render(
        "auth/link_problem.html",
        status=status,
        expired=expired,
        form=EmailForm(),
        action=url_for("auth.resend_activation"),
    )


@bp.route("/activate/<token>", methods=["GET", "POST"])
@limiter.limit(configured_limit("ACTIVATE_RATE_LIMIT", "30 per hour"), methods=["POST"])
def activate(token: str):
    """ASVS V2.3.1: GET shows a confirmation (mail scanners cannot use the link), POST activates."""
    try:
        account = registration.account_from_activation(token)
    except registration.AlreadyActive:
        flash(_("Konto jest już aktywne. Zaloguj się."), "info")
        return redirect(url_for("auth.login"), 303)
    except TokenInvalid as error:
        return _link_problem(error)
    if request.method != "POST":
        return render("auth/activate.html", token=token, login=account.login)
    try:
        registration.activate(token)
    except TokenInvalid as error:
        return _link_problem(error)
    flash(_("Konto zostało aktywowane. Możesz się zalogować."), "success")
    return redirect(url_for("auth.login"), 303)


def _start_link_worker() -> None:
    app = current_app._get_current_object()
    if app.config.get("MAIL_SYNC"):
        link_worker.wake(app)
        return

    @after_this_request
    def _after(response):
        # Woken after the answer is written, so not even the wake-up is in its timing.
        response.call_on_close(lambda: link_worker.wake(app))
        return response


def _email_request(kind: str, answer: str, endpoint: str, title: str, intro: str):
    """An e-mail-only form whose answer never says whether the address is known (V2.5.x):
    every valid address gets the same flash and redirect after the same work — one row for
    the worker and a worker started (the lookup happens there); the honeypot sends nothing."""
    form = EmailForm()
    if form.validate_on_submit():
        if not form.website.data:
            registration.queue_link_request(kind, form.email.data, client_ip(), select_locale())
            _start_link_worker()
        flash(answer, "info")
        return redirect(url_for(endpoint), 303)
    return render(
        "auth/email_form.html",
        status=422 if request.method == "POST" else 200,
        form=form,
        title=title,
        intro=intro,
        action=url_for(endpoint),
    )


@bp.route("/activate/resend", methods=["GET", "POST"])
@limiter.limit(configured_limit("RESEND_RATE_LIMIT", "5 per hour"), methods=["POST"])
def resend_activation():
    """Send a new activation link; the answer never says whether the address is known."""
    answer = _(
        "Jeśli w systemie jest nieaktywne konto z tym adresem, wysyłamy na niego nowy link "
        "aktywacyjny. Jeśli nie dotrze w ciągu kilkunastu minut, sprawdź folder spam."
    )
    if request.method == "POST" and mail_status.sending_fails():
        answer = _(
            "Nie udało się jeszcze wysłać poczty: serwer poczty przychodni chwilowo nie "
            "odpowiada. Jeśli w systemie jest nieaktywne konto z tym adresem, nowy link "
            "aktywacyjny wyślemy automatycznie, gdy tylko zacznie działać."
        )
    return _email_request(
        "activation",
        answer,
        "auth.resend_activation",
        title=_("Wyślij nowy link aktywacyjny"),
        intro=_("Podaj adres e-mail użyty przy zakładaniu konta."),
    )


# --- log in / log out ---------------------------------------------------------------------


def _login_page(form, next_path: str, status: int, notice: str = "", challenge=None):
    return render(
        "auth/login.html",
        form=form,
        next=next_path,
        status=status,
        notice=notice,
        challenge=challenge,
    )


@bp.errorhandler(input_guard.ControlCharacters)
def _control_characters(error: input_guard.ControlCharacters):
    """Refused input on a login form counts as a failed attempt of the source (a NUL byte is
    a probe, not a typo); every other form of the area just gets the 422 page."""
    if request.endpoint in ("auth.login", "auth.login_code"):
        log.info("Login failed from %s: control characters in %s", client_ip(), error.field)
        accounts.record_ip_failure(client_ip())
    return input_guard.refusal(error)


def _failed_attempt(response) -> bool:
    """Only failed attempts count against the per-IP login limit: a clinic tablet or a shared
    NAT logging in patient after patient never hits 429 (a success is a 303)."""
    return response.status_code != 303


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    configured_limit("LOGIN_RATE_LIMIT", "10 per minute"),
    methods=["POST"],
    deduct_when=_failed_attempt,
)
def login():
    """Zaloguj się: ASVS V2.2.1 lock-out and IP block, V3.2.1 new session, V7.2.1 logged."""
    form = LoginForm()
    requested_next = request.values.get("next")
    # only a page asked for travels in the form; without one, the account's home is chosen
    # after the password (a patient's is the home page, staff land on their side)
    next_path = safe_next(requested_next, "")
    ip = client_ip()
    if request.method != "POST":
        return _login_page(form, next_path, 200)
    passed = _login_challenge_passed(form)
    until = accounts.ip_blocked_until(ip)
    if until and not passed:
        return _blocked_page(accounts.IpBlocked(until), form, next_path)
    if not form.validate_on_submit():
        if until:
            return _blocked_page(accounts.IpBlocked(until), form, next_path)
        return _login_page(form, next_path, 422)
    try:
        account = accounts.authenticate(
            form.login.data, form.password.data, ip, challenge_passed=passed
        )
    except accounts.IpBlocked as error:
        return _blocked_page(error, form, next_path)
    except accounts.LoginRefused as error:
        form.form_errors.append(error.message)
        challenge = _login_challenge(form) if isinstance(error, accounts.LockedElsewhere) else None
        return _login_page(form, next_path, 422, notice=type(error).__name__, challenge=challenge)
    through_lock, through_block = accounts.passes_locks(account, ip) if passed else (False, False)
    next_path = safe_next(requested_next, home_for(account))  # staff land on their side
    if account.totp_secret:
        session.clear()
        session[PENDING] = {
            "a": account.id,
            "v": account.session_version,
            "t": int(time.time()),
            "next": next_path,
            "lock": through_lock,
            "block": through_block,
        }
        return redirect(url_for("auth.login_code"), 303)
    first_login = account.last_login_at is None
    accounts.login_succeeded(account, ip, through_lock=through_lock, through_ip_block=through_block)
    start_session(account)
    if first_login:
        flash(_("Witamy w e-Rejestracji!"), "welcome")
    return redirect(next_path, 303)


def _pending_account() -> tuple[Account | None, str]:
    pending = session.get(PENDING)
    if not isinstance(pending, dict):
        return None, ""
    if time.time() - float(pending.get("t", 0)) > PENDING_SECONDS:
        session.pop(PENDING, None)
        return None, ""
    account = Account.get_or_none(Account.id == pending.get("a"))
    if account is None or account.session_version != pending.get("v") or not account.is_active:
        return None, ""
    return account, safe_next(pending.get("next"), url_for("public.home"))


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(
    configured_limit("LOGIN_RATE_LIMIT", "10 per minute"),
    methods=["POST"],
    deduct_when=_failed_attempt,
)
def login_code():
    """Second step: TOTP or recovery code (ASVS V2.8.x via core.totp)."""
    account, next_path = _pending_account()
    if account is None:
        flash(_("Zaloguj się ponownie."), "info")
        return redirect(url_for("auth.login"), 303)
    form = CodeForm()
    if request.method != "POST":
        return render("auth/login_code.html", form=form)
    if not form.validate_on_submit():
        return render("auth/login_code.html", form=form, status=422)
    ip = client_ip()
    pending = session.get(PENDING) or {}
    through_lock, through_block = bool(pending.get("lock")), bool(pending.get("block"))
    try:
        accounts.second_factor(
            account, form.code.data, ip, challenge_passed=through_lock or through_block
        )
    except accounts.IpBlocked as error:
        session.pop(PENDING, None)
        return _blocked_page(error)
    except accounts.AccountLocked as error:
        session.pop(PENDING, None)
        form.form_errors.append(error.message)
        return render("auth/login_code.html", form=form, status=422)
    except accounts.LoginRefused as error:
        form.form_errors.append(error.message)
        return render("auth/login_code.html", form=form, status=422)
    accounts.login_succeeded(account, ip, through_lock=through_lock, through_ip_block=through_block)
    start_session(Account.get_by_id(account.id))
    return redirect(next_path, 303)


@bp.post("/logout")
@login_required
def logout():
    """ASVS V3.3.1: the session ends server-side, the old cookie stops working."""
    accounts.end_sessions(current_user)
    log.info("Logout of account %s", current_user.id)
    end_session()
    flash(_("Wylogowano."), "info")
    return redirect(url_for("public.home"), 303)


# --- forgotten password -------------------------------------------------------------------


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(configured_limit("FORGOT_RATE_LIMIT", "5 per hour"), methods=["POST"])
def forgot_password():
    """ASVS V2.5.x: the same answer whether or not the address is known."""
    return _email_request(
        "reset",
        _(
            "Jeśli w systemie jest konto z tym adresem, wysłaliśmy na niego link do "
            "ustawienia nowego hasła. Link jest ważny %(hours)s godz.",
            hours=current_app.config["RESET_MAX_AGE_HOURS"],
        ),
        "auth.forgot_password",
        title=_("Nie pamiętam hasła"),
        intro=_("Podaj adres e-mail konta. Wyślemy link do ustawienia nowego hasła."),
    )


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(configured_limit("RESET_RATE_LIMIT", "10 per hour"), methods=["POST"])
def reset_password(token: str):
    """ASVS V2.3.1/V2.5: signed, expiring link bound to the password hash (single use)."""
    try:
        account = registration.account_from_reset(token)
    except TokenInvalid as error:
        return render(
            "auth/link_problem.html",
            status=400,
            expired=isinstance(error, TokenExpired),
            form=EmailForm(),
            action=url_for("auth.forgot_password"),
        )
    form = NewPasswordForm()
    form.user_inputs = (account.login, account.email)
    if form.validate_on_submit():
        try:
            registration.reset_password(token, form.password.data)
        except TokenInvalid as error:
            return render(
                "auth/link_problem.html",
                status=400,
                expired=isinstance(error, TokenExpired),
                form=EmailForm(),
                action=url_for("auth.forgot_password"),
            )
        end_session()
        flash(_("Hasło zostało zmienione. Zaloguj się nowym hasłem."), "success")
        return redirect(url_for("auth.login"), 303)
    status = 422 if request.method == "POST" else 200
    hint = strength_hint(form.password.data) if form.password.data else ""
    return render(
        "auth/reset_password.html", status=status, form=form, token=token, password_hint=hint
    )
