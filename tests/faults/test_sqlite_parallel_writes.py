"""SQLite under parallel writers: every write path through 4 gunicorn workers, 0 × 5xx.

A deferred transaction that reads before it writes cannot upgrade its lock in WAL mode once
another connection has written ("database is locked" at once, the busy timeout never
applies); every writing transaction now starts with BEGIN IMMEDIATE (write_transaction()).
Registrations, logins, bookings, changes, cancellations, personal-data changes and the mail
flushers of all workers run at once; every mail arrives once.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date, time, timedelta

import pytest

from core.pesel import make as make_pesel
from models.accounts import Consent
from models.base import db, make_database, utcnow
from models.clinic import Locality
from models.mail import OutboxMessage
from tests import factories
from tests.faults.live_gunicorn import Gunicorn, Visitor, init_database
from tests.faults.smtp_faults import FaultySmtp

pytestmark = pytest.mark.slow

PATIENTS = 8
REGISTRATIONS = 24
PASSWORD = "stary zegar tyka w kuchni"


@contextmanager
def bound(url: str):
    """Point the shared database proxy at the server's database for a moment."""
    previous = db.obj
    database = make_database(url)
    db.initialize(database)
    database.connect(reuse_if_open=True)
    try:
        yield
    finally:
        database.close()
        db.initialize(previous)


def _seed(url: str) -> dict:
    with bound(url):
        Locality.create(name="Warszawa", commune="Warszawa", voivodeship="mazowieckie")
        consent = Consent.create(code="regulamin", title="Regulamin", text="…", required=True)
        day = (utcnow() + timedelta(days=4)).replace(hour=7, minute=0, second=0, microsecond=0)
        slots = [s.id for s in factories.bookable(2 * PATIENTS, day, time(7))["slots"]]
        accounts = [
            factories.account(login=f"pacjent{n}", password=PASSWORD) for n in range(PATIENTS)
        ]
        return {
            "consent": consent.id,
            "slots": slots,
            "patients": [(a.login, a.patient_id) for a in accounts],
        }


def _patient_day(base: str, login: str, patient_id: int, first: int, second: int) -> list:
    """Log in, book, move the visit, change personal data, cancel: every write of a patient."""
    me = Visitor(base)
    status, headers, _ = me.post("/login", {"login": login, "password": PASSWORD})
    assert status == 303, status
    status, headers, _ = me.post(f"/slots/{first}/reserve", {"patient": str(patient_id)})
    assert status == 303, status
    visit = headers["Location"].rstrip("/").rsplit("/", 1)[1]
    status, headers, _ = me.post(f"/panel/reservations/{visit}/change", {"slot": str(second)})
    assert status == 303, status
    visit = headers["Location"].rstrip("/").rsplit("/", 1)[1]
    data = {
        "first_name": "Ewa",
        "last_name": "Zmieniona",
        "phone": "600100200",
        "street": "Krótka",
        "house_number": "1",
        "flat_number": "",
        "postal_code": "02-123",
        "locality": "Warszawa",
    }
    status, _headers, _ = me.post("/account/data", data)
    assert status == 303, status
    status, _headers, _ = me.post(f"/panel/reservations/{visit}/cancel", {})
    assert status == 303, status
    return me.statuses


def _register(base: str, n: int, consent: int) -> list:
    me = Visitor(base)
    pesel = make_pesel(date(1985, 1, 1) + timedelta(days=n), n, female=n % 2 == 0)
    status, _headers, _ = me.post(
        "/register",
        {
            "first_name": "Anna",
            "last_name": "Nowa",
            "pesel": pesel,
            "birth_date": "",
            "email": f"nowa{n}@example.com",
            "phone": "600 100 200",
            "login": f"nowa.{n}",
            "password": PASSWORD,
            "password_confirm": PASSWORD,
            "street": "Długa",
            "house_number": "5",
            "flat_number": "",
            "postal_code": "00-950",
            "locality": "Warszawa",
            f"consent_{consent}": "y",
            "website": "",
        },
    )
    assert status == 303, status
    return me.statuses


def _unsent(url: str) -> int:
    with bound(url):
        return OutboxMessage.select().where(OutboxMessage.sent_at.is_null()).count()


def test_every_write_path_in_parallel_through_gunicorn_on_sqlite_has_no_5xx(tmp_path):
    url = f"sqlite:///{tmp_path / 'parallel.sqlite3'}"
    init_database(url)
    seed = _seed(url)
    smtp = FaultySmtp().start()
    server = Gunicorn(
        tmp_path / "gunicorn.log",
        {
            "DATABASE_URL": url,
            "RATELIMIT_ENABLED": "off",
            "BOT_CHECK": "off",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(smtp.port),
            "MAIL_POLL_SECONDS": "1",
        },
    )
    try:
        server.start()
        with ThreadPoolExecutor(max_workers=12) as pool:
            jobs = [
                pool.submit(
                    _patient_day,
                    server.url,
                    login,
                    pid,
                    seed["slots"][2 * i],
                    seed["slots"][2 * i + 1],
                )
                for i, (login, pid) in enumerate(seed["patients"])
            ]
            jobs += [
                pool.submit(_register, server.url, n, seed["consent"]) for n in range(REGISTRATIONS)
            ]
            statuses = [status for job in jobs for status in job.result()]
        with bound(url):
            expected = OutboxMessage.select().count()
        deadline = utcnow() + timedelta(seconds=30)
        # until every message arrived and was marked sent: the flusher writes sent_at just
        # after the SMTP server has the message, so arrival alone can be a moment early
        while utcnow() < deadline and (len(smtp.messages) < expected or _unsent(url)):
            Visitor(server.url).request("/")  # nothing to wait for but the flushers
    finally:
        server.stop()
        smtp.stop()
    errors = [s for s in statuses if s[1] >= 500]
    assert errors == [], server.log()[-3000:]
    assert "database is locked" not in server.log()
    unsent = _unsent(url)
    # registrations + per patient: booking, change and cancellation confirmations
    assert expected == REGISTRATIONS + 3 * PATIENTS
    assert unsent == 0
    ids = smtp.message_ids()
    assert len(ids) == expected and len(set(ids)) == expected, "each message exactly once"
