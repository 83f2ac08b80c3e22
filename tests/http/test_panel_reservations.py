"""Patient panel: the reservations list for self and dependants, cancel with confirmation,
change to another slot of the same service; another patient's visit is always a 404."""

import base64
import json
import re
from datetime import timedelta
from html import unescape

import pytest
from icalendar import Calendar

from core.timeutil import to_local
from models.accounts import Guardianship
from models.audit import AuditEvent
from models.base import utcnow
from models.booking import Appointment
from models.clinic import Slot
from models.mail import OutboxMessage
from tests import factories
from tests.conftest import csrf_token


@pytest.fixture
def clinic(ctx):
    made = factories.bookable(6, **factories.cardiology())
    fac, spec, svc, member, day = (made[k] for k in ("fac", "spec", "svc", "staff", "day"))
    other_svc = factories.service(spec, name="Echo serca")
    other_member = factories.staff(spec=spec, fac=fac, last_name="Echowy")
    other_sched = factories.schedule(other_member, fac, services=[other_svc])
    slots = made["slots"]
    echo_slot = factories.slot(
        other_member, fac, starts_at=day, schedule=other_sched, specialty=spec
    )
    account = factories.account(login="jan.pacjent", email="jan.pacjent@example.com")
    stranger = factories.account(login="obcy", email="obcy@example.com")
    return {
        "svc": svc,
        "slots": slots,
        "echo_slot": echo_slot,
        "account": account,
        "stranger": stranger,
        "staff": member,
    }


def book(client, slot, patient_id):
    path = f"/slots/{slot.id}/reserve"
    response = client.post(
        path, data={"csrf_token": csrf_token(client, path), "patient": patient_id}
    )
    assert response.status_code == 303, response.status_code
    return Appointment.get(Appointment.active_slot == slot.id)


@pytest.fixture
def booked(client, auth, clinic):
    assert auth.login("jan.pacjent", factories.PASSWORD).status_code == 303
    return book(client, clinic["slots"][0], clinic["account"].patient_id)


def test_panel_needs_login(client):
    response = client.get("/panel/reservations")
    assert response.status_code in (302, 303)
    assert "/login?next=" in response.headers["Location"]


def test_panel_landing_shows_the_next_visit_and_links_to_reservations(client, booked):
    body = client.get("/panel").get_data(as_text=True)
    assert "Panel pacjenta" in body and "Sercowy" in body
    assert 'href="/panel/reservations"' in body
    assert 'hx-history="false"' in body


def test_panel_landing_shows_the_soonest_booked_visit_not_a_later_or_cancelled_one(
    client, clinic, booked
):
    """The landing asks the database for the next visit (not the newest of 500 loaded)."""
    later = book(client, clinic["slots"][3], clinic["account"].patient_id)
    Appointment.update(status="cancelled", active_slot=None).where(
        Appointment.id == booked.id
    ).execute()
    sooner = book(client, clinic["slots"][1], clinic["account"].patient_id)
    body = client.get("/panel").get_data(as_text=True)
    assert f'href="/panel/reservations/{sooner.id}"' in body
    assert f'href="/panel/reservations/{later.id}"' not in body
    assert f'href="/panel/reservations/{booked.id}"' not in body


def test_reservations_list_upcoming_and_past_with_status(client, clinic, booked):
    past_slot = clinic["slots"][5]
    Appointment.create(
        slot=past_slot, patient=clinic["account"].patient, service=clinic["svc"], status="completed"
    )
    Slot.update(
        starts_at=utcnow() - timedelta(days=10),
        ends_at=utcnow() - timedelta(days=10) + timedelta(minutes=15),
    ).where(Slot.id == past_slot.id).execute()
    response = client.get("/panel/reservations")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Nadchodzące wizyty" in body and "zarezerwowana" in body and "odbyta" in body
    assert "Zmień termin" in body and "Odwołaj" in body
    assert 'hx-history="false"' in body
    assert response.headers["Cache-Control"] == "no-store"


def test_list_shows_the_person_on_screen_never_a_stranger(client, auth, clinic, booked):
    """The list is the active person's (core.active_person): a dependant's visits after
    switching to them in the header, a stranger's never."""
    child = factories.patient(first_name="Zosia", last_name="Mała")
    Guardianship.create(guardian=clinic["account"], patient=child)
    book(client, clinic["slots"][1], child.id)
    Appointment.create(
        slot=clinic["slots"][2],
        active_slot=clinic["slots"][2],
        patient=clinic["stranger"].patient,
        service=clinic["svc"],
    )
    body = client.get("/panel/reservations").get_data(as_text=True)
    assert "Dla: Zosia Mała" not in body  # (the header's switch names her)
    switch = {"csrf_token": csrf_token(client, "/panel"), "patient": str(child.id)}
    assert client.post("/account/active-person", data=switch).status_code == 303
    body = client.get("/panel/reservations").get_data(as_text=True)
    assert "Dla: Zosia Mała (podopieczny)" in body
    assert clinic["stranger"].patient.last_name not in body


def test_another_patients_visit_is_404_everywhere(client, clinic, booked):
    """ASVS V4.2.1 objects are looked up through the current patient."""
    theirs = Appointment.create(
        slot=clinic["slots"][3],
        active_slot=clinic["slots"][3],
        patient=clinic["stranger"].patient,
        service=clinic["svc"],
    )
    token = csrf_token(client, "/panel")
    for path in (
        f"/panel/reservations/{theirs.id}",
        f"/panel/reservations/{theirs.id}/cancel",
        f"/panel/reservations/{theirs.id}/change",
    ):
        assert client.get(path).status_code == 404
    assert (
        client.post(
            f"/panel/reservations/{theirs.id}/cancel", data={"csrf_token": token}
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"/panel/reservations/{theirs.id}/change",
            data={"csrf_token": token, "slot": clinic["slots"][4].id},
        ).status_code
        == 404
    )
    assert Appointment.get_by_id(theirs.id).status == "booked"
    for path in (
        "/panel/reservations/abc",
        "/panel/reservations/99999999999999999999",
        "/panel/reservations/0/cancel",
    ):
        assert client.get(path).status_code == 404


def test_cancel_asks_first_then_frees_the_slot_and_mails(client, clinic, booked):
    path = f"/panel/reservations/{booked.id}/cancel"
    page = client.get(path)
    assert page.status_code == 200 and "Czy na pewno" in page.get_data(as_text=True)
    assert Appointment.get_by_id(booked.id).status == "booked"
    response = client.post(path, data={"csrf_token": csrf_token(client, path)})
    assert response.status_code == 303
    fresh = Appointment.get_by_id(booked.id)
    assert fresh.status == "cancelled" and fresh.active_slot_id is None
    assert Slot.get_by_id(booked.slot_id).booked is False
    assert AuditEvent.select().where(AuditEvent.action == "appointment.cancel").count() == 1
    mail = OutboxMessage.select().order_by(OutboxMessage.id.desc()).first()
    assert mail.to == "jan.pacjent@example.com"
    ics = json.loads(mail.attachments)[0]
    calendar = Calendar.from_ical(base64.b64decode(ics["data"]))
    assert str(calendar["METHOD"]) == "CANCEL"
    assert str(calendar.walk("VEVENT")[0]["STATUS"]) == "CANCELLED"
    # the slot is bookable again at once
    assert client.get(f"/slots/{booked.slot_id}/reserve").status_code == 200
    # a second cancel changes nothing
    again = client.post(path, data={"csrf_token": csrf_token(client, "/panel")})
    assert again.status_code == 409


def test_cancel_without_csrf_token_is_400(client, booked):
    """ASVS V4.2.2"""
    response = client.post(f"/panel/reservations/{booked.id}/cancel")
    assert response.status_code == 400
    assert Appointment.get_by_id(booked.id).status == "booked"


def test_cancel_inside_the_minimum_notice_is_refused(client, app, booked):
    app.config.update(CANCEL_MIN_NOTICE_HOURS=24 * 7)
    path = f"/panel/reservations/{booked.id}/cancel"
    assert client.get(path).status_code == 409
    response = client.post(path, data={"csrf_token": csrf_token(client, "/panel")})
    assert response.status_code == 409
    assert "godz." in response.get_data(as_text=True)
    assert Appointment.get_by_id(booked.id).status == "booked"


def test_change_lists_free_slots_of_the_same_service_only(client, clinic, booked):
    Slot.update(booked=True).where(Slot.id == clinic["slots"][1].id).execute()
    body = client.get(f"/panel/reservations/{booked.id}/change").get_data(as_text=True)
    offered = {s.id for s in clinic["slots"][2:]}
    for slot_id in offered:
        assert f"slot={slot_id}" in body
    assert f'slot={clinic["slots"][1].id}"' not in body
    assert f'slot={clinic["slots"][0].id}"' not in body
    assert f'slot={clinic["echo_slot"].id}"' not in body


def test_change_page_is_the_slot_search_from_the_visits_day_with_doctor_and_place(
    client, clinic, booked
):
    path = f"/panel/reservations/{booked.id}/change"
    response = client.get(path)
    body = unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    assert "<title>Zmień termin wizyty" in body
    # the /slots filters that make sense for a move; service and funding are the visit's
    for name in ("staff", "facility", "date_from", "date_to"):
        assert f'name="{name}"' in body
    assert 'name="service"' not in body and 'name="visit_type"' not in body
    visit_day = to_local(booked.slot.starts_at).date().isoformat()
    assert f'name="date_from" value="{visit_day}"' in body
    assert f'action="{path}"' in body and f'hx-get="{path}"' in body
    # doctor and place are visible text, not only for screen readers
    text = re.sub(r'<span class="visually-hidden">[^<]*</span>', "", body)
    assert f"<h3>{clinic['staff'].display_name}</h3>" in text
    assert "Przychodnia Centrum · Konsultacja kardiologiczna" in re.sub(r"<[^>]+>", "", text)
    # the filters narrow the list, and htmx gets only the region back
    other = factories.staff(fac=factories.facility())
    narrowed = client.get(f"{path}?staff={other.id}", headers={"HX-Request": "true"})
    part = narrowed.get_data(as_text=True)
    assert narrowed.status_code == 200 and "<html" not in part and "slot=" not in part
    pushed = narrowed.headers["HX-Push-Url"]
    assert pushed.startswith(path + "?") and f"staff={other.id}" in pushed
    assert "service=" not in pushed


def test_change_page_pages_with_show_more_on_its_own_url(client, ctx, clinic, booked):
    sched = Slot.get_by_id(clinic["slots"][0].id).schedule
    last = clinic["slots"][-1]
    for k in range(1, 35):
        start = last.starts_at + timedelta(minutes=15 * k)
        factories.slot(
            clinic["staff"],
            last.facility,
            starts_at=start,
            schedule=sched,
            specialty=last.specialty,
        )
    path = f"/panel/reservations/{booked.id}/change"
    body = client.get(path).get_data(as_text=True)
    more = unescape(re.search(r'<a href="([^"]+)" hx-get="[^"]+" hx-target', body).group(1))
    assert more.startswith(path + "?") and "after=" in more and "service=" not in more
    part = client.get(more, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<form" not in part and f"/panel/reservations/{booked.id}/change?slot=" in part


def test_change_moves_the_visit_atomically_and_mails(client, clinic, booked):
    target = clinic["slots"][3]
    path = f"/panel/reservations/{booked.id}/change"
    confirm = client.get(f"{path}?slot={target.id}")
    assert confirm.status_code == 200 and "Zmień termin" in confirm.get_data(as_text=True)
    response = client.post(path, data={"csrf_token": csrf_token(client, path), "slot": target.id})
    assert response.status_code == 303
    old = Appointment.get_by_id(booked.id)
    new = Appointment.get(Appointment.active_slot == target.id)
    assert old.status == "moved" and old.active_slot_id is None and old.moved_to_id == new.id
    assert new.patient_id == old.patient_id and new.service_id == old.service_id
    assert Slot.get_by_id(booked.slot_id).booked is False
    assert Slot.get_by_id(target.id).booked is True
    assert response.headers["Location"].endswith(f"/panel/reservations/{new.id}")
    assert AuditEvent.select().where(AuditEvent.action == "appointment.change").count() == 1
    mail = OutboxMessage.select().order_by(OutboxMessage.id.desc()).first()
    assert "Zmiana terminu" in mail.subject
    assert len(json.loads(mail.attachments)) == 2


def test_change_into_a_taken_slot_is_409_and_nothing_changes(client, clinic, booked):
    target = clinic["slots"][3]
    Appointment.create(
        slot=target, active_slot=target, patient=clinic["stranger"].patient, service=clinic["svc"]
    )
    Slot.update(booked=True).where(Slot.id == target.id).execute()
    path = f"/panel/reservations/{booked.id}/change"
    response = client.post(path, data={"csrf_token": csrf_token(client, path), "slot": target.id})
    assert response.status_code == 409
    assert "zajęty" in response.get_data(as_text=True)
    fresh = Appointment.get_by_id(booked.id)
    assert fresh.status == "booked" and fresh.active_slot_id == booked.slot_id
    assert Slot.get_by_id(booked.slot_id).booked is True


def test_change_to_a_slot_of_another_service_is_refused(client, clinic, booked):
    path = f"/panel/reservations/{booked.id}/change"
    token = csrf_token(client, path)
    echo = clinic["echo_slot"]
    assert client.get(f"{path}?slot={echo.id}").status_code == 409
    response = client.post(path, data={"csrf_token": token, "slot": echo.id})
    assert response.status_code == 409
    assert Appointment.get_by_id(booked.id).status == "booked"


@pytest.mark.parametrize("slot", ["", "abc", "99999999999999999999", "999999"])
def test_change_with_a_bad_slot_id_is_404(client, booked, slot):
    path = f"/panel/reservations/{booked.id}/change"
    response = client.post(path, data={"csrf_token": csrf_token(client, path), "slot": slot})
    assert response.status_code == 404
    assert Appointment.get_by_id(booked.id).status == "booked"


def test_english_change_page_asks_to_reschedule_and_does_not_say_it_happened(client, booked):
    client.post("/language", data={"lang": "en", "next": "/", "csrf_token": csrf_token(client)})
    body = client.get(f"/panel/reservations/{booked.id}/change").get_data(as_text=True)
    assert "Reschedule the visit" in body
    assert "Visit rescheduled" not in body
