"""The outbox under SMTP faults: once per due time, no silent drop, phase timeouts, same id.

Real SMTP servers (aiosmtpd) that are down, slow, or store the message and then hang; the
clock is moved by passing `now` instead of sleeping.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from core import mail
from core.mail import MAX_ATTEMPTS, flush_outbox, queue_mail
from core.mail_worker import deliver_soon, flush_in_app
from models.base import db, make_database, utcnow
from models.mail import OutboxMessage
from tests.faults.smtp_faults import FaultySmtp, SilentServer, free_port


@pytest.fixture
def app_config(app_config):
    # Short timeouts so a hung server costs the test a fraction of a second.
    return {**app_config, "MAIL_TIMEOUT": 0.5, "MAIL_DATA_TIMEOUT": 5, "MAIL_SYNC": True}


@pytest.fixture
def smtp():
    server = FaultySmtp().start()
    yield server
    server.stop()


def _point_at(app, port: int) -> None:
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)


def _queue(count: int, to: str = "pacjent{}@example.com") -> list[int]:
    return [queue_mail(to.format(n), f"Temat {n}", "Treść").id for n in range(count)]


def _rows() -> list[OutboxMessage]:
    return list(OutboxMessage.select().order_by(OutboxMessage.id))


def test_parallel_flushes_attempt_each_due_message_exactly_once(app, ctx):
    _point_at(app, free_port())  # nothing listens: every attempt fails at once
    _queue(30)
    threads = [threading.Thread(target=flush_in_app, args=(app,)) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    rows = _rows()
    assert [row.attempts for row in rows] == [1] * 30
    assert all(row.next_attempt_at > utcnow() and row.claimed_until is None for row in rows)
    assert flush_outbox() == (0, 0), "nothing is due again before its backoff"
    later = utcnow() + timedelta(minutes=3)
    assert flush_outbox(now=later) == (0, 30)
    assert [row.attempts for row in _rows()] == [2] * 30


def test_the_last_failed_attempt_marks_the_message_failed_and_staff_can_resend_it(
    app, ctx, runner, smtp
):
    _point_at(app, free_port())
    (message_id,) = _queue(1)
    OutboxMessage.update(attempts=MAX_ATTEMPTS - 1).execute()
    assert flush_outbox() == (0, 1)
    row = OutboxMessage.get_by_id(message_id)
    assert row.failed_at is not None and row.sent_at is None and row.attempts == MAX_ATTEMPTS
    assert flush_outbox(now=utcnow() + timedelta(days=2)) == (0, 0), "a failed message waits"

    listing = runner.invoke(args=["mail-failed"])
    assert listing.exit_code == 0 and f"{message_id}\t" in listing.output
    assert "pacjent0@example.com" in listing.output
    sent_mail = runner.invoke(args=["send-mail"])
    assert "gave up after all attempts" in sent_mail.output

    _point_at(app, smtp.port)
    resent = runner.invoke(args=["resend-mail", str(message_id)])
    assert resent.exit_code == 0, resent.output
    assert len(smtp.messages) == 1
    assert OutboxMessage.get_by_id(message_id).sent_at is not None
    assert "No failed messages" in runner.invoke(args=["mail-failed"]).output
    assert runner.invoke(args=["resend-mail", str(message_id)]).exit_code != 0, "already sent"


def test_a_last_attempt_cut_short_by_a_crash_is_marked_failed_not_lost(app, ctx, smtp):
    """The worker died after claiming the last attempt: once the claim ends it shows as failed."""
    _point_at(app, smtp.port)
    (message_id,) = _queue(1)
    now = utcnow()
    OutboxMessage.update(attempts=MAX_ATTEMPTS - 1).execute()
    assert mail._claim(message_id, now, mail.claim_seconds(app.config)) is not None
    assert flush_outbox(now=now) == (0, 0), "claimed: nobody else touches it meanwhile"
    flush_outbox(now=now + timedelta(hours=1))
    row = OutboxMessage.get_by_id(message_id)
    assert row.failed_at is not None and row.sent_at is None and smtp.messages == []


def test_a_server_slower_than_the_command_timeout_still_gets_the_message_once(app, ctx):
    """RFC 5321 4.5.3.2: the reply after the body may take minutes; commands stay short."""
    slow = FaultySmtp(delay=1.5).start()  # three times MAIL_TIMEOUT, within MAIL_DATA_TIMEOUT
    try:
        _point_at(app, slow.port)
        _queue(1)
        assert flush_outbox() == (1, 0)
        assert len(slow.messages) == 1
    finally:
        slow.stop()
    assert _rows()[0].attempts == 1


def test_a_server_that_never_greets_costs_one_command_timeout_and_one_attempt(app, ctx):
    silent = SilentServer()
    try:
        _point_at(app, silent.port)
        _queue(1)
        assert flush_outbox() == (0, 1)
    finally:
        silent.stop()
    row = _rows()[0]
    assert row.attempts == 1 and "timed out" in row.last_error


def test_a_duplicate_after_a_hang_past_the_body_carries_the_same_message_id(app, ctx):
    """A server that stores, then does not answer within MAIL_DATA_TIMEOUT: the retry is a
    second copy, but with the Message-ID fixed at queue time, so mail programs merge them."""
    app.config["MAIL_DATA_TIMEOUT"] = 0.5
    hanging = FaultySmtp(hang_after_store=3).start()
    try:
        _point_at(app, hanging.port)
        (message_id,) = _queue(1)
        stored_id = OutboxMessage.get_by_id(message_id).message_id
        assert stored_id.startswith("<") and stored_id.endswith(">")
        assert flush_outbox() == (0, 1)
        hanging.hang_after_store = 0
        assert flush_outbox(now=utcnow() + timedelta(minutes=3)) == (1, 0)
        assert hanging.message_ids() == [stored_id, stored_id]
    finally:
        hanging.stop()


def test_no_database_connection_is_held_while_talking_to_smtp(app, ctx, smtp, monkeypatch):
    _point_at(app, smtp.port)
    _queue(3)
    seen: list[bool] = []
    real_send = mail._send

    def watching_send(config, email):
        seen.append(db.is_closed())
        real_send(config, email)

    monkeypatch.setattr(mail, "_send", watching_send)
    db.connect(reuse_if_open=True)
    assert flush_outbox() == (3, 0)
    assert seen == [True, True, True]


def test_one_flusher_thread_per_process_however_many_requests_queue_mail(app, ctx, smtp):
    _point_at(app, smtp.port)
    app.config["MAIL_SYNC"] = False
    _queue(5)
    try:
        for _ in range(50):
            deliver_soon(app)
        flushers = [t for t in threading.enumerate() if t.name == "wizyta-mail"]
        assert len(flushers) == 1
        deadline = utcnow() + timedelta(seconds=10)
        while len(smtp.messages) < 5 and utcnow() < deadline:
            threading.Event().wait(0.05)
    finally:
        app.extensions["wizyta_worker_wizyta-mail"].stop()
    assert len(smtp.messages) == 5
    assert not any(t.name == "wizyta-mail" for t in threading.enumerate())


def test_a_flush_with_the_database_down_logs_and_never_raises(app, caplog):
    _point_at(app, free_port())
    working = db.obj
    db.initialize(make_database(f"postgresql://postgres@127.0.0.1:{free_port()}/wizyta"))
    try:
        flush_in_app(app)
    finally:
        db.initialize(working)
    assert "Outbox flush failed" in caplog.text
