"""Two-factor authentication: TOTP (RFC 6238) with replay protection, QR codes, recovery codes.

ASVS V2.8.1/V2.8.3 time-based codes, SHA-1 and 30-second steps as in RFC 6238, at most one
step of clock drift either way (pyotp valid_window=1). ASVS V2.8.4 a code is accepted once:
the accepted time-step is stored in Account.totp_last_step by a conditional UPDATE, so the
same or an older step is refused (and audit-logged) even when two requests race.
ASVS V2.6.1/V2.6.2 recovery codes are single-use lookup secrets with 60 bits of randomness,
stored only as salted SHA-256 hashes and marked used by a conditional UPDATE.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import logging
import re
import secrets
import time
from datetime import UTC, datetime

import pyotp
import segno
from flask import current_app, has_app_context
from flask_babel import gettext as _
from markupsafe import escape

from models.accounts import Account, RecoveryCode
from models.base import utcnow, write_transaction

from . import audit

log = logging.getLogger("wizyta.totp")

DIGITS = 6
INTERVAL = 30
VALID_WINDOW = 1
RECOVERY_CODE_COUNT = 10
# Crockford-like alphabet without I, L, O, U: easy to read aloud and to type from paper.
_RECOVERY_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ0123456789"
_RECOVERY_LENGTH = 12
_TOTP_RE = re.compile(r"^[0-9]{6}$")


def new_secret() -> str:
    """A fresh 160-bit base32 secret (RFC 4226 recommends at least 128 bits)."""
    return pyotp.random_base32(length=32)


def _issuer() -> str:
    if has_app_context():
        return str(current_app.config.get("CLINIC_NAME") or "Wizyta")
    return "Wizyta"


def provisioning_uri(account: Account, secret: str) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL).provisioning_uri(
        name=account.login, issuer_name=_issuer()
    )


def qr_svg(uri: str) -> str:
    """The QR code of `uri` as inline SVG markup (no script, no style attribute: CSP-safe)."""
    label = _("Kod QR do zeskanowania w aplikacji uwierzytelniającej")
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(
        buffer,
        kind="svg",
        xmldecl=False,
        svgns=True,
        nl=False,
        title=label,
        scale=4,
        border=4,
        svgclass="qr-code",
        omitsize=True,
        lineclass=None,
        dark="#000",
        light="#fff",
    )
    svg = buffer.getvalue().decode("utf-8")
    return svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1)


def normalize_code(code: str | None) -> str:
    """Drop spaces and dashes people type or paste around codes; upper-case letters."""
    return re.sub(r"[\s-]", "", code or "").upper()


def _step_of(now: float) -> int:
    return int(now) // INTERVAL


def matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time-step whose code equals `code` within the allowed window, or None."""
    code = normalize_code(code)
    if not secret or not _TOTP_RE.match(code):
        return None
    now = time.time() if now is None else now
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL)
    current = _step_of(now)
    found = None
    # Compare every candidate (no early exit): the timing says nothing about which matched.
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code) and found is None:
            found = step
    return found


def _claim_step(account: Account, step: int) -> bool:
    """Store `step` as the last accepted one unless it (or a later one) was used already."""
    claimed = (
        Account.update(totp_last_step=step)
        .where(
            (Account.id == account.id)
            & (Account.totp_last_step.is_null() | (Account.totp_last_step < step))
        )
        .execute()
    )
    if claimed == 1:
        account.totp_last_step = step
    return claimed == 1


def _log_replay(account: Account) -> None:
    log.warning("Replayed TOTP code refused for account %s", account.id)
    audit.record_for_account(account, "totp.replay_refused")


def verify_totp(account: Account, code: str, now: float | None = None) -> bool:
    """True once per time-step for a right code of the account's secret (ASVS V2.8.4)."""
    secret = account.totp_secret
    if not secret:
        return False
    step = matching_step(secret, code, now)
    if step is None:
        return False
    if _claim_step(account, step):
        return True
    _log_replay(account)
    return False


def confirm_new_secret(account: Account, secret: str, code: str, now: float | None = None) -> bool:
    """Switch 2FA on with `secret` if `code` is right for it; that step is used up at once.

    The secret is new, so no step of it was accepted before; the UPDATE only requires that
    2FA is still off (two confirmations racing switch it on once).
    """
    step = matching_step(secret, code, now)
    if step is None:
        return False
    switched = (
        Account.update(totp_secret=secret, totp_last_step=step)
        .where((Account.id == account.id) & Account.totp_secret.is_null())
        .execute()
    )
    if switched == 1:
        account.totp_secret = secret
        account.totp_last_step = step
    return switched == 1


def _hash_recovery_code(code: str, salt: str | None = None) -> str:
    salt = salt or secrets.token_hex(16)
    digest = hashlib.sha256(f"{salt}:{code}".encode()).hexdigest()
    return f"sha256${salt}${digest}"


def _recovery_code_matches(stored: str, code: str) -> bool:
    scheme, _sep, rest = stored.partition("$")
    salt, _sep, digest = rest.partition("$")
    if scheme != "sha256" or not salt or not digest:
        return False
    return hmac.compare_digest(_hash_recovery_code(code, salt), stored)


def format_recovery_code(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def make_recovery_codes(account: Account) -> list[str]:
    """Replace the account's recovery codes with 10 new ones; returns them once, in clear."""
    codes = [
        "".join(secrets.choice(_RECOVERY_ALPHABET) for _i in range(_RECOVERY_LENGTH))
        for _n in range(RECOVERY_CODE_COUNT)
    ]
    with write_transaction():
        RecoveryCode.delete().where(RecoveryCode.account == account.id).execute()
        RecoveryCode.insert_many(
            [{"account": account.id, "code_hash": _hash_recovery_code(c)} for c in codes]
        ).execute()
    return [format_recovery_code(c) for c in codes]


def unused_recovery_codes(account: Account) -> int:
    return (
        RecoveryCode.select()
        .where((RecoveryCode.account == account.id) & RecoveryCode.used_at.is_null())
        .count()
    )


def use_recovery_code(account: Account, code: str, now: float | None = None) -> bool:
    """Accept an unused recovery code once and mark it used (ASVS V2.6.1)."""
    code = normalize_code(code)
    if len(code) != _RECOVERY_LENGTH or any(c not in _RECOVERY_ALPHABET for c in code):
        return False
    candidates = list(
        RecoveryCode.select(RecoveryCode.id, RecoveryCode.code_hash).where(
            (RecoveryCode.account == account.id) & RecoveryCode.used_at.is_null()
        )
    )
    match = None
    for candidate in candidates:
        if _recovery_code_matches(candidate.code_hash, code) and match is None:
            match = candidate
    if match is None:
        return False
    used_at = utcnow() if now is None else datetime.fromtimestamp(now, UTC).replace(tzinfo=None)
    taken = (
        RecoveryCode.update(used_at=used_at)
        .where((RecoveryCode.id == match.id) & RecoveryCode.used_at.is_null())
        .execute()
    )
    if taken != 1:
        return False
    audit.record_for_account(account, "totp.recovery_code_used", f"left={len(candidates) - 1}")
    return True


def verify_second_factor(account: Account, code: str, now: float | None = None) -> bool:
    """The login's second step: a TOTP code, or else an unused recovery code."""
    if not account.totp_secret:
        return False
    normalized = normalize_code(code)
    if _TOTP_RE.match(normalized):
        return verify_totp(account, normalized, now)
    return use_recovery_code(account, normalized, now)
