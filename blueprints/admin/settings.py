"""Consent texts with versions, and the clinic's rules and contact (services.consents,
services.clinic_settings)."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _

from core.htmx import render
from services import clinic_settings, consents

from . import bp
from .forms import ConfirmForm, ConsentForm, ConsentVersionForm, settings_form


@bp.get("/")
def index():
    return render("admin/index.html")


# --- consents --------------------------------------------------------------------------------


@bp.get("/consents")
def consents_list():
    return render("admin/consents.html", consents=consents.current_versions())


@bp.route("/consents/new", methods=["GET", "POST"])
def consent_new():
    form = ConsentForm()
    if form.validate_on_submit():
        text = consents.ConsentText(form.title.data, form.text.data, form.required.data)
        try:
            consents.create(form.code.data, text)
        except consents.ConsentError as error:
            form.code.errors.append(error.message)
        else:
            flash(_("Dodano zgodę."), "success")
            return redirect(url_for("admin.consents_list"), 303)
    status = 422 if request.method == "POST" else 200
    return render(
        "admin/edit.html",
        status=status,
        form=form,
        title=_("Nowa zgoda"),
        back_endpoint="admin.consents_list",
    )


def _code_or_404(code: str) -> list:
    if len(code) > 40 or not consents.CODE_RE.match(code):
        abort(404)
    try:
        return consents.versions(code)
    except consents.UnknownConsent:
        abort(404)


@bp.route("/consents/<code>", methods=["GET", "POST"])
def consent_versions(code: str):
    """All versions of one consent; the form adds the next version (patients accept again
    at their next login when the consent is required)."""
    rows = _code_or_404(code)
    latest = rows[0]
    form = ConsentVersionForm(
        data=None
        if request.method == "POST"
        else {"title": latest.title, "text": latest.text, "required": latest.required}
    )
    if form.validate_on_submit():
        text = consents.ConsentText(form.title.data, form.text.data, form.required.data)
        new = consents.new_version(code, text)
        flash(_("Zapisano wersję %(n)s zgody.", n=new.version), "success")
        return redirect(url_for("admin.consent_versions", code=code), 303)
    return render(
        "admin/consent.html",
        status=422 if request.method == "POST" else 200,
        code=code,
        versions=rows,
        latest=latest,
        form=form,
        retire_form=ConfirmForm(prefix="retire"),
    )


@bp.post("/consents/<code>/retire")
def consent_retire(code: str):
    rows = _code_or_404(code)
    form = ConfirmForm(prefix="retire")
    if not form.validate_on_submit():
        abort(422)
    consents.set_retired(code, retired=rows[0].active)
    flash(_("Zapisano."), "success")
    return redirect(url_for("admin.consent_versions", code=code), 303)


# --- clinic rules, footer contact, help page -------------------------------------------------


@bp.route("/settings", methods=["GET", "POST"])
def settings():
    config = current_app.config
    defaults = clinic_settings.defaults(config)
    form_class = settings_form(clinic_settings.SETTINGS, defaults)
    stored = clinic_settings.stored()
    form = form_class(
        data=None if request.method == "POST" else {k.lower(): v for k, v in stored.items()}
    )
    if form.validate_on_submit():
        changes = {s.key: form[s.key.lower()].data for s in clinic_settings.SETTINGS}
        try:
            clinic_settings.save(changes, config)
        except clinic_settings.SettingInvalid as error:
            form[error.key.lower()].errors.append(error.message)
        else:
            flash(_("Zapisano zasady i dane kontaktowe."), "success")
            return redirect(url_for("admin.settings"), 303)
    groups = [
        (_("Zasady rezerwacji"), "rules"),
        (_("Kontakt w stopce"), "contact"),
        (_("Strona pomocy"), "help"),
    ]
    return render(
        "admin/settings.html",
        status=422 if request.method == "POST" else 200,
        form=form,
        groups=groups,
        settings=clinic_settings.SETTINGS,
    )
