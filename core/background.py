"""One daemon thread per process that requests wake, never a thread per request.

The mail flusher and the link-request worker are both this: a request only sets an event;
the thread runs its job, then waits for the next wake or MAIL_POLL_SECONDS.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

from flask import Flask


class Worker:
    def __init__(self, app: Flask, name: str, job: Callable[[Flask], object]):
        self.app = app
        self.name = name
        self.job = job
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
                self.thread = threading.Thread(target=self._run, name=self.name, daemon=True)
                self.thread.start()
        self.wake.set()

    def stop(self) -> None:
        """End the thread after its current round (tests; a process exit ends it anyway)."""
        self.stopping = True
        self.wake.set()
        if self.thread is not None:
            self.thread.join(timeout=30)

    def _run(self) -> None:
        poll = float(self.app.config["MAIL_POLL_SECONDS"])
        while not self.stopping:
            self.wake.wait(timeout=poll)
            self.wake.clear()  # a wake during the round starts another one
            if not self.stopping:
                self.job(self.app)


def poke(app: Flask, name: str, job: Callable[[Flask], object]) -> None:
    """Wake the process's worker called `name`, starting it on first use."""
    key = f"wizyta_worker_{name}"
    worker = app.extensions.get(key)
    if worker is None:
        worker = app.extensions.setdefault(key, Worker(app, name, job))
    worker.poke()
