"""core.totp: RFC 6238 codes, the drift window, replay refusal, QR markup, recovery codes."""

from __future__ import annotations

import pyotp
import pytest

from core import totp
from models.accounts import Account, RecoveryCode
from models.audit import AuditEvent
from tests import factories

NOW = 1_800_000_000.0  # a fixed instant, the start of a 30 s step
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@pytest.fixture
def account(ctx):
    return factories.account(login="ewa", totp_secret=SECRET)


def code_at(when: float, secret: str = SECRET) -> str:
    return pyotp.TOTP(secret).at(when)


def fresh(account: Account) -> Account:
    return Account.get_by_id(account.id)


def test_new_secret_is_160_bit_base32():
    secret = totp.new_secret()
    assert len(secret) == 32 and set(secret) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    assert secret != totp.new_secret()


def test_provisioning_uri_names_the_clinic_and_login(account):
    """ASVS V2.8.3 RFC 6238 SHA-1, 6 digits, 30 s."""
    uri = totp.provisioning_uri(account, SECRET)
    assert uri.startswith("otpauth://totp/")
    assert "ewa" in uri and f"secret={SECRET}" in uri
    assert "issuer=Przychodnia%20Wizyta" in uri
    parsed = pyotp.parse_uri(uri)
    assert parsed.digest().name == "sha1" and parsed.interval == 30 and parsed.digits == 6


def test_qr_svg_is_inline_svg_without_style_or_script(ctx, account):
    with ctx.test_request_context("/account/2fa"):
        svg = totp.qr_svg(totp.provisioning_uri(account, SECRET))
    assert svg.startswith("<svg ") and svg.endswith("</svg>")
    assert 'role="img"' in svg and "aria-label=" in svg and "<title>" in svg
    lowered = svg.lower()
    assert "style" not in lowered and "<script" not in lowered and "<?xml" not in lowered


def test_current_code_is_accepted(account):
    """ASVS V2.8.3 a right code for now is accepted."""
    assert totp.verify_totp(account, code_at(NOW), now=NOW)
    assert fresh(account).totp_last_step == int(NOW) // 30


def test_one_step_of_drift_either_way_is_accepted_two_are_not(account):
    """ASVS V2.8.3 valid_window=1: only ±30 s of clock drift."""
    assert totp.verify_totp(account, code_at(NOW - 30), now=NOW)
    assert totp.verify_totp(account, code_at(NOW + 30), now=NOW)
    assert not totp.verify_totp(account, code_at(NOW - 60), now=NOW + 1)
    assert not totp.verify_totp(account, code_at(NOW + 90), now=NOW + 1)


def test_same_code_twice_is_refused_and_audit_logged(account):
    """ASVS V2.8.4 a code is accepted once; the replay is logged (V7.2.x)."""
    code = code_at(NOW)
    assert totp.verify_totp(account, code, now=NOW)
    assert not totp.verify_totp(fresh(account), code, now=NOW + 10)
    assert AuditEvent.select().where(AuditEvent.action == "totp.replay_refused").count() == 1


def test_older_step_after_a_newer_one_is_refused(account):
    """ASVS V2.8.4 once a step is used, earlier steps of the window are refused too."""
    assert totp.verify_totp(account, code_at(NOW), now=NOW)
    assert not totp.verify_totp(fresh(account), code_at(NOW - 30), now=NOW)
    assert totp.verify_totp(fresh(account), code_at(NOW + 30), now=NOW + 30)


def test_stale_account_object_cannot_replay(account):
    """ASVS V2.8.4 the check is in the database, not in the loaded object (races)."""
    stale = fresh(account)
    assert totp.verify_totp(account, code_at(NOW), now=NOW)
    assert not totp.verify_totp(stale, code_at(NOW), now=NOW)


@pytest.mark.parametrize("bad", ["", "12345", "1234567", "abcdef", "12 34 5x", "١٢٣٤٥٦", "x" * 500])
def test_malformed_codes_are_refused(account, bad):
    assert not totp.verify_totp(account, bad, now=NOW)
    assert not totp.verify_second_factor(account, bad, now=NOW)


def test_code_with_spaces_is_accepted(account):
    code = code_at(NOW)
    assert totp.verify_second_factor(account, f" {code[:3]} {code[3:]} ", now=NOW)


def test_account_without_2fa_never_passes(ctx):
    plain = factories.account(login="jan")
    assert not totp.verify_totp(plain, code_at(NOW), now=NOW)
    assert not totp.verify_second_factor(plain, code_at(NOW), now=NOW)


def test_confirm_new_secret_switches_2fa_on_once(ctx):
    plain = factories.account(login="jan")
    secret = totp.new_secret()
    assert not totp.confirm_new_secret(plain, secret, code_at(NOW - 120, secret), now=NOW)
    assert fresh(plain).totp_secret is None
    assert totp.confirm_new_secret(plain, secret, code_at(NOW, secret), now=NOW)
    stored = fresh(plain)
    assert stored.totp_secret == secret and stored.totp_last_step == int(NOW) // 30
    # the confirming code is used up: it cannot log in afterwards
    assert not totp.verify_totp(stored, code_at(NOW, secret), now=NOW)


def test_ten_recovery_codes_are_stored_hashed(account):
    """ASVS V2.6.2 lookup secrets stored only as salted hashes."""
    codes = totp.make_recovery_codes(account)
    assert len(codes) == 10 and len(set(codes)) == 10
    stored = [r.code_hash for r in RecoveryCode.select()]
    assert len(stored) == 10
    for code in codes:
        assert all(code.replace("-", "") not in h for h in stored)
    assert totp.unused_recovery_codes(account) == 10


def test_recovery_code_works_once(account):
    """ASVS V2.6.1 a recovery code is single-use."""
    codes = totp.make_recovery_codes(account)
    assert totp.verify_second_factor(account, codes[3].lower(), now=NOW)
    assert not totp.verify_second_factor(account, codes[3], now=NOW)
    assert totp.unused_recovery_codes(account) == 9
    assert AuditEvent.select().where(AuditEvent.action == "totp.recovery_code_used").count() == 1


def test_regenerating_recovery_codes_invalidates_the_old_ones(account):
    old = totp.make_recovery_codes(account)
    new = totp.make_recovery_codes(account)
    assert not totp.verify_second_factor(account, old[0], now=NOW)
    assert totp.verify_second_factor(account, new[0], now=NOW)
    assert RecoveryCode.select().count() == 10


def test_recovery_codes_of_another_account_do_not_work(account):
    other = factories.account(login="jan", totp_secret=totp.new_secret())
    codes = totp.make_recovery_codes(other)
    assert not totp.verify_second_factor(account, codes[0], now=NOW)


def test_pending_setup_secret_is_derived_per_account_and_nonce(ctx):
    """ASVS V2.8.x the set-up secret is computed on the server; the session holds a nonce."""
    from services.two_factor import pending_secret

    ewa = factories.account(login="ewa2")
    jan = factories.account(login="jan2")
    first = pending_secret(ewa, "nonce-1")
    assert first == pending_secret(ewa, "nonce-1") and len(first) == 32
    assert first != pending_secret(ewa, "nonce-2") and first != pending_secret(jan, "nonce-1")
    assert "nonce-1" not in first
