"""One mail flusher per process: requests wake it, it sends from the outbox one at a time.

A thread per request (the old way) let hundreds of flushes run at once, each holding a
database connection while it waited for SMTP. Here each process has one daemon thread; a
request that queued mail only sets an event. The thread also wakes every MAIL_POLL_SECONDS,
so retries go out without cron (the `send-mail` cron job stays a safe second sender: claims
keep every message to one attempt per due time).
"""

from __future__ import annotations

import logging

from flask import Flask

from models.base import db

from . import background
from .mail import flush_outbox

log = logging.getLogger("wizyta.mail")


def flush_in_app(app: Flask) -> None:
    """Flush the outbox outside a request; nothing here may escape into a thread or a user."""
    try:
        with app.app_context():
            flush_outbox()
    except Exception:  # the next wake or the cron flush retries
        log.exception("Outbox flush failed")
    finally:
        try:
            if not db.is_closed():
                db.close()
        except Exception:  # noqa: BLE001 - a broken connection is dropped either way
            log.debug("closing the flusher's connection failed", exc_info=True)


def deliver_soon(app: Flask) -> None:
    """After a request that queued mail, have it sent without making the user wait."""
    if app.config.get("MAIL_SYNC"):
        flush_in_app(app)
        return
    background.poke(app, "wizyta-mail", flush_in_app)
