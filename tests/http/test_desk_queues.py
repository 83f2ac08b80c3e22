"""The desk's queues over HTTP: prescription orders (filters, assign to a doctor, the doctor
issues or rejects, the patient gets an e-mail) and RODO requests (by deadline, assign, answer,
close; the answer and its date in the panel and by e-mail); every role boundary."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.timeutil import local_today
from models.back_office import RequestAssignment
from models.base import db
from models.mail import OutboxMessage
from models.medical import DataRequest, PrescriptionOrder
from services import data_requests
from tests import factories
from tests import role_matrix as rm
from tests.conftest import csrf_token


@pytest.fixture
def world(app):
    return factories.made_in(app, factories.doctor_day)


def _order_gets(w) -> list[str]:
    return ["/staff/prescription-orders", f"/staff/prescription-orders/{w['order'].id}"]


def _order_posts(w) -> dict[str, list[str]]:
    o = w["order"].id
    return {
        "desk": [f"/staff/prescription-orders/{o}/assign"],
        "doctor": [
            f"/staff/prescription-orders/{o}/issue",
            f"/staff/prescription-orders/{o}/reject",
        ],
    }


def _request_gets(w) -> list[str]:
    return ["/staff/requests", "/staff/requests?show=all", f"/staff/requests/{w['request'].id}"]


def _request_posts(w) -> list[str]:
    r = w["request"].id
    return [f"/staff/requests/{r}/assign", f"/staff/requests/{r}/answer"]


def _all_posts(w) -> list[str]:
    posts = _order_posts(w)
    return posts["desk"] + posts["doctor"] + _request_posts(w)


@pytest.mark.parametrize(("role", "answer"), [(rm.ANONYMOUS, rm.LOG_IN), ("patient", 404)])
def test_a_visitor_is_sent_to_log_in_and_a_patient_gets_404(client, world, role, answer):
    token = rm.enter_as(client, role, rm.logins(world))
    tried = rm.routes(_order_gets(world) + _request_gets(world), _all_posts(world))
    rm.expect(client, token, answer, tried, who=role)


def test_a_doctor_sees_own_orders_not_the_requests_nor_the_desks_actions(client, world):
    token = rm.enter_as(client, "doctor", rm.logins(world))
    rm.expect(client, token, 200, rm.routes(_order_gets(world)))
    forbidden = _order_posts(world)["desk"] + _request_posts(world)
    rm.expect(client, token, 403, rm.routes(_request_gets(world), forbidden))


def test_another_doctor_gets_404_on_an_order_not_addressed_to_them(client, world):
    token = rm.log_in(client, world["other_doctor_account"].login, token_from="/staff/")
    tried = rm.routes(
        [f"/staff/prescription-orders/{world['order'].id}"], _order_posts(world)["doctor"]
    )
    rm.expect(client, token, 404, tried, data={"reason": "x"})
    page = client.get("/staff/prescription-orders?show=all").get_data(as_text=True)
    assert "Bisocard" not in page
    with client.application.app_context():
        assert PrescriptionOrder.get_by_id(world["order"].id).status == "submitted"


@pytest.mark.parametrize("role", ["registrar", "admin"])
def test_the_desk_opens_both_queues_but_cannot_issue(client, world, role):
    token = rm.enter_as(client, role, rm.logins(world))
    rm.expect(client, token, 200, rm.routes(_order_gets(world) + _request_gets(world)))
    rm.expect(client, token, 403, rm.routes(posts=_order_posts(world)["doctor"]))


def test_filters_new_mine_and_by_doctor(client, world):
    rm.log_in(client, world["registrar"].login)
    new = client.get("/staff/prescription-orders").get_data(as_text=True)
    assert "Bisocard" in new
    by_other = client.get(f"/staff/prescription-orders?doctor={world['other_doctor'].id}")
    assert "Bisocard" not in by_other.get_data(as_text=True)
    mine = client.get("/staff/prescription-orders?show=mine").get_data(as_text=True)
    assert "Bisocard" not in mine  # a registrar has no orders of their own
    client.post("/logout", data={"csrf_token": csrf_token(client, "/staff/")})
    rm.log_in(client, world["doctor_account"].login)
    assert "Bisocard" in client.get("/staff/prescription-orders?show=mine").get_data(as_text=True)


def test_assign_then_the_new_doctor_rejects_with_a_reason_and_the_patient_is_told(client, world):
    path = f"/staff/prescription-orders/{world['order'].id}"
    token = rm.log_in(client, world["registrar"].login, token_from=path)
    bad = client.post(f"{path}/assign", data={"csrf_token": token, "doctor": "999999"})
    assert bad.status_code == 422
    moved = client.post(
        f"{path}/assign", data={"csrf_token": token, "doctor": str(world["other_doctor"].id)}
    )
    assert moved.status_code == 303
    client.post("/logout", data={"csrf_token": token})
    rm.log_in(client, world["doctor_account"].login)  # the first doctor lost it
    assert client.get(path).status_code == 404
    client.post("/logout", data={"csrf_token": csrf_token(client, "/staff/")})
    token = rm.log_in(client, world["other_doctor_account"].login, token_from=path)
    empty = client.post(f"{path}/reject", data={"csrf_token": token, "reason": ""})
    assert empty.status_code == 422
    with client.application.app_context():
        before = OutboxMessage.select().count()
    done = client.post(f"{path}/reject", data={"csrf_token": token, "reason": "Potrzebna wizyta."})
    assert done.status_code == 303
    again = client.post(f"{path}/issue", data={"csrf_token": token})
    assert again.status_code == 409
    with client.application.app_context():
        order = PrescriptionOrder.get_by_id(world["order"].id)
        assert order.status == "rejected" and order.reject_reason == "Potrzebna wizyta."
        mails = list(OutboxMessage.select().where(OutboxMessage.id > 0).order_by(OutboxMessage.id))
        assert len(mails) == before + 1
        assert mails[-1].to == world["account"].email
        assert "Potrzebna wizyta." in mails[-1].body_text


def test_the_doctor_issues_from_the_queue_and_the_patient_gets_the_code(client, world):
    path = f"/staff/prescription-orders/{world['order'].id}"
    token = rm.log_in(client, world["doctor_account"].login, token_from=path)
    assert client.post(f"{path}/issue", data={"csrf_token": token}).status_code == 303
    with client.application.app_context():
        order = PrescriptionOrder.get_by_id(world["order"].id)
        assert order.status == "issued" and order.prescription_id
        mail = OutboxMessage.select().order_by(OutboxMessage.id.desc()).get()
        assert mail.to == world["account"].email
        assert order.prescription.access_code in mail.body_text


def test_requests_by_deadline_highlighted_when_close(client, world, app):
    with app.app_context():
        db.connect(reuse_if_open=True)
        late = data_requests.submit_request(
            None, world["patient"], "rectification", "Popraw adres."
        )
        DataRequest.update(due_on=local_today() + timedelta(days=2)).where(
            DataRequest.id == late.id
        ).execute()
        db.close()
    rm.log_in(client, world["registrar"].login)
    page = client.get("/staff/requests").get_data(as_text=True)
    table = page[page.index("<tbody>") :]
    assert table.index("Sprostowanie") < table.index("Informacja o przetwarzaniu")
    assert table.count('class="due-soon"') == 1 and "termin blisko" in table


def test_assign_answer_and_the_patient_sees_it_with_its_date(client, world):
    path = f"/staff/requests/{world['request'].id}"
    token = rm.log_in(client, world["registrar"].login, token_from=path)
    assigned = client.post(
        f"{path}/assign", data={"csrf_token": token, "account": str(world["admin"].id)}
    )
    assert assigned.status_code == 303
    assert (
        client.post(f"{path}/answer", data={"csrf_token": token, "answer": ""}).status_code == 422
    )
    answered = client.post(
        f"{path}/answer", data={"csrf_token": token, "answer": "Przetwarzamy imię i PESEL."}
    )
    assert answered.status_code == 303
    again = client.post(f"{path}/answer", data={"csrf_token": token, "answer": "Jeszcze raz."})
    assert again.status_code == 409
    with client.application.app_context():
        row = DataRequest.get_by_id(world["request"].id)
        assert row.status == "answered" and row.handled_at is not None
        assert (
            RequestAssignment.get(RequestAssignment.request == row.id).account_id
            == world["admin"].id
        )
        mail = OutboxMessage.select().order_by(OutboxMessage.id.desc()).get()
        assert mail.to == world["account"].email and "Przetwarzamy imię i PESEL." in mail.body_text
    client.post("/logout", data={"csrf_token": token})
    rm.log_in(client, world["account"].login)
    panel = client.get("/panel/requests").get_data(as_text=True)
    assert "Przetwarzamy imię i PESEL." in panel and "Data odpowiedzi" in panel


def test_close_a_request(client, world):
    path = f"/staff/requests/{world['request'].id}"
    token = rm.log_in(client, world["admin"].login, token_from=path)
    closed = client.post(
        f"{path}/answer", data={"csrf_token": token, "answer": "Duplikat.", "close": "1"}
    )
    assert closed.status_code == 303
    with client.application.app_context():
        assert DataRequest.get_by_id(world["request"].id).status == "closed"
    assert client.get("/staff/requests/999999").status_code == 404


def test_a_doctor_does_not_see_an_order_of_someone_who_never_had_a_visit(client, world, app):
    from services import prescriptions as rx

    with app.app_context():
        db.connect(reuse_if_open=True)
        stranger = factories.account(login="obcy")
        order = rx.order_prescription(
            stranger, stranger.patient, world["doctor"].id, [rx.OrderLine("Polopiryna", 1)]
        )
        db.close()
    rm.log_in(client, world["doctor_account"].login)
    assert client.get(f"/staff/prescription-orders/{order.id}").status_code == 404
    queue = client.get("/staff/prescription-orders?show=all").get_data(as_text=True)
    assert "Polopiryna" not in queue and "Bisocard" in queue
    client.post("/logout", data={"csrf_token": csrf_token(client, "/staff/")})
    rm.log_in(client, world["registrar"].login)
    assert "Polopiryna" in client.get("/staff/prescription-orders").get_data(as_text=True)
