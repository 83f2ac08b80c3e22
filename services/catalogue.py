"""The clinic's catalogue kept by the admin: facilities, specialties, services and staff.

Nothing here is ever deleted: visits and slots point at these rows, so the admin deactivates
them instead (an inactive service or staff member is no longer offered to patients). Every
change is written to the audit log through core.audit.staff_action.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import peewee as pw
from flask_babel import gettext as _

from core import audit
from core.errors import DomainError
from models.accounts import STAFF_ROLES, Account
from models.base import write_transaction
from models.clinic import (
    Facility,
    Service,
    Specialty,
    StaffFacility,
    StaffMember,
    StaffSpecialty,
)

from . import staff_accounts
from .paging import Page, paginate


class CatalogueError(DomainError):
    """A catalogue change the clinic's data refuses; shown next to the form."""

    status = 409


class NameTaken(CatalogueError):
    status = 422

    @property
    def message(self) -> str:
        return _("Taka nazwa już istnieje.")


class LoginTaken(CatalogueError):
    status = 422

    @property
    def message(self) -> str:
        return _("Ten login lub adres e-mail ma już inne konto.")


class NotFound(CatalogueError):
    status = 404

    @property
    def message(self) -> str:
        return _("Nie znaleziono.")


class BadAgeRange(CatalogueError):
    status = 422

    @property
    def message(self) -> str:
        return _("Wiek „od” nie może być większy niż wiek „do”.")


class NoVisitKind(CatalogueError):
    status = 422

    @property
    def message(self) -> str:
        return _("Zaznacz co najmniej jedno finansowanie (NFZ, prywatnie) i jedną formę wizyty.")


def get(model: type[pw.Model], object_id: int) -> pw.Model:
    found = model.get_or_none(model.id == object_id)
    if found is None:
        raise NotFound()
    return found


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def listing(model: type[pw.Model], query_text: str = "", state: str = "", number: int = 1) -> Page:
    """A paged list filtered by name (case-insensitive) and state (`active`/`inactive`)."""
    name_field = model.last_name if model is StaffMember else model.name
    query = model.select()
    if query_text:
        query = query.where(pw.fn.LOWER(name_field) ** _like(query_text.lower()))
    if state in ("active", "inactive"):
        query = query.where(model.active == (state == "active"))
    order = [model.last_name, model.first_name] if model is StaffMember else [model.name]
    return paginate(query.order_by(*order, model.id), number)


def set_active(model: type[pw.Model], object_id: int, active: bool) -> pw.Model:
    """Deactivate (or bring back) a catalogue row; its past visits stay as they are."""
    row = get(model, object_id)
    with write_transaction():
        model.update(active=active).where(model.id == row.id).execute()
        if model is StaffMember and not active:
            # a person who left cannot log in either; their open sessions end now
            Account.update(disabled=True, session_version=Account.session_version + 1).where(
                Account.staff_member == row.id
            ).execute()
        table = model._meta.table_name
        audit.staff_action(
            f"admin.{table}.{'activated' if active else 'deactivated'}",
            object_type=table,
            object_id=row.id,
        )
    row.active = active
    return row


def _save(model: type[pw.Model], row_id: int | None, values: dict, action: str) -> pw.Model:
    table = model._meta.table_name
    try:
        with write_transaction():
            if row_id is None:
                row = model.create(**values)
            else:
                row = get(model, row_id)
                model.update(**values).where(model.id == row.id).execute()
                row = model.get_by_id(row.id)
            audit.staff_action(
                f"admin.{table}.{action}",
                object_type=table,
                object_id=row.id,
                details=str(values.get("name") or values.get("last_name") or "")[:200],
            )
    except pw.IntegrityError:
        raise NameTaken() from None
    return row


def save_facility(values: dict, facility_id: int | None = None) -> Facility:
    return _save(Facility, facility_id, values, "created" if facility_id is None else "changed")


def save_specialty(values: dict, specialty_id: int | None = None) -> Specialty:
    name = values["name"]
    taken = Specialty.select().where(pw.fn.LOWER(Specialty.name) == name.lower())
    if specialty_id is not None:
        taken = taken.where(Specialty.id != specialty_id)
    if taken.exists():
        raise NameTaken()
    return _save(Specialty, specialty_id, values, "created" if specialty_id is None else "changed")


def save_service(values: dict, service_id: int | None = None) -> Service:
    """Duration, NFZ/private, in person/remote, price, referral and age range (ASVS V5.1)."""
    low, high = values.get("min_age"), values.get("max_age")
    if low is not None and high is not None and low > high:
        raise BadAgeRange()
    if not (values["nfz"] or values["private"]) or not (values["in_person"] or values["remote"]):
        raise NoVisitKind()
    get(Specialty, values["specialty"])
    if values.get("price") is not None:
        values["price"] = Decimal(values["price"]).quantize(Decimal("0.01"))
    return _save(Service, service_id, values, "created" if service_id is None else "changed")


# --- staff members and their logins ------------------------------------------------------------


@dataclass
class StaffData:
    first_name: str
    last_name: str
    title: str = ""
    specialties: list[int] = field(default_factory=list)
    facilities: list[int] = field(default_factory=list)


@dataclass
class StaffLogin:
    login: str
    email: str
    role: str
    disabled: bool = False


def staff_account(member: StaffMember) -> Account | None:
    return Account.get_or_none(Account.staff_member == member.id)


def _links(member: StaffMember, data: StaffData) -> None:
    StaffSpecialty.delete().where(StaffSpecialty.staff == member.id).execute()
    StaffFacility.delete().where(StaffFacility.staff == member.id).execute()
    specialties = Specialty.select(Specialty.id).where(Specialty.id.in_(data.specialties or [0]))
    facilities = Facility.select(Facility.id).where(Facility.id.in_(data.facilities or [0]))
    for (spec_id,) in specialties.tuples():
        StaffSpecialty.create(staff=member.id, specialty=spec_id)
    for (fac_id,) in facilities.tuples():
        StaffFacility.create(staff=member.id, facility=fac_id)


def save_staff_member(
    data: StaffData, login: StaffLogin | None = None, member_id: int | None = None
) -> StaffMember:
    """A person in the schedule with their specialties and sites, and optionally their staff
    login (a doctor's account is that doctor: the schedule's row and the login are one)."""
    if login is not None and login.role not in STAFF_ROLES:
        raise CatalogueError()
    values = {"first_name": data.first_name, "last_name": data.last_name, "title": data.title}
    try:
        with write_transaction():
            if member_id is None:
                member = StaffMember.create(**values)
            else:
                member = get(StaffMember, member_id)
                StaffMember.update(**values).where(StaffMember.id == member.id).execute()
            _links(member, data)
            account = staff_account(member)
            if login is not None:
                account = _save_login(member, account, login)
            audit.staff_action(
                "admin.staff.created" if member_id is None else "admin.staff.changed",
                object_type="staff_member",
                object_id=member.id,
                subject_account_id=account.id if account else None,
                details=f"{data.first_name} {data.last_name}"
                + (f"; login {login.login} ({login.role})" if login else ""),
            )
    except pw.IntegrityError:
        raise LoginTaken() from None
    return StaffMember.get_by_id(member.id)


def _save_login(member: StaffMember, account: Account | None, login: StaffLogin) -> Account:
    clash = Account.select().where(
        (pw.fn.LOWER(Account.login) == login.login.lower())
        | (pw.fn.LOWER(Account.email) == login.email.lower())
    )
    if account is not None:
        clash = clash.where(Account.id != account.id)
    if clash.exists():
        raise LoginTaken()
    if account is None:
        # the admin never knows the password: the new staff member sets it from the e-mail
        created = Account.create(
            staff_member=member.id,
            login=login.login,
            email=login.email,
            password_hash=staff_accounts.unusable_password_hash(),
            role=login.role,
            disabled=login.disabled,
        )
        if not login.disabled:
            staff_accounts.send_password_link(created, new=True)
        return created
    changes: dict = {
        "login": login.login,
        "email": login.email,
        "role": login.role,
        "disabled": login.disabled,
    }
    if (
        login.disabled != account.disabled
        or login.role != account.role
        or login.login != account.login
    ):
        # a new role, login or a disabled login ends the sessions open with the old one
        changes["session_version"] = Account.session_version + 1
    Account.update(**changes).where(Account.id == account.id).execute()
    return Account.get_by_id(account.id)


def options(model: type[pw.Model]) -> list[tuple[int, str]]:
    """Active rows for a select list, by name."""
    rows = model.select().where(model.active).order_by(model.name)
    return [(row.id, row.name) for row in rows]


def staff_options() -> list[tuple[int, str]]:
    rows = StaffMember.select().order_by(StaffMember.last_name, StaffMember.first_name)
    return [(m.id, m.display_name) for m in rows]
