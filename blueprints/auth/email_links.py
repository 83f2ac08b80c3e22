"""The links sent by e-mail: account activation (and a new activation link), the forgotten
password and its reset link. Asking for a link never says whether the address is known."""

from __future__ import annotations

from flask import after_this_request, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _

from core import mail_status
from core.extensions import client_ip, configured_limit, limiter, select_locale
from core.htmx import render
from core.login import end_session
from core.password_policy import strength_hint
from core.tokens import TokenExpired, TokenInvalid
from services import password_reset, registration

from . import bp, link_worker
from .forms import EmailForm, NewPasswordForm


def _link_problem(error: TokenInvalid, new_link_endpoint: str = "auth.resend_activation"):
    """400: the link is broken or expired, with the form that asks for a new one."""
    return render(
        "auth/link_problem.html",
        status=400,
        expired=isinstance(error, TokenExpired),
        form=EmailForm(),
        action=url_for(new_link_endpoint),
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
        # the same page sets a new staff login's first password: it says so, names the login
        account, invite = password_reset.reset_link(token)
    except TokenInvalid as error:
        return _link_problem(error, "auth.forgot_password")
    form = NewPasswordForm()
    form.user_inputs = (account.login, account.email)
    if form.validate_on_submit():
        try:
            password_reset.reset_password(token, form.password.data)
        except TokenInvalid as error:
            return _link_problem(error, "auth.forgot_password")
        end_session()
        if invite:
            flash(_("Hasło zostało ustawione. Zaloguj się."), "success")
        else:
            flash(_("Hasło zostało zmienione. Zaloguj się nowym hasłem."), "success")
        return redirect(url_for("auth.login"), 303)
    status = 422 if request.method == "POST" else 200
    hint = strength_hint(form.password.data) if form.password.data else ""
    return render(
        "auth/reset_password.html",
        status=status,
        form=form,
        token=token,
        password_hint=hint,
        invite=invite,
        login=account.login,
    )
