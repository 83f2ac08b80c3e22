"""SMTP servers that misbehave, for the outbox fault tests and bench/faults.py.

- `FaultySmtp`: a real aiosmtpd server whose answer to the message body can be delayed
  (`delay`), or given only after the message was stored (`hang_after_store`), as slow or
  overloaded mail servers do. `.messages` holds what it stored, `.port` where it listens.
- `SilentServer`: accepts TCP connections and never says a word (a hung mail server).
"""

from __future__ import annotations

import asyncio
import socket
import threading
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Handler:
    def __init__(self, server: FaultySmtp):
        self.server = server

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        if self.server.delay:
            await asyncio.sleep(self.server.delay)
        message = BytesParser(policy=policy.default).parsebytes(envelope.original_content)
        with self.server.lock:
            self.server.messages.append(message)
        if self.server.hang_after_store:
            await asyncio.sleep(self.server.hang_after_store)
        return "250 Message accepted for delivery"


class FaultySmtp:
    def __init__(self, delay: float = 0.0, hang_after_store: float = 0.0, port: int = 0):
        self.port = port or free_port()
        self.delay = delay
        self.hang_after_store = hang_after_store
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()
        self._controller: Controller | None = None

    def start(self) -> FaultySmtp:
        if self._controller is None:
            self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
            self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def message_ids(self) -> list[str]:
        with self.lock:
            return [str(m["Message-ID"]) for m in self.messages]


class SilentServer:
    """Accepts connections and never answers: smtplib waits for the greeting."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _addr = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)

    def stop(self) -> None:
        self.sock.close()
        for conn in self.accepted:
            conn.close()
