"""Staff accounts must use two-step verification (ASVS V4.3.1): without it a staff login is
sent to set it up before anything else, staff cannot switch it off, STAFF_REQUIRE_2FA=off
turns the rule off for a demo; staff sessions are shorter (STAFF_SESSION_MINUTES)."""

from __future__ import annotations

import re
import time

import pyotp
import pytest

from core.login import SEEN_AT
from models.base import db
from services.staff_accounts import create_staff_account
from tests import factories
from tests.conftest import csrf_token

_SECRET = re.compile(r'class="totp-secret"><code>([A-Z2-7 ]+)</code>')


@pytest.fixture
def app_config(app_config):
    return {**app_config, "STAFF_REQUIRE_2FA": True, "STAFF_SESSION_MINUTES": 10}


@pytest.fixture
def staff(app):
    with app.app_context():
        db.connect(reuse_if_open=True)
        create_staff_account("rejestracja", "rej@example.com", factories.PASSWORD, "registrar")
        create_staff_account("szef", "szef@example.com", factories.PASSWORD, "admin")
        db.close()


def _login(client, login: str, code: str | None = None):
    response = client.post(
        "/login",
        data={"login": login, "password": factories.PASSWORD, "csrf_token": csrf_token(client)},
    )
    if code is not None:
        response = client.post(
            "/login/code", data={"code": code, "csrf_token": csrf_token(client, "/login/code")}
        )
    return response


def _set_up_two_factor(client) -> str:
    client.post("/account/2fa/start", data={"csrf_token": csrf_token(client, "/account/2fa")})
    page = client.get("/account/2fa/setup").get_data(as_text=True)
    secret = _SECRET.search(page).group(1).replace(" ", "")
    response = client.post(
        "/account/2fa/setup",
        data={"code": pyotp.TOTP(secret).now(), "csrf_token": csrf_token(client, "/account/2fa")},
    )
    assert response.status_code == 200
    assert "Weryfikacja dwuetapowa została włączona" in response.get_data(as_text=True)
    return secret


@pytest.mark.parametrize("path", ["/staff/", "/admin/", "/admin/audit", "/account", "/slots"])
def test_staff_without_two_factor_is_sent_to_set_it_up_first(client, staff, path):
    _login(client, "szef")
    response = client.get(path)
    assert response.status_code == 303
    assert response.headers["Location"] == "/account/2fa"
    assert client.get("/account/2fa").status_code == 200


def test_htmx_request_of_staff_without_two_factor_gets_hx_redirect(client, staff):
    _login(client, "rejestracja")
    response = client.get("/staff/", headers={"HX-Request": "true"})
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/account/2fa"


def test_staff_sets_up_two_factor_then_logs_in_with_a_code(client, staff):
    _login(client, "rejestracja")
    secret = _set_up_two_factor(client)
    assert client.get("/staff/").status_code == 200
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    response = _login(client, "rejestracja")
    assert response.headers["Location"] == "/login/code"
    response = client.post(
        "/login/code",
        data={
            "code": pyotp.TOTP(secret).at(time.time() + 30),
            "csrf_token": csrf_token(client, "/login/code"),
        },
    )
    assert response.status_code == 303 and response.headers["Location"] == "/staff/"
    assert client.get("/staff/").status_code == 200


def test_staff_cannot_switch_two_factor_off_while_it_is_required(app, client, staff):
    _login(client, "szef")
    secret = _set_up_two_factor(client)
    response = client.post(
        "/account/2fa/disable",
        data={
            "disable-current_password": factories.PASSWORD,
            "disable-code": pyotp.TOTP(secret).now(),
            "disable-csrf_token": csrf_token(client, "/account/2fa"),
            "csrf_token": csrf_token(client, "/account/2fa"),
        },
    )
    assert response.status_code == 303
    with app.app_context():
        db.connect(reuse_if_open=True)
        from models.accounts import Account

        assert Account.get(Account.login == "szef").totp_secret
        db.close()


def test_the_rule_can_be_switched_off_for_a_demo(app, client, staff):
    app.config["STAFF_REQUIRE_2FA"] = False
    _login(client, "szef")
    assert client.get("/admin/").status_code == 200


def test_staff_session_ends_after_staff_idle_minutes(app, client, staff):
    app.config["STAFF_REQUIRE_2FA"] = False
    _login(client, "rejestracja")
    assert client.get("/staff/").status_code == 200
    with client.session_transaction() as session:
        session[SEEN_AT] = int(time.time()) - 11 * 60  # patients' limit is 30 min
    response = client.get("/staff/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_patient_session_keeps_the_longer_limit(app, client):
    factories.account_in(app, login="ewa")
    _login(client, "ewa")
    with client.session_transaction() as session:
        session[SEEN_AT] = int(time.time()) - 11 * 60
    assert client.get("/account").status_code == 200
