"""Panel „Recepty”: orders with status, withdraw while submitted, issued prescriptions
with the access code; ordering with standing or typed medicines; a second open order for the
same medicine refused; rate limit; another patient's order → 404; audit of every read."""

from __future__ import annotations

import re

from models.medical import PrescriptionOrder
from tests.http import panel_world
from tests.http.panel_world import events_after, in_db, last_event_id, post

world = panel_world.world


def test_prescriptions_page_lists_orders_and_issued_prescriptions_with_code(app, client, world):
    before = last_event_id(app)
    response = client.get("/panel/prescriptions")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Metformax 500 mg, 60 tabl." in body and "Bisocard 5 mg, 30 tabl." in body
    code = in_db(
        app,
        lambda: (
            __import__("models.medical")
            .medical.Prescription.get_by_id(world["mine"]["prescription"])
            .access_code
        ),
    )
    assert f'<span class="access-code">{code}</span>' in body
    assert "wysłane, czeka na lekarza" in body
    assert "Wycofaj zamówienie" in body
    events = events_after(app, before)
    assert [e.action for e in events] == ["read.prescriptions"]
    assert events[0].patient_id == world["me"].patient_id


def test_another_patients_prescriptions_never_show(client, world):
    body = client.get("/panel/prescriptions").get_data(as_text=True)
    assert body.count("Metformax") == 1  # the stranger has the same medicine: not listed


def test_order_form_offers_standing_medicines_and_doctors(client, world):
    body = client.get("/panel/prescriptions/order").get_data(as_text=True)
    assert 'name="pick" value="0"' in body
    assert "Metformax 500 mg, 60 tabl." in body
    assert world["doctor"].last_name in body


def test_ordering_a_standing_and_a_typed_medicine_submits_one_order(app, client, world):
    response = post(
        client,
        "/panel/prescriptions/order",
        {
            "staff": world["doctor"].id,
            "pick": "0",
            "pick_packages_0": "3",
            "medicine_1": "Euthyrox N 50, 50 tabl.",
            "packages_1": "1",
            "note": "Proszę o e-receptę.",
        },
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/panel/prescriptions")
    order = in_db(
        app,
        lambda: (
            PrescriptionOrder.select()
            .where(PrescriptionOrder.patient == world["me"].patient_id)
            .order_by(PrescriptionOrder.id.desc())
            .first()
        ),
    )
    items = in_db(app, lambda: [(i.medicine, i.packages) for i in order.items])
    assert items == [("Metformax 500 mg, 60 tabl.", 3), ("Euthyrox N 50, 50 tabl.", 1)]
    assert order.status == "submitted" and order.note == "Proszę o e-receptę."


def test_second_open_order_for_the_same_medicine_is_refused_with_an_explanation(client, world):
    response = post(
        client,
        "/panel/prescriptions/order",
        {
            "staff": world["doctor"].id,
            "medicine_1": "  bisocard 5 MG,  30 tabl. ",
            "packages_1": "1",
        },
    )
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "czeka już na decyzję lekarza" in body
    assert "Bisocard 5 mg, 30 tabl." in body


def test_after_withdrawing_the_same_medicine_can_be_ordered_again(app, client, world):
    order_id = world["mine"]["order"]
    response = post(client, f"/panel/prescriptions/orders/{order_id}/withdraw", {})
    assert response.status_code == 303
    assert in_db(app, lambda: PrescriptionOrder.get_by_id(order_id).status) == "withdrawn"
    again = post(client, f"/panel/prescriptions/orders/{order_id}/withdraw", {})
    assert again.status_code == 409
    assert "nie można go zmienić" in again.get_data(as_text=True)
    response = post(
        client,
        "/panel/prescriptions/order",
        {"staff": world["doctor"].id, "medicine_1": "Bisocard 5 mg, 30 tabl.", "packages_1": "1"},
    )
    assert response.status_code == 303
    assert "wycofane" in client.get("/panel/prescriptions").get_data(as_text=True)


def test_withdrawing_another_patients_order_is_404_and_audited(app, client, world):
    theirs = world["theirs"]["order"]
    before = last_event_id(app)
    response = post(client, f"/panel/prescriptions/orders/{theirs}/withdraw", {})
    assert response.status_code == 404
    assert in_db(app, lambda: PrescriptionOrder.get_by_id(theirs).status) == "submitted"
    assert [e.action for e in events_after(app, before) if e.object_id == theirs] == [
        "access.refused"
    ]
    assert post(client, "/panel/prescriptions/orders/999999/withdraw", {}).status_code == 404


def test_hostile_order_forms_get_422_never_500(app, client, world):
    app.config.update(PRESCRIPTION_ORDER_RATE_LIMIT="100 per minute")
    cases = [
        {"staff": "", "medicine_1": "Lek"},
        {"staff": "abc", "medicine_1": "Lek"},
        {"staff": "99999999999999999999", "medicine_1": "Lek"},
        {"staff": world["doctor"].id},
        {"staff": world["doctor"].id, "medicine_1": "x" * 5000},
        {"staff": world["doctor"].id, "medicine_1": "Lek", "packages_1": "-1"},
        {"staff": world["doctor"].id, "medicine_1": "Lek", "packages_1": "9999999999"},
        {"staff": world["doctor"].id, "medicine_1": "Lek A", "medicine_2": "lek a"},
        {"staff": world["doctor"].id, "pick": "99", "pick_packages_99": "1"},
        {"staff": world["doctor"].id, "medicine_1": "Lek", "note": "n" * 600},
        {"staff": world["doctor"].id, "medicine_1": "<script>alert(1)</script>", "packages_1": "x"},
    ]
    for data in cases:
        response = post(client, "/panel/prescriptions/order", data)
        assert response.status_code == 422, (data, response.status_code)
        assert 'id="error-summary"' in response.get_data(as_text=True)


def test_typed_markup_is_shown_as_text(client, world):
    post(
        client,
        "/panel/prescriptions/order",
        {"staff": world["doctor"].id, "medicine_1": "<b>Lek</b>", "packages_1": "1"},
    )
    body = client.get("/panel/prescriptions").get_data(as_text=True)
    assert "&lt;b&gt;Lek&lt;/b&gt;" in body and "<b>Lek</b>" not in body


def test_orders_are_rate_limited_per_account(app, client, world):
    app.config.update(PRESCRIPTION_ORDER_RATE_LIMIT="2 per minute")
    for _ in range(2):
        post(client, "/panel/prescriptions/order", {"staff": "", "medicine_1": "Lek"})
    response = post(client, "/panel/prescriptions/order", {"staff": "", "medicine_1": "Lek"})
    assert response.status_code == 429
    assert response.headers["Retry-After"].isdigit()


def test_search_by_medicine_filters_issued_prescriptions_and_htmx_gets_the_block(client, world):
    response = client.get("/panel/prescriptions?q=Metfor", headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="results">')
    assert "Metformax" in body and "<html" not in body
    assert "HX-Request" in response.headers["Vary"]
    none = client.get("/panel/prescriptions?q=%25%27%22%3C").get_data(as_text=True)
    assert "Brak wystawionych recept spełniających kryteria." in none
    assert (
        re.search(
            r"Strona \d",
            client.get("/panel/prescriptions?page=abc&orders_page=-3").get_data(as_text=True),
        )
        is None
    )


def test_the_refused_field_is_marked_and_the_typed_values_kept(client, world):
    body = post(
        client,
        "/panel/prescriptions/order",
        {"staff": "", "medicine_1": "Euthyrox N 50", "packages_1": "2", "note": "Pilne"},
    ).get_data(as_text=True)
    assert '<a href="#f-staff">Wybierz lekarza z listy.</a>' in body
    assert 'id="f-staff" name="staff" required aria-invalid="true"' in body
    assert 'value="Euthyrox N 50"' in body and ">Pilne</textarea>" in body
    assert '<option value="2" selected>2</option>' in body
