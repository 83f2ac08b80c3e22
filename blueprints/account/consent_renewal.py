"""A new version of a required consent: the patient accepts it before anything else, once per
session (a login starts a new one). The rule of what is due is services.consents.due_for."""

from __future__ import annotations

from flask import flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.extensions import client_ip
from core.htmx import render
from services import consents as consent_rules

from . import bp
from .forms import ConfirmForm
from .views import _me

CONSENTS_CHECKED = "consents_checked"
OPEN_WHILE_CONSENTS_DUE = frozenset(
    {"static", "account.renew_consents", "auth.logout", "public.set_language", "public.help"}
)


@bp.before_app_request
def _consents_due():
    """Once per session (a login starts a new one): a patient who accepted an earlier version
    of a required consent accepts its new version before anything else."""
    if (
        session.get(CONSENTS_CHECKED)
        or request.endpoint in OPEN_WHILE_CONSENTS_DUE
        or not current_user.is_authenticated
        or not current_user.is_patient
    ):
        return None
    if not consent_rules.due_for(current_user):
        session[CONSENTS_CHECKED] = True
        return None
    return redirect(url_for("account.renew_consents"), 303)


@bp.route("/consents/renew", methods=["GET", "POST"])
def renew_consents():
    account = _me()
    due = consent_rules.due_for(account)
    form = ConfirmForm()
    if not due:
        session[CONSENTS_CHECKED] = True
        return redirect(url_for("public.home"), 303)
    if request.method == "POST":
        if form.validate_on_submit() and request.form.get("accept") == "1":
            consent_rules.accept(account, due, client_ip())
            session[CONSENTS_CHECKED] = True
            flash(_("Dziękujemy, zapisaliśmy Twoją zgodę."), "success")
            return redirect(url_for("public.home"), 303)
        form.form_errors.append(_("Zaznacz, że akceptujesz nową treść, aby przejść dalej."))
        return render("account/renew_consents.html", status=422, due=due, form=form)
    return render("account/renew_consents.html", due=due, form=form)
