"""Auth rules called directly with a given `now`: lock growth, IP block window, bot check."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from core import botcheck
from models.accounts import Account, IpBlock
from models.base import utcnow
from services import accounts as service
from tests import factories


@pytest.fixture
def rq(app):
    """A request context with an open database (services read config and write audit rows)."""
    from models.base import db

    with app.test_request_context("/"):
        db.connect(reuse_if_open=True)
        yield app
        db.close()


def fail_n(account, n, now):
    for _ in range(n):
        with pytest.raises(service.LoginRefused):
            service.authenticate(account.login, "wrong password!!", "10.1.1.1", now)


def test_lock_grows_with_each_repeated_lock_but_is_capped(rq):
    """ASVS V2.2.1 a temporary lock that grows, so a stranger cannot lock a patient for long."""
    account = factories.account(login="ewa")
    minutes = rq.config["LOGIN_LOCK_MINUTES"]
    now = utcnow()
    lengths = []
    for _ in range(7):
        fail_n(account, rq.config["LOGIN_MAX_FAILURES"], now)
        until = Account.get_by_id(account.id).locked_until
        lengths.append(round((until - now).total_seconds() / 60))
        now = until + timedelta(seconds=1)
    assert lengths[:5] == [minutes, minutes * 2, minutes * 4, minutes * 8, minutes * 16]
    assert lengths[5] == lengths[6] == minutes * service.MAX_LOCK_FACTOR


def test_locked_account_raises_account_locked_only_with_the_right_password(rq):
    account = factories.account(login="ewa")
    now = utcnow()
    fail_n(account, rq.config["LOGIN_MAX_FAILURES"], now)
    with pytest.raises(service.InvalidCredentials):
        service.authenticate("ewa", "wrong password!!", "10.1.1.1", now)
    with pytest.raises(service.AccountLocked) as locked:
        service.authenticate("ewa", factories.PASSWORD, "10.1.1.1", now)
    assert locked.value.until > now
    later = locked.value.until + timedelta(seconds=1)
    assert service.authenticate("ewa", factories.PASSWORD, "10.1.1.1", later).id == account.id


def test_login_is_case_insensitive(rq):
    account = factories.account(login="Ewa.Nowak")
    assert service.authenticate("ewa.nowak", factories.PASSWORD, "10.1.1.1").id == account.id


def test_ip_failures_outside_the_window_start_again(rq):
    now = utcnow()
    window = timedelta(minutes=rq.config["IP_BLOCK_MINUTES"])
    limit = rq.config["IP_MAX_FAILURES"]
    for _ in range(limit - 1):
        assert service.record_ip_failure("10.2.2.2", now) is None
    later = now + window + timedelta(seconds=1)
    assert service.record_ip_failure("10.2.2.2", later) is None
    assert IpBlock.get(IpBlock.ip == "10.2.2.2").failures == 1


def test_ip_block_lasts_ip_block_minutes_and_then_ends(rq):
    now = utcnow()
    for _ in range(rq.config["IP_MAX_FAILURES"] - 1):
        service.record_ip_failure("10.3.3.3", now)
    until = service.record_ip_failure("10.3.3.3", now)
    assert until == now + timedelta(minutes=rq.config["IP_BLOCK_MINUTES"])
    with pytest.raises(service.IpBlocked):
        service.check_ip("10.3.3.3", now + timedelta(minutes=1))
    service.check_ip("10.3.3.3", until + timedelta(seconds=1))
    assert service.ip_blocked_until("10.4.4.4", now) is None


def test_leading_zero_bits():
    assert botcheck.leading_zero_bits(b"\x00\x00\x80") == 16
    assert botcheck.leading_zero_bits(b"\x00\x01") == 15
    assert botcheck.leading_zero_bits(b"\xff") == 0


def test_solved_challenge_passes_and_is_spent_once(rq):
    challenge = botcheck.new_challenge()
    solution = botcheck.solve(challenge.token, challenge.bits)
    digest = hashlib.sha256(f"{challenge.token}:{solution}".encode()).digest()
    assert botcheck.leading_zero_bits(digest) >= challenge.bits
    nonce = botcheck.check(challenge.token, solution=solution)
    assert nonce
    assert botcheck.spend(nonce) is True
    assert botcheck.spend(nonce) is False


def test_wrong_solution_or_answer_fails(rq):
    challenge = botcheck.new_challenge()
    assert botcheck.check(challenge.token, solution="not-a-number") is None
    assert botcheck.check(challenge.token, answer="") is None
    assert botcheck.check(challenge.token, answer="999") is None
    assert botcheck.check("forged", answer="2") is None


def test_database_refuses_a_login_or_email_differing_only_in_case(rq):
    """The race guard behind the registration check: a case-insensitive unique index."""
    import peewee

    from models.base import db

    factories.account(login="Anna", email="Anna@example.com")
    for kw in (
        {"login": "anna", "email": "x@example.com"},
        {"login": "x", "email": "anna@EXAMPLE.com"},
    ):
        with pytest.raises(peewee.IntegrityError), db.atomic():
            factories.account(**kw)
