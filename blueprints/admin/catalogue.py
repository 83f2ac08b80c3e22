"""Facilities, specialties and services: list (paged, filtered by GET), create, edit and
deactivate. One table of kinds drives the routes; the rules are in services.catalogue."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.htmx import render
from models.clinic import Facility, Service, Specialty
from services import catalogue
from services.paging import page_number

from . import bp
from .forms import ActiveForm, FacilityForm, ServiceForm, SpecialtyForm


@dataclass(frozen=True)
class Kind:
    model: type
    title: Any
    new_label: Any
    headings: tuple
    cells: Callable[[Any], list[str]]


def _yes(value: bool) -> str:
    return _("tak") if value else _("nie")


def _service_cells(s: Service) -> list[str]:
    funding = "/".join(x for x, on in (("NFZ", s.nfz), (_("prywatnie"), s.private)) if on)
    mode = "/".join(x for x, on in ((_("w placówce"), s.in_person), (_("zdalnie"), s.remote)) if on)
    return [s.name, s.specialty.name, f"{s.duration_minutes} min", funding, mode, _yes(s.active)]


KINDS: dict[str, Kind] = {
    "facilities": Kind(
        Facility,
        _l("Placówki"),
        _l("Dodaj placówkę"),
        (_l("Nazwa"), _l("Adres"), _l("Aktywna")),
        lambda f: [f.name, f"{f.street}, {f.postal_code} {f.city}", _yes(f.active)],
    ),
    "specialties": Kind(
        Specialty,
        _l("Specjalności"),
        _l("Dodaj specjalność"),
        (_l("Nazwa"), _l("Limit wizyt"), _l("Aktywna")),
        lambda s: [s.name, "" if s.booking_limit is None else str(s.booking_limit), _yes(s.active)],
    ),
    "services": Kind(
        Service,
        _l("Świadczenia"),
        _l("Dodaj świadczenie"),
        (
            _l("Nazwa"),
            _l("Specjalność"),
            _l("Czas"),
            _l("Finansowanie"),
            _l("Forma"),
            _l("Aktywne"),
        ),
        _service_cells,
    ),
}


def listing_page(kind_name: str):
    kind = KINDS[kind_name]
    filters = {
        "q": (request.args.get("q") or "").strip()[:100],
        "state": request.args.get("state")
        if request.args.get("state") in ("active", "inactive")
        else "",
    }
    page = catalogue.listing(
        kind.model, filters["q"], filters["state"], page_number(request.args.get("page"))
    )
    return render(
        "admin/list.html",
        block="results",
        title=kind.title,
        new_label=kind.new_label,
        headings=kind.headings,
        rows=[(row, kind.cells(row)) for row in page.items],
        page=page,
        filters=filters,
        new_endpoint=f"admin.{kind_name}_new",
        edit_endpoint=f"admin.{kind_name}_edit",
        active_endpoint=f"admin.{kind_name}_active",
    )


def toggle_active(kind_name: str, model: type, object_id: int):
    form = ActiveForm()
    if not form.validate_on_submit():
        abort(422)
    row = catalogue.set_active(model, object_id, form.active.data == "1")
    flash(_("Zapisano: %(name)s.", name=getattr(row, "name", None) or row.display_name), "success")
    return redirect(url_for(f"admin.{kind_name}"), 303)


def _edit_page(form, title, back: str, status: int = 200):
    return render("admin/edit.html", status=status, form=form, title=title, back_endpoint=back)


def _saved(kind_name: str, name: str):
    flash(_("Zapisano: %(name)s.", name=name), "success")
    return redirect(url_for(f"admin.{kind_name}"), 303)


# --- facilities ------------------------------------------------------------------------------


@bp.get("/facilities")
def facilities():
    return listing_page("facilities")


@bp.route("/facilities/new", methods=["GET", "POST"], endpoint="facilities_new")
@bp.route("/facilities/<int:object_id>", methods=["GET", "POST"], endpoint="facilities_edit")
def facility_form(object_id: int | None = None):
    row = catalogue.get(Facility, object_id) if object_id else None
    form = FacilityForm(obj=row)
    title = row.name if row else _("Nowa placówka")
    if form.validate_on_submit():
        values = {n: form[n].data or "" for n in ("name", "street", "postal_code", "city", "phone")}
        saved = catalogue.save_facility(values, object_id)
        return _saved("facilities", saved.name)
    return _edit_page(form, title, "admin.facilities", 422 if request.method == "POST" else 200)


@bp.post("/facilities/<int:object_id>/active", endpoint="facilities_active")
def facility_active(object_id: int):
    return toggle_active("facilities", Facility, object_id)


# --- specialties -----------------------------------------------------------------------------


@bp.get("/specialties")
def specialties():
    return listing_page("specialties")


@bp.route("/specialties/new", methods=["GET", "POST"], endpoint="specialties_new")
@bp.route("/specialties/<int:object_id>", methods=["GET", "POST"], endpoint="specialties_edit")
def specialty_form(object_id: int | None = None):
    row = catalogue.get(Specialty, object_id) if object_id else None
    form = SpecialtyForm(obj=row)
    title = row.name if row else _("Nowa specjalność")
    if form.validate_on_submit():
        try:
            saved = catalogue.save_specialty(
                {"name": form.name.data, "booking_limit": form.booking_limit.data}, object_id
            )
        except catalogue.NameTaken as error:
            form.name.errors.append(error.message)
        else:
            return _saved("specialties", saved.name)
    return _edit_page(form, title, "admin.specialties", 422 if request.method == "POST" else 200)


@bp.post("/specialties/<int:object_id>/active", endpoint="specialties_active")
def specialty_active(object_id: int):
    return toggle_active("specialties", Specialty, object_id)


# --- services --------------------------------------------------------------------------------

SERVICE_FIELDS = (
    "name",
    "specialty",
    "duration_minutes",
    "nfz",
    "private",
    "in_person",
    "remote",
    "price",
    "requires_referral",
    "min_age",
    "max_age",
)


@bp.get("/services")
def services():
    return listing_page("services")


@bp.route("/services/new", methods=["GET", "POST"], endpoint="services_new")
@bp.route("/services/<int:object_id>", methods=["GET", "POST"], endpoint="services_edit")
def service_form(object_id: int | None = None):
    row = catalogue.get(Service, object_id) if object_id else None
    form = ServiceForm(obj=row, data=None if row else {"nfz": True, "in_person": True})
    if row is not None and request.method != "POST":
        form.specialty.data = row.specialty_id
    form.specialty.choices = catalogue.options(Specialty)
    if row is not None and row.specialty_id not in dict(form.specialty.choices):
        form.specialty.choices.append((row.specialty_id, row.specialty.name))
    title = row.name if row else _("Nowe świadczenie")
    if form.validate_on_submit():
        values = {name: form[name].data for name in SERVICE_FIELDS}
        try:
            saved = catalogue.save_service(values, object_id)
        except catalogue.CatalogueError as error:
            form.form_errors.append(error.message)
        else:
            return _saved("services", saved.name)
    return _edit_page(form, title, "admin.services", 422 if request.method == "POST" else 200)


@bp.post("/services/<int:object_id>/active", endpoint="services_active")
def service_active(object_id: int):
    return toggle_active("services", Service, object_id)
