"""Outgoing mail: queue in the outbox (same transaction), then deliver over SMTP with retries."""

from __future__ import annotations

import base64
import json
import logging
import smtplib
import ssl
import threading
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

from flask import Flask, current_app, g, has_app_context

from models.base import db, utcnow
from models.mail import OutboxMessage

log = logging.getLogger("wizyta.mail")

MAX_ATTEMPTS = 8
CLAIM_SECONDS = 120


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
    if has_app_context():
        g.mail_queued = True
    return OutboxMessage.create(
        to=to, subject=subject, body_text=body_text, attachments=json.dumps(encoded)
    )


def build_message(msg: OutboxMessage, sender: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender
    email["To"] = msg.to
    email["Subject"] = msg.subject
    email["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
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


def _claim(message_id: int) -> bool:
    """Take a message for sending; another worker running at once skips it."""
    now = utcnow()
    claimed = (
        OutboxMessage.update(claimed_until=now + timedelta(seconds=CLAIM_SECONDS))
        .where(
            (OutboxMessage.id == message_id)
            & OutboxMessage.sent_at.is_null()
            & (OutboxMessage.claimed_until.is_null() | (OutboxMessage.claimed_until < now))
        )
        .execute()
    )
    return claimed == 1


def _send(config: dict[str, Any], email: EmailMessage) -> None:
    host, port = config["MAIL_SERVER"], config["MAIL_PORT"]
    with smtplib.SMTP(host, port, timeout=15) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls(context=ssl.create_default_context())
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(email)


def flush_outbox(limit: int = 100) -> tuple[int, int]:
    """Send due messages. Returns (sent, failed). Without MAIL_SERVER, log and keep them."""
    config = current_app.config
    due = (
        OutboxMessage.select(OutboxMessage.id)
        .where(
            OutboxMessage.sent_at.is_null()
            & (OutboxMessage.attempts < MAX_ATTEMPTS)
            & (OutboxMessage.next_attempt_at <= utcnow())
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    sent = failed = 0
    for (message_id,) in list(due.tuples()):
        if not _claim(message_id):
            continue
        msg = OutboxMessage.get_by_id(message_id)
        if not config["MAIL_SERVER"]:
            log.info("No MAIL_SERVER: message %s to %s kept in the outbox", msg.id, msg.to)
            OutboxMessage.update(claimed_until=None).where(OutboxMessage.id == msg.id).execute()
            continue
        try:
            _send(config, build_message(msg, config["MAIL_DEFAULT_SENDER"]))
        except (OSError, smtplib.SMTPException) as error:
            failed += 1
            attempts = msg.attempts + 1
            OutboxMessage.update(
                attempts=attempts,
                next_attempt_at=utcnow() + timedelta(minutes=2**attempts),
                claimed_until=None,
                last_error=str(error)[:500],
            ).where(OutboxMessage.id == msg.id).execute()
            log.warning("Sending message %s failed (attempt %s): %s", msg.id, attempts, error)
        else:
            sent += 1
            OutboxMessage.update(sent_at=utcnow(), attempts=msg.attempts + 1).where(
                OutboxMessage.id == msg.id
            ).execute()
    return sent, failed


def deliver_soon(app: Flask) -> None:
    """After a request that queued mail, try to send it without making the user wait."""
    if app.config.get("MAIL_SYNC"):
        _flush_in_app(app)
        return
    threading.Thread(target=_flush_in_app, args=(app,), daemon=True).start()


def _flush_in_app(app: Flask) -> None:
    with app.app_context():
        db.connect(reuse_if_open=True)
        try:
            flush_outbox()
        except Exception:  # a failure here must never reach a user; the cron flush retries
            log.exception("Background outbox flush failed")
        finally:
            if not db.is_closed():
                db.close()
