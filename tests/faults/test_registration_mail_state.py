"""The page after registration and resend says only what is true of the e-mail (SMTP down)."""

from __future__ import annotations

import pytest

from models.base import db
from models.mail import OutboxMessage
from tests.conftest import csrf_token
from tests.faults.smtp_faults import free_port
from tests.http.test_auth_register import _clinic, registration_data

SENT = "wysłaliśmy na podany adres e-mail"
NOT_SENT = "Nie udało się jeszcze wysłać wiadomości e-mail"
ON_ITS_WAY = "jest w drodze"
WHAT_TO_DO = "Jeśli wiadomość nie dotrze w ciągu kilkunastu minut"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "BOT_CHECK": False, "MAIL_TIMEOUT": 0.5, "MAIL_DATA_TIMEOUT": 2}


@pytest.fixture
def clinic(app):
    with app.app_context():
        db.connect(reuse_if_open=True)
        return _clinic()


def _register(client, clinic) -> str:
    response = client.post("/register", data=registration_data(client, clinic))
    assert response.status_code == 303
    return client.get(response.headers["Location"]).get_data(as_text=True)


def test_smtp_down_the_page_says_the_mail_is_not_sent_yet_and_what_to_do(app, client, clinic):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())  # nothing listens
    page = _register(client, clinic)
    assert NOT_SENT in page and WHAT_TO_DO in page
    assert SENT not in page
    with app.app_context():
        assert OutboxMessage.get().attempts == 1, "kept and retried later, not dropped"


def test_mail_not_attempted_yet_the_page_says_it_is_on_its_way(app, client, clinic):
    page = _register(client, clinic)  # no MAIL_SERVER: the message waits in the outbox
    assert ON_ITS_WAY in page and WHAT_TO_DO in page
    assert SENT not in page and NOT_SENT not in page


def test_smtp_up_the_page_says_the_mail_was_sent(app, client, clinic, mailbox):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=mailbox.port)
    page = _register(client, clinic)
    assert SENT in page and NOT_SENT not in page
    assert mailbox.wait_for(to="anna@example.com")


def test_resend_while_smtp_is_down_says_the_link_could_not_be_sent_yet(app, client, clinic):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())
    _register(client, clinic)
    response = client.post(
        "/activate/resend",
        data={"email": "anna@example.com", "csrf_token": csrf_token(client, "/activate/resend")},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "Nie udało się jeszcze wysłać poczty" in page
    assert "wysłaliśmy" not in page
