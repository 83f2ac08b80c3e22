"""Lock-out that targets the attacker, not the patient (ASVS V2.2.1).

Failed logins count per account *and* per source (client IP). A source that fails
LOGIN_MAX_FAILURES times on an account is locked out of that account (15, 30, 60 … minutes).
The account-wide lock (service.record_account_failure) still stops a guessing attack spread
over many addresses, but it only holds back sources that failed on the account: a correct
password from a source with no failures passes through it after an anti-bot challenge, which
is audit-logged and mailed to the owner. A password reset clears every lock of the account.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from flask_babel import format_datetime
from flask_babel import gettext as _

from core import audit
from core.mail import queue_mail
from models.accounts import Account, LoginFailure
from models.base import write_transaction

# Failures older than this no longer mark a source as one that caused a lock.
MEMORY = timedelta(days=1)
MAX_LOCK_FACTOR = 16


def record_source_failure(account: Account, ip: str, now: datetime) -> datetime | None:
    """One more failure of `ip` on `account`; returns the end of the source's lock if this
    failure locks it."""
    ip = ip[:45]
    cfg = current_app.config
    with write_transaction():
        LoginFailure.update(failures=0).where(
            (LoginFailure.account == account.id)
            & (LoginFailure.ip == ip)
            & (LoginFailure.last_at < now - MEMORY)
        ).execute()
        LoginFailure.insert(account=account.id, ip=ip, failures=1, last_at=now).on_conflict(
            conflict_target=[LoginFailure.account, LoginFailure.ip],
            update={LoginFailure.failures: LoginFailure.failures + 1, LoginFailure.last_at: now},
        ).execute()
        row = LoginFailure.get((LoginFailure.account == account.id) & (LoginFailure.ip == ip))
        if row.failures < cfg["LOGIN_MAX_FAILURES"]:
            return None
        factor = min(2**row.lock_count, MAX_LOCK_FACTOR)
        until = now + timedelta(minutes=cfg["LOGIN_LOCK_MINUTES"]) * factor
        LoginFailure.update(
            locked_until=until, failures=0, lock_count=LoginFailure.lock_count + 1
        ).where(LoginFailure.id == row.id).execute()
    return until


def source_locked_until(account: Account, ip: str, now: datetime) -> datetime | None:
    row = LoginFailure.get_or_none(
        (LoginFailure.account == account.id) & (LoginFailure.ip == ip[:45])
    )
    if row and row.locked_until and row.locked_until > now:
        return row.locked_until
    return None


def source_failed_recently(account: Account, ip: str, now: datetime) -> bool:
    """True when `ip` failed on this account lately: it may be the cause of the lock."""
    return (
        LoginFailure.select()
        .where(
            (LoginFailure.account == account.id)
            & (LoginFailure.ip == ip[:45])
            & (LoginFailure.last_at >= now - MEMORY)
            & ((LoginFailure.failures > 0) | (LoginFailure.lock_count > 0))
        )
        .exists()
    )


def forget_source(account: Account, ip: str) -> None:
    """A successful login from `ip`: its failures on this account are forgiven."""
    LoginFailure.delete().where(
        (LoginFailure.account == account.id) & (LoginFailure.ip == ip[:45])
    ).execute()


def clear_all(account: Account) -> None:
    """A password reset: every source starts from zero."""
    LoginFailure.delete().where(LoginFailure.account == account.id).execute()


def passed_through_lock(account: Account, ip: str, until: datetime | None) -> None:
    """The owner got in past a lock caused elsewhere: note it and tell them by e-mail."""
    audit.record_for_account(account, "login.through_lock", f"ip={ip[:45]}")
    queue_mail(
        account.email,
        _("Logowanie mimo blokady konta w e-Rejestracji"),
        _(
            "Dzień dobry,\n\nTwoje konto było czasowo zablokowane po nieudanych próbach "
            "logowania z innego miejsca. Zalogowano się na nie poprawnym hasłem z adresu "
            "%(ip)s (blokada miała trwać do %(until)s).\n\nJeśli to nie Ty, zmień hasło "
            "(„Nie pamiętam hasła”) i skontaktuj się z przychodnią: %(phone)s.\n",
            ip=ip,
            until=format_datetime(until, "short") if until else "-",
            phone=current_app.config["ADMIN_CONTACT_PHONE"],
        ),
    )


def passed_through_ip_block(account: Account, ip: str) -> None:
    audit.record_for_account(account, "login.through_ip_block", f"ip={ip[:45]}")
