"""Panel: repeat prescriptions — the orders with their status, the issued prescriptions
with the access code, "Zamów receptę" (doctor, standing or typed medicines, packages,
note) and withdrawing an order still submitted."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from core import audit
from core.extensions import client_ip, configured_limit, limiter
from core.htmx import render
from models.accounts import Account
from services import prescriptions as rx
from services.medical_records import SEARCH_MAX

from . import bp
from .common import patient, refuse

TYPED_ROWS = 3


def _order_key() -> str:
    """Per account: patients behind one NAT do not share a budget."""
    return f"account:{current_user.id}" if current_user.is_authenticated else client_ip()


def _page_number(name: str) -> int:
    raw = request.args.get(name, "1")
    return int(raw) if raw.isdigit() and len(raw) < 6 else 1


@bp.route("/prescriptions")
def prescriptions():
    person = patient()
    medicine = (request.args.get("q") or "").strip()[:SEARCH_MAX]
    issued = rx.prescriptions(person, _page_number("page"), medicine)
    orders = rx.orders(person, _page_number("orders_page"))
    audit.read("prescriptions", person.id)
    return render(
        "panel/prescriptions.html",
        block="results",
        person=person,
        issued=issued,
        orders=orders,
        q=medicine,
    )


def _packages(raw: str | None) -> int:
    raw = (raw or "1").strip()
    return int(raw) if raw.isdigit() and len(raw) < 4 else 0


def _lines_from_form(standing: list[str]) -> list[rx.OrderLine]:
    lines = []
    for raw in request.form.getlist("pick"):
        if raw.isdigit() and int(raw) < len(standing):
            index = int(raw)
            lines.append(
                rx.OrderLine(standing[index], _packages(request.form.get(f"pick_packages_{index}")))
            )
    for row in range(1, TYPED_ROWS + 1):
        name = (request.form.get(f"medicine_{row}") or "")[: rx.MEDICINE_MAX + 1]
        if name.strip():
            lines.append(rx.OrderLine(name, _packages(request.form.get(f"packages_{row}"))))
    return lines


@bp.route("/prescriptions/order", methods=["GET", "POST"])
@limiter.limit(
    configured_limit("PRESCRIPTION_ORDER_RATE_LIMIT", "10 per hour"),
    methods=["POST"],
    key_func=_order_key,
)
def order_prescription():
    person = patient()
    standing = rx.standing_medicines(person)
    doctors = rx.order_doctors(person)
    if request.method != "POST":
        audit.read("standing_medicines", person.id)
        return render(
            "panel/prescription_order.html",
            person=person,
            standing=standing,
            doctors=doctors,
            rows=range(1, TYPED_ROWS + 1),
            form=MultiDict(),
            problem_field="",
        )
    raw_staff = request.form.get("staff", "")
    staff_id = int(raw_staff) if raw_staff.isdigit() and len(raw_staff) < 10 else None
    note = request.form.get("note", "")
    try:
        rx.order_prescription(
            Account.get_by_id(current_user.id), person, staff_id, _lines_from_form(standing), note
        )
    except rx.PrescriptionError as error:
        return render(
            "panel/prescription_order.html",
            status=error.status,
            person=person,
            standing=standing,
            doctors=doctors,
            rows=range(1, TYPED_ROWS + 1),
            form=request.form,
            # a refusal about one field is shown at the field and linked from the summary;
            # any other refusal goes to the layout's problem box
            refusal=error.message,
            problem_field=getattr(error, "field", ""),
            problem="" if getattr(error, "field", "") else error.message,
        )
    flash(_("Wysłaliśmy zamówienie recepty do lekarza."), "success")
    return redirect(url_for("panel.prescriptions"), 303)


@bp.route("/prescriptions/orders/<int:order_id>/withdraw", methods=["POST"])
def withdraw_prescription_order(order_id: int):
    person = patient()
    order = rx.order_for(person, order_id)
    if order is None:
        refuse("prescription_order", order_id)
    rx.withdraw_order(order)  # OrderNotOpen → the 409 page
    flash(_("Zamówienie recepty zostało wycofane."), "success")
    return redirect(url_for("panel.prescriptions"), 303)
