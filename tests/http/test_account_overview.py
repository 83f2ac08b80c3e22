"""Moje konto overview: login required, own data only, login method and 2FA state shown."""

from __future__ import annotations

import pyotp
import pytest

from models.base import db
from tests import factories
from tests.conftest import csrf_token


@pytest.fixture
def accounts(app):
    with app.app_context():
        db.connect(reuse_if_open=True)
        ewa = factories.account(login="ewa", email="ewa@example.com")
        jan = factories.account(
            login="jan",
            email="jan@example.com",
            patient=factories.patient(first_name="Jan", last_name="Zieliński"),
            totp_secret="JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
        )
        db.close()
    return ewa, jan


@pytest.mark.parametrize(
    "path",
    [
        "/account",
        "/account/data",
        "/account/email",
        "/account/password",
        "/account/consents",
        "/account/2fa",
        "/account/2fa/setup",
    ],
)
def test_every_account_page_needs_a_login(client, path):
    """ASVS V4.1.1 access control on the server: anonymous users go to the login page."""
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/login?next={path}"


def test_anonymous_post_changes_nothing_and_goes_to_login(client, accounts):
    response = client.post("/account/2fa/start", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 303 and response.headers["Location"].startswith("/login")


def test_overview_shows_own_data_login_method_and_2fa_state(client, auth, accounts):
    """ASVS V8.1.1 personal data page is not cached; htmx keeps no history snapshot."""
    auth.login("ewa", factories.PASSWORD)
    response = client.get("/account")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    assert 'hx-history="false"' in page
    assert "ewa@example.com" in page and accounts[0].patient.pesel in page
    assert "Login i hasło" in page and "wyłączona" in page
    # another account's data never appears
    assert "Zieliński" not in page and "jan@example.com" not in page


def test_overview_of_account_with_totp_names_password_and_code(client, auth, accounts):
    auth.login("jan", factories.PASSWORD)
    client.post(
        "/login/code",
        data={
            "code": pyotp.TOTP("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP").now(),
            "csrf_token": csrf_token(client),
        },
    )
    page = client.get("/account").get_data(as_text=True)
    assert "Zieliński" in page
    assert "kod z aplikacji (weryfikacja dwuetapowa)" in page and "włączona" in page


def test_login_methods_registry_marks_exactly_one_in_use(ctx):
    from services.account_changes import LOGIN_METHODS, login_methods

    plain = factories.account(login="anna")
    assert {m.code for m in LOGIN_METHODS} >= {"password", "password_totp"}
    used = [m.code for m, in_use in login_methods(plain) if in_use]
    assert used == ["password"]
