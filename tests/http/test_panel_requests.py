"""Panel „Wnioski”: RODO requests of three kinds with a description; the list with status,
the clinic's answer and the one-month deadline; withdraw while not handled; another
patient's request → 404; bad forms → 422; reads audited."""

from __future__ import annotations

from datetime import date

import pytest

from core.timeutil import local_today, to_local
from models.medical import DataRequest
from services import data_requests
from tests.http import panel_world
from tests.http.panel_world import events_after, in_db, last_event_id, post

world = panel_world.world


def test_list_shows_status_deadline_and_answer(app, client, world):
    def answer_mine():
        found = DataRequest.get_by_id(world["mine"]["request"])
        data_requests.answer_request(found, "Informację wysłaliśmy listem poleconym.", None)

    before = last_event_id(app)
    body = client.get("/panel/requests").get_data(as_text=True)
    due = data_requests.one_month_after(local_today())
    assert "Informacja o przetwarzaniu danych osobowych" in body
    assert "Termin odpowiedzi" in body and "Wycofaj wniosek" in body
    assert str(due.year) in body
    assert [e.action for e in events_after(app, before)] == ["read.data_requests"]
    in_db(app, answer_mine)
    body = client.get("/panel/requests").get_data(as_text=True)
    assert "Informację wysłaliśmy listem poleconym." in body and "załatwiony" in body
    assert "Wycofaj wniosek" not in body


def test_new_request_for_a_scan_of_the_documentation_is_listed(app, client, world):
    response = post(
        client,
        "/panel/requests/new",
        {"kind": "documentation", "access_form": "scan", "description": "Wizyty z 2025 r."},
    )
    assert response.status_code == 303
    made = in_db(app, lambda: DataRequest.select().order_by(DataRequest.id.desc()).first())
    assert (made.kind, made.access_form, made.patient_id) == (
        "documentation",
        "scan",
        world["me"].patient_id,
    )
    assert made.due_on == data_requests.one_month_after(to_local(made.created_at).date())
    assert "skan (plik)" in client.get("/panel/requests").get_data(as_text=True)


@pytest.mark.parametrize(
    "data",
    [
        {"kind": "", "description": "x"},
        {"kind": "erase", "description": "x"},
        {"kind": "information", "description": "   "},
        {"kind": "information", "description": "x" * 2001},
        {"kind": "documentation", "access_form": "fax", "description": "x"},
        {"kind": "documentation", "description": "x"},
    ],
)
def test_bad_request_forms_get_422_with_a_message(client, world, data):
    response = post(client, "/panel/requests/new", data)
    assert response.status_code == 422
    assert 'id="error-summary"' in response.get_data(as_text=True)


def test_withdraw_while_submitted_then_409(app, client, world):
    mine = world["mine"]["request"]
    assert post(client, f"/panel/requests/{mine}/withdraw", {}).status_code == 303
    assert in_db(app, lambda: DataRequest.get_by_id(mine).status) == "withdrawn"
    again = post(client, f"/panel/requests/{mine}/withdraw", {})
    assert again.status_code == 409


def test_another_patients_request_is_404_and_unchanged(app, client, world):
    theirs = world["theirs"]["request"]
    before = last_event_id(app)
    assert post(client, f"/panel/requests/{theirs}/withdraw", {}).status_code == 404
    assert in_db(app, lambda: DataRequest.get_by_id(theirs).status) == "submitted"
    refused = [e for e in events_after(app, before) if e.action == "access.refused"]
    assert [(e.object_type, e.object_id) for e in refused] == [("data_request", theirs)]


def test_withdraw_needs_csrf(client, world):
    response = client.post(f"/panel/requests/{world['mine']['request']}/withdraw")
    assert response.status_code == 400


def test_the_deadline_is_one_calendar_month():
    assert data_requests.one_month_after(date(2026, 1, 31)) == date(2026, 2, 28)
    assert data_requests.one_month_after(date(2028, 1, 31)) == date(2028, 2, 29)
    assert data_requests.one_month_after(date(2026, 12, 15)) == date(2027, 1, 15)


def test_the_refused_field_is_marked_and_linked_from_the_summary(client, world):
    body = post(
        client, "/panel/requests/new", {"kind": "information", "description": " "}
    ).get_data(as_text=True)
    assert '<a href="#f-description">Opisz, czego dotyczy wniosek.</a>' in body
    assert 'aria-invalid="true" required' in body
    assert 'aria-describedby="f-description-hint f-description-error"' in body
    assert 'value="information" required checked' in body  # the choice is kept
