"""Checklist items that cut across areas: session cookies, tokens in URLs, login logging."""

import re

from models.audit import AuditEvent
from tests import factories
from tests.conftest import csrf_token


def test_session_cookie_is_httponly_and_samesite_lax_after_login(client, ctx):
    """ASVS V3.4.2 HttpOnly, V3.4.3 SameSite=Lax on the session cookie."""
    factories.account(login="ewa")
    response = client.post(
        "/login",
        data={"login": "ewa", "password": factories.PASSWORD, "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 303
    cookie = next(
        h for h in response.headers.getlist("Set-Cookie") if h.startswith("wizyta_session=")
    )
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_no_session_or_csrf_token_travels_in_a_url(client, ctx):
    """ASVS V3.1.1 tokens are never in URLs; V8.3.1 personal data is sent in POST bodies."""
    factories.account(login="ewa")
    token = csrf_token(client)
    response = client.post(
        "/login", data={"login": "ewa", "password": factories.PASSWORD, "csrf_token": token}
    )
    assert token not in response.headers["Location"]
    assert "session" not in response.headers["Location"].lower()
    for path in ("/login", "/register", "/password/forgot"):
        page = client.get(path).get_data(as_text=True)
        forms = re.findall(r"<form[^>]*>", page)
        sensitive = [f for f in forms if "lang-switch" not in f and "cookies" not in f]
        assert sensitive and all('method="post"' in f for f in sensitive), path
        assert not re.search(r'href="[^"]*(csrf|session)', page)


def test_logins_are_written_to_the_audit_log_without_the_password(client, ctx):
    """ASVS V7.2.1 successful and failed logins are logged; V7.1.1 never the password."""
    factories.account(login="ewa")
    client.post(
        "/login", data={"login": "ewa", "password": "wrong one!!", "csrf_token": csrf_token(client)}
    )
    client.post(
        "/login",
        data={"login": "ewa", "password": factories.PASSWORD, "csrf_token": csrf_token(client)},
    )
    actions = [e.action for e in AuditEvent.select().order_by(AuditEvent.id)]
    assert "login.failure" in actions and "login.success" in actions
    details = " ".join(e.details for e in AuditEvent.select())
    assert factories.PASSWORD not in details and "wrong one!!" not in details


def test_password_fields_allow_paste_and_offer_show_password(client):
    """ASVS V2.1.11 paste is never blocked; V2.1.12 the password can be shown while typing."""
    page = client.get("/login").get_data(as_text=True)
    assert "onpaste" not in page.lower()
    assert 'type="password"' in page
    assert "data-show-password" in page
