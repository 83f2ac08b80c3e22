"""Registration: the form (with its field-by-field htmx checks) and the page after it."""

from __future__ import annotations

import logging

from flask import g, redirect, request, session, url_for
from flask_babel import gettext as _

from blueprints.forms_common import resolve_locality_field
from core import botcheck, mail_status
from core.extensions import client_ip, configured_limit, limiter
from core.htmx import render
from core.password_policy import strength_hint
from models.accounts import Consent
from services import registration

from . import bp
from .forms import capped_formdata, registration_form

log = logging.getLogger("wizyta.auth")

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


REGISTERED_EMAIL = "registered_email"


def _is_field_validation() -> bool:
    """An htmx request validating one field: it creates nothing, so it has its own, generous
    limit (a person types) instead of the registration's."""
    return (
        request.method == "POST"
        and request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-Trigger-Name") in VALIDATED_FIELDS
    )


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
