"""Account rules as plain functions: register, activate, log in (lock-out, IP block), reset.

Views parse input, call these and map the named exceptions to a status and a message.
Every function takes `now` so tests can shift time without sleeping.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import peewee
from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from core import audit, localities
from core.mail import queue_mail
from core.passwords import hash_password, verify_password
from core.tokens import TokenInvalid, is_bound_to, make_token, read_token
from models.accounts import Account, Consent, ConsentRecord, EmailRequest, IpBlock
from models.base import utcnow, write_transaction
from models.clinic import Locality
from models.patients import Patient

from . import lockout

log = logging.getLogger("wizyta.auth")

ACTIVATION = "activate"
RESET = "reset-password"
# A lock grows with each repeated lock (15, 30, 60 … minutes) but never beyond this factor,
# so a stranger cannot keep a patient out for long (ASVS V2.2.1).
MAX_LOCK_FACTOR = 16


class LoginRefused(Exception):
    """Base of every reason a login does not go through."""


class InvalidCredentials(LoginRefused):
    """Wrong login or wrong password: one message for both."""


class AccountLocked(LoginRefused):
    def __init__(self, until: datetime):
        super().__init__(f"locked until {until:%Y-%m-%d %H:%M}")
        self.until = until


class NotActivated(LoginRefused):
    def __init__(self, account: Account):
        super().__init__("not activated")
        self.account = account


class AccountDisabled(LoginRefused):
    pass


class IpBlocked(LoginRefused):
    def __init__(self, until: datetime):
        super().__init__(f"IP blocked until {until:%Y-%m-%d %H:%M}")
        self.until = until

    def retry_after(self, now: datetime | None = None) -> int:
        return max(1, int((self.until - (now or utcnow())).total_seconds()) + 1)


class SecondFactorFailed(LoginRefused):
    pass


class LockedElsewhere(AccountLocked):
    """The right password for an account locked by failures from other sources: the owner
    may pass after an anti-bot challenge (ASVS V2.2.1: the lock targets the attacker)."""


class AlreadyActive(TokenInvalid):
    """A genuine activation link for an account that is already active."""


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


# --- localities ---------------------------------------------------------------------------


def resolve_locality(text: str, choice: str = "") -> tuple[Locality | None, list[Locality]]:
    """The one locality the text names (or the candidate picked by id), else candidates."""
    if choice and choice.isdigit() and len(choice) < 12:
        picked = Locality.get_or_none(Locality.id == int(choice))
        if picked is not None:
            return picked, []
    found, candidates = localities.resolve_locality(text)
    return found, list(candidates)


# --- registration -------------------------------------------------------------------------


@dataclass
class Registration:
    first_name: str
    last_name: str
    pesel: str | None
    birth_date: date
    sex: str
    email: str
    phone: str
    login: str
    password: str
    street: str
    house_number: str
    flat_number: str
    postal_code: str
    locality: Locality
    consent_ids: tuple[int, ...]


def _link(endpoint: str, **values) -> str:
    base = current_app.config["BASE_URL"].rstrip("/")
    return base + url_for(endpoint, **values)


def activation_token(account: Account) -> str:
    """Bound to the activation state: once the account is active the link is used up."""
    return make_token(ACTIVATION, {"a": account.id}, bound_to=str(account.activated_at))


def _queue_activation(account: Account) -> None:
    link = _link("auth.activate", token=activation_token(account))
    hours = current_app.config["ACTIVATION_MAX_AGE_HOURS"]
    queue_mail(
        account.email,
        _("Aktywuj konto w e-Rejestracji"),
        _(
            "Dzień dobry,\n\naby aktywować konto w e-Rejestracji %(clinic)s, otwórz link:\n"
            "%(link)s\n\nLink jest ważny %(hours)s godz. i działa jeden raz. Jeśli to nie Ty "
            "zakładasz konto, zignoruj tę wiadomość.\n",
            clinic=current_app.config["CLINIC_NAME"],
            link=link,
            hours=hours,
        ),
    )


def _queue_already_registered(to: str) -> None:
    queue_mail(
        to,
        _("Próba założenia konta w e-Rejestracji"),
        _(
            "Dzień dobry,\n\nktoś (być może Ty) próbował założyć konto w e-Rejestracji "
            "%(clinic)s z danymi, które już należą do Twojego konta. Nowe konto nie zostało "
            "utworzone.\n\nJeśli nie pamiętasz hasła, skorzystaj z opcji „Nie pamiętam hasła”: "
            "%(link)s\n\nJeśli to nie Ty, zignoruj tę wiadomość.\n",
            clinic=current_app.config["CLINIC_NAME"],
            link=_link("auth.forgot_password"),
        ),
    )


def _queue_login_taken(to: str, login: str) -> None:
    queue_mail(
        to,
        _("Wybierz inny login w e-Rejestracji"),
        _(
            "Dzień dobry,\n\nlogin „%(login)s” jest już zajęty, więc konto nie zostało "
            "utworzone. Wypełnij formularz ponownie i wybierz inny login: %(link)s\n",
            login=login,
            link=_link("auth.register"),
        ),
    )


def register(reg: Registration, ip: str, now: datetime | None = None) -> Account | None:
    """Create the patient and the inactive account, store consents, queue the activation mail.

    ASVS V2.1.7, V2.3.1, V2.4.1. A duplicate e-mail, PESEL or login never shows on the page:
    the owner of the existing account (or the new address, for a taken login) gets a mail
    instead, and the caller shows the same "check your e-mail" page. Returns None then.
    """
    now = now or utcnow()
    password_hash = hash_password(reg.password)  # always, so both answers take the same time
    email = reg.email.strip().lower()
    try:
        with write_transaction():
            existing = Account.get_or_none(peewee.fn.LOWER(Account.email) == email)
            if existing is None and reg.pesel:
                holder = Patient.get_or_none(Patient.pesel == reg.pesel)
                if holder is not None:
                    existing = Account.get_or_none(Account.patient == holder)
                    if existing is None:
                        log.info("Registration refused: PESEL belongs to a patient without login")
                        audit.record("register.duplicate", patient_id=holder.id, details="pesel")
                        return None
            if existing is not None:
                _queue_already_registered(existing.email)
                audit.record("register.duplicate", patient_id=existing.patient_id)
                return None
            if find_by_login(reg.login) is not None:
                _queue_login_taken(email, reg.login)
                audit.record("register.duplicate", details="login")
                return None
            patient = Patient.create(
                first_name=reg.first_name,
                last_name=reg.last_name,
                pesel=reg.pesel or None,
                birth_date=reg.birth_date,
                sex=reg.sex,
                street=reg.street,
                house_number=reg.house_number,
                flat_number=reg.flat_number,
                postal_code=reg.postal_code,
                locality=reg.locality,
                phone=reg.phone,
                created_at=now,
            )
            account = Account.create(
                patient=patient,
                login=reg.login,
                email=email,
                password_hash=password_hash,
                created_at=now,
            )
            for consent in Consent.select().where(Consent.id.in_(list(reg.consent_ids) or [0])):
                ConsentRecord.create(account=account, consent=consent, granted=True, at=now, ip=ip)
            _queue_activation(account)
            audit.record(
                "register",
                patient_id=patient.id,
                object_type="account",
                object_id=account.id,
                account_id=account.id,
            )
    except peewee.IntegrityError:
        # Another registration with the same data won the race: same answer as a duplicate.
        log.info("Registration lost a uniqueness race")
        return None
    return account


# --- activation ---------------------------------------------------------------------------


def _max_age(setting: str) -> int:
    return int(current_app.config[setting]) * 3600


def account_from_activation(token: str) -> Account:
    """The account a genuine, unexpired, unused link activates; else TokenInvalid/Expired."""
    data = read_token(ACTIVATION, token, _max_age("ACTIVATION_MAX_AGE_HOURS"))
    account = Account.get_or_none(Account.id == data.get("a"))
    if account is None:
        raise TokenInvalid("unknown account")
    if not is_bound_to(data, str(account.activated_at)):
        if account.activated_at is not None:
            raise AlreadyActive("already active")
        raise TokenInvalid("used")
    return account


def activate(token: str, now: datetime | None = None) -> Account:
    """ASVS V2.3.1 signed, expiring, single-use activation."""
    now = now or utcnow()
    account = account_from_activation(token)
    with write_transaction():
        changed = (
            Account.update(activated_at=now)
            .where((Account.id == account.id) & Account.activated_at.is_null())
            .execute()
        )
        if changed != 1:
            raise TokenInvalid("already used")
        audit.record_for_account(account, "account.activated")
    return Account.get_by_id(account.id)


# --- "send me a link" requests: the same work in the request for every address ------------

LINK_REQUEST_KINDS = ("activation", "reset")


def queue_link_request(kind: str, email: str, ip: str, locale: str = "pl") -> None:
    """ASVS V2.5.x: store the request for the worker — one insert, whether or not the address
    has an account. The lookup, the mail and the audit row happen in `process_link_requests`,
    outside the request, so the answer's timing does not tell who has an account."""
    if kind not in LINK_REQUEST_KINDS:
        raise ValueError(kind)
    EmailRequest.create(
        kind=kind, email=(email or "").strip().lower()[:254], ip=ip[:45], locale=locale[:8]
    )


def process_link_requests(limit: int = 100) -> int:
    """The worker's side: answer waiting link requests (each taken once, by deleting it in the
    transaction that queues its mail). Returns how many were handled."""
    handled = 0
    for row in list(EmailRequest.select().order_by(EmailRequest.id).limit(limit)):
        with write_transaction():
            if EmailRequest.delete().where(EmailRequest.id == row.id).execute() != 1:
                continue  # another worker took it
            with force_locale(row.locale or "pl"):
                if row.kind == "reset":
                    request_password_reset(row.email, ip=row.ip)
                elif row.kind == "activation":
                    resend_activation(row.email)
        handled += 1
    return handled


def resend_activation(email: str) -> None:
    """Queue a new link if an inactive account has this e-mail; silent otherwise."""
    email = (email or "").strip().lower()
    if not email or len(email) > 254:
        return
    with write_transaction():
        account = Account.get_or_none(peewee.fn.LOWER(Account.email) == email)
        if account is not None and account.activated_at is None and not account.disabled:
            _queue_activation(account)


# --- forgotten password -------------------------------------------------------------------


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
        link = _link("auth.reset_password", token=reset_token(account))
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


def account_from_reset(token: str) -> Account:
    data = read_token(RESET, token, _max_age("RESET_MAX_AGE_HOURS"))
    account = Account.get_or_none(Account.id == data.get("a"))
    if account is None or account.disabled or not is_bound_to(data, account.password_hash):
        raise TokenInvalid("used or unknown")
    return account


def reset_password(token: str, new_password: str, now: datetime | None = None) -> Account:
    """Set the new password; the link, other sessions and any lock end (ASVS V2.5, V3.3.3)."""
    now = now or utcnow()
    account = account_from_reset(token)
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
