"""Staff members and their staff logins: list, create, edit, deactivate (services.catalogue)."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.htmx import render
from models.accounts import Account
from models.clinic import Facility, Specialty, StaffMember
from services import catalogue, staff_accounts

from . import bp
from .catalogue import KINDS, Kind, _saved, listing_page, toggle_active
from .forms import ROLE_LABELS, ConfirmForm, StaffForm


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
                disabled=form.disabled.data,
            )
        try:
            saved = catalogue.save_staff_member(person, login, object_id)
        except catalogue.LoginTaken as error:
            form.login.errors.append(error.message)
        else:
            if account is None and login is not None and not login.disabled:
                flash(
                    _("Wysłano na %(email)s link do ustawienia hasła.", email=login.email),
                    "info",
                )
            return _saved("staff", saved.display_name)
    return render(
        "admin/edit.html",
        status=422 if request.method == "POST" else 200,
        form=form,
        title=title,
        back_endpoint="admin.staff",
        staff_account=account,
    )


@bp.post("/staff/<int:object_id>/active", endpoint="staff_active")
def staff_active(object_id: int):
    return toggle_active("staff", StaffMember, object_id)


def _member_account(object_id: int) -> Account:
    account = catalogue.staff_account(catalogue.get(StaffMember, object_id))
    if account is None:
        abort(404)
    return account


@bp.post("/staff/<int:object_id>/password-link", endpoint="staff_password_link")
def staff_password_link(object_id: int):
    """Send the staff member a new link to set their password (never typed by the admin)."""
    account = _member_account(object_id)
    if not ConfirmForm().validate_on_submit():
        abort(422)
    try:
        staff_accounts.resend_password_link(account)
    except staff_accounts.NotAllowed:
        flash(_("Konto jest zablokowane: najpierw je odblokuj."), "error")
    else:
        flash(_("Wysłano na %(email)s link do ustawienia hasła.", email=account.email), "success")
    return redirect(url_for("admin.staff_edit", object_id=object_id), 303)


@bp.post("/staff/<int:object_id>/two-factor-reset", endpoint="staff_two_factor_reset")
def staff_two_factor_reset(object_id: int):
    """A lost phone: the staff member sets two-step verification up again at the next login."""
    account = _member_account(object_id)
    if not ConfirmForm().validate_on_submit():
        abort(422)
    staff_accounts.reset_two_factor(account)
    flash(
        _(
            "Wyłączono weryfikację dwuetapową konta %(login)s; przy następnym logowaniu "
            "ustawi ją ponownie.",
            login=account.login,
        ),
        "success",
    )
    return redirect(url_for("admin.staff_edit", object_id=object_id), 303)
