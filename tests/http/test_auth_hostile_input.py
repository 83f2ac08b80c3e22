"""Hostile input on every auth form: never a 500, nothing stored or sent."""

from __future__ import annotations

import pytest

from models.accounts import Account
from models.base import db
from models.mail import OutboxMessage
from tests.conftest import csrf_token

HOSTILE = [
    "' OR 1=1 --",
    "<script>alert(1)</script>@example.com",
    "a" * 10000 + "@example.com",
    "x@example.com\r\nBcc: victim@example.com",
    "\x00@example.com",
    "ą" * 300,
]


def nothing_written(app) -> bool:
    with app.app_context():
        db.connect(reuse_if_open=True)
        empty = OutboxMessage.select().count() == 0 and Account.select().count() == 0
        db.close()
    return empty


@pytest.mark.parametrize("path", ["/password/forgot", "/activate/resend"])
@pytest.mark.parametrize("email", HOSTILE)
def test_email_forms_refuse_hostile_addresses(app, client, path, email):
    """ASVS V5.1.3/V5.1.4 allow-list and length limit; header injection impossible."""
    response = client.post(path, data={"email": email, "csrf_token": csrf_token(client)})
    assert response.status_code in (303, 422)
    assert "<script>alert(1)</script>" not in response.get_data(as_text=True)
    assert nothing_written(app)


def test_invalid_utf8_in_email_forms(app, client):
    raw = f"csrf_token={csrf_token(client)}&email=%FF%FE%40example.com".encode()
    for path in ("/password/forgot", "/activate/resend"):
        response = client.post(path, data=raw, content_type="application/x-www-form-urlencoded")
        assert response.status_code == 422
    assert nothing_written(app)


@pytest.mark.parametrize("token", ["", "a" * 5000, "..%2f..%2f", "<script>", "x.y.z"])
def test_hostile_tokens_give_a_clear_page(client, token):
    for path in (f"/activate/{token}", f"/password/reset/{token}"):
        response = client.get(path)
        assert response.status_code in (400, 404)


def test_code_step_refuses_hostile_input_without_a_pending_login(client):
    response = client.post(
        "/login/code", data={"code": "1" * 10000, "csrf_token": csrf_token(client)}
    )
    assert response.status_code == 303


def test_locality_search_with_hostile_query(client):
    for query in ("%", "_", "' OR 1=1 --", "a" * 5000, "<b>"):
        response = client.get("/localities", query_string={"q": query})
        assert response.status_code == 200
        assert "<b>" not in response.get_data(as_text=True)
