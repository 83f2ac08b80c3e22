"""Staff members and their staff logins: list, create, edit, deactivate (services.catalogue)."""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from models.clinic import Facility, Specialty, StaffMember
from services import catalogue

from . import bp
from .catalogue import KINDS, Kind, _edit_page, _saved, listing_page, toggle_active
from .forms import ROLE_LABELS, StaffForm


def _staff_cells(member: StaffMember) -> list[str]:
    account = catalogue.staff_account(member)
    login = f"{account.login} ({ROLE_LABELS[account.role]})" if account else _("brak konta")
    specialties = ", ".join(link.specialty.name for link in member.specialty_links)
    return [member.display_name, specialties, login, _("tak") if member.active else _("nie")]


KINDS["staff"] = Kind(
    StaffMember,
    _l("Personel"),
    _l("Dodaj osobę"),
    (_l("Imię i nazwisko"), _l("Specjalności"), _l("Konto"), _l("Aktywny")),
    _staff_cells,
)


@bp.get("/staff")
def staff():
    return listing_page("staff")


@bp.route("/staff/new", methods=["GET", "POST"], endpoint="staff_new")
@bp.route("/staff/<int:object_id>", methods=["GET", "POST"], endpoint="staff_edit")
def staff_form(object_id: int | None = None):
    member = catalogue.get(StaffMember, object_id) if object_id else None
    account = catalogue.staff_account(member) if member else None
    data = None
    if member is not None and request.method != "POST":
        data = {
            "title": member.title,
            "first_name": member.first_name,
            "last_name": member.last_name,
            "specialties": [link.specialty_id for link in member.specialty_links],
            "facilities": [link.facility_id for link in member.facility_links],
            "has_login": account is not None,
            "login": account.login if account else "",
            "email": account.email if account else "",
            "role": account.role if account else "doctor",
            "disabled": account.disabled if account else False,
        }
    form = StaffForm(data=data)
    form.new_login = account is None
    form.user_inputs = tuple(x for x in (form.login.data, form.email.data) if x)
    form.specialties.choices = catalogue.options(Specialty)
    form.facilities.choices = catalogue.options(Facility)
    title = member.display_name if member else _("Nowa osoba")
    if form.validate_on_submit():
        person = catalogue.StaffData(
            first_name=form.first_name.data,
            last_name=form.last_name.data,
            title=form.title.data or "",
            specialties=form.specialties.data or [],
            facilities=form.facilities.data or [],
        )
        login = None
        if form.has_login.data:
            login = catalogue.StaffLogin(
                login=form.login.data,
                email=form.email.data,
                role=form.role.data,
                password=form.password.data or "",
                disabled=form.disabled.data,
            )
        try:
            saved = catalogue.save_staff_member(person, login, object_id)
        except catalogue.LoginTaken as error:
            form.login.errors.append(error.message)
        else:
            return _saved("staff", saved.display_name)
    return _edit_page(form, title, "admin.staff", 422 if request.method == "POST" else 200)


@bp.post("/staff/<int:object_id>/active", endpoint="staff_active")
def staff_active(object_id: int):
    return toggle_active("staff", StaffMember, object_id)
