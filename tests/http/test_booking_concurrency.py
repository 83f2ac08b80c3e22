"""Parallel bookings through real HTTP against a live threaded server: one slot, many
patients — exactly one booking wins, everyone else gets 409, nobody a 5xx. Runs on SQLite
and, with TEST_DATABASE_URL, on PostgreSQL (ASVS 5.0 2.3.4: no double booking)."""

from __future__ import annotations

import http.cookiejar
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from models.booking import Appointment, AppointmentSlot
from models.clinic import Slot
from tests import factories

THREADS = 50
_CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')


@pytest.fixture
def app_config(app_config):
    return {**app_config, "LOGIN_RATE_LIMIT": "1000 per minute", "BOOKING_LIMIT_PER_SPECIALTY": 0}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """One patient's cookie jar against the live server; answers (status, body)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect()
        )

    def request(self, path: str, data: dict | None = None) -> tuple[int, str, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, data=body, timeout=60) as response:
                return response.status, response.read().decode(), ""
        except urllib.error.HTTPError as error:
            return (
                error.code,
                error.read().decode(errors="replace"),
                error.headers.get("Location", ""),
            )

    def token(self, path: str) -> str:
        status, body, _ = self.request(path)
        assert status == 200, (path, status)
        return _CSRF.search(body).group(1)

    def login(self, login: str) -> None:
        status, _body, location = self.request(
            "/login",
            {"login": login, "password": factories.PASSWORD, "csrf_token": self.token("/login")},
        )
        assert status == 303, status


@pytest.fixture
def clinic(ctx):
    made = factories.bookable(8)
    return {"svc": made["svc"], "slots": made["slots"]}


def _browsers(live_server, count: int) -> list[Browser]:
    accounts = [factories.account() for _ in range(count)]
    browsers = []
    for account in accounts:
        browser = Browser(live_server.url)
        browser.login(account.login)
        browser.patient_id = account.patient_id
        browsers.append(browser)
    return browsers


def _race(calls) -> list[tuple[int, str, str]]:
    """Run the calls at once: every thread waits at a barrier, then fires."""
    barrier = threading.Barrier(len(calls))

    def fire(call):
        barrier.wait(timeout=60)
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(fire, calls))


def test_fifty_patients_booking_one_slot_get_one_success_and_409s(live_server, clinic):
    slot = clinic["slots"][0]
    path = f"/slots/{slot.id}/reserve"
    browsers = _browsers(live_server, THREADS)
    tokens = [b.token(path) for b in browsers]
    calls = [
        (lambda b=b, t=t: b.request(path, {"csrf_token": t, "patient": b.patient_id}))
        for b, t in zip(browsers, tokens, strict=True)
    ]
    results = _race(calls)
    statuses = [status for status, _body, _loc in results]
    assert not [s for s in statuses if s >= 500], statuses
    assert statuses.count(303) == 1, statuses
    assert statuses.count(409) == THREADS - 1, statuses
    for status, body, _loc in results:
        if status == 409:
            assert "Ten termin jest już zajęty" in body
    winner = browsers[statuses.index(303)]
    active = list(Appointment.select().where(Appointment.active_slot == slot.id))
    assert len(active) == 1 and active[0].patient_id == winner.patient_id
    assert Appointment.select().count() == 1
    assert Slot.get_by_id(slot.id).booked is True


def test_two_patients_changing_into_one_free_slot_only_one_moves(live_server, clinic):
    slots = clinic["slots"]
    first, second = _browsers(live_server, 2)
    for browser, slot in ((first, slots[0]), (second, slots[1])):
        path = f"/slots/{slot.id}/reserve"
        status, _b, _l = browser.request(
            path, {"csrf_token": browser.token(path), "patient": browser.patient_id}
        )
        assert status == 303
    # several rounds, each into a fresh free slot, so the race is really exercised
    for target in slots[2:7]:
        mine = {
            b: Appointment.get(
                (Appointment.patient == b.patient_id) & Appointment.active_slot.is_null(False)
            )
            for b in (first, second)
        }
        paths = {b: f"/panel/reservations/{mine[b].id}/change" for b in mine}
        tokens = {b: b.token(paths[b]) for b in mine}
        results = _race(
            [
                (
                    lambda b=b, p=paths[b], t=tokens[b], s=target.id: b.request(
                        p, {"csrf_token": t, "slot": s}
                    )
                )
                for b in (first, second)
            ]
        )
        statuses = sorted(status for status, _b, _l in results)
        assert statuses == [303, 409], statuses
        holders = list(Appointment.select().where(Appointment.active_slot == target.id))
        assert len(holders) == 1
        # the loser's booking did not move; each patient still holds exactly one slot
        for b in (first, second):
            held = Appointment.select().where(
                (Appointment.patient == b.patient_id) & Appointment.active_slot.is_null(False)
            )
            assert held.count() == 1
        booked_flags = {s.id for s in Slot.select().where(Slot.booked == True)}  # noqa: E712
        active_slots = {
            a.active_slot_id
            for a in Appointment.select().where(Appointment.active_slot.is_null(False))
        }
        assert booked_flags == active_slots


@pytest.fixture
def long_and_short(ctx):
    """A schedule of 15-minute slots offering a 15-minute and a 30-minute service."""
    fac = factories.facility()
    spec = factories.specialty()
    short = factories.service(spec, name="Porada")
    long = factories.service(spec, name="EKG z opisem", duration_minutes=30)
    made = factories.bookable(4, fac=fac, spec=spec, svc=short, services=[short, long])
    return {"short": short, "long": long, "slots": made["slots"]}


def test_parallel_bookings_of_overlapping_multi_slot_visits_never_share_a_slot(
    live_server, long_and_short
):
    """ASVS 5.0 2.3.4: a 30-minute visit holds two consecutive slots; raced against 15-minute
    bookings of either slot, no slot ends up held twice and no request gets a 5xx."""
    first, second = long_and_short["slots"][:2]
    long_id, short_id = long_and_short["long"].id, long_and_short["short"].id
    plans = [(first, long_id), (first, short_id), (second, short_id)]
    browsers = _browsers(live_server, 30)
    calls = []
    for i, browser in enumerate(browsers):
        slot, service = plans[i % len(plans)]
        path = f"/slots/{slot.id}/reserve"
        token = browser.token(path)
        calls.append(
            lambda b=browser, p=path, t=token, s=service: b.request(
                p, {"csrf_token": t, "patient": b.patient_id, "service": s}
            )
        )
    results = _race(calls)
    statuses = [status for status, _body, _loc in results]
    assert not [s for s in statuses if s >= 500], statuses
    assert set(statuses) <= {303, 409}, statuses
    held = [
        row.active_slot_id
        for row in AppointmentSlot.select().where(AppointmentSlot.active_slot.is_null(False))
    ]
    assert len(held) == len(set(held)) and set(held) == {first.id, second.id}
    winners = list(Appointment.select().where(Appointment.active_slot.is_null(False)))
    # either one 30-minute visit holds both slots, or two 15-minute visits hold one each
    assert statuses.count(303) == len(winners)
    if len(winners) == 1:
        assert winners[0].service_id == long_id
    else:
        assert len(winners) == 2 and {w.service_id for w in winners} == {short_id}
    booked_flags = {s.id for s in Slot.select().where(Slot.booked == True)}  # noqa: E712
    assert booked_flags == set(held)
