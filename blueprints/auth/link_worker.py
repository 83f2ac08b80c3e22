"""One worker per process answers "send me a link" requests, outside the request.

/password/forgot and /activate/resend store one EmailRequest row for every valid address and
only wake this worker (after the answer is written), so the request does the same work
whether or not the address has an account (ASVS V2.5.x, issue 8). The worker looks the
address up, queues the mail and the audit row, then wakes the mail flusher. Like the mail
flusher it is one daemon thread per process, never a thread per request; it also wakes every
MAIL_POLL_SECONDS, and `flask send-mail` answers whatever a crashed process left.
"""

from __future__ import annotations

import logging

from flask import Flask

from core import background
from core.mail_worker import deliver_soon
from models.base import db
from services import registration as service

log = logging.getLogger("wizyta.auth")


def run_once(app: Flask) -> int:
    """Answer the waiting requests, then have their mail sent; returns how many."""
    handled = 0
    try:
        with app.app_context(), app.test_request_context("/", base_url=app.config["BASE_URL"]):
            handled = service.process_link_requests()
    except Exception:  # never reaches a user; the next wake or `flask send-mail` retries
        log.exception("Link request worker failed")
    finally:
        try:
            if not db.is_closed():
                db.close()
        except Exception:  # noqa: BLE001 - a broken connection is dropped either way
            log.debug("closing the link worker's connection failed", exc_info=True)
    if handled:
        deliver_soon(app)
    return handled


def wake(app: Flask) -> None:
    """A request stored a link request: have it answered soon (inline with MAIL_SYNC)."""
    if app.config.get("MAIL_SYNC"):
        run_once(app)
        return
    background.poke(app, "wizyta-link-requests", run_once)
