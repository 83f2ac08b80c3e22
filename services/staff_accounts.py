"""Staff logins: a staff account belongs to a StaffMember (a doctor's account is the doctor in
the schedule) and never to a Patient; a patient account is the other way round."""

from __future__ import annotations

import secrets

from flask import current_app
from flask_babel import gettext as _

from core import audit
from core.mail import queue_mail
from core.passwords import hash_password
from core.tokens import mail_link, make_token
from models.accounts import PATIENT, ROLES, STAFF_ROLES, Account, RecoveryCode
from models.base import utcnow, write_transaction
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


# --- the admin's account actions: a set-password link, a fresh start for two-step login -----

STAFF_INVITE = "staff-invite"


def unusable_password_hash() -> str:
    """A new staff login's hash until its owner sets a password: nobody knows the password."""
    return hash_password(secrets.token_urlsafe(32))


def invite_token(account: Account) -> str:
    """Bound to the password hash like a reset link: once the password is set it is used up.

    Read by services.password_reset.reset_link (the set-password page is the reset
    page), with its own validity, STAFF_INVITE_MAX_AGE_HOURS."""
    return make_token(STAFF_INVITE, {"a": account.id}, bound_to=account.password_hash)


def send_password_link(account: Account, *, new: bool) -> None:
    """Mail the staff member a link to set their own password (the admin never types one)."""
    link = mail_link("auth.reset_password", token=invite_token(account))
    hours = current_app.config["STAFF_INVITE_MAX_AGE_HOURS"]
    clinic = current_app.config["CLINIC_NAME"]
    intro = (
        _("administrator założył Ci konto personelu w e-Rejestracji %(clinic)s.", clinic=clinic)
        if new
        else _(
            "administrator wysłał Ci link do ustawienia hasła w e-Rejestracji %(clinic)s.",
            clinic=clinic,
        )
    )
    queue_mail(
        account.email,
        _("Ustaw hasło do konta personelu"),
        _("Dzień dobry,\n\n")
        + intro
        + _(
            "\n\nTwój login: %(login)s\n\nAby ustawić hasło, otwórz link:\n%(link)s\n\n"
            "Link jest ważny %(hours)s godz. i działa jeden raz. Po pierwszym logowaniu "
            "włączysz weryfikację dwuetapową.\n",
            login=account.login,
            link=link,
            hours=hours,
        ),
    )


def resend_password_link(account: Account) -> None:
    """The admin sends a new set-password link (the old one expired or got lost)."""
    if account.role not in STAFF_ROLES or account.disabled:
        raise NotAllowed()
    with write_transaction():
        send_password_link(account, new=account.activated_at is None)
        audit.staff_action(
            "admin.staff.password_link",
            subject_account_id=account.id,
            object_type="account",
            object_id=account.id,
            details=account.login,
        )


def reset_two_factor(account: Account) -> None:
    """A staff member lost their phone: TOTP and recovery codes are gone, every session ends,
    and the next login goes straight to setting two-step verification up again."""
    if account.role not in STAFF_ROLES:
        raise NotAllowed()
    with write_transaction():
        Account.update(
            totp_secret=None,
            totp_last_step=None,
            session_version=Account.session_version + 1,
        ).where(Account.id == account.id).execute()
        RecoveryCode.delete().where(RecoveryCode.account == account.id).execute()
        queue_mail(
            account.email,
            _("Wyłączono weryfikację dwuetapową"),
            _("Dzień dobry,\n\n")
            + _(
                "administrator wyłączył weryfikację dwuetapową na Twoim koncie personelu "
                "(%(login)s). Przy następnym logowaniu ustawisz ją ponownie w nowym telefonie. "
                "Jeśli o to nie prosiłeś, skontaktuj się z administratorem.\n",
                login=account.login,
            ),
        )
        audit.staff_action(
            "admin.staff.two_factor_reset",
            subject_account_id=account.id,
            object_type="account",
            object_id=account.id,
            details=account.login,
        )


class NotAllowed(ValueError):
    """Not a staff login, or one that is disabled."""
