"""Booking throughput and latency of POST /slots/<id>/reserve over a live server.

Usage: .venv/bin/python bench/booking_bench.py [--threads 8] [--bookings 400] [--staff 20]
       [--days 60] [--database-url postgresql://postgres@127.0.0.1:5432/wizyta_bench_booking]
       [--quick]
Without --database-url (or DATABASE_URL) it uses a fresh SQLite file in a temporary folder.
The schema of the given database is dropped and re-created.

The server (werkzeug, threaded) runs in a child process so that the client threads do not
share its interpreter lock; every client thread is its own logged-in patient. Two rounds:
  distinct  — each POST books a different free slot (all should be 303): the booking path;
  contended — all threads POST the same slot at once, slot after slot (one 303, the rest
              409): the conflict path, which must never give a 5xx.
Mail is written to the outbox in the booking transaction (measured); delivering it is not
(the after-request SMTP flush is switched off, as there is no SMTP server here).
A client does not follow the 303 (the visit page is not the booking) and, like a browser that
would have shown that page and so read its flash message, keeps the session cookie it had:
without that, every booking's unread flash piled up in the session cookie and each request
paid for signing and reading a cookie of hundreds of messages.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import multiprocessing
import os
import re
import statistics
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from datetime import date, datetime, timedelta
from datetime import time as clock
from pathlib import Path

import peewee as pw

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("WIZYTA_ENV", "development")
os.environ.setdefault("SECRET_KEY", "bench-secret-key-" + "x" * 32)

PASSWORD = "bench password long enough"
_CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')


def app_config(url: str, days: int) -> dict:
    return {
        "DATABASE_URL": url,
        "RATELIMIT_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "MAIL_SERVER": "",
        "BOOKING_HORIZON_DAYS": days + 2,
        "BOOKING_MIN_NOTICE_HOURS": 0,
        "BOOKING_LIMIT_PER_SPECIALTY": 0,
        "SESSION_IDLE_MINUTES": 600,
    }


def make_app(url: str, days: int):
    import app as app_module
    from core.passwords import use_fast_hashes_for_tests

    use_fast_hashes_for_tests()
    app_module.deliver_soon = lambda _app: None  # no SMTP here; the outbox write stays
    return app_module.create_app(app_config(url, days))


def build(url: str, staff_count: int, days: int, patients: int) -> list[int]:
    """A clinic of `staff_count` staff with 15-minute slots 8:00–16:00 on weekdays for
    `days` days, one account per client thread. Returns the free slot ids in time order."""
    from core.passwords import hash_password
    from core.pesel import make as make_pesel
    from core.timeutil import local_to_utc, local_today
    from models import ALL_MODELS
    from models.accounts import Account
    from models.base import db, utcnow
    from models.clinic import (
        Facility,
        Schedule,
        ScheduleService,
        Service,
        Slot,
        Specialty,
        StaffMember,
    )
    from models.patients import Patient

    app = make_app(url, days)
    sqlite = url.startswith("sqlite")
    with app.app_context():
        db.connect(reuse_if_open=True)
        db.drop_tables(ALL_MODELS, safe=True, cascade=not sqlite)
        db.create_tables(ALL_MODELS)
        fac = Facility.create(name="Przychodnia", street="ul. 1", postal_code="00-001", city="X")
        spec = Specialty.create(name="Poradnia ogólna")
        svc = Service.create(name="Porada", specialty=spec)
        today = local_today()
        rows = []
        for n in range(staff_count):
            member = StaffMember.create(first_name="Anna", last_name=f"Lekarz{n}")
            schedules = {}
            for weekday in range(5):
                sched = Schedule.create(
                    staff=member,
                    facility=fac,
                    weekday=weekday,
                    start_time=clock(8),
                    end_time=clock(16),
                    valid_from=today,
                )
                ScheduleService.create(schedule=sched, service=svc)
                schedules[weekday] = sched.id
            for d in range(1, days + 1):
                day = today + timedelta(days=d)
                if day.weekday() >= 5:
                    continue
                start = local_to_utc(day, clock(8))
                for k in range(32):
                    at = start + timedelta(minutes=15 * k)
                    rows.append(
                        {
                            "schedule": schedules[day.weekday()],
                            "staff": member.id,
                            "facility": fac.id,
                            "specialty": spec.id,
                            "starts_at": at,
                            "ends_at": at + timedelta(minutes=15),
                            "created_at": utcnow(),
                        }
                    )
        with db.atomic():
            for i in range(0, len(rows), 500):
                Slot.insert_many(rows[i : i + 500]).execute()
        password_hash = hash_password(PASSWORD)
        for n in range(patients):
            born = date(1970, 1, 1) + timedelta(days=n)
            person = Patient.create(
                first_name="Jan",
                last_name=f"Bench{n}",
                pesel=make_pesel(born, n, female=False),
                birth_date=born,
            )
            Account.create(
                patient=person,
                login=f"bench{n}",
                email=f"bench{n}@example.com",
                password_hash=password_hash,
                activated_at=utcnow(),
            )
        db.execute_sql("ANALYZE")
        ids = [row[0] for row in Slot.select(Slot.id).order_by(Slot.starts_at, Slot.id).tuples()]
        db.close()
    return ids


def serve(url: str, days: int, port_queue) -> None:
    import logging

    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app = make_app(url, days)
    logging.getLogger("wizyta").setLevel(logging.WARNING)
    logging.getLogger("wizyta.mail").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    port_queue.put(server.server_port)
    server.serve_forever()


def serve_gunicorn(url: str, days: int, workers: int, port: int) -> None:
    """The app under gunicorn (sync workers), as in production; runs in its own process."""
    import logging

    from gunicorn.app.base import BaseApplication

    class Bench(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"127.0.0.1:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("worker_class", "sync")
            self.cfg.set("loglevel", "warning")
            self.cfg.set("backlog", 256)

        def load(self):
            app = make_app(url, days)
            logging.getLogger("wizyta").setLevel(logging.WARNING)
            return app

    Bench().run()


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(base: str) -> None:
    for _ in range(600):
        try:
            with urllib.request.urlopen(base + "/", timeout=5):
                return
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.1)
    raise RuntimeError(f"{base} does not answer")


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children (the gunicorn workers), from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
            todo += [
                int(c) for c in Path(f"/proc/{current}/task/{current}/children").read_text().split()
            ]
        except (OSError, ValueError, IndexError):
            continue
    return total


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class _SessionAsShown(http.cookiejar.DefaultCookiePolicy):
    """The session cookie a booking's 303 sets only adds the flash the visit page would read."""

    def set_ok(self, cookie, request) -> bool:
        return "/reserve" not in request.get_full_url() and super().set_ok(cookie, request)


class Patient:
    def __init__(self, base: str, login: str) -> None:
        self.base = base
        jar = http.cookiejar.CookieJar(policy=_SessionAsShown())
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(jar), _NoRedirect()
        )
        self.token = self._token("/login")
        status = self.post("/login", {"login": login, "password": PASSWORD})
        assert status == 303, f"login of {login} gave {status}"
        self.token = self._token("/panel")

    def _open(self, path: str, data: dict | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, data=body, timeout=120) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            error.read()
            return error.code, ""

    def _token(self, path: str) -> str:
        status, body = self._open(path)
        assert status == 200, (path, status)
        return _CSRF.search(body).group(1)

    def post(self, path: str, data: dict) -> int:
        return self._open(path, {"csrf_token": self.token, **data})[0]


def percentile(samples: list[float], q: float) -> float:
    if len(samples) < 2:
        return samples[0] if samples else 0.0
    return statistics.quantiles(samples, n=100, method="inclusive")[int(q) - 1]


def report(name: str, latencies: list[float], statuses: Counter, elapsed: float) -> None:
    total = sum(statuses.values())
    codes = ", ".join(f"{code}×{count}" for code, count in sorted(statuses.items()))
    print(
        f"{name:<10} {total:5d} req in {elapsed:6.2f} s = {total / elapsed:7.1f} req/s   "
        f"p50 {percentile(latencies, 50):7.1f} ms   p95 {percentile(latencies, 95):7.1f} ms   "
        f"[{codes}]"
    )


def run_distinct(patients: list[Patient], slot_ids: list[int], bookings: int) -> None:
    work = iter(slot_ids[:bookings])
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: Counter = Counter()

    def worker(patient: Patient) -> None:
        while True:
            with lock:
                slot_id = next(work, None)
            if slot_id is None:
                return
            t0 = time.perf_counter()
            status = patient.post(f"/slots/{slot_id}/reserve", {"patient": patient.patient_id})
            spent = (time.perf_counter() - t0) * 1000
            with lock:
                latencies.append(spent)
                statuses[status] += 1

    threads = [threading.Thread(target=worker, args=(p,)) for p in patients]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    report("distinct", latencies, statuses, time.perf_counter() - t0)


def run_contended(patients: list[Patient], slot_ids: list[int], rounds: int) -> None:
    latencies: list[float] = []
    statuses: Counter = Counter()
    lock = threading.Lock()
    barrier = threading.Barrier(len(patients))

    def worker(patient: Patient) -> None:
        for slot_id in slot_ids[:rounds]:
            barrier.wait()
            t0 = time.perf_counter()
            status = patient.post(f"/slots/{slot_id}/reserve", {"patient": patient.patient_id})
            spent = (time.perf_counter() - t0) * 1000
            with lock:
                latencies.append(spent)
                statuses[status] += 1

    threads = [threading.Thread(target=worker, args=(p,)) for p in patients]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    report("contended", latencies, statuses, time.perf_counter() - t0)
    wins = statuses.get(303, 0)
    errors = sum(c for code, c in statuses.items() if code >= 500)
    print(f"           {wins} winners for {rounds} slots (must be equal), {errors} 5xx (must be 0)")


def run(url: str, threads: int, bookings: int, staff: int, days: int, workers: int) -> None:
    from models.accounts import Account

    sqlite = url.startswith("sqlite")
    if not sqlite:
        from search_bench import ensure_pg_database

        ensure_pg_database(url)
    t0 = time.perf_counter()
    slot_ids = build(url, staff, days, threads)
    served = f"gunicorn, {workers} sync workers" if workers else "werkzeug, threaded"
    print(
        f"\n== {'SQLite' if sqlite else 'PostgreSQL'}: {len(slot_ids)} slots, {threads} client "
        f"threads, {served} (built in {time.perf_counter() - t0:.1f} s); "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    context = multiprocessing.get_context("fork")
    ports = context.Queue()
    if workers:
        port = free_port()
        server = context.Process(target=serve_gunicorn, args=(url, days, workers, port))
    else:
        server = context.Process(target=serve, args=(url, days, ports), daemon=True)
    server.start()
    try:
        if workers:
            base = f"http://127.0.0.1:{port}"
            wait_for(base)
        else:
            base = f"http://127.0.0.1:{ports.get(timeout=60)}"
        app = make_app(url, days)
        with app.app_context():
            from models.base import db

            db.connect(reuse_if_open=True)
            patient_ids = {a.login: a.patient_id for a in Account.select()}
            db.close()
        patients = []
        for n in range(threads):
            patient = Patient(base, f"bench{n}")
            patient.patient_id = patient_ids[f"bench{n}"]
            patients.append(patient)
        # the contended round uses the latest slots, the distinct round the earliest
        rounds = max(5, bookings // (threads * 4))
        cpu0, client0 = tree_cpu_seconds(server.pid), time.process_time()
        run_distinct(patients, slot_ids, bookings)
        cpu1, client1 = tree_cpu_seconds(server.pid), time.process_time()
        per_booking = (cpu1 - cpu0) * 1000 / bookings
        client_ms = (client1 - client0) * 1000 / bookings
        cores = os.cpu_count() or 1
        print(
            f"           server CPU per booking: {per_booking:.1f} ms (client {client_ms:.1f} ms):"
            f" {cores} idle cores would serve at most {cores * 1000 / per_booking:.0f}/s"
        )
        run_contended(patients, slot_ids[::-1], rounds)
        with app.app_context():
            from models.base import db
            from models.booking import AppointmentSlot

            db.connect(reuse_if_open=True)
            held = AppointmentSlot.select(AppointmentSlot.active_slot).where(
                AppointmentSlot.active_slot.is_null(False)
            )
            doubles = held.group_by(AppointmentSlot.active_slot).having(
                pw.fn.COUNT(AppointmentSlot.id) > 1
            )
            print(f"           double bookings in the database: {doubles.count()} (must be 0)")
            db.close()
    finally:
        server.terminate()
        server.join(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--bookings", type=int, default=400)
    parser.add_argument("--staff", type=int, default=20)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument(
        "--gunicorn", type=int, default=0, metavar="N", help="serve with gunicorn, N workers"
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: 4 threads, 60 bookings")
    args = parser.parse_args()
    if args.quick:
        args.threads, args.bookings, args.staff, args.days = 4, 60, 2, 10
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/booking-bench.sqlite3"
    run(url, args.threads, args.bookings, args.staff, args.days, args.gunicorn)
    print(f"(measured {datetime.now():%Y-%m-%d %H:%M}, client and server on one machine)")


if __name__ == "__main__":
    main()
