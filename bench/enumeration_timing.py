"""Does the response time of "send me a link" tell whether an e-mail address has an account?

Usage: .venv/bin/python bench/enumeration_timing.py [--requests 200]
       [--database-url postgresql://postgres@127.0.0.1:5432/wizyta_bench_timing]
Without --database-url (or DATABASE_URL) it uses a fresh SQLite file in a temporary folder;
the schema of the given database is dropped and re-created.

A live server (werkzeug, one request at a time) runs in a child process, as in production
the background worker runs beside the request. For POST /password/forgot (known: an active
account; unknown: no account) and POST /activate/resend (known: a not yet activated account)
it sends known and unknown addresses interleaved in random order, pausing between requests
so the worker of one request does not overlap the next. It prints the medians, their
difference, and how often a threshold halfway between the medians classifies one request
right (50 % = the timing tells nothing; issue 8 measured 88 % before the fix).
"""

from __future__ import annotations

import argparse
import http.cookiejar
import multiprocessing
import os
import random
import re
import statistics
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("WIZYTA_ENV", "development")
os.environ.setdefault("SECRET_KEY", "bench-secret-key-" + "x" * 32)

_CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')
KNOWN_ACTIVE = "known.active@example.com"
KNOWN_INACTIVE = "known.inactive@example.com"


def make_app(url: str):
    from app import create_app
    from core.passwords import use_fast_hashes_for_tests

    use_fast_hashes_for_tests()
    return create_app(
        {
            "DATABASE_URL": url,
            "RATELIMIT_ENABLED": False,
            "RATELIMIT_STORAGE_URI": "memory://",
            "MAIL_SERVER": "",  # mail stays in the outbox; queuing it is part of the work
        }
    )


def build(url: str) -> None:
    from models import ALL_MODELS
    from models.base import db
    from tests import factories

    app = make_app(url)
    with app.app_context():
        db.connect(reuse_if_open=True)
        db.drop_tables(ALL_MODELS, safe=True, cascade=not url.startswith("sqlite"))
        db.create_tables(ALL_MODELS)
        factories.account(login="known-active", email=KNOWN_ACTIVE)
        factories.account(login="known-inactive", email=KNOWN_INACTIVE, activated=False)
        db.close()


def serve(url: str, port_queue) -> None:
    import logging

    from werkzeug.serving import WSGIRequestHandler, make_server

    import app as app_module
    from blueprints.auth import link_worker

    logging.disable(logging.INFO)
    WSGIRequestHandler.log_request = lambda *a, **k: None  # type: ignore[method-assign]
    # No SMTP server here: mail stays in the outbox (queuing it is measured, sending is not).
    app_module.deliver_soon = lambda _app: None
    link_worker.deliver_soon = lambda _app: None
    app = make_app(url)
    server = make_server("127.0.0.1", 0, app, threaded=False)
    port_queue.put(server.server_port)
    server.serve_forever()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect()
        )

    def open(self, path: str, data: dict | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, data=body, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def token(self, path: str) -> str:
        return _CSRF.search(self.open(path)[1]).group(1)


def measure(browser: Browser, path: str, known: str, requests: int, pause: float):
    token = browser.token(path)
    timings: dict[str, list[float]] = {"known": [], "unknown": []}
    for n in range(requests // 2):
        pair = [("known", known), ("unknown", f"nobody{n}@example.com")]
        random.shuffle(pair)
        for label, email in pair:
            started = time.perf_counter()
            status, _ = browser.open(path, {"email": email, "csrf_token": token})
            timings[label].append((time.perf_counter() - started) * 1000)
            assert status == 303, f"{path} answered {status}"
            time.sleep(pause)
    return timings


def classified_right(timings: dict[str, list[float]]) -> float:
    known, unknown = statistics.median(timings["known"]), statistics.median(timings["unknown"])
    threshold = (known + unknown) / 2
    slower = "known" if known >= unknown else "unknown"
    right = sum(
        1
        for label, samples in timings.items()
        for t in samples
        if (t >= threshold) == (label == slower)
    )
    return right / sum(len(s) for s in timings.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="per path, half known")
    parser.add_argument("--pause", type=float, default=0.03, help="seconds between requests")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="wizyta-timing-")
    url = args.database_url or f"sqlite:///{folder}/timing.sqlite3"
    build(url)
    context = multiprocessing.get_context("spawn")
    ports = context.Queue()
    server = context.Process(target=serve, args=(url, ports), daemon=True)
    server.start()
    try:
        browser = Browser(f"http://127.0.0.1:{ports.get(timeout=60)}")
        print(f"database: {url.split('@')[-1]}; {args.requests} requests per path, interleaved")
        print(f"{'path':<20} {'known ms':>9} {'unknown ms':>11} {'diff ms':>8} {'classified':>11}")
        for path, known in (
            ("/password/forgot", KNOWN_ACTIVE),
            ("/activate/resend", KNOWN_INACTIVE),
        ):
            measure(browser, path, known, 20, args.pause)  # warm-up
            timings = measure(browser, path, known, args.requests, args.pause)
            k, u = statistics.median(timings["known"]), statistics.median(timings["unknown"])
            print(
                f"{path:<20} {k:>9.2f} {u:>11.2f} {k - u:>+8.2f} {classified_right(timings):>10.0%}"
            )
    finally:
        server.terminate()
        server.join(5)


if __name__ == "__main__":
    main()
