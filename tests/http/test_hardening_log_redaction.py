"""Tokens in paths never reach a log line (issue 8.6)."""

from __future__ import annotations

import logging

import pytest

from tests.http.hardening_world import PATIENT_LOGIN, build_world


@pytest.fixture
def world(app):
    return build_world(app)


def test_tokens_are_redacted_from_every_log_line(app, client, auth, world, caplog):
    """ASVS V7.1.1: a live reset, activation or e-mail change token is never logged — not by
    the CSRF error handler (which logs the path), not by any other logger."""
    caplog.set_level(logging.DEBUG)
    paths = [
        f"/password/reset/{world['reset_token']}",
        f"/activate/{world['activation_token']}",
    ]
    for path in paths:
        assert client.post(path, data={"password": "x"}).status_code == 400  # no CSRF token
    auth.login(PATIENT_LOGIN, "correct horse battery staple")
    email_path = f"/account/email/confirm/{world['email_token']}"
    assert client.post(email_path, data={}).status_code == 400
    logging.getLogger("werkzeug").info('127.0.0.1 - - "GET %s HTTP/1.1" 200 -', email_path)
    logging.getLogger("gunicorn.access").info("GET %(p)s", {"p": paths[0] + "?x=1"})
    text = caplog.text
    for token in ("reset_token", "activation_token", "email_token"):
        assert world[token] not in text
    assert "/password/reset/[redacted]" in text and "/activate/[redacted]" in text
    assert "/account/email/confirm/[redacted]" in text
    assert "/activate/resend" not in text or "[redacted]resend" not in text


def test_pages_that_only_look_like_token_routes_are_logged_as_they_are(app, caplog):
    caplog.set_level(logging.INFO)
    logging.getLogger("wizyta.test").info("POST /activate/resend 303")
    assert "/activate/resend" in caplog.text
