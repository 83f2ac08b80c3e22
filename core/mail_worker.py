"""One mail flusher per process: requests wake it, it sends from the outbox one at a time.

A thread per request (the old way) let hundreds of flushes run at once, each holding a
database connection while it waited for SMTP. Here each process has one daemon thread; a
request that queued mail only sets an event. The thread also wakes every MAIL_POLL_SECONDS,
so retries go out without cron (the `send-mail` cron job stays a safe second sender: claims
keep every message to one attempt per due time).
"""

from __future__ import annotations

import logging
import os
import threading

from flask import Flask

from models.base import db

from .mail import flush_outbox

log = logging.getLogger("wizyta.mail")


class Flusher:
    def __init__(self, app: Flask):
        self.app = app
        self.lock = threading.Lock()
        self.wake = threading.Event()
        self.thread: threading.Thread | None = None
        self.pid = 0
        self.stopping = False

    def poke(self) -> None:
        with self.lock:
            # After a fork (gunicorn workers) the parent's thread does not exist here.
            if self.thread is None or not self.thread.is_alive() or self.pid != os.getpid():
                self.pid = os.getpid()
                self.wake = threading.Event()
                self.thread = threading.Thread(target=self._run, name="wizyta-mail", daemon=True)
                self.thread.start()
        self.wake.set()

    def stop(self) -> None:
        """End the thread after its current flush (tests; a process exit ends it anyway)."""
        self.stopping = True
        self.wake.set()
        if self.thread is not None:
            self.thread.join(timeout=30)

    def _run(self) -> None:
        poll = float(self.app.config.get("MAIL_POLL_SECONDS", 60))
        while not self.stopping:
            self.wake.wait(timeout=poll)
            self.wake.clear()  # a wake during the flush starts another round
            if not self.stopping:
                flush_in_app(self.app)


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
    flusher = app.extensions.get("wizyta_mail_flusher")
    if flusher is None:
        flusher = app.extensions.setdefault("wizyta_mail_flusher", Flusher(app))
    flusher.poke()
