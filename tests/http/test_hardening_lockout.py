"""Lock-out targets the attacker, not the patient (issue 8.8); only failed logins count toward
the per-IP limit and every 429 says how long to wait (issue 7, login)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from core import botcheck
from models.accounts import Account, IpBlock
from models.audit import AuditEvent
from models.base import db, utcnow
from models.mail import OutboxMessage
from tests import factories
from tests.conftest import csrf_token

PASSWORD = factories.PASSWORD
ATTACKER = {"REMOTE_ADDR": "203.0.113.66"}
OWNER = {"REMOTE_ADDR": "198.51.100.10"}
BITS = 4


@pytest.fixture
def app_config(app_config):
    return {
        **app_config,
        "BOT_CHECK": True,
        "BOT_CHECK_BITS": BITS,
        "IP_MAX_FAILURES": 30,
        "LOGIN_RATE_LIMIT": "100 per minute",
    }


@pytest.fixture
def ewa(app):
    with app.app_context():
        db.connect(reuse_if_open=True)
        account = factories.account(login="ewa", email="ewa@example.com")
        db.close()
    return account


def query(app, fn):
    with app.app_context():
        db.connect(reuse_if_open=True)
        try:
            return fn()
        finally:
            db.close()


def login(client, password, environ, **extra):
    token = csrf_token(client, "/login")
    return client.post(
        "/login",
        data={"login": "ewa", "password": password, "csrf_token": token, **extra},
        environ_base=environ,
    )


def solved(response) -> dict:
    """What the browser script sends for the challenge on the page."""
    page = response.get_data(as_text=True)
    token = re.search(r'name="botcheck_challenge" value="([^"]+)"', page).group(1)
    return {"botcheck_challenge": token, "botcheck_solution": botcheck.solve(token, BITS)}


def lock_from_attacker(app, client):
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert login(client, "wrong password!!", ATTACKER).status_code == 422


def test_owner_passes_a_lock_caused_elsewhere_with_a_challenge(app, client, ewa):
    """ASVS V2.2.1: failures count per account and source; a correct password plus a passed
    anti-bot challenge from a new source gets through (audited, owner mailed)."""
    lock_from_attacker(app, client)
    assert query(app, lambda: Account.get_by_id(ewa.id).locked_until) > utcnow()

    first = login(client, PASSWORD, OWNER)
    assert first.status_code == 422
    assert "z innego miejsca" in first.get_data(as_text=True)
    through = login(client, PASSWORD, OWNER, **solved(first))
    assert through.status_code == 303

    actions = query(app, lambda: [e.action for e in AuditEvent.select().order_by(AuditEvent.id)])
    assert "login.through_lock" in actions
    mail = query(app, lambda: [(m.to, m.subject) for m in OutboxMessage.select()])
    assert ("ewa@example.com", "Logowanie mimo blokady konta w e-Rejestracji") in mail


def test_the_source_that_failed_stays_locked_even_with_a_challenge(app, client, ewa):
    """ASVS V2.2.1: the lock holds back the source that caused it."""
    lock_from_attacker(app, client)
    page = login(client, PASSWORD, OWNER)  # only to get a challenge
    refused = login(client, PASSWORD, ATTACKER, **solved(page))
    assert refused.status_code == 422
    assert "zablokowane" in refused.get_data(as_text=True)
    assert client.get("/account").status_code == 302


def test_a_challenge_cannot_be_used_twice(app, client, ewa):
    """ASVS V2.2.1: a solved challenge opens one login, never a second (it is spent)."""
    lock_from_attacker(app, client)
    answer = solved(login(client, PASSWORD, OWNER))
    assert login(client, PASSWORD, OWNER, **answer).status_code == 303
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    query(
        app,
        lambda: (
            Account.update(locked_until=utcnow() + timedelta(hours=1))
            .where(Account.id == ewa.id)
            .execute()
        ),
    )
    assert login(client, PASSWORD, {"REMOTE_ADDR": "198.51.100.11"}, **answer).status_code == 422


def test_a_password_reset_always_unlocks(app, client, ewa, mailbox_links):
    """ASVS V2.2.1 / V2.5.x: the owner who locked herself out resets the password and is in,
    from the very source that failed, without waiting; the lock history starts over."""

    def fail_until_locked():
        for _ in range(app.config["LOGIN_MAX_FAILURES"]):
            login(client, "wrong password!!", OWNER)
        return query(app, lambda: Account.get_by_id(ewa.id).locked_until)

    def reset(new_password):
        link = mailbox_links(client, "ewa@example.com")
        data = {"password": new_password, "password_confirm": new_password}
        data["csrf_token"] = csrf_token(client, link)
        assert client.post(link, data=data).status_code == 303

    lock = timedelta(minutes=app.config["LOGIN_LOCK_MINUTES"])
    assert fail_until_locked() - utcnow() <= lock
    reset("a brand new password 2026")
    # Locked again right after the reset: the shortest lock again, not a doubled one.
    assert fail_until_locked() - utcnow() <= lock
    assert login(client, "a brand new password 2026", OWNER).status_code == 422
    reset("another new password 2026")
    assert login(client, "another new password 2026", OWNER).status_code == 303


@pytest.fixture
def mailbox_links(app):
    def links(client, email):
        response = client.post(
            "/password/forgot",
            data={"email": email, "csrf_token": csrf_token(client, "/password/forgot")},
        )
        assert response.status_code == 303
        body = query(app, lambda: OutboxMessage.select().order_by(OutboxMessage.id.desc()).get())
        return re.search(r"http://localhost(/password/reset/\S+)", body.body_text).group(1)

    return links


class TestBehindOneNat:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "IP_MAX_FAILURES": 3, "LOGIN_RATE_LIMIT": "100 per minute"}

    def test_after_an_ip_block_a_correct_login_with_a_challenge_goes_through(
        self, app, client, ewa
    ):
        """ASVS V2.2.1: one attacker behind a clinic's NAT must not keep every patient out."""
        nat = {"REMOTE_ADDR": "192.0.2.1"}
        token = csrf_token(client, "/login")
        for n in range(3):
            client.post(
                "/login",
                data={"login": f"x{n}", "password": "wrong password!!", "csrf_token": token},
                environ_base=nat,
            )
        assert query(app, lambda: IpBlock.get(IpBlock.ip == "192.0.2.1").blocked_until)
        blocked = login(client, PASSWORD, nat)
        assert blocked.status_code == 429
        assert int(blocked.headers["Retry-After"]) > 0
        assert 'name="botcheck_challenge"' in blocked.get_data(as_text=True)
        wrong = login(client, "wrong password!!", nat, **solved(blocked))
        assert wrong.status_code == 429
        through = login(client, PASSWORD, nat, **solved(wrong))
        assert through.status_code == 303
        actions = query(app, lambda: [e.action for e in AuditEvent.select()])
        assert "login.through_ip_block" in actions


class TestPerIpLimit:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "BOT_CHECK": False, "LOGIN_RATE_LIMIT": "10 per minute"}

    def test_successful_logins_do_not_count_toward_the_per_ip_limit(self, app, client):
        """ASVS V2.2.1: a clinic tablet logs in patient after patient without a 429."""
        query(app, lambda: [factories.account(login=f"pacjent{n}") for n in range(12)])
        for n in range(12):
            token = csrf_token(client, "/login")
            response = client.post(
                "/login",
                data={"login": f"pacjent{n}", "password": PASSWORD, "csrf_token": token},
            )
            assert response.status_code == 303, n
            client.post("/logout", data={"csrf_token": csrf_token(client)})

    @pytest.mark.parametrize("htmx", [False, True])
    def test_the_429_page_says_how_long_to_wait(self, client, htmx):
        """ASVS V2.2.1: Retry-After and a human message on every 429, htmx too."""
        token = csrf_token(client, "/login")
        headers = {"HX-Request": "true"} if htmx else {}
        for n in range(10):
            client.post(
                "/login", data={"login": f"n{n}", "password": "wrong!!", "csrf_token": token}
            )
        refused = client.post(
            "/login",
            data={"login": "n", "password": "wrong!!", "csrf_token": token},
            headers=headers,
        )
        assert refused.status_code == 429
        seconds = int(refused.headers["Retry-After"])
        assert 0 < seconds <= 60
        page = refused.get_data(as_text=True)
        assert re.search(r"Spróbuj ponownie za \d+ (sekund|minut)", page), page
        if htmx:
            assert refused.headers["HX-Retarget"] == "#main"


def test_control_characters_in_the_login_count_as_a_failed_attempt(app, client):
    """ASVS V5.1.4 / V2.2.1: a NUL byte is refused with 422 (never a 500) and counts for the IP."""
    token = csrf_token(client, "/login")
    response = client.post(
        "/login", data={"login": "ewa\x00", "password": "x", "csrf_token": token}
    )
    assert response.status_code == 422
    assert query(app, lambda: IpBlock.get(IpBlock.ip == "127.0.0.1").failures) == 1
