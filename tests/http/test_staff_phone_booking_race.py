"""A phone booking at the desk racing online bookings of the same slot, in parallel over
real HTTP against a live threaded server: exactly one wins, everyone else gets 409, nobody a
5xx, and the slot holds one visit. Runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL
(the desk uses the same transaction and unique indexes as the patient's own booking)."""

from __future__ import annotations

import pytest

from models.booking import Appointment
from models.clinic import Slot
from tests import factories
from tests.http.test_booking_concurrency import Browser, _browsers, _race

PATIENTS = 6
DESKS = 3


@pytest.fixture
def app_config(app_config):
    return {**app_config, "LOGIN_RATE_LIMIT": "1000 per minute", "BOOKING_LIMIT_PER_SPECIALTY": 0}


@pytest.fixture
def world(ctx):
    made = factories.desk_clinic()
    made["phoned"] = [factories.patient(registered_at_desk=True) for _ in range(DESKS)]
    made["registrars"] = [made["registrar"]] + [
        factories.staff_account("registrar") for _ in range(DESKS - 1)
    ]
    return made


def _desks(live_server, world) -> list[Browser]:
    desks = []
    for account, person in zip(world["registrars"], world["phoned"], strict=True):
        desk = Browser(live_server.url)
        desk.login(account.login)
        desk.patient_id = person.id
        desks.append(desk)
    return desks


def _round(slot, service, patients, desks):
    online = f"/slots/{slot.id}/reserve"
    calls = []
    for b in patients:
        token = b.token(online)
        calls.append(
            lambda b=b, t=token: b.request(
                online, {"csrf_token": t, "patient": b.patient_id, "service": service.id}
            )
        )
    for d in desks:
        path = f"/staff/patients/{d.patient_id}/book/{slot.id}"
        token = d.token(path)
        calls.append(
            lambda d=d, t=token, p=path: d.request(p, {"csrf_token": t, "service": service.id})
        )
    return _race(calls)


def test_phone_and_online_bookings_of_one_slot_get_one_winner(live_server, world):
    patients = _browsers(live_server, PATIENTS)
    desks = _desks(live_server, world)
    winners = {"online": 0, "desk": 0}
    # several slots, so the race is exercised more than once and either side may win
    for slot in world["slots"][1:5]:
        results = _round(slot, world["service"], patients, desks)
        statuses = [status for status, _body, _loc in results]
        assert not [s for s in statuses if s >= 500], statuses
        assert statuses.count(303) == 1, statuses
        assert statuses.count(409) == PATIENTS + DESKS - 1, statuses
        for status, body, _loc in results:
            if status == 409:
                assert "Ten termin jest już zajęty" in body
        winner = statuses.index(303)
        winners["online" if winner < PATIENTS else "desk"] += 1
        active = list(Appointment.select().where(Appointment.active_slot == slot.id))
        assert len(active) == 1
        expected = (patients + desks)[winner].patient_id
        assert active[0].patient_id == expected
        assert Slot.get_by_id(slot.id).booked is True
    assert sum(winners.values()) == 4
