"""Changing the e-mail: password required, link to the new address, notice to the old one."""

from __future__ import annotations

import pytest
from itsdangerous.timed import TimestampSigner

from core.tokens import make_token
from models.accounts import Account
from models.base import db
from models.mail import OutboxMessage
from services import account_changes as service
from tests import factories
from tests.conftest import csrf_token


@pytest.fixture
def app_config(app_config, mailbox):
    return {**app_config, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": mailbox.port}


@pytest.fixture
def accounts(app):
    with app.app_context():
        db.connect(reuse_if_open=True)
        ewa = factories.account(login="ewa", email="ewa@example.com")
        jan = factories.account(login="jan", email="jan@example.com")
        db.close()
    return ewa, jan


def stored(app, account) -> Account:
    with app.app_context():
        db.connect(reuse_if_open=True)
        found = Account.get_by_id(account.id)
        db.close()
    return found


def ask(client, email="nowy@example.com", password=factories.PASSWORD, **extra):
    data = {"email": email, "current_password": password, **extra}
    data.setdefault("csrf_token", csrf_token(client, "/account/email"))
    return client.post("/account/email", data=data)


def confirmation_path(mailbox, to="nowy@example.com", count=1) -> str:
    message = mailbox.wait_for(to=to, count=count)
    link = next(u for u in mailbox.links(message) if "/account/email/confirm/" in u)
    return link.replace("http://localhost", "")


def confirm(client, path):
    return client.post(path, data={"csrf_token": csrf_token(client, "/account")})


def test_change_needs_the_current_password(app, client, auth, accounts, mailbox):
    """ASVS V3.7.1 the password is asked again before the e-mail changes."""
    auth.login("ewa", factories.PASSWORD)
    response = ask(client, password="not my password at all")
    assert response.status_code == 422
    assert "Nieprawidłowe hasło" in response.get_data(as_text=True)
    account = stored(app, accounts[0])
    assert account.pending_email is None and account.email == "ewa@example.com"
    with app.app_context():
        db.connect(reuse_if_open=True)
        assert OutboxMessage.select().count() == 0
        db.close()


def test_new_address_gets_a_link_and_changes_only_after_it(app, client, auth, accounts, mailbox):
    """ASVS V2.2.3 the old address is told; the new one proves itself by a link."""
    auth.login("ewa", factories.PASSWORD)
    response = ask(client, email="Nowy@Example.com")
    assert response.status_code == 303 and response.headers["Location"] == "/account"
    account = stored(app, accounts[0])
    assert account.email == "ewa@example.com" and account.pending_email == "nowy@example.com"
    notice = mailbox.wait_for(to="ewa@example.com")
    assert "nowy@example.com" in mailbox.text(notice)
    path = confirmation_path(mailbox)
    page = client.get(path)
    assert page.status_code == 200 and "nowy@example.com" in page.get_data(as_text=True)
    assert stored(app, accounts[0]).email == "ewa@example.com"  # GET changes nothing
    response = confirm(client, path)
    assert response.status_code == 303
    account = stored(app, accounts[0])
    assert account.email == "nowy@example.com" and account.pending_email is None
    changed = mailbox.wait_for(to="ewa@example.com", count=2)
    assert "nowy@example.com" in mailbox.text(changed)


def test_confirmation_link_works_once(app, client, auth, accounts, mailbox):
    """ASVS V2.3.1 single-use link."""
    auth.login("ewa", factories.PASSWORD)
    ask(client)
    path = confirmation_path(mailbox)
    assert confirm(client, path).status_code == 303
    assert client.get(path).status_code == 400
    assert confirm(client, path).status_code == 400


def test_a_newer_request_kills_the_older_link(app, client, auth, accounts, mailbox):
    auth.login("ewa", factories.PASSWORD)
    ask(client, email="pierwszy@example.com")
    old_path = confirmation_path(mailbox, to="pierwszy@example.com")
    ask(client, email="drugi@example.com")
    assert confirm(client, old_path).status_code == 400
    assert stored(app, accounts[0]).email == "ewa@example.com"
    assert confirm(client, confirmation_path(mailbox, to="drugi@example.com")).status_code == 303
    assert stored(app, accounts[0]).email == "drugi@example.com"


def test_tampered_link_is_refused(app, client, auth, accounts, mailbox):
    auth.login("ewa", factories.PASSWORD)
    ask(client)
    path = confirmation_path(mailbox)
    tampered = path[:-3] + ("aaa" if not path.endswith("aaa") else "bbb")
    assert client.get(tampered).status_code == 400
    assert confirm(client, tampered).status_code == 400
    assert confirm(client, "/account/email/confirm/" + "x" * 5000).status_code == 400
    assert stored(app, accounts[0]).email == "ewa@example.com"


def test_expired_link_is_refused(app, client, auth, accounts, mailbox, monkeypatch):
    """ASVS V2.3.1 links expire (EMAIL_CHANGE_MAX_AGE_HOURS, default 24)."""
    with app.test_request_context():
        db.connect(reuse_if_open=True)
        account = Account.get_by_id(accounts[0].id)
        account.pending_email = "nowy@example.com"
        account.save()
        real = TimestampSigner.get_timestamp
        monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: real(self) - 25 * 3600)
        token = make_token(
            service.EMAIL_CHANGE,
            {"a": account.id, "e": "nowy@example.com"},
            bound_to=service._email_binding(account),
        )
        monkeypatch.setattr(TimestampSigner, "get_timestamp", real)
        db.close()
    auth.login("ewa", factories.PASSWORD)
    path = f"/account/email/confirm/{token}"
    response = client.get(path)
    assert response.status_code == 400 and "wygasł" in response.get_data(as_text=True)
    assert confirm(client, path).status_code == 400
    assert stored(app, accounts[0]).email == "ewa@example.com"


def test_address_of_another_account_is_not_revealed_and_not_taken(
    app, client, auth, accounts, mailbox
):
    """No enumeration: the request looks the same; only the confirmation refuses, generically."""
    auth.login("ewa", factories.PASSWORD)
    response = ask(client, email="JAN@example.com")
    assert response.status_code == 303
    path = confirmation_path(mailbox, to="jan@example.com")
    response = confirm(client, path)
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Nie można zmienić adresu e-mail tym linkiem" in page
    assert "jan@example.com" not in page and "zajęty" not in page
    assert stored(app, accounts[0]).email == "ewa@example.com"
    assert stored(app, accounts[1]).email == "jan@example.com"


def test_link_of_one_account_does_nothing_for_another(app, client, auth, accounts, mailbox):
    """ASVS V4.2.1 the link works only in the session of the account that asked."""
    auth.login("ewa", factories.PASSWORD)
    ask(client)
    path = confirmation_path(mailbox)
    auth.logout()
    auth.login("jan", factories.PASSWORD)
    assert confirm(client, path).status_code == 400
    assert stored(app, accounts[0]).email == "ewa@example.com"
    assert stored(app, accounts[1]).email == "jan@example.com"


def test_confirmation_needs_a_login_and_returns_to_the_link(app, client, auth, accounts, mailbox):
    auth.login("ewa", factories.PASSWORD)
    ask(client)
    path = confirmation_path(mailbox)
    auth.logout()
    response = client.get(path)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")
    auth.login("ewa", factories.PASSWORD, next_path=path)
    assert confirm(client, path).status_code == 303
    assert stored(app, accounts[0]).email == "nowy@example.com"


@pytest.mark.parametrize(
    "email",
    ["not-an-email", "a@b", "x" * 250 + "@example.com", "<b>@example.com", "ewa@example.com"],
)
def test_bad_or_unchanged_address_gets_422(app, client, auth, accounts, mailbox, email):
    auth.login("ewa", factories.PASSWORD)
    response = ask(client, email=email)
    assert response.status_code == 422
    assert stored(app, accounts[0]).pending_email is None


def test_missing_csrf_changes_nothing(app, client, auth, accounts, mailbox):
    """ASVS V4.2.2."""
    auth.login("ewa", factories.PASSWORD)
    response = client.post(
        "/account/email", data={"email": "nowy@example.com", "current_password": factories.PASSWORD}
    )
    assert response.status_code == 400
    assert stored(app, accounts[0]).pending_email is None
