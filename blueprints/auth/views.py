"""Log in (two steps, with the anti-bot challenge after a block) and log out: parse → service →
render. Registration is in sign_up, the links sent by e-mail in email_links."""

from __future__ import annotations

import logging
import time

from flask import flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core import botcheck, input_guard
from core.extensions import client_ip, configured_limit, limiter
from core.htmx import render
from core.login import end_session, start_session
from core.roles import home_for
from core.security import safe_next
from models.accounts import Account
from services import accounts, standalone

from . import bp
from .forms import CodeForm, LoginForm

log = logging.getLogger("wizyta.auth")

PENDING = "pending_2fa"
PENDING_SECONDS = 300


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
    try:
        standalone.check_standalone(account)
    except standalone.CannotUseAlone as error:
        form.password.data = ""
        return render("auth/standalone.html", status=403, refusal=error, problem=error.message)
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
