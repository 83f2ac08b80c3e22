"""Changing the password: current one required, policy, other sessions end, notice mailed."""

from __future__ import annotations

import pytest

from core.passwords import verify_password
from models.accounts import Account
from models.audit import AuditEvent
from models.base import db
from tests import factories
from tests.conftest import AuthActions, csrf_token

NEW = "zielony rower jedzie pod górę"


@pytest.fixture
def app_config(app_config, mailbox):
    return {**app_config, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": mailbox.port}


@pytest.fixture
def account(app):
    return factories.account_in(app, login="ewa", email="ewa@example.com")


def stored(app, account) -> Account:
    return factories.stored(app, account)


def change(client, current=factories.PASSWORD, new=NEW, confirm=None, **extra):
    data = {
        "current_password": current,
        "password": new,
        "password_confirm": new if confirm is None else confirm,
        "csrf_token": csrf_token(client, "/account/password"),
        **extra,
    }
    return client.post("/account/password", data=data)


def logged_in(client) -> bool:
    return client.get("/account").status_code == 200


def test_change_with_current_password_succeeds_and_mails_a_notice(
    app, client, auth, account, mailbox
):
    """ASVS V2.1.5/V2.1.6 change with the current password; V2.2.3 notice by e-mail."""
    auth.login("ewa", factories.PASSWORD)
    response = change(client)
    assert response.status_code == 303 and response.headers["Location"] == "/account"
    assert verify_password(stored(app, account).password_hash, NEW)
    assert "Hasło zostało zmienione" in client.get("/account").get_data(as_text=True)
    notice = mailbox.wait_for(to="ewa@example.com")
    assert "hasło" in mailbox.text(notice).lower() and NEW not in mailbox.text(notice)
    with app.app_context():
        db.connect(reuse_if_open=True)
        assert (
            AuditEvent.select().where(AuditEvent.action == "account.password_changed").count() == 1
        )
        db.close()


def test_wrong_current_password_gets_422_and_keeps_the_old(app, client, auth, account, mailbox):
    """ASVS V2.1.6 the current password is required."""
    auth.login("ewa", factories.PASSWORD)
    response = change(client, current="something else entirely")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Nieprawidłowe hasło" in page and 'aria-invalid="true"' in page
    assert verify_password(stored(app, account).password_hash, factories.PASSWORD)


@pytest.mark.parametrize(
    ("new", "confirm"),
    [
        ("short pass", None),  # V2.1.1 under 12
        ("x" * 129, None),  # V2.1.2 over 128
        ("password1234", None),  # V2.1.7 common
        (NEW, NEW + "!"),  # confirmation differs
    ],
)
def test_password_policy_applies(app, client, auth, account, mailbox, new, confirm):
    """ASVS V2.1.1, V2.1.2, V2.1.7 the same policy as at registration."""
    auth.login("ewa", factories.PASSWORD)
    response = change(client, new=new, confirm=confirm)
    assert response.status_code == 422
    assert verify_password(stored(app, account).password_hash, factories.PASSWORD)


def test_password_containing_the_login_is_refused(app, client, auth, mailbox):
    """ASVS V2.1.7 personal data (login, e-mail) inside the password is refused."""
    with app.app_context():
        db.connect(reuse_if_open=True)
        kowalska = factories.account(login="kowalska", email="anna.k@example.com")
        db.close()
    auth.login("kowalska", factories.PASSWORD)
    assert change(client, new="kowalska kowalska 2024").status_code == 422
    assert verify_password(stored(app, kowalska).password_hash, factories.PASSWORD)


def test_long_unicode_password_is_accepted(app, client, auth, account, mailbox):
    """ASVS V2.1.2/V2.1.4 64+ characters, spaces, Polish letters and emoji are fine."""
    auth.login("ewa", factories.PASSWORD)
    new = "żółta łódź płynie 🚣 po jeziorze wśród trzcin i kaczek " * 2
    assert change(client, new=new).status_code == 303
    assert verify_password(stored(app, account).password_hash, new)


def test_other_sessions_end_and_this_one_continues_with_a_new_id(app, account, mailbox):
    """ASVS V3.3.3 a password change logs out other sessions; V3.2.1 a new session id."""
    mine, other = app.test_client(), app.test_client()
    AuthActions(mine).login("ewa", factories.PASSWORD)
    AuthActions(other).login("ewa", factories.PASSWORD)
    assert logged_in(mine) and logged_in(other)
    version_before = stored(app, account).session_version
    cookie_before = mine.get_cookie("wizyta_session").value
    assert change(mine).status_code == 303
    assert stored(app, account).session_version == version_before + 1
    assert logged_in(mine)
    assert mine.get_cookie("wizyta_session").value != cookie_before
    assert not logged_in(other)


def test_old_session_cookie_replayed_after_change_is_refused(app, client, auth, account, mailbox):
    """ASVS V3.3.3 a copied cookie of the session before the change no longer works."""
    auth.login("ewa", factories.PASSWORD)
    stolen = client.get_cookie("wizyta_session").value
    assert change(client).status_code == 303
    thief = app.test_client()
    thief.set_cookie("wizyta_session", stolen)
    assert thief.get("/account").status_code == 302


def test_missing_csrf_gets_400_and_changes_nothing(app, client, auth, account, mailbox):
    """ASVS V4.2.2."""
    auth.login("ewa", factories.PASSWORD)
    response = client.post(
        "/account/password",
        data={"current_password": factories.PASSWORD, "password": NEW, "password_confirm": NEW},
    )
    assert response.status_code == 400
    assert verify_password(stored(app, account).password_hash, factories.PASSWORD)


def test_invalid_utf8_and_control_characters_get_422_not_500(app, client, auth, account, mailbox):
    auth.login("ewa", factories.PASSWORD)
    token = csrf_token(client, "/account/password")
    body = (
        f"csrf_token={token}&current_password=correct+horse+battery+staple"
        "&password=abc%FF%FEdef%00ghijklmnop&password_confirm=abc%FF%FEdef%00ghijklmnop"
    ).encode()
    response = client.post(
        "/account/password", data=body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 422
    assert verify_password(stored(app, account).password_hash, factories.PASSWORD)


def test_new_password_works_at_login_and_old_does_not(app, client, auth, account, mailbox):
    auth.login("ewa", factories.PASSWORD)
    change(client)
    auth.logout()
    assert auth.login("ewa", factories.PASSWORD).status_code != 303
    assert not logged_in(client)
    assert auth.login("ewa", NEW).status_code == 303 and logged_in(client)


def test_guessing_the_current_password_is_rate_limited(app, client, auth, account, mailbox):
    """ASVS V2.2.1 a stolen session cannot brute-force the password through this form."""
    auth.login("ewa", factories.PASSWORD)
    statuses = [change(client, current=f"guess number {n:04d}").status_code for n in range(11)]
    assert statuses[:10] == [422] * 10
    assert statuses[10] == 429
    assert verify_password(stored(app, account).password_hash, factories.PASSWORD)
