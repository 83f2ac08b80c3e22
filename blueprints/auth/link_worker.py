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
import os
import threading

from flask import Flask

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


class LinkWorker:
    def __init__(self, app: Flask):
        self.app = app
        self.lock = threading.Lock()
        self.wake = threading.Event()
        self.thread: threading.Thread | None = None
        self.pid = 0

    def poke(self) -> None:
        with self.lock:
            # After a fork (gunicorn workers) the parent's thread does not exist here.
            if self.thread is None or not self.thread.is_alive() or self.pid != os.getpid():
                self.pid = os.getpid()
                self.wake = threading.Event()
                self.thread = threading.Thread(
                    target=self._run, name="wizyta-link-requests", daemon=True
                )
                self.thread.start()
        self.wake.set()

    def _run(self) -> None:
        poll = float(self.app.config.get("MAIL_POLL_SECONDS", 60))
        while True:
            self.wake.wait(timeout=poll)
            self.wake.clear()  # a wake during the round starts another one
            run_once(self.app)


def wake(app: Flask) -> None:
    """A request stored a link request: have it answered soon (inline with MAIL_SYNC)."""
    if app.config.get("MAIL_SYNC"):
        run_once(app)
        return
    worker = app.extensions.get("wizyta_link_worker")
    if worker is None:
        worker = app.extensions.setdefault("wizyta_link_worker", LinkWorker(app))
    worker.poke()
