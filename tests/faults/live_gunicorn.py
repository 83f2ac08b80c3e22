"""A real gunicorn of the app on a free port, and a cookie-keeping HTTP client for it.

Used by the fault tests (parallel writes on SQLite, Redis killed and frozen) and by
bench/faults.py. The server is stopped by its PID; its log is kept for the assertions.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def init_database(database_url: str) -> None:
    env = {**os.environ, "WIZYTA_ENV": "development", "DATABASE_URL": database_url}
    env.pop("RATELIMIT_STORAGE_URI", None)
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "init-db"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )


class Gunicorn:
    def __init__(self, log_path: Path, env: dict[str, str], workers: int = 4):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.workers = workers
        self.env = {
            **os.environ,
            "WIZYTA_ENV": "development",
            "MAIL_SERVER": "",
            "WEB_CONCURRENCY": str(workers),
            **env,
        }
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> Gunicorn:
        gunicorn = Path(sys.executable).with_name("gunicorn")
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [str(gunicorn), "-w", str(self.workers), "-b", f"127.0.0.1:{self.port}"]
            + ["--graceful-timeout", "5", "app:create_app()"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=log,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}: {self.log()}")
            try:
                urllib.request.urlopen(self.url + "/login", timeout=2).read()
                return self
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer within {timeout} s: {self.log()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Visitor:
    """One browser: its own cookies, CSRF read from the page, redirects not followed."""

    def __init__(self, base: str, timeout: float = 60):
        self.base = base
        self.timeout = timeout
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect
        )
        self.statuses: list[tuple[str, int]] = []

    def request(self, path: str, data: dict[str, str] | None = None) -> tuple[int, dict, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            response = self.opener.open(self.base + path, data=body, timeout=self.timeout)
            status, headers, text = response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            status, headers, text = error.code, dict(error.headers), error.read()
        self.statuses.append((f"{'POST' if data is not None else 'GET'} {path}", status))
        return status, headers, text.decode("utf-8", errors="replace")

    def token(self, path: str) -> str:
        status, _headers, page = self.request(path)
        match = _CSRF.search(page)
        if not match:
            raise AssertionError(f"no CSRF token on {path} (status {status})")
        return match.group(1)

    def post(self, path: str, data: dict[str, str], form_path: str | None = None):
        return self.request(path, {"csrf_token": self.token(form_path or path), **data})
