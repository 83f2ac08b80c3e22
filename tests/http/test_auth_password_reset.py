"""Forgotten password: same answer for everyone, signed single-use expiring link, policy."""

from __future__ import annotations

import time

import pytest

from models.accounts import Account
from models.base import db
from services import password_reset
from tests import factories
from tests.conftest import csrf_token, without_csrf

NEW_PASSWORD = "nowe hasło do przychodni"


@pytest.fixture
def app_config(app_config, mailbox):
    return {**app_config, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": mailbox.port}


@pytest.fixture
def account(app):
    return factories.account_in(app, login="ewa", email="ewa@example.com")


def ask(client, email):
    return client.post(
        "/password/forgot",
        data={"email": email, "csrf_token": csrf_token(client)},
        follow_redirects=True,
    )


def reset_link(client, mailbox, email="ewa@example.com") -> str:
    ask(client, email)
    message = mailbox.wait_for(to=email)
    link = next(u for u in mailbox.links(message) if "/password/reset/" in u)
    return link.replace("http://localhost", "")


def set_password(client, path, password=NEW_PASSWORD, confirm=None):
    return client.post(
        path,
        data={
            "password": password,
            "password_confirm": password if confirm is None else confirm,
            "csrf_token": csrf_token(client),
        },
    )


def test_reset_link_sets_a_new_password_once(app, client, auth, account, mailbox):
    """ASVS V2.3.1/V2.5.x reset by a signed link bound to the password hash (single use)."""
    path = reset_link(client, mailbox)
    assert client.get(path).status_code == 200
    response = set_password(client, path)
    assert response.status_code == 303
    assert auth.login("ewa", NEW_PASSWORD).status_code == 303
    auth.logout()
    assert auth.login("ewa", factories.PASSWORD).status_code == 422
    again = set_password(client, path, "jeszcze inne hasło 123")
    assert again.status_code == 400
    notice = mailbox.wait_for(to="ewa@example.com", count=2)
    assert "zmienione" in mailbox.text(notice)


def test_answer_is_identical_for_known_and_unknown_addresses(client, account, mailbox):
    """ASVS V2.5.x the response never reveals whether the account exists."""
    known = ask(client, "ewa@example.com")
    unknown = ask(client, "nikt@example.com")
    assert without_csrf(known) == without_csrf(unknown)
    mailbox.wait_for(to="ewa@example.com")
    assert len(mailbox.messages) == 1


def test_reset_ends_other_sessions(app, client, auth, account, mailbox):
    """ASVS V3.3.3 a new password ends every other session."""
    other = app.test_client()
    other.post(
        "/login",
        data={"login": "ewa", "password": factories.PASSWORD, "csrf_token": csrf_token(other)},
    )
    assert "Wyloguj się" in other.get("/").get_data(as_text=True)
    path = reset_link(client, mailbox)
    set_password(client, path)
    assert "Wyloguj się" not in other.get("/").get_data(as_text=True)


def test_new_password_must_follow_the_policy(client, account, mailbox):
    """ASVS V2.1.1/V2.1.7 the policy applies on reset."""
    path = reset_link(client, mailbox)
    for password, confirm in (("krotkie", None), ("password1234", None), (NEW_PASSWORD, "inne")):
        response = set_password(client, path, password, confirm)
        assert response.status_code == 422
    assert set_password(client, path).status_code == 303


def test_expired_or_tampered_reset_link_gives_a_clear_page(app, client, account):
    real = time.time
    with app.test_request_context():
        db.connect(reuse_if_open=True)
        fresh = Account.get_by_id(account.id)
        try:
            time.time = lambda: real() - app.config["RESET_MAX_AGE_HOURS"] * 3600 - 60
            old = password_reset.reset_token(fresh)
        finally:
            time.time = real
        good = password_reset.reset_token(fresh)
        db.close()
    expired = client.get(f"/password/reset/{old}")
    assert expired.status_code == 400 and "wygasł" in expired.get_data(as_text=True)
    assert set_password(client, f"/password/reset/{old}").status_code == 400
    tampered = good[:-2] + ("xy" if not good.endswith("xy") else "zz")
    assert client.get(f"/password/reset/{tampered}").status_code == 400


def test_reset_unlocks_a_locked_account(app, client, auth, account, mailbox):
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        auth.login("ewa", "wrong password!!")
    path = reset_link(client, mailbox)
    set_password(client, path)
    assert auth.login("ewa", NEW_PASSWORD).status_code == 303


def test_forgot_password_is_rate_limited(client):
    statuses = [ask(client, f"x{n}@example.com").status_code for n in range(5)]
    assert statuses == [200] * 5
    response = client.post(
        "/password/forgot", data={"email": "y@example.com", "csrf_token": csrf_token(client)}
    )
    assert response.status_code == 429 and response.headers.get("Retry-After")


def test_missing_csrf_sends_nothing(client, account, mailbox):
    response = client.post("/password/forgot", data={"email": "ewa@example.com"})
    assert response.status_code == 400
    assert mailbox.messages == []


def test_the_reset_page_names_the_login_and_is_not_the_staff_welcome(client, account, mailbox):
    page = client.get(reset_link(client, mailbox)).get_data(as_text=True)
    assert "<h1>Ustaw nowe hasło</h1>" in page
    assert "Twój login: ewa" in page
    assert "konta personelu" not in page and "dwuetapową" not in page
