"""Two-factor in Moje konto: QR set-up confirmed by a code, recovery codes, disable, replay."""

from __future__ import annotations

import re
import time

import pyotp
import pytest

from models.accounts import Account, RecoveryCode
from models.audit import AuditEvent
from models.base import db
from tests import factories
from tests.conftest import csrf_token

_SECRET = re.compile(r'class="totp-secret"><code>([A-Z2-7 ]+)</code>')
_CODES = re.compile(r"<li><code>([A-Z0-9-]{14})</code></li>")


@pytest.fixture
def app_config(app_config, mailbox):
    return {**app_config, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": mailbox.port}


@pytest.fixture
def account(app):
    return factories.account_in(app, login="ewa", email="ewa@example.com")


def stored(app, account) -> Account:
    return factories.stored(app, account)


def audit_actions(app) -> list[str]:
    with app.app_context():
        db.connect(reuse_if_open=True)
        actions = [e.action for e in AuditEvent.select().order_by(AuditEvent.id)]
        db.close()
    return actions


def start_setup(client) -> str:
    """POST start, follow to the set-up page, return the secret shown as text."""
    response = client.post("/account/2fa/start", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 303 and response.headers["Location"] == "/account/2fa/setup"
    page = client.get("/account/2fa/setup").get_data(as_text=True)
    return _SECRET.search(page).group(1).replace(" ", "")


def confirm(client, code):
    return client.post("/account/2fa/setup", data={"code": code, "csrf_token": csrf_token(client)})


def enable(client) -> tuple[str, list[str]]:
    secret = start_setup(client)
    response = confirm(client, pyotp.TOTP(secret).now())
    assert response.status_code == 200
    return secret, _CODES.findall(response.get_data(as_text=True))


def reauth(client, path, prefix, password=factories.PASSWORD, code=""):
    return client.post(
        path,
        data={
            f"{prefix}-current_password": password,
            f"{prefix}-code": code,
            f"{prefix}-csrf_token": csrf_token(client, "/account/2fa"),
        },
    )


def disable(client, password=factories.PASSWORD, code=""):
    return reauth(client, "/account/2fa/disable", "disable", password, code)


def regenerate(client, password=factories.PASSWORD, code=""):
    return reauth(client, "/account/2fa/recovery-codes", "codes", password, code)


def other_code(secret: str) -> str:
    """A valid-looking code that is not right now (nor ±30 s)."""
    totp = pyotp.TOTP(secret)
    near = {totp.at(time.time() + d) for d in (-30, 0, 30)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in near)


def test_setup_page_shows_qr_svg_and_secret_but_keeps_it_out_of_the_session(
    app, client, auth, account
):
    """ASVS V2.8.x the secret is shown once, kept server-side; not in a hidden field/cookie."""
    auth.login("ewa", factories.PASSWORD)
    secret = start_setup(client)
    page = client.get("/account/2fa/setup").get_data(as_text=True)
    assert "<svg" in page and 'role="img"' in page and "aria-label=" in page
    assert 'type="hidden" name="secret"' not in page and 'hx-history="false"' in page
    assert len(secret) == 32
    with client.session_transaction() as sess:
        assert secret not in repr(dict(sess))
    assert secret not in client.get_cookie("wizyta_session").value
    assert stored(app, account).totp_secret is None


def test_wrong_code_does_not_switch_2fa_on(app, client, auth, account):
    auth.login("ewa", factories.PASSWORD)
    secret = start_setup(client)
    response = confirm(client, other_code(secret))
    assert response.status_code == 422
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert stored(app, account).totp_secret is None


@pytest.mark.parametrize("code", ["", "x" * 1000, "<script>", "12345\u0000", "١٢٣٤٥٦"])
def test_hostile_codes_get_422(app, client, auth, account, code):
    auth.login("ewa", factories.PASSWORD)
    start_setup(client)
    assert confirm(client, code).status_code == 422
    assert stored(app, account).totp_secret is None


def test_right_code_enables_2fa_shows_ten_codes_once_and_mails(app, client, auth, account, mailbox):
    """ASVS V2.8.1 TOTP on after a code; V2.6.x 10 recovery codes; V2.2.3 notice."""
    auth.login("ewa", factories.PASSWORD)
    secret, codes = enable(client)
    assert len(codes) == 10 and len(set(codes)) == 10
    saved = stored(app, account)
    assert saved.totp_secret == secret
    assert "totp.enabled" in audit_actions(app)
    assert "dwuetapow" in mailbox.text(mailbox.wait_for(to="ewa@example.com")).lower()
    page = client.get("/account/2fa").get_data(as_text=True)
    assert "włączona" in page and "10" in page
    assert not any(c in page for c in codes)  # never shown again
    assert client.get("/account/2fa/setup").status_code == 303
    with app.app_context():
        db.connect(reuse_if_open=True)
        hashes = [r.code_hash for r in RecoveryCode.select()]
        db.close()
    assert all(c.replace("-", "") not in h for c in codes for h in hashes)


def test_setup_without_start_or_after_expiry_goes_back(client, auth, account):
    auth.login("ewa", factories.PASSWORD)
    assert client.get("/account/2fa/setup").status_code == 303
    start_setup(client)
    with client.session_transaction() as sess:
        sess["totp_setup"] = {**sess["totp_setup"], "t": int(time.time()) - 3600}
    response = client.get("/account/2fa/setup")
    assert response.status_code == 303 and response.headers["Location"] == "/account/2fa"


def test_login_then_needs_a_code_and_the_confirmation_code_cannot_be_replayed(
    app, client, auth, account
):
    """ASVS V2.8.4 the code used to switch 2FA on is used up; the next step works."""
    auth.login("ewa", factories.PASSWORD)
    secret = start_setup(client)
    first = pyotp.TOTP(secret).now()
    assert confirm(client, first).status_code == 200
    auth.logout()
    response = auth.login("ewa", factories.PASSWORD)
    assert response.headers["Location"] == "/login/code"
    replay = client.post("/login/code", data={"code": first, "csrf_token": csrf_token(client)})
    assert replay.status_code == 422
    assert "totp.replay_refused" in audit_actions(app)


def test_recovery_code_logs_in_once(app, client, auth, account):
    """ASVS V2.5.x/V2.6.1 a lost phone falls back to single-use recovery codes."""
    auth.login("ewa", factories.PASSWORD)
    _secret, codes = enable(client)
    auth.logout()
    auth.login("ewa", factories.PASSWORD)
    response = client.post("/login/code", data={"code": codes[0], "csrf_token": csrf_token(client)})
    assert response.status_code == 303
    auth.logout()
    auth.login("ewa", factories.PASSWORD)
    response = client.post("/login/code", data={"code": codes[0], "csrf_token": csrf_token(client)})
    assert response.status_code == 422


def test_disable_needs_password_and_a_fresh_code(app, client, auth, account, mailbox):
    """ASVS V3.7.1 disabling 2FA asks for the password and a code; V2.8.4 no replays."""
    auth.login("ewa", factories.PASSWORD)
    secret, _codes = enable(client)
    totp = pyotp.TOTP(secret)
    # the code that switched 2FA on is used up
    assert disable(client, code=totp.now()).status_code == 422
    assert (
        disable(client, password="wrong password here", code=totp.at(time.time() + 30)).status_code
        == 422
    )
    assert disable(client, code=other_code(secret)).status_code == 422
    assert disable(client, code="").status_code == 422
    assert stored(app, account).totp_secret == secret
    response = disable(client, code=totp.at(time.time() + 30))
    assert response.status_code == 303 and response.headers["Location"] == "/account/2fa"
    assert stored(app, account).totp_secret is None
    assert "totp.disabled" in audit_actions(app)
    assert mailbox.wait_for(to="ewa@example.com", count=2)
    with app.app_context():
        db.connect(reuse_if_open=True)
        assert RecoveryCode.select().count() == 0
        db.close()


def test_disable_with_a_recovery_code_works(app, client, auth, account, mailbox):
    auth.login("ewa", factories.PASSWORD)
    _secret, codes = enable(client)
    assert disable(client, code=codes[5]).status_code == 303
    assert stored(app, account).totp_secret is None


def test_regenerate_codes_needs_password_and_code_and_replaces_old(
    app, client, auth, account, mailbox
):
    """ASVS V3.7.1 new recovery codes need the password and a code."""
    auth.login("ewa", factories.PASSWORD)
    secret, old = enable(client)
    assert regenerate(client, password="wrong password here", code=old[0]).status_code == 422
    response = regenerate(client, code=old[1])
    assert response.status_code == 200
    new = _CODES.findall(response.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)
    assert "totp.recovery_codes_regenerated" in audit_actions(app)
    auth.logout()
    auth.login("ewa", factories.PASSWORD)
    response = client.post("/login/code", data={"code": old[2], "csrf_token": csrf_token(client)})
    assert response.status_code == 422
    response = client.post("/login/code", data={"code": new[0], "csrf_token": csrf_token(client)})
    assert response.status_code == 303


def test_missing_csrf_changes_nothing(app, client, auth, account):
    """ASVS V4.2.2 CSRF on starting, confirming and disabling 2FA."""
    auth.login("ewa", factories.PASSWORD)
    assert client.post("/account/2fa/start").status_code == 400
    secret = start_setup(client)
    code = pyotp.TOTP(secret).now()
    assert client.post("/account/2fa/setup", data={"code": code}).status_code == 400
    assert stored(app, account).totp_secret is None
    assert confirm(client, code).status_code == 200
    response = client.post(
        "/account/2fa/disable",
        data={"disable-current_password": factories.PASSWORD, "disable-code": code},
    )
    assert response.status_code == 400
    assert stored(app, account).totp_secret == secret


def test_setup_session_of_one_account_is_useless_to_another(app, client, auth, account):
    """ASVS V4.2.1 the pending set-up is bound to the account that started it."""
    with app.app_context():
        db.connect(reuse_if_open=True)
        factories.account(login="jan")
        db.close()
    auth.login("ewa", factories.PASSWORD)
    start_setup(client)
    with client.session_transaction() as sess:
        pending = dict(sess["totp_setup"])
    auth.logout()
    auth.login("jan", factories.PASSWORD)
    with client.session_transaction() as sess:
        sess["totp_setup"] = pending
    assert client.get("/account/2fa/setup").status_code == 303
