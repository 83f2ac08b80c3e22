"""Helpers shared by the desk's routes: roles, the acting account, request parsing."""

from __future__ import annotations

from datetime import date

from flask import request
from flask_login import current_user

from core.timeutil import local_today
from models.accounts import Account
from models.clinic import Facility, StaffMember
from services.booking import valid_id

DESK = ("registrar", "admin")
ALL_STAFF = ("registrar", "doctor", "admin")


def me() -> Account:
    return Account.get_by_id(current_user.id)


def is_desk() -> bool:
    return current_user.is_authenticated and current_user.role in DESK


def arg_date(name: str, default: date | None = None) -> date | None:
    raw = (request.args.get(name) or "").strip()
    try:
        return date.fromisoformat(raw) if raw else default
    except ValueError:
        return default


def arg_id(name: str) -> int | None:
    return valid_id(request.args.get(name))


def arg_page() -> int:
    number = valid_id(request.args.get("page"))
    return min(number or 1, 1000)


def today() -> date:
    return local_today()


def staff_choices(with_inactive: bool = False) -> list[StaffMember]:
    query = StaffMember.select()
    if not with_inactive:
        query = query.where(StaffMember.active)
    return list(query.order_by(StaffMember.last_name, StaffMember.first_name))


def facility_choices() -> list[Facility]:
    return list(Facility.select().where(Facility.active).order_by(Facility.name))
