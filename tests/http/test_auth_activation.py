"""Activation links: signed, single-use, expiring; a clear page and a rate-limited new link."""

from __future__ import annotations

import time

import pytest

from models.accounts import Account
from models.base import db
from models.mail import OutboxMessage
from services import password_reset
from services import registration as service
from tests import factories
from tests.conftest import csrf_token, without_csrf


@pytest.fixture
def app_config(app_config, mailbox):
    return {**app_config, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": mailbox.port}


@pytest.fixture
def inactive(app):
    with app.app_context():
        db.connect(reuse_if_open=True)
        account = factories.account(login="nowy", email="nowy@example.com", activated=False)
        db.close()
    return account


def token_for(app, account, age_seconds: int = 0) -> str:
    """A genuine activation token, optionally made `age_seconds` in the past."""
    real = time.time
    with app.test_request_context():
        db.connect(reuse_if_open=True)
        fresh = Account.get_by_id(account.id)
        try:
            time.time = lambda: real() - age_seconds
            return service.activation_token(fresh)
        finally:
            time.time = real
            db.close()


def is_active(app, account) -> bool:
    with app.app_context():
        db.connect(reuse_if_open=True)
        active = Account.get_by_id(account.id).activated_at is not None
        db.close()
    return active


def activate(client, token):
    path = f"/activate/{token}"
    return client.post(path, data={"csrf_token": csrf_token(client)})


def test_get_shows_a_confirmation_and_changes_nothing(app, client, inactive):
    """GET never changes state: a mail scanner opening the link does not use it up."""
    token = token_for(app, inactive)
    page = client.get(f"/activate/{token}")
    assert page.status_code == 200 and "nowy" in page.get_data(as_text=True)
    assert not is_active(app, inactive)


def test_link_activates_once(app, client, inactive):
    """ASVS V2.3.1 single use: the token is bound to the activation state."""
    token = token_for(app, inactive)
    assert activate(client, token).status_code == 303
    assert is_active(app, inactive)
    again = client.get(f"/activate/{token}", follow_redirects=True)
    assert "już aktywne" in again.get_data(as_text=True)


def test_tampered_link_gives_a_clear_page_with_a_new_link_form(app, client, inactive):
    """ASVS V2.3.1 signed: one changed character is refused."""
    token = token_for(app, inactive)
    tampered = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    for bad in (tampered, "x", "a" * 2000, "..", "%00"):
        response = activate(client, bad)
        assert response.status_code in (400, 404)
    page = client.get(f"/activate/{tampered}")
    assert page.status_code == 400
    body = page.get_data(as_text=True)
    assert "nieprawidłowy" in body and 'action="/activate/resend"' in body
    assert not is_active(app, inactive)


def test_expired_link_says_so_and_offers_a_new_one(app, client, inactive):
    """ASVS V2.3.1 expires after ACTIVATION_MAX_AGE_HOURS (48 h by default)."""
    hours = app.config["ACTIVATION_MAX_AGE_HOURS"]
    token = token_for(app, inactive, age_seconds=hours * 3600 + 60)
    response = activate(client, token)
    assert response.status_code == 400
    assert "wygasł" in response.get_data(as_text=True)
    assert not is_active(app, inactive)
    almost = token_for(app, inactive, age_seconds=hours * 3600 - 60)
    assert activate(client, almost).status_code == 303


def test_token_for_another_purpose_is_refused(app, client, inactive):
    with app.test_request_context():
        db.connect(reuse_if_open=True)
        reset = password_reset.reset_token(Account.get_by_id(inactive.id))
        db.close()
    assert activate(client, reset).status_code == 400
    assert not is_active(app, inactive)


def test_new_link_is_mailed_and_works(app, client, inactive, mailbox):
    response = client.post(
        "/activate/resend", data={"email": "NOWY@example.com", "csrf_token": csrf_token(client)}
    )
    assert response.status_code == 303
    message = mailbox.wait_for(to="nowy@example.com")
    link = next(u for u in mailbox.links(message) if "/activate/" in u)
    assert activate(client, link.rsplit("/", 1)[1]).status_code == 303
    assert is_active(app, inactive)


def test_new_link_answer_is_the_same_for_unknown_addresses(app, client, inactive, mailbox):
    """ASVS V2.5.x never reveals whether an address is registered."""
    known = client.post(
        "/activate/resend",
        data={"email": "nowy@example.com", "csrf_token": csrf_token(client)},
        follow_redirects=True,
    )
    unknown = client.post(
        "/activate/resend",
        data={"email": "nikt@example.com", "csrf_token": csrf_token(client)},
        follow_redirects=True,
    )
    assert known.status_code == unknown.status_code == 200
    # CSRF tokens carry their signing second, so pages rendered a second apart differ there
    assert without_csrf(known) == without_csrf(unknown)
    mailbox.wait_for(to="nowy@example.com")
    assert not mailbox._matching("nikt@example.com")


def test_new_link_is_rate_limited(client, inactive):
    statuses = [
        client.post(
            "/activate/resend",
            data={"email": f"a{n}@example.com", "csrf_token": csrf_token(client)},
        ).status_code
        for n in range(6)
    ]
    assert statuses == [303] * 5 + [429]


def test_activation_mail_is_written_with_the_account(app, client):
    """DESIGN §3: the message is in the outbox in the same transaction as the account."""
    with app.test_request_context():
        db.connect(reuse_if_open=True)
        account = factories.account(login="x1", email="x1@example.com", activated=False)
        service.resend_activation("x1@example.com")
        assert OutboxMessage.select().where(OutboxMessage.to == account.email).count() == 1
        db.close()
