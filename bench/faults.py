"""Fault drill a clinic can run: what is delivered, lost, duplicated and refused when things break.

Usage: .venv/bin/python bench/faults.py [--workers 4] [--registrations 40] [--skip-redis]

Everything runs on this machine with servers of its own on free ports (never the clinic's
Redis or mail server): gunicorn with --workers workers on a fresh SQLite file, a real SMTP
sink (aiosmtpd) that is down, slow or back, and a redis-server that is killed and frozen.

  smtp down, then back  registrations while nothing listens on the mail port; the sink
                        starts; the retry time is moved to now (instead of waiting the
                        2-minute backoff) and the workers' flushers deliver.
  smtp slow             the sink answers the message body after --slow-delay s, longer
                        than the command timeout (MAIL_TIMEOUT=2 here), shorter than the
                        body timeout (MAIL_DATA_TIMEOUT, 600 s).
  redis                 wrong logins against LOGIN_RATE_LIMIT (10 per minute) with Redis up,
                        killed (SIGKILL), restarted, frozen (SIGSTOP) and thawed; each phase
                        from its own client address (X-Forwarded-For) so it starts at zero.
  sqlite parallel       registrations, bookings, changes, cancellations at once.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("WIZYTA_ENV", "development")
os.environ.setdefault("SECRET_KEY", "bench-secret-key-" + "x" * 32)

from core.passwords import use_fast_hashes_for_tests  # noqa: E402
from core.pesel import make as make_pesel  # noqa: E402
from models.base import utcnow  # noqa: E402
from models.mail import OutboxMessage  # noqa: E402
from tests.faults.live_gunicorn import Gunicorn, Visitor, init_database  # noqa: E402
from tests.faults.redis_server import RedisServer, redis_server_binary  # noqa: E402
from tests.faults.smtp_faults import FaultySmtp  # noqa: E402
from tests.faults.test_sqlite_parallel_writes import (  # noqa: E402
    PASSWORD,
    _seed,
    bound,
)

use_fast_hashes_for_tests()  # only for the seeded accounts; the server hashes for real


def register(base: str, n: int, consent: int) -> tuple[int, str]:
    """One registration; returns its status and what the page after it says of the mail."""
    me = Visitor(base)
    pesel = make_pesel(date(1960, 1, 1) + timedelta(days=n), n % 1000, female=n % 2 == 0)
    data = {
        "first_name": "Anna", "last_name": "Nowa", "pesel": pesel, "birth_date": "",
        "email": f"nowa{n}@example.com", "phone": "600 100 200", "login": f"nowa.{n}",
        "password": PASSWORD, "password_confirm": PASSWORD, "street": "Długa",
        "house_number": "5", "flat_number": "", "postal_code": "00-950",
        "locality": "Warszawa", f"consent_{consent}": "y", "website": "",
    }  # fmt: skip
    status, _headers, _page = me.post("/register", data)
    if status != 303:
        return status, "-"
    _s, _h, page = me.request("/register/done")
    if "Nie udało się jeszcze wysłać" in page:
        return status, "not sent yet"
    if "jest w drodze" in page:
        return status, "on its way"
    return status, "sent" if "wysłaliśmy" in page else "?"


def registrations(base: str, count: int, consent: int, start: int = 0) -> list[tuple[int, str]]:
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(lambda n: register(base, n, consent), range(start, start + count)))


def mail_figures(url: str, sink: FaultySmtp) -> dict[str, int]:
    with bound(url):
        rows = list(OutboxMessage.select())
    received = Counter(sink.message_ids())
    queued_ids = {row.message_id for row in rows}
    return {
        "queued": len(rows),
        "delivered": sum(1 for mid in queued_ids if received[mid]),
        "lost": sum(1 for row in rows if not received[row.message_id] and row.failed_at is None),
        "failed (visible)": sum(1 for row in rows if row.failed_at is not None),
        "duplicated": sum(n - 1 for n in received.values() if n > 1),
        "max attempts": max((row.attempts for row in rows), default=0),
    }


def wait_delivered(url: str, sink: FaultySmtp, server: Gunicorn, within: float) -> float:
    started = time.monotonic()
    with bound(url):
        queued = OutboxMessage.select().count()
    while time.monotonic() - started < within and len(set(sink.message_ids())) < queued:
        Visitor(server.url).request("/")
        time.sleep(0.5)
    return time.monotonic() - started


def server_for(tmp: Path, name: str, workers: int, env: dict[str, str]) -> tuple[str, Gunicorn]:
    url = f"sqlite:///{tmp / (name + '.sqlite3')}"
    init_database(url)
    base_env = {"DATABASE_URL": url, "RATELIMIT_ENABLED": "off", "BOT_CHECK": "off"}
    return url, Gunicorn(tmp / f"{name}.log", {**base_env, **env}, workers=workers)


def smtp_down_then_back(tmp: Path, workers: int, count: int) -> None:
    sink = FaultySmtp()  # not started: nothing listens on its port
    env = {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(sink.port), "MAIL_TIMEOUT": "2"}
    url, server = server_for(tmp, "smtp-down", workers, {**env, "MAIL_POLL_SECONDS": "1"})
    consent = _seed(url)["consent"]
    try:
        server.start()
        results = registrations(server.url, count, consent)
        time.sleep(3)  # let every worker's flusher try once more (the backoff must hold)
        with bound(url):
            attempts_down = Counter(row.attempts for row in OutboxMessage.select())
        sink.start()
        with bound(url):  # the 2-minute backoff, passed at once
            OutboxMessage.update(next_attempt_at=utcnow()).where(
                OutboxMessage.sent_at.is_null()
            ).execute()
        took = wait_delivered(url, sink, server, within=60)
    finally:
        server.stop()
        sink.stop()
    statuses = Counter(status for status, _page in results)
    pages = Counter(page for _status, page in results)
    print(f"\n== SMTP down during {count} registrations, then back ({workers} workers)")
    print(f"   HTTP: {dict(statuses)}; page after registration: {dict(pages)}")
    print(f"   attempts per message while down (after 3 s of flusher wake-ups): {attempts_down}")
    print(f"   after SMTP returned ({took:.1f} s): {mail_figures(url, sink)}")


def smtp_slow(tmp: Path, workers: int, count: int, delay: float) -> None:
    sink = FaultySmtp(delay=delay).start()
    env = {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(sink.port), "MAIL_TIMEOUT": "2"}
    url, server = server_for(tmp, "smtp-slow", workers, {**env, "MAIL_POLL_SECONDS": "1"})
    consent = _seed(url)["consent"]
    try:
        server.start()
        results = registrations(server.url, count, consent, start=5000)
        took = wait_delivered(url, sink, server, within=count * delay + 30)
    finally:
        server.stop()
        sink.stop()
    print(f"\n== SMTP answering the message body after {delay:.0f} s (command timeout 2 s)")
    print(f"   HTTP: {dict(Counter(s for s, _p in results))}; delivered in {took:.1f} s")
    print(f"   {mail_figures(url, sink)}")


def login_round(base: str, address: str, count: int) -> dict[str, object]:
    def attempt(n: int) -> tuple[int, float]:
        me = Visitor(base, timeout=30)
        me.opener.addheaders = [("X-Forwarded-For", address)]
        token = me.token("/login")
        started = time.perf_counter()
        status, _h, _p = me.request(
            "/login", {"csrf_token": token, "login": f"nikt{n}", "password": "złe hasło"}
        )
        return status, time.perf_counter() - started

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(attempt, range(count)))
    statuses = Counter(status for status, _t in results)
    times = sorted(t for _s, t in results)
    return {
        "through": statuses.get(422, 0),
        "refused (429)": statuses.get(429, 0),
        "5xx": sum(n for s, n in statuses.items() if s >= 500),
        "p95 ms": round(statistics.quantiles(times, n=20)[-1] * 1000) if len(times) > 1 else 0,
    }


def wait_back_on_redis(base: str, redis: RedisServer, within: float = 70) -> float | None:
    client = redis.client()
    client.flushall()
    started = time.monotonic()
    n = 0
    while time.monotonic() - started < within:
        n += 1
        login_round(base, f"10.9.{n // 250}.{n % 250}", 1)
        if client.dbsize() > 0:
            return time.monotonic() - started
        time.sleep(0.5)
    return None


def redis_drill(tmp: Path, workers: int, count: int) -> None:
    redis = RedisServer(tmp).start()
    env = {
        "RATELIMIT_ENABLED": "on",
        "RATELIMIT_STORAGE_URI": redis.uri,
        "TRUSTED_PROXIES": "1",
        "IP_MAX_FAILURES": "100000",
    }
    _url, server = server_for(tmp, "redis", workers, env)
    rows: list[tuple[str, object]] = []
    try:
        server.start()
        rows.append(("Redis up", login_round(server.url, "10.0.0.1", count)))
        redis.kill()
        rows.append(("Redis killed", login_round(server.url, "10.0.0.2", count)))
        redis = RedisServer(tmp, port=redis.port).start()
        back = wait_back_on_redis(server.url, redis)
        rows.append(("restarted: back on Redis after", f"{back:.1f} s" if back else "no"))
        redis.freeze()
        rows.append(("Redis frozen (SIGSTOP)", login_round(server.url, "10.0.0.3", count)))
        redis.thaw()
        back = wait_back_on_redis(server.url, redis)
        rows.append(("thawed: back on Redis after", f"{back:.1f} s" if back else "no"))
    finally:
        server.stop()
        redis.stop()
    print(f"\n== Redis faults: {count} wrong logins per phase, limit 10/min, {workers} workers")
    for name, figures in rows:
        print(f"   {name}: {figures}")


def sqlite_parallel(tmp: Path, workers: int, count: int) -> None:
    from tests.faults.test_sqlite_parallel_writes import _patient_day

    url, server = server_for(tmp, "sqlite-parallel", workers, {})
    seed = _seed(url)
    try:
        server.start()
        with ThreadPoolExecutor(max_workers=8) as pool:
            jobs = [
                pool.submit(register, server.url, 9000 + n, seed["consent"]) for n in range(count)
            ]
            days = [
                pool.submit(
                    _patient_day, server.url, login, pid, seed["slots"][2 * i],
                    seed["slots"][2 * i + 1],
                )
                for i, (login, pid) in enumerate(seed["patients"])
            ]  # fmt: skip
            statuses = [job.result()[0] for job in jobs]
            for day in days:
                statuses += [status for _what, status in day.result()]
    finally:
        server.stop()
    counts = Counter(statuses)
    locked = server.log().count("database is locked")
    print(f"\n== SQLite: {count} registrations + {len(seed['patients'])} patients booking, moving,")
    print(f"   changing data and cancelling at once through {workers} workers")
    errors = sum(n for status, n in counts.items() if status >= 500)
    print(f"   HTTP: {dict(sorted(counts.items()))}; 5xx: {errors};")
    print(f"   'database is locked' in the log: {locked}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--registrations", type=int, default=40)
    parser.add_argument("--slow-delay", type=float, default=3.0)
    parser.add_argument("--skip-redis", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        smtp_down_then_back(tmp, args.workers, args.registrations)
        smtp_slow(tmp, args.workers, max(4, args.registrations // 4), args.slow_delay)
        if args.skip_redis or redis_server_binary() is None:
            print("\n== Redis faults: skipped (no redis-server or --skip-redis)")
        else:
            redis_drill(tmp, args.workers, 40)
        sqlite_parallel(tmp, args.workers, 2 * args.registrations)


if __name__ == "__main__":
    main()
