"""Second login step: an account with TOTP needs a code on /login/code (core.totp checks it)."""

from __future__ import annotations

import time

import pyotp
import pytest

from blueprints.auth.views import PENDING
from models.accounts import Account
from models.base import db
from tests import factories
from tests.conftest import csrf_token

pytest.importorskip("core.totp", reason="core/totp.py (Moje konto helper) not there yet")

SECRET = pyotp.random_base32()


@pytest.fixture
def account(app):
    return factories.account_in(app, login="ewa", totp_secret=SECRET)


def send_code(client, code):
    return client.post("/login/code", data={"code": code, "csrf_token": csrf_token(client)})


def logged_in(client) -> bool:
    return "Wyloguj się" in client.get("/").get_data(as_text=True)


def test_password_alone_does_not_log_in_an_account_with_totp(client, auth, account):
    """ASVS V2.8.1 the second factor is required."""
    response = auth.login("ewa", factories.PASSWORD, next_path="/slots")
    assert response.status_code == 303 and response.headers["Location"] == "/login/code"
    assert not logged_in(client)
    page = client.get("/login/code").get_data(as_text=True)
    assert 'name="code"' in page


def test_right_code_logs_in_and_returns_to_next(client, auth, account):
    auth.login("ewa", factories.PASSWORD, next_path="/slots")
    response = send_code(client, pyotp.TOTP(SECRET).now())
    assert response.status_code == 303 and response.headers["Location"] == "/slots"
    assert logged_in(client)


def test_wrong_code_is_refused_and_counts_as_a_failure(app, client, auth, account):
    """ASVS V2.2.1 code guessing is throttled by the same lock-out."""
    auth.login("ewa", factories.PASSWORD)
    response = send_code(client, "000000" if pyotp.TOTP(SECRET).now() != "000000" else "111111")
    assert response.status_code == 422
    assert not logged_in(client)
    with app.app_context():
        db.connect(reuse_if_open=True)
        assert Account.get_by_id(account.id).failed_logins == 1
        db.close()


def test_replayed_code_is_refused(app, client, auth, account):
    """ASVS V2.8.4 a code is accepted once."""
    code = pyotp.TOTP(SECRET).now()
    auth.login("ewa", factories.PASSWORD)
    assert send_code(client, code).status_code == 303
    auth.logout()
    auth.login("ewa", factories.PASSWORD)
    assert send_code(client, code).status_code == 422


def test_code_page_without_a_pending_login_goes_back_to_login(client):
    response = client.get("/login/code")
    assert response.status_code == 303 and response.headers["Location"] == "/login"


def test_pending_login_expires(client, auth, account):
    auth.login("ewa", factories.PASSWORD)
    with client.session_transaction() as sess:
        pending = dict(sess[PENDING])
        pending["t"] = int(time.time()) - 3600
        sess[PENDING] = pending
    assert send_code(client, pyotp.TOTP(SECRET).now()).status_code == 303
    assert not logged_in(client)


def test_unused_recovery_code_logs_in_once(app, client, auth, account):
    """ASVS V2.5.x/V2.8 losing the authenticator falls back to single-use recovery codes."""
    from core.totp import make_recovery_codes

    with app.app_context():
        db.connect(reuse_if_open=True)
        codes = make_recovery_codes(Account.get_by_id(account.id))
        db.close()
    auth.login("ewa", factories.PASSWORD)
    assert send_code(client, codes[0]).status_code == 303
    auth.logout()
    auth.login("ewa", factories.PASSWORD)
    assert send_code(client, codes[0]).status_code == 422
    assert send_code(client, codes[1]).status_code == 303
