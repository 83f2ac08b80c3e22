"""Outgoing mail: queue in the outbox (same transaction), then deliver over SMTP with retries.

What the outbox guarantees (README "Reliability"):
- a message is stored in the transaction of the change that causes it, or not at all;
- it is attempted once per due time, whatever flushes run at once (web workers, cron): a
  flusher takes it with a conditional UPDATE that counts the attempt and moves its next due
  time past the claim, so nobody else sees it as due until the attempt is settled;
- no database connection is held while talking to SMTP (claim, close, send, reopen, mark);
- each SMTP phase has its own timeout: connect and commands short, the reply after the
  message body long (RFC 5321 4.5.3.2 suggests 10 minutes), so a slow server still gets mail;
- a message whose attempts are used up is marked failed, never dropped: `flask mail-failed`
  lists it, `flask resend-mail ID` queues it again;
- the Message-ID is fixed when the message is queued, so the rare duplicate (a worker killed
  after the server stored the message but before it was marked sent) carries the same id.
"""

from __future__ import annotations

import base64
import json
import logging
import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

from flask import current_app, g, has_app_context

from models.base import db, utcnow
from models.mail import OutboxMessage

log = logging.getLogger("wizyta.mail")

MAX_ATTEMPTS = 8  # backoff 2, 4 … 256 minutes: about 8.5 hours before a message gives up


def backoff(attempts: int) -> timedelta:
    return timedelta(minutes=2**attempts)


def _sender_domain(sender: str) -> str:
    return sender.rpartition("@")[2].strip(" >") or "localhost"


def queue_mail(
    to: str, subject: str, body_text: str, attachments: list[dict[str, Any]] | None = None
) -> OutboxMessage:
    """Store a message; call inside the transaction of the change that causes it.

    Attachments are dicts with filename, content_type and data (bytes).
    """
    encoded = [
        {
            "filename": a["filename"],
            "content_type": a["content_type"],
            "data": base64.b64encode(a["data"]).decode("ascii"),
        }
        for a in attachments or []
    ]
    sender = "rejestracja@localhost"
    if has_app_context():
        sender = current_app.config.get("MAIL_DEFAULT_SENDER") or sender
    message = OutboxMessage.create(
        to=to,
        subject=subject,
        body_text=body_text,
        attachments=json.dumps(encoded),
        message_id=make_msgid(domain=_sender_domain(sender)),
    )
    if has_app_context():
        g.mail_queued = True
        g.queued_mail_ids = [*g.get("queued_mail_ids", []), message.id]
    return message


def build_message(msg: OutboxMessage, sender: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender
    email["To"] = msg.to
    email["Subject"] = msg.subject
    email["Message-ID"] = msg.message_id or make_msgid(domain=_sender_domain(sender))
    email.set_content(msg.body_text)
    for att in json.loads(msg.attachments or "[]"):
        maintype, _, subtype = att["content_type"].partition("/")
        email.add_attachment(
            base64.b64decode(att["data"]),
            maintype=maintype,
            subtype=subtype.split(";")[0],
            filename=att["filename"],
        )
    return email


# --- SMTP ---------------------------------------------------------------------------------


class _PhasedSMTP(smtplib.SMTP):
    """smtplib with a longer timeout for the reply after the message body.

    The server may check, scan and store the message before it answers that reply; giving
    up earlier makes the message "fail" although it was stored, and the retry a duplicate.
    """

    def __init__(self, host: str, port: int, timeout: float, data_timeout: float):
        self.data_timeout = data_timeout
        super().__init__(host, port, timeout=timeout)

    def data(self, msg):  # type: ignore[override]
        if self.sock is not None:
            self.sock.settimeout(self.data_timeout)
        try:
            return super().data(msg)
        finally:
            if self.sock is not None:
                self.sock.settimeout(self.timeout)


def claim_seconds(config: dict[str, Any]) -> float:
    """How long a claim lasts: longer than the slowest attempt the timeouts allow."""
    return 10 * float(config["MAIL_TIMEOUT"]) + float(config["MAIL_DATA_TIMEOUT"]) + 60


def _send(config: dict[str, Any], email: EmailMessage) -> None:
    smtp = _PhasedSMTP(
        config["MAIL_SERVER"],
        config["MAIL_PORT"],
        timeout=float(config["MAIL_TIMEOUT"]),
        data_timeout=float(config["MAIL_DATA_TIMEOUT"]),
    )
    try:
        if config["MAIL_USE_TLS"]:
            smtp.starttls(context=ssl.create_default_context())
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(email)
    except BaseException:
        smtp.close()
        raise
    # The server has the message now: a QUIT that fails must not turn it into a failure.
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()


# --- claiming and settling ----------------------------------------------------------------


@contextmanager
def _connection() -> Iterator[None]:
    """A connection for one short step; closed (returned to the pool) right after."""
    db.connect(reuse_if_open=True)
    try:
        yield
    finally:
        if not db.is_closed() and not db.in_transaction():
            db.close()


def _unsettled():
    return OutboxMessage.sent_at.is_null() & OutboxMessage.failed_at.is_null()


def _due(now: datetime):
    return (
        _unsettled()
        & (OutboxMessage.attempts < MAX_ATTEMPTS)
        & (OutboxMessage.next_attempt_at <= now)
        & (OutboxMessage.claimed_until.is_null() | (OutboxMessage.claimed_until <= now))
    )


def _give_up_spent(now: datetime) -> int:
    """Messages whose last allowed attempt never settled (the sender died): mark them failed."""
    spent = (
        OutboxMessage.update(failed_at=now, claimed_until=None)
        .where(
            _unsettled()
            & (OutboxMessage.attempts >= MAX_ATTEMPTS)
            & (OutboxMessage.next_attempt_at <= now)
        )
        .execute()
    )
    if spent:
        log.error("%s message(s) gave up after %s attempts (mail-failed)", spent, MAX_ATTEMPTS)
    return spent


def _claim(message_id: int, now: datetime, seconds: float) -> datetime | None:
    """Take a due message for one attempt; returns the claim's end, None if someone else won.

    One conditional UPDATE: only one flusher's statement matches, and it counts the attempt
    and moves the due time past the claim, so no other flusher retries it meanwhile.
    """
    until = now + timedelta(seconds=seconds)
    claimed = (
        OutboxMessage.update(
            claimed_until=until,
            next_attempt_at=until,
            attempts=OutboxMessage.attempts + 1,
            last_attempt_at=now,
        )
        .where((OutboxMessage.id == message_id) & _due(now))
        .execute()
    )
    return until if claimed == 1 else None


def _claim_next(now: datetime, seconds: float) -> tuple[OutboxMessage, datetime] | None:
    _give_up_spent(now)
    candidates = (
        OutboxMessage.select(OutboxMessage.id)
        .where(_due(now))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(10)
    )
    for (message_id,) in list(candidates.tuples()):
        until = _claim(message_id, now, seconds)
        if until is not None:
            return OutboxMessage.get_by_id(message_id), until
    return None


def _mark_sent(msg: OutboxMessage, now: datetime) -> None:
    OutboxMessage.update(sent_at=now, claimed_until=None, last_error="").where(
        OutboxMessage.id == msg.id
    ).execute()


def _mark_failed_attempt(msg: OutboxMessage, until: datetime, error: str, now: datetime) -> None:
    """Schedule the next attempt, or give up after the last one (visible, can be resent)."""
    gave_up = msg.attempts >= MAX_ATTEMPTS
    changes: dict[Any, Any] = {
        OutboxMessage.claimed_until: None,
        OutboxMessage.last_error: error[:500],
        OutboxMessage.next_attempt_at: now + backoff(msg.attempts),
    }
    if gave_up:
        changes[OutboxMessage.failed_at] = now
    OutboxMessage.update(changes).where(
        (OutboxMessage.id == msg.id)
        & OutboxMessage.sent_at.is_null()
        & (OutboxMessage.claimed_until == until)  # still our claim
    ).execute()
    if gave_up:
        log.error("Message %s gave up after %s attempts: %s", msg.id, msg.attempts, error)
    else:
        log.warning("Sending message %s failed (attempt %s): %s", msg.id, msg.attempts, error)


def flush_outbox(limit: int = 100, now: datetime | None = None) -> tuple[int, int]:
    """Send due messages. Returns (sent, failed). Without MAIL_SERVER, log and keep them.

    `now` lets tests move the clock instead of sleeping.
    """
    config = current_app.config
    if not config["MAIL_SERVER"]:
        with _connection():
            waiting = OutboxMessage.select().where(_unsettled()).count()
        if waiting:
            log.info("No MAIL_SERVER: %s message(s) kept in the outbox", waiting)
        return 0, 0
    sender = config["MAIL_DEFAULT_SENDER"]
    seconds = claim_seconds(config)
    sent = failed = 0
    for _ in range(limit):
        with _connection():
            taken = _claim_next(now or utcnow(), seconds)
        if taken is None:
            break
        msg, until = taken
        try:
            _send(config, build_message(msg, sender))
        except Exception as error:  # noqa: BLE001 - any failure is one failed attempt
            failed += 1
            with _connection():
                _mark_failed_attempt(msg, until, str(error) or repr(error), now or utcnow())
        else:
            sent += 1
            with _connection():
                _mark_sent(msg, now or utcnow())
    return sent, failed
