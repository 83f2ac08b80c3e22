"""A forgotten password: the reset link by e-mail and the new password.

The same page sets a new staff login's first password (services/staff_accounts.py sends that
link, with its own validity). Every function takes `now` where time matters, so tests can
shift time without sleeping.
"""

from __future__ import annotations

from datetime import datetime

import peewee
from flask import current_app
from flask_babel import gettext as _

from core import audit
from core.mail import queue_mail
from core.passwords import hash_password
from core.tokens import (
    TokenExpired,
    TokenInvalid,
    is_bound_to,
    mail_link,
    make_token,
    max_age,
    read_token,
)
from models.accounts import Account
from models.base import utcnow, write_transaction

from . import lockout
from .staff_accounts import STAFF_INVITE

RESET = "reset-password"


def reset_token(account: Account) -> str:
    """Bound to the password hash: the link stops working once the password changes."""
    return make_token(RESET, {"a": account.id}, bound_to=account.password_hash)


def request_password_reset(email: str, ip: str | None = None) -> None:
    """ASVS V2.5.x mail a reset link if the account exists; the caller answers the same anyway."""
    email = (email or "").strip().lower()
    if not email or len(email) > 254:
        return
    with write_transaction():
        account = Account.get_or_none(peewee.fn.LOWER(Account.email) == email)
        if account is None or account.disabled:
            return
        link = mail_link("auth.reset_password", token=reset_token(account))
        queue_mail(
            account.email,
            _("Ustawienie nowego hasła w e-Rejestracji"),
            _(
                "Dzień dobry,\n\nTwój login w e-Rejestracji: %(login)s\n\n"
                "Aby ustawić nowe hasło, otwórz link:\n%(link)s\n\n"
                "Link jest ważny %(hours)s godz. i działa jeden raz. Jeśli to nie Ty prosisz "
                "o zmianę hasła, zignoruj tę wiadomość — hasło pozostanie bez zmian.\n",
                login=account.login,
                link=link,
                hours=current_app.config["RESET_MAX_AGE_HOURS"],
            ),
        )
        audit.record(
            "password.reset_requested",
            patient_id=account.patient_id,
            object_type="account",
            object_id=account.id,
            ip=ip,
        )


def _reset_or_invite(token: str) -> tuple[dict, bool]:
    """A reset link, or a new staff login's set-password link (longer valid, same page);
    with whether it is the latter."""
    try:
        return read_token(RESET, token, max_age("RESET_MAX_AGE_HOURS")), False
    except TokenExpired:
        raise
    except TokenInvalid as error:
        try:
            return read_token(STAFF_INVITE, token, max_age("STAFF_INVITE_MAX_AGE_HOURS")), True
        except TokenExpired:
            raise
        except TokenInvalid:
            raise error from None


def reset_link(token: str) -> tuple[Account, bool]:
    """The account a genuine, unexpired, unused link is for, and whether the link sets a new
    staff login's first password (the page says so); else TokenInvalid/Expired."""
    data, invite = _reset_or_invite(token)
    account = Account.get_or_none(Account.id == data.get("a"))
    if account is None or account.disabled or not is_bound_to(data, account.password_hash):
        raise TokenInvalid("used or unknown")
    return account, invite


def reset_password(token: str, new_password: str, now: datetime | None = None) -> Account:
    """Set the new password; the link, other sessions and any lock end (ASVS V2.5, V3.3.3)."""
    now = now or utcnow()
    account, _invite = reset_link(token)
    new_hash = hash_password(new_password)
    with write_transaction():
        changed = (
            Account.update(
                password_hash=new_hash,
                session_version=Account.session_version + 1,
                failed_logins=0,
                locked_until=None,
                lock_count=0,
                # The link reached the mailbox, so the address is confirmed.
                activated_at=peewee.fn.COALESCE(Account.activated_at, now),
            )
            .where((Account.id == account.id) & (Account.password_hash == account.password_hash))
            .execute()
        )
        if changed != 1:
            raise TokenInvalid("already used")
        lockout.clear_all(account)  # a reset always unlocks, for every source
        queue_mail(
            account.email,
            _("Hasło do e-Rejestracji zostało zmienione"),
            _(
                "Dzień dobry,\n\nhasło do Twojego konta w e-Rejestracji zostało właśnie "
                "zmienione, a wszystkie sesje wylogowane. Jeśli to nie Ty, natychmiast "
                "skontaktuj się z przychodnią: %(phone)s.\n",
                phone=current_app.config["ADMIN_CONTACT_PHONE"],
            ),
        )
        audit.record_for_account(account, "password.reset")
    return Account.get_by_id(account.id)
