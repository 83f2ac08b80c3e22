"""The desk's tables over HTTP: the visits a schedule change left behind are paged; every
staff table's filter is a plain GET form (works without JavaScript) that htmx makes live
(hx-get, `input changed delay:300ms, change`), and the htmx request gets only the table block
(core.htmx.render), varying on HX-Request."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from core.timeutil import to_local
from models.base import db
from models.booking import Appointment, AppointmentSlot
from models.clinic import Slot
from models.medical import DataRequest
from services import data_requests
from tests import factories
from tests import role_matrix as rm
from tests.conftest import csrf_token

HTMX = {"HX-Request": "true"}
EXTRA = 29  # with the world's own visit: 30 to move, two pages of 25


@pytest.fixture
def world(app):
    return factories.made_in(app, _world)


def _world() -> dict:
    made = factories.desk_clinic()
    other = factories.staff(made["specialty"], made["facility"], last_name="Drugi")
    start = made["slots"][-1].starts_at + timedelta(days=1)
    for k in range(EXTRA):
        slot = factories.slot(
            made["doctor"] if k % 2 else other,
            made["facility"],
            starts_at=start + timedelta(minutes=15 * k),
            specialty=made["specialty"],
        )
        visit = Appointment.create(
            slot=slot,
            active_slot=slot,
            patient=factories.patient(),
            service=made["service"],
            booked_by=made["account"],
        )
        AppointmentSlot.create(appointment=visit, slot=slot, active_slot=slot)
        Slot.update(booked=True, blocked=True).where(Slot.id == slot.id).execute()
    Slot.update(blocked=True).where(Slot.id == made["slots"][0].id).execute()
    made["other"] = other
    return made


def _ticked(body: str) -> int:
    return len(re.findall(r'type="checkbox" name="visit"', body))


def test_the_affected_visits_are_paged(client, world):
    rm.log_in(client, world["registrar"].login)
    first = client.get("/staff/visits/affected").get_data(as_text=True)
    assert _ticked(first) == 25
    assert "Wizyt do przeniesienia: 30" in first and "Strona 1 z 2" in first
    assert 'rel="next"' in first and 'rel="prev"' not in first
    second = client.get("/staff/visits/affected?page=2").get_data(as_text=True)
    assert _ticked(second) == 5 and "Wizyty 26–30 z 30" in second
    assert 'rel="prev"' in second and 'rel="next"' not in second
    ids = set(re.findall(r'name="visit" value="(\d+)"', first))
    assert ids.isdisjoint(re.findall(r'name="visit" value="(\d+)"', second))
    # an odd page number is the nearest real page, never an error
    assert _ticked(client.get("/staff/visits/affected?page=999").get_data(as_text=True)) == 5
    assert _ticked(client.get("/staff/visits/affected?page=x").get_data(as_text=True)) == 25
    # the staff filter and the paging together
    own = client.get(f"/staff/visits/affected?staff={world['doctor'].id}").get_data(as_text=True)
    assert _ticked(own) == 15 and "Strona" not in own
    # the form posts back to the page it shows
    assert re.search(r'<form method="post" action="/staff/visits/affected\?[^"]*page=2"', second)


def test_moving_the_visits_of_the_second_page(client, world):
    rm.log_in(client, world["registrar"].login)
    second = client.get("/staff/visits/affected?page=2").get_data(as_text=True)
    ids = re.findall(r'name="visit" value="(\d+)"', second)
    response = client.post(
        "/staff/visits/affected?page=2",
        data={
            "visit": ids,
            "action": "cancel",
            "reason": "urlop",
            "csrf_token": csrf_token(client, "/staff/"),
        },
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and body.count("odwołana") == 5
    assert "Wizyt do przeniesienia: 25" in body and _ticked(body) == 25


def test_the_affected_list_fragment_for_htmx(client, world):
    rm.log_in(client, world["registrar"].login)
    fragment = client.get("/staff/visits/affected?page=2", headers=HTMX)
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "HX-Request" in fragment.headers["Vary"]
    assert "<html" not in body and 'method="get"' not in body
    assert _ticked(body) == 5 and "Strona 2 z 2" in body


def _paths(world) -> dict[str, str]:
    day = to_local(world["slots"][0].starts_at).date().isoformat()
    return {
        f"/staff/?date={day}": "agenda-results",
        "/staff/schedules?staff=": "schedule-results",
        "/staff/patients?q=Kowal": "patient-results",
        f"/staff/patients/{world['patient'].id}/book?date={day}": "slot-results",
        "/staff/prescription-orders?show=all": "order-results",
        "/staff/requests?show=all": "request-results",
        "/staff/visits/affected?staff=": "affected-results",
    }


def test_every_staff_table_filters_by_get_and_live_with_htmx(client, world):
    rm.log_in(client, world["registrar"].login)
    for path, target in _paths(world).items():
        full = client.get(path)
        page = full.get_data(as_text=True)
        assert full.status_code == 200, path
        form = re.search(r'<form method="get"[^>]*>', page).group(0)
        assert f'hx-target="#{target}"' in form, path
        assert 'hx-trigger="input changed delay:300ms, change, submit"' in form, path
        assert f'id="{target}"' in page, path
        fragment = client.get(path, headers=HTMX)
        body = fragment.get_data(as_text=True)
        assert fragment.status_code == 200, path
        assert "<html" not in body and 'method="get"' not in body, path
        assert f'id="{target}"' not in body, path  # the block goes inside the target
        assert "HX-Request" in fragment.headers["Vary"], path


def test_the_request_queue_filters_without_javascript(app, client, world):
    with app.app_context():
        db.connect(reuse_if_open=True)
        done = data_requests.submit_request(None, world["patient"], "rectification", "Adres.")
        DataRequest.update(status="closed").where(DataRequest.id == done.id).execute()
        data_requests.submit_request(None, world["patient"], "information", "Jakie dane?")
        db.close()
    rm.log_in(client, world["registrar"].login)
    open_only = client.get("/staff/requests").get_data(as_text=True)
    everything = client.get("/staff/requests?show=all").get_data(as_text=True)
    assert '<option value="" selected>' in open_only
    assert '<option value="all" selected>' in everything
    assert "Wniosków na tej stronie: 1" in open_only and "Sprostowanie" not in open_only
    assert "Wniosków na tej stronie: 2" in everything and "Sprostowanie" in everything
    live = client.get("/staff/requests?show=all", headers=HTMX).get_data(as_text=True)
    assert "Sprostowanie" in live and "<html" not in live


@pytest.mark.parametrize("path", ["/staff/requests?show=all", "/staff/visits/affected"])
def test_a_doctor_gets_no_desk_fragment(client, world, path):
    rm.log_in(client, world["doctor_account"].login)
    assert client.get(path, headers=HTMX).status_code == 403
