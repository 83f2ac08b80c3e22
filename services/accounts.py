"""Login rules as plain functions: log in, second factor, lock-out, IP block, sessions.

Registration, activation and password reset are in services/registration.py.

Views parse input, call these and map the named exceptions to a status and a message.
Every function takes `now` so tests can shift time without sleeping.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import peewee
from flask import current_app
from flask_babel import format_datetime
from flask_babel import gettext as _

from core import audit
from core.errors import DomainError
from core.passwords import verify_password
from models.accounts import Account, IpBlock
from models.base import utcnow, write_transaction

from . import lockout

log = logging.getLogger("wizyta.auth")

# A lock grows with each repeated lock (15, 30, 60 … minutes) but never beyond this factor,
# so a stranger cannot keep a patient out for long (ASVS V2.2.1).
MAX_LOCK_FACTOR = 16


class LoginRefused(DomainError):
    """Base of every reason a login does not go through; the login form shows `message`."""

    status = 422

    @property
    def message(self) -> str:
        return _(
            "Nieprawidłowy login lub hasło. Po %(n)s nieudanych próbach z rzędu konto zostaje "
            "czasowo zablokowane.",
            n=current_app.config["LOGIN_MAX_FAILURES"],
        )


class InvalidCredentials(LoginRefused):
    """Wrong login or wrong password: one message for both."""


class AccountLocked(LoginRefused):
    def __init__(self, until: datetime):
        super().__init__(f"locked until {until:%Y-%m-%d %H:%M}")
        self.until = until

    @property
    def message(self) -> str:
        return _(
            "Konto jest czasowo zablokowane po kilku nieudanych próbach logowania do "
            "%(until)s. Spróbuj później albo zadzwoń do rejestracji: %(phone)s.",
            until=format_datetime(self.until, "short"),
            phone=current_app.config["ADMIN_CONTACT_PHONE"],
        )


class NotActivated(LoginRefused):
    def __init__(self, account: Account):
        super().__init__("not activated")
        self.account = account

    @property
    def message(self) -> str:
        return _(
            "Konto nie zostało jeszcze aktywowane. Kliknij link z wiadomości e-mail albo "
            "poproś o nowy link."
        )


class AccountDisabled(LoginRefused):
    @property
    def message(self) -> str:
        return _(
            "Konto jest wyłączone. Skontaktuj się z rejestracją: %(phone)s.",
            phone=current_app.config["ADMIN_CONTACT_PHONE"],
        )


class IpBlocked(LoginRefused):
    def __init__(self, until: datetime):
        super().__init__(f"IP blocked until {until:%Y-%m-%d %H:%M}")
        self.until = until

    def retry_after(self, now: datetime | None = None) -> int:
        return max(1, int((self.until - (now or utcnow())).total_seconds()) + 1)


class SecondFactorFailed(LoginRefused):
    @property
    def message(self) -> str:
        return _("Nieprawidłowy kod. Spróbuj ponownie.")


class LockedElsewhere(AccountLocked):
    """The right password for an account locked by failures from other sources: the owner
    may pass after an anti-bot challenge (ASVS V2.2.1: the lock targets the attacker)."""

    @property
    def message(self) -> str:
        return _(
            "Konto jest czasowo zablokowane do %(until)s po nieudanych próbach logowania "
            "z innego miejsca. Jeśli to Twoje konto, odpowiedz na pytanie kontrolne i zaloguj "
            "się ponownie.",
            until=format_datetime(self.until, "short"),
        )


# --- IP blocking (failures per IP kept in the database, shared by all workers) ---------------


def ip_blocked_until(ip: str, now: datetime | None = None) -> datetime | None:
    now = now or utcnow()
    row = IpBlock.get_or_none(IpBlock.ip == ip[:45])
    if row and row.blocked_until and row.blocked_until > now:
        return row.blocked_until
    return None


def check_ip(ip: str, now: datetime | None = None) -> None:
    until = ip_blocked_until(ip, now)
    if until:
        raise IpBlocked(until)


def record_ip_failure(ip: str, now: datetime | None = None) -> datetime | None:
    """Count one failure for `ip`; returns the block end when this failure blocks it."""
    now = now or utcnow()
    ip = ip[:45]
    cfg = current_app.config
    window = timedelta(minutes=cfg["IP_BLOCK_MINUTES"])
    with write_transaction():
        IpBlock.update(failures=0, window_started_at=now).where(
            (IpBlock.ip == ip) & (IpBlock.window_started_at < now - window)
        ).execute()
        IpBlock.insert(ip=ip, failures=1, window_started_at=now).on_conflict(
            conflict_target=[IpBlock.ip],
            update={IpBlock.failures: IpBlock.failures + 1},
        ).execute()
        row = IpBlock.get(IpBlock.ip == ip)
        if row.failures < cfg["IP_MAX_FAILURES"]:
            return None
        factor = min(2**row.block_count, MAX_LOCK_FACTOR)
        until = now + window * factor
        IpBlock.update(
            blocked_until=until,
            failures=0,
            window_started_at=now,
            block_count=IpBlock.block_count + 1,
        ).where(IpBlock.id == row.id).execute()
    log.warning("IP %s blocked until %s after repeated failed logins", ip, until)
    audit.record("ip.blocked", details=f"ip={ip} until={until:%Y-%m-%d %H:%M}")
    return until


def unblock_ip(ip: str) -> None:
    """Staff lift a block (admin area)."""
    IpBlock.delete().where(IpBlock.ip == ip[:45]).execute()


# --- account lock-out ---------------------------------------------------------------------


def locked_until(account: Account, now: datetime | None = None) -> datetime | None:
    now = now or utcnow()
    if account.locked_until and account.locked_until > now:
        return account.locked_until
    return None


def record_account_failure(account: Account, now: datetime | None = None) -> datetime | None:
    """One more consecutive failure; the LOGIN_MAX_FAILURES-th locks the account."""
    now = now or utcnow()
    cfg = current_app.config
    with write_transaction():
        Account.update(failed_logins=Account.failed_logins + 1).where(
            Account.id == account.id
        ).execute()
        fresh = Account.get_by_id(account.id)
        if fresh.failed_logins < cfg["LOGIN_MAX_FAILURES"]:
            return None
        factor = min(2**fresh.lock_count, MAX_LOCK_FACTOR)
        until = now + timedelta(minutes=cfg["LOGIN_LOCK_MINUTES"]) * factor
        Account.update(
            locked_until=until, failed_logins=0, lock_count=Account.lock_count + 1
        ).where(Account.id == account.id).execute()
    log.warning("Account %s locked until %s after failed logins", account.id, until)
    audit.record_for_account(account, "account.locked", f"until {until:%Y-%m-%d %H:%M}")
    return until


def unlock_account(account: Account, by: Account | None = None) -> None:
    """Staff unlock (or the lock simply expires); the failure count starts again."""
    Account.update(locked_until=None, failed_logins=0).where(Account.id == account.id).execute()
    audit.record(
        "account.unlocked",
        patient_id=account.patient_id,
        object_type="account",
        object_id=account.id,
        account_id=by.id if by else None,
    )


# --- logging in ---------------------------------------------------------------------------


def find_by_login(login: str) -> Account | None:
    login = (login or "").strip()
    if not login or len(login) > 64:
        return None
    return Account.get_or_none(peewee.fn.LOWER(Account.login) == login.lower())


def _log_failure(account: Account | None, ip: str, reason: str) -> None:
    log.info("Login failed from %s: %s (account %s)", ip, reason, account.id if account else "-")
    audit.record(
        "login.failure",
        patient_id=account.patient_id if account else None,
        object_type="account",
        object_id=account.id if account else None,
        account_id=account.id if account else None,
        details=reason,
    )


def authenticate(
    login: str,
    password: str,
    ip: str,
    now: datetime | None = None,
    challenge_passed: bool = False,
) -> Account:
    """Check login and password (first step). ASVS V2.2.1 lock-out, V2.2.2 same message.

    Wrong login and wrong password raise the same InvalidCredentials after the same hash work;
    a locked, not activated or disabled account is only told after a correct password.
    Failures count per account and per source (lockout.py). `challenge_passed` (an anti-bot
    challenge solved with this request) lets a correct password through an IP block and
    through an account lock that other sources caused — never through this source's own lock.
    """
    now = now or utcnow()
    ip_block = ip_blocked_until(ip, now)
    if ip_block and not challenge_passed:
        raise IpBlocked(ip_block)
    account = find_by_login(login)
    password = password if len(password or "") <= 1024 else ""
    correct = verify_password(account.password_hash if account else None, password or "")
    if not correct:
        if account is not None:
            lockout.record_source_failure(account, ip, now)
            if not locked_until(account, now):
                record_account_failure(account, now)
        _log_failure(account, ip, "bad credentials")
        until = record_ip_failure(ip, now) or ip_block
        if until:
            raise IpBlocked(until)
        raise InvalidCredentials()
    own_lock = lockout.source_locked_until(account, ip, now)
    if own_lock:
        _log_failure(account, ip, "account locked for this source")
        raise AccountLocked(own_lock)
    until = locked_until(account, now)
    if until:
        if lockout.source_failed_recently(account, ip, now):
            _log_failure(account, ip, "account locked")
            raise AccountLocked(until)
        if not challenge_passed:
            _log_failure(account, ip, "account locked elsewhere, challenge needed")
            raise LockedElsewhere(until)
    if account.disabled:
        _log_failure(account, ip, "account disabled")
        raise AccountDisabled()
    if account.activated_at is None:
        _log_failure(account, ip, "not activated")
        raise NotActivated(account)
    return account


def passes_locks(account: Account, ip: str, now: datetime | None = None) -> tuple[bool, bool]:
    """(through an account lock, through an IP block): what a login with a passed challenge
    is getting past right now, so the success can be noted and mailed."""
    now = now or utcnow()
    return bool(locked_until(account, now)), bool(ip_blocked_until(ip, now))


def second_factor(
    account: Account,
    code: str,
    ip: str,
    now: datetime | None = None,
    challenge_passed: bool = False,
) -> None:
    """Check the TOTP or recovery code (second step); failures count like wrong passwords.
    A first step that passed a lock or block with a challenge carries `challenge_passed`."""
    from core.totp import verify_second_factor

    now = now or utcnow()
    if not challenge_passed:
        check_ip(ip, now)
    until = lockout.source_locked_until(account, ip, now)
    if until is None and not challenge_passed:
        until = locked_until(account, now)
    if until:
        raise AccountLocked(until)
    code = (code or "").strip().replace(" ", "")
    try:
        if code and len(code) <= 64 and verify_second_factor(account, code):
            return
    except ValueError:
        # A damaged stored secret must not turn a login into a 500; staff can reset 2FA.
        log.error("Second factor of account %s could not be checked", account.id)
    lockout.record_source_failure(account, ip, now)
    record_account_failure(account, now)
    _log_failure(account, ip, "bad second factor")
    until = record_ip_failure(ip, now)
    if until:
        raise IpBlocked(until)
    raise SecondFactorFailed()


def login_succeeded(
    account: Account,
    ip: str,
    now: datetime | None = None,
    through_lock: bool = False,
    through_ip_block: bool = False,
) -> None:
    now = now or utcnow()
    before = Account.get_by_id(account.id)
    with write_transaction():
        Account.update(last_login_at=now, failed_logins=0, lock_count=0, locked_until=None).where(
            Account.id == account.id
        ).execute()
        lockout.forget_source(account, ip)
        log.info("Login of account %s from %s", account.id, ip)
        audit.record_for_account(account, "login.success")
        if through_lock:
            lockout.passed_through_lock(account, ip, before.locked_until)
        if through_ip_block:
            lockout.passed_through_ip_block(account, ip)


def end_sessions(account: Account) -> None:
    """Every existing session cookie of the account stops working (logout, new password)."""
    Account.update(session_version=Account.session_version + 1).where(
        Account.id == account.id
    ).execute()
