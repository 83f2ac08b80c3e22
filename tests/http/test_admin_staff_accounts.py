"""The admin's staff-login actions over HTTP, with the real e-mail read from the test's SMTP
server: a new staff login gets a one-time, expiring set-password link instead of a password
typed by the admin; the admin can send a new link; and "reset two-step verification" sends a
staff member who lost their phone to set it up again at the next login. Role boundaries:
a registrar or a doctor gets 403, a patient 404, a visitor the login page."""

from __future__ import annotations

import time

import pyotp
import pytest

from models.accounts import Account, RecoveryCode
from models.audit import AuditEvent
from models.base import db
from services import staff_accounts
from services.staff_accounts import create_staff_account
from tests import factories
from tests.conftest import csrf_token

NEW_PASSWORD = "kolorowe słonie tańczą 42"


@pytest.fixture
def app_config(app_config, mailbox):
    return {**app_config, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": mailbox.port}


def _read(app, fn):
    with app.test_request_context():
        db.connect(reuse_if_open=True)
        try:
            return fn()
        finally:
            db.close()


@pytest.fixture
def world(app):
    def make():
        spec = factories.specialty(name="Kardiologia")
        fac = factories.facility(name="Centrum")
        member = factories.staff(spec, fac, first_name="Ola", last_name="Zgubiła")
        lost = create_staff_account(
            "ola.zgubila", "ola@example.com", factories.PASSWORD, "registrar", member
        )
        secret = pyotp.random_base32()
        Account.update(totp_secret=secret).where(Account.id == lost.id).execute()
        RecoveryCode.create(account=lost.id, code_hash="sha256$x$y")
        create_staff_account("szef", "szef@example.com", factories.PASSWORD, "admin")
        create_staff_account("rejestracja", "rej@example.com", factories.PASSWORD, "registrar")
        doctor = factories.staff(spec, fac)
        create_staff_account("lekarz", "lek@example.com", factories.PASSWORD, "doctor", doctor)
        factories.account(login="pacjent")
        return {"spec": spec.id, "fac": fac.id, "member": member.id, "lost": lost.id}

    return _read(app, make)


def _log_in(client, login: str, password: str = factories.PASSWORD):
    return client.post(
        "/login",
        data={"login": login, "password": password, "csrf_token": csrf_token(client, "/login")},
    )


def _post(client, path: str, data: dict | None = None):
    return client.post(path, data={**(data or {}), "csrf_token": csrf_token(client, "/help")})


def _new_doctor(client, world):
    return _post(
        client,
        "/admin/staff/new",
        {
            "title": "lek.",
            "first_name": "Maria",
            "last_name": "Zdrowa",
            "specialties": str(world["spec"]),
            "facilities": str(world["fac"]),
            "has_login": "y",
            "login": "maria.zdrowa",
            "email": "maria@example.com",
            "role": "doctor",
        },
    )


def _link(mailbox, count: int = 1) -> str:
    message = mailbox.wait_for(to="maria@example.com", count=count)
    assert message["Subject"] == "Ustaw hasło do konta personelu"
    assert "maria.zdrowa" in mailbox.text(message)
    link = next(u for u in mailbox.links(message) if "/password/reset/" in u)
    return link.replace("http://localhost", "")


def _set_password(client, path: str, password: str = NEW_PASSWORD):
    return client.post(
        path,
        data={
            "password": password,
            "password_confirm": password,
            "csrf_token": csrf_token(client, "/help"),
        },
    )


def test_a_new_staff_login_sets_its_own_password_from_the_mailed_link(app, client, world, mailbox):
    _log_in(client, "szef")
    page = client.get("/admin/staff/new").get_data(as_text=True)
    assert 'name="password"' not in page  # the admin never types a staff password
    response = _new_doctor(client, world)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    listing = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Wysłano na maria@example.com link do ustawienia hasła." in listing
    account = _read(app, lambda: Account.get(Account.login == "maria.zdrowa"))
    assert not account.is_active  # nobody can log in until the link is used
    path = _link(mailbox)

    client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert _log_in(client, "maria.zdrowa", NEW_PASSWORD).status_code == 422
    assert client.get(path).status_code == 200
    assert _set_password(client, path).status_code == 303
    response = _log_in(client, "maria.zdrowa", NEW_PASSWORD)
    assert response.status_code == 303 and response.headers["Location"] == "/staff/"
    assert client.get("/admin/").status_code == 403
    # one-time: the same link no longer works
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert _set_password(client, path, "inne hasło do sprawdzenia 9").status_code == 400


def test_the_set_password_link_expires_and_the_admin_can_send_a_new_one(
    app, client, world, mailbox
):
    _log_in(client, "szef")
    _new_doctor(client, world)
    first = _link(mailbox)
    account = _read(app, lambda: Account.get(Account.login == "maria.zdrowa"))

    real = time.time
    hours = app.config["STAFF_INVITE_MAX_AGE_HOURS"]
    assert hours > app.config["RESET_MAX_AGE_HOURS"]
    try:
        time.time = lambda: real() - hours * 3600 - 60
        old = _read(app, lambda: staff_accounts.invite_token(account))
    finally:
        time.time = real
    expired = client.get(f"/password/reset/{old}")
    assert expired.status_code == 400 and "wygasł" in expired.get_data(as_text=True)

    response = _post(client, f"/admin/staff/{account.staff_member_id}/password-link")
    assert response.status_code == 303
    second = _link(mailbox, count=2)
    # both links work until the password is set; then both are used up
    assert client.get(first).status_code == 200 and client.get(second).status_code == 200
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert _set_password(client, second).status_code == 303
    assert client.get(first).status_code == 400
    event = _read(app, lambda: AuditEvent.get(AuditEvent.action == "admin.staff.password_link"))
    assert event.subject_account_id == account.id and event.actor_login == "szef"


def test_admin_resets_a_staff_members_two_step_verification(app, client, world, mailbox):
    # before: the password alone is not enough
    response = _log_in(client, "ola.zgubila")
    assert response.status_code == 303 and "/login/code" in response.headers["Location"]

    admin = app.test_client()
    _log_in(admin, "szef")
    page = admin.get(f"/admin/staff/{world['member']}").get_data(as_text=True)
    assert "Wyzeruj weryfikację dwuetapową" in page
    response = _post(admin, f"/admin/staff/{world['member']}/two-factor-reset")
    assert response.status_code == 303
    flashed = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "Wyłączono weryfikację dwuetapową konta ola.zgubila" in flashed

    account = _read(app, lambda: Account.get_by_id(world["lost"]))
    assert account.totp_secret is None
    assert (
        _read(app, lambda: RecoveryCode.select().where(RecoveryCode.account == account.id).count())
        == 0
    )
    notice = mailbox.wait_for(to="ola@example.com")
    assert "ola.zgubila" in mailbox.text(notice)
    event = _read(app, lambda: AuditEvent.get(AuditEvent.action == "admin.staff.two_factor_reset"))
    assert (event.subject_account_id, event.actor_login, event.ip) == (
        account.id,
        "szef",
        "127.0.0.1",
    )

    # after: the next login goes straight to setting two-step verification up again
    app.config["STAFF_REQUIRE_2FA"] = True
    fresh = app.test_client()
    response = _log_in(fresh, "ola.zgubila")
    assert response.status_code == 303 and "/login/code" not in response.headers["Location"]
    response = fresh.get("/staff/")
    assert response.status_code == 303 and "/account/2fa" in response.headers["Location"]


@pytest.mark.parametrize(
    ("role", "expected"),
    [("anonymous", 302), ("patient", 404), ("doctor", 403), ("registrar", 403)],
)
def test_only_the_admin_may_reset_two_step_or_send_a_link(app, client, world, role, expected):
    login = {"patient": "pacjent", "doctor": "lekarz", "registrar": "rejestracja"}
    if role != "anonymous":
        assert _log_in(client, login[role]).status_code == 303
    for action in ("two-factor-reset", "password-link"):
        response = _post(client, f"/admin/staff/{world['member']}/{action}")
        assert response.status_code in ((302, 303) if expected == 302 else (expected,)), action
    account = _read(app, lambda: Account.get_by_id(world["lost"]))
    assert account.totp_secret is not None


def test_the_reset_needs_the_csrf_token_and_a_staff_login(app, client, world):
    _log_in(client, "szef")
    response = client.post(f"/admin/staff/{world['member']}/two-factor-reset")
    assert response.status_code in (400, 422)
    assert _read(app, lambda: Account.get_by_id(world["lost"])).totp_secret is not None
    no_login = _read(app, lambda: factories.staff().id)
    assert _post(client, f"/admin/staff/{no_login}/two-factor-reset").status_code == 404
    assert _post(client, "/admin/staff/999999/password-link").status_code == 404


def test_the_set_password_page_says_it_is_a_new_staff_account_and_names_the_login(
    app, client, world, mailbox
):
    _log_in(client, "szef")
    _new_doctor(client, world)
    path = _link(mailbox)
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    app.config["STAFF_REQUIRE_2FA"] = True  # the clinic's default (the tests' is off)
    page = client.get(path).get_data(as_text=True)
    assert "<h1>Ustaw hasło do konta personelu</h1>" in page
    assert "Twój login: maria.zdrowa" in page
    assert "weryfikację dwuetapową" in page
    assert "Ustaw nowe hasło" not in page
    response = _set_password(client, path)
    assert response.status_code == 303
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Hasło zostało ustawione. Zaloguj się." in shown
