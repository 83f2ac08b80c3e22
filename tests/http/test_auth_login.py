"""Logging in and out: lock-out, IP block, same message for wrong login/password, sessions."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from flask_login import current_user, login_required

from core.login import LOGIN_AT, SEEN_AT
from models.accounts import Account, IpBlock
from models.audit import AuditEvent
from models.base import db, utcnow
from services import accounts as service
from tests import factories
from tests.conftest import csrf_token

PASSWORD = factories.PASSWORD


@pytest.fixture
def app(app):
    """A protected page to check sessions, added before the first request."""

    @login_required
    def protected():
        return f"hello {current_user.login}"

    app.add_url_rule("/test-protected", "test_protected", protected)
    return app


@pytest.fixture
def make_account(app):
    def make(**kw):
        with app.app_context():
            db.connect(reuse_if_open=True)
            account = factories.account(**kw)
            db.close()
        return account

    return make


def fetch(app, model, *where):
    with app.app_context():
        db.connect(reuse_if_open=True)
        row = model.get_or_none(*where)
        db.close()
    return row


def update_account(app, account_id, **values):
    with app.app_context():
        db.connect(reuse_if_open=True)
        Account.update(**values).where(Account.id == account_id).execute()
        db.close()


def error_text(response) -> str:
    page = response.get_data(as_text=True)
    summary = re.search(r'<div class="error-summary".*?</div>', page, re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", summary.group(0))).strip() if summary else ""


def test_login_redirects_to_a_local_next_and_starts_a_new_session(app, client, auth, make_account):
    """ASVS V3.2.1 a new session on login; HttpOnly and SameSite=Lax cookie."""
    make_account(login="ewa")
    with client.session_transaction() as sess:
        sess["planted"] = "from before login"
    response = auth.login("ewa", PASSWORD, next_path="/slots?specialty=3")
    assert response.status_code == 303
    assert response.headers["Location"] == "/slots?specialty=3"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert sess["_user_id"].startswith(f"{fetch(app, Account, Account.login == 'ewa').id}:")
    assert client.get("/test-protected").get_data(as_text=True) == "hello ewa"


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x"]
)
def test_next_never_leaves_the_site(client, auth, make_account, target):
    """ASVS V5.1.5 no open redirect after login."""
    make_account(login="ewa")
    response = auth.login("ewa", PASSWORD, next_path=target)
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_wrong_password_and_unknown_login_give_the_same_answer(client, auth, make_account):
    """ASVS V2.2.1/V3 the message does not reveal whether the login exists."""
    make_account(login="ewa")
    wrong_password = auth.login("ewa", "not the right password")
    unknown_login = auth.login("nobody-here", "not the right password")
    assert wrong_password.status_code == unknown_login.status_code == 422
    assert error_text(wrong_password) == error_text(unknown_login)
    assert "Nieprawidłowy login lub hasło" in error_text(unknown_login)


def test_unknown_login_still_verifies_a_hash(client, auth, monkeypatch):
    """ASVS V2.2.1 similar time: an unknown login is checked against a dummy hash."""
    calls = []
    real = service.verify_password

    def spy(password_hash, password):
        calls.append(password_hash)
        return real(password_hash, password)

    monkeypatch.setattr(service, "verify_password", spy)
    auth.login("nobody-here", "whatever password")
    assert calls == [None]


def test_account_locks_after_max_failures_and_says_so_only_with_the_right_password(
    app, client, auth, make_account
):
    """ASVS V2.2.1 lock after LOGIN_MAX_FAILURES consecutive failures."""
    account = make_account(login="ewa")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert auth.login("ewa", "wrong password!!").status_code == 422
    locked = fetch(app, Account, Account.id == account.id)
    assert locked.locked_until > utcnow() and locked.lock_count == 1
    wrong = auth.login("ewa", "wrong password!!")
    assert "Nieprawidłowy login lub hasło" in error_text(wrong)
    right = auth.login("ewa", PASSWORD)
    assert right.status_code == 422
    assert "zablokowane" in error_text(right)
    assert app.config["ADMIN_CONTACT_PHONE"] in error_text(right)
    assert client.get("/test-protected").status_code == 302


def test_lock_ends_after_its_time_and_staff_can_unlock(app, client, auth, make_account):
    account = make_account(login="ewa")
    update_account(app, account.id, locked_until=utcnow() - timedelta(seconds=1), lock_count=1)
    assert auth.login("ewa", PASSWORD).status_code == 303
    after = fetch(app, Account, Account.id == account.id)
    assert (after.failed_logins, after.lock_count) == (0, 0)

    other = make_account(login="adam")
    update_account(app, other.id, locked_until=utcnow() + timedelta(hours=1))
    assert auth.login("adam", PASSWORD).status_code == 422
    with app.test_request_context():
        db.connect(reuse_if_open=True)
        service.unlock_account(Account.get_by_id(other.id))
        db.close()
    assert auth.login("adam", PASSWORD).status_code == 303


def test_success_resets_the_consecutive_failure_count(app, auth, make_account):
    account = make_account(login="ewa")
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        auth.login("ewa", "wrong password!!")
    assert auth.login("ewa", PASSWORD).status_code == 303
    assert fetch(app, Account, Account.id == account.id).failed_logins == 0


def test_not_activated_account_is_told_only_after_the_right_password(auth, make_account):
    make_account(login="ewa", activated=False)
    assert "Nieprawidłowy login lub hasło" in error_text(auth.login("ewa", "wrong password!!"))
    response = auth.login("ewa", PASSWORD)
    assert response.status_code == 422
    assert "nie zostało jeszcze aktywowane" in error_text(response)
    assert "/activate/resend" in response.get_data(as_text=True)


def test_disabled_account_gets_its_own_message(auth, make_account):
    make_account(login="ewa", disabled=True)
    assert "wyłączone" in error_text(auth.login("ewa", PASSWORD))


class TestIpBlock:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "IP_MAX_FAILURES": 3, "IP_BLOCK_MINUTES": 10}

    def test_ip_with_too_many_failures_is_blocked_with_429(self, app, client, auth, make_account):
        """ASVS V2.2.1 failures per IP counted in the database; a blocked IP gets 429."""
        make_account(login="ewa")
        for login in ("a1", "a2"):
            assert auth.login(login, "wrong password!!").status_code == 422
        third = auth.login("a3", "wrong password!!")
        assert third.status_code == 429
        assert int(third.headers["Retry-After"]) > 500
        assert "czasowo wstrzymane" in third.get_data(as_text=True)
        assert auth.login("ewa", PASSWORD).status_code == 429
        row = fetch(app, IpBlock, IpBlock.ip == "127.0.0.1")
        assert row.blocked_until > utcnow()
        with app.app_context():
            db.connect(reuse_if_open=True)
            service.unblock_ip("127.0.0.1")
            db.close()
        assert auth.login("ewa", PASSWORD).status_code == 303

    def test_failures_from_another_ip_do_not_count(self, app, client, auth, make_account):
        make_account(login="ewa")
        for _ in range(3):
            client.post(
                "/login",
                data={"login": "x", "password": "wrong", "csrf_token": csrf_token(client)},
                environ_base={"REMOTE_ADDR": "10.0.0.9"},
            )
        assert auth.login("ewa", PASSWORD).status_code == 303


def test_login_attempts_are_rate_limited_per_ip(client, auth):
    """ASVS V2.2.1 Flask-Limiter: 429 with Retry-After after 10 attempts a minute."""
    statuses = [auth.login(f"user{n}", "wrong password!!").status_code for n in range(11)]
    assert statuses[:10] == [422] * 10
    assert statuses[10] == 429


def test_missing_csrf_on_login_is_refused(client, make_account):
    """ASVS V4.2.2."""
    make_account(login="ewa")
    response = client.post("/login", data={"login": "ewa", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/test-protected").status_code == 302


def test_logins_are_audited_without_secrets(app, auth, make_account):
    """ASVS V7.1.1 no passwords in logs; V7.2.1 successes and failures logged."""
    make_account(login="ewa")
    auth.login("ewa", "wrong password!!")
    auth.login("ewa", PASSWORD)
    with app.app_context():
        db.connect(reuse_if_open=True)
        events = list(AuditEvent.select().order_by(AuditEvent.id))
        db.close()
    assert [e.action for e in events] == ["login.failure", "login.success"]
    assert all("wrong password" not in e.details and PASSWORD not in e.details for e in events)


def test_logout_ends_the_session_server_side(client, auth, make_account):
    """ASVS V3.3.1 a copied cookie stops working after logout."""
    make_account(login="ewa")
    auth.login("ewa", PASSWORD)
    old_cookie = client.get_cookie("wizyta_session").value
    assert auth.logout().status_code == 303
    client.set_cookie("wizyta_session", old_cookie, domain="localhost")
    assert client.get("/test-protected").status_code == 302


def test_unauthenticated_page_redirects_to_login_with_next(client):
    response = client.get("/test-protected?x=1")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/test-protected?x%3D1"


def test_unauthenticated_htmx_request_gets_hx_redirect(client):
    response = client.get("/test-protected", headers={"HX-Request": "true"})
    assert response.headers["HX-Redirect"].startswith("/login?next=")
    assert response.status_code == 204


def test_idle_session_expires(app, client, auth, make_account):
    """ASVS V3.3.2 idle timeout from SESSION_IDLE_MINUTES."""
    make_account(login="ewa")
    auth.login("ewa", PASSWORD)
    assert client.get("/test-protected").status_code == 200
    idle = app.config["SESSION_IDLE_MINUTES"] * 60
    with client.session_transaction() as sess:
        sess[SEEN_AT] = int(time.time()) - idle - 5
    response = client.get("/test-protected")
    assert response.status_code == 302
    assert "Sesja wygasła" in client.get("/login").get_data(as_text=True)


def test_session_has_an_absolute_limit(app, client, auth, make_account):
    """ASVS V3.3.2 absolute limit from SESSION_MAX_HOURS even when active."""
    make_account(login="ewa")
    auth.login("ewa", PASSWORD)
    with client.session_transaction() as sess:
        sess[LOGIN_AT] = int(time.time()) - app.config["SESSION_MAX_HOURS"] * 3600 - 5
    assert client.get("/test-protected").status_code == 302


def test_overlong_and_binary_login_input_gives_422_not_500(client):
    """ASVS V5.1.4 hostile input never produces a 500."""
    token = csrf_token(client)
    for login, password in (("x" * 10000, "y"), ("ewa", "p" * 20000), ("e\x00wa", "")):
        response = client.post(
            "/login", data={"login": login, "password": password, "csrf_token": token}
        )
        assert response.status_code == 422
    raw = f"csrf_token={token}&login=%FF%FEewa&password=%C0%AF%ED%A0%80".encode()
    response = client.post("/login", data=raw, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 422
