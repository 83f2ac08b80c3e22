"""Two-step verification (TOTP) on one's own account: the secret offered during set-up,
switching it on and off, new recovery codes; each change is mailed to the account and audited."""

from __future__ import annotations

import base64
import hashlib
import hmac

from flask import current_app
from flask_babel import gettext as _

from core import audit
from core import totp as totp_rules
from models.accounts import Account, RecoveryCode
from models.base import write_transaction
from services.account_changes import WrongCode, check_password, notice


def pending_secret(account: Account, nonce: str) -> str:
    """The secret offered during set-up, derived on the server from a random session nonce.

    The session cookie holds only the nonce (it is signed, not encrypted), so the secret
    itself never travels in a cookie or hidden field (ASVS V2.8 secret stored server-side).
    """
    key = current_app.config["SECRET_KEY"]
    key = key.encode() if isinstance(key, str) else key
    digest = hmac.new(key, f"totp-setup:{account.id}:{nonce}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:20]).decode("ascii")


def enable_two_factor(account: Account, secret: str, code: str) -> list[str]:
    """Switch TOTP on after a right code for the new secret; returns 10 recovery codes."""
    with write_transaction():
        if not totp_rules.confirm_new_secret(account, secret, code):
            raise WrongCode()
        codes = totp_rules.make_recovery_codes(account)
        notice(
            account,
            _("Włączono weryfikację dwuetapową"),
            _("na Twoim koncie w e-Rejestracji włączono weryfikację dwuetapową (kod z aplikacji)."),
        )
        audit.record_for_account(account, "totp.enabled")
    return codes


def _check_password_and_code(account: Account, password: str, code: str) -> None:
    check_password(account, password)
    if not totp_rules.verify_second_factor(account, code):
        audit.record_for_account(account, "totp.reauth_failed")
        raise WrongCode()


def regenerate_recovery_codes(account: Account, password: str, code: str) -> list[str]:
    """New codes replace all old ones; needs the password and a current code."""
    _check_password_and_code(account, password, code)
    with write_transaction():
        codes = totp_rules.make_recovery_codes(account)
        notice(
            account,
            _("Wygenerowano nowe kody zapasowe"),
            _("dla Twojego konta wygenerowano nowe kody zapasowe; poprzednie przestały działać."),
        )
        audit.record_for_account(account, "totp.recovery_codes_regenerated")
    return codes


def disable_two_factor(account: Account, password: str, code: str) -> None:
    """ASVS V3.7.1 switching 2FA off needs the password and a current code."""
    _check_password_and_code(account, password, code)
    with write_transaction():
        Account.update(totp_secret=None).where(Account.id == account.id).execute()
        RecoveryCode.delete().where(RecoveryCode.account == account.id).execute()
        account.totp_secret = None
        notice(
            account,
            _("Wyłączono weryfikację dwuetapową"),
            _("na Twoim koncie w e-Rejestracji wyłączono weryfikację dwuetapową."),
        )
        audit.record_for_account(account, "totp.disabled")


def record_setup_started(account: Account) -> None:
    audit.record_for_account(account, "totp.setup_started")
