"""Panel: RODO requests — the list with status, the clinic's answer and the one-month
deadline; a new request (kind, form of access to documentation, description); withdrawing
one the clinic has not handled yet."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core import audit
from core.extensions import client_ip, configured_limit, limiter
from core.htmx import render
from core.timeutil import local_today
from models.accounts import Account
from services import data_requests as requests_service

from . import bp
from .common import patient, refuse


def _key() -> str:
    return f"account:{current_user.id}" if current_user.is_authenticated else client_ip()


def _labels() -> dict:
    return {
        "kinds": requests_service.KIND_LABELS,
        "forms": requests_service.ACCESS_FORM_LABELS,
        "statuses": requests_service.STATUS_LABELS,
    }


@bp.route("/requests")
def data_requests():
    person = patient()
    raw = request.args.get("page", "1")
    page = requests_service.requests_of(person, int(raw) if raw.isdigit() and len(raw) < 6 else 1)
    audit.read("data_requests", person.id)
    return render("panel/requests.html", block="results", person=person, page=page, **_labels())


@bp.route("/requests/new", methods=["GET", "POST"])
@limiter.limit(
    configured_limit("DATA_REQUEST_RATE_LIMIT", "10 per hour"), methods=["POST"], key_func=_key
)
def new_data_request():
    person = patient()
    problem = field = ""
    status = 200
    if request.method == "POST":
        try:
            requests_service.submit_request(
                Account.get_by_id(current_user.id),
                person,
                request.form.get("kind", ""),
                request.form.get("description", ""),
                request.form.get("access_form", ""),
            )
        except requests_service.DataRequestError as error:
            problem, status, field = error.message, error.status, error.field
        else:
            flash(_("Wniosek został złożony. Odpowiemy w ciągu miesiąca."), "success")
            return redirect(url_for("panel.data_requests"), 303)
    return render(
        "panel/request_new.html",
        status=status,
        person=person,
        refusal=problem,
        problem_field=field,
        problem="" if field else problem,
        form=request.form,
        due_on=requests_service.one_month_after(local_today()),
        **_labels(),
    )


@bp.route("/requests/<int:request_id>/withdraw", methods=["POST"])
def withdraw_data_request(request_id: int):
    person = patient()
    found = requests_service.request_for(person, request_id)
    if found is None:
        refuse("data_request", request_id)
    requests_service.withdraw_request(found)  # RequestNotOpen → the 409 page
    flash(_("Wniosek został wycofany."), "success")
    return redirect(url_for("panel.data_requests"), 303)
