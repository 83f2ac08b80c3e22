"""Staff logins: a staff account belongs to a StaffMember (a doctor's account is the doctor in
the schedule) and never to a Patient; a patient account is the other way round."""

from __future__ import annotations

from core.passwords import hash_password
from models.accounts import PATIENT, ROLES, STAFF_ROLES, Account
from models.base import utcnow
from models.clinic import StaffMember


class InvalidOwner(ValueError):
    """An account that would belong to both a patient and a staff member, or to neither."""


def check_owner(role: str, patient_id: int | None, staff_member_id: int | None) -> None:
    """The rule the database's `account_owner` CHECK enforces, said before a write."""
    if role not in ROLES:
        raise InvalidOwner(f"unknown role {role!r}")
    if role == PATIENT and (patient_id is None or staff_member_id is not None):
        raise InvalidOwner("a patient account belongs to one patient and no staff member")
    if role in STAFF_ROLES and (staff_member_id is None or patient_id is not None):
        raise InvalidOwner("a staff account belongs to one staff member and no patient")


def create_staff_account(
    login: str,
    email: str,
    password: str,
    role: str,
    staff_member: StaffMember | None = None,
) -> Account:
    """An activated staff login. Office staff without a place in the schedule get their own
    StaffMember row, not shown to patients (`active=False`)."""
    if staff_member is None:
        staff_member = StaffMember.create(first_name=login, last_name="", active=False)
    check_owner(role, None, staff_member.id)
    return Account.create(
        staff_member=staff_member,
        login=login,
        email=email,
        password_hash=hash_password(password),
        role=role,
        activated_at=utcnow(),
    )
