"""Asking for a reset or activation link does the same work for known and unknown addresses
(issue 8.1); bench/enumeration_timing.py measures the time."""

from __future__ import annotations

import logging

import pytest

from blueprints.auth import link_worker
from models.audit import AuditEvent
from models.base import db
from models.mail import OutboxMessage
from services import registration as service
from tests import factories
from tests.conftest import csrf_token


@pytest.fixture
def app_config(app_config):
    # Production behaviour: the worker runs in the background, after the answer.
    return {**app_config, "MAIL_SYNC": False}


@pytest.fixture
def accounts(app):
    with app.app_context():
        db.connect(reuse_if_open=True)
        factories.account(login="znana", email="znana@example.com")
        factories.account(login="nowa", email="nowa@example.com", activated=False)
        db.close()


def _statements(caplog) -> list[str]:
    found = []
    for record in caplog.records:
        if record.name == "peewee":
            message = record.msg[0] if isinstance(record.msg, tuple) else record.getMessage()
            found.append(str(message))
    return found


def _request(client, caplog, path: str, email: str) -> tuple[int, list[str]]:
    token = csrf_token(client, path)
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="peewee"):
        response = client.post(path, data={"email": email, "csrf_token": token})
    statements = _statements(caplog)
    response.close()  # as a WSGI server does once the answer is written
    return response.status_code, statements


@pytest.mark.parametrize(
    ("path", "known"),
    [("/password/forgot", "znana@example.com"), ("/activate/resend", "nowa@example.com")],
)
def test_known_and_unknown_addresses_do_the_same_work_in_the_request(
    app, client, accounts, caplog, monkeypatch, path, known
):
    """ASVS V2.5.2 / V3.2.x no account enumeration through timing: the request runs the very
    same SQL for an address with an account and one without (one insert for the worker) and
    starts the worker for both; the lookup, the mail and the audit row happen in the worker."""
    started = []
    monkeypatch.setattr(link_worker, "wake", lambda app: started.append(app))
    known_status, known_sql = _request(client, caplog, path, known)
    unknown_status, unknown_sql = _request(client, caplog, path, "nikt@example.com")
    assert known_status == unknown_status == 303
    assert known_sql == unknown_sql
    assert len(started) == 2
    assert not any("outboxmessage" in s.lower() or "auditevent" in s.lower() for s in known_sql)


class TestTheWorker:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "MAIL_SYNC": True}  # the worker runs inline

    def test_it_mails_only_known_addresses_and_audits_with_the_ip(self, app, client, accounts):
        """ASVS V2.5.x: the link still reaches the owner; nothing goes to an unknown address."""
        _worker_mails_only_known_addresses(app, client)


def _worker_mails_only_known_addresses(app, client):
    for email in ("znana@example.com", "nikt@example.com"):
        response = client.post(
            "/password/forgot",
            data={"email": email, "csrf_token": csrf_token(client, "/password/forgot")},
            environ_base={"REMOTE_ADDR": "198.51.100.7"},
        )
        response.close()
        assert response.status_code == 303
    with app.test_request_context():
        db.connect(reuse_if_open=True)
        assert service.process_link_requests() == 0  # all answered already
        mail = [m.to for m in OutboxMessage.select()]
        audit = [(e.action, e.ip) for e in AuditEvent.select()]
        db.close()
    assert mail == ["znana@example.com"]
    assert audit == [("password.reset_requested", "198.51.100.7")]
