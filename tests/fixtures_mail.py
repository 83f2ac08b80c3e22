"""Fixture `mailbox`: a real SMTP server in the test process that keeps what it receives.

A test module that wants the app to send mail to it overrides `app_config`:

    @pytest.fixture
    def app_config(app_config, mailbox):
        return {**app_config, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": mailbox.port}

Tests set MAIL_SYNC=True (tests/conftest.py), so mail queued by a request is delivered
before the response returns; `mailbox.wait_for(...)` still polls, so it also works with
delivery from a background thread or from the live server's thread.

API: `mailbox.port`, `mailbox.messages` (list of email.message.EmailMessage, policy=default),
`mailbox.wait_for(to=None, count=1, timeout=10)` returns the count-th message to `to`
(any recipient when None) and fails the test if it does not arrive in time,
`mailbox.links(msg)` the URLs in the plain-text body, `mailbox.text(msg)` that body,
`mailbox.stop()` / `mailbox.start()` to take the server down and up on the same port.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses

import pytest
from aiosmtpd.controller import Controller

_URL = re.compile(r"https?://[^\s<>\"']+")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Handler:
    def __init__(self, box: Mailbox):
        self.box = box

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        message = BytesParser(policy=policy.default).parsebytes(envelope.original_content)
        with self.box.lock:
            self.box.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self.box.messages.append(message)
        return "250 Message accepted for delivery"


class Mailbox:
    """Messages received by the SMTP server on 127.0.0.1:`port`."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.lock = threading.Lock()
        self._controller: Controller | None = None

    def start(self) -> None:
        if self._controller:
            return
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller:
            self._controller.stop()
            self._controller = None

    def _matching(self, to: str | None) -> list[EmailMessage]:
        with self.lock:
            messages = list(self.messages)
        if to is None:
            return messages
        wanted = to.lower()
        return [
            m
            for m in messages
            if any(addr.lower() == wanted for _, addr in getaddresses(m.get_all("To", [])))
        ]

    def wait_for(self, to: str | None = None, count: int = 1, timeout: float = 10) -> EmailMessage:
        """The count-th message sent to `to` (or to anyone); fail if it does not come in time."""
        deadline = time.monotonic() + timeout
        while True:
            found = self._matching(to)
            if len(found) >= count:
                return found[count - 1]
            if time.monotonic() > deadline:
                with self.lock:
                    seen = [(m["To"], m["Subject"]) for m in self.messages]
                pytest.fail(
                    f"mailbox: expected {count} message(s) to {to or 'anyone'} within "
                    f"{timeout}s, got {len(found)}; all received (To, Subject): {seen}"
                )
            time.sleep(0.05)

    @staticmethod
    def text(msg: EmailMessage) -> str:
        body = msg.get_body(preferencelist=("plain",))
        return body.get_content() if body is not None else ""

    @classmethod
    def links(cls, msg: EmailMessage) -> list[str]:
        return [url.rstrip(".,;:)]") for url in _URL.findall(cls.text(msg))]


@pytest.fixture
def mailbox():
    box = Mailbox()
    box.start()
    yield box
    box.stop()
