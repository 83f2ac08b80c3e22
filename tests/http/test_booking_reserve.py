"""Reserve → confirm → send through the real routes with CSRF on: booking, 409 when taken,
clinic rules, hostile input, the confirmation e-mail with a calendar file."""

import base64
import json
from datetime import timedelta

import pytest
from icalendar import Calendar

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
    made = factories.bookable(4, **factories.cardiology())
    made["account"] = factories.account(login="jan.pacjent", email="jan.pacjent@example.com")
    made["other"] = factories.account(login="obcy", email="obcy@example.com")
    return made


def reserve_path(slot) -> str:
    return f"/slots/{slot.id}/reserve"


def post_reserve(client, slot, **data):
    token = csrf_token(client, reserve_path(slot)) if "csrf_token" not in data else None
    form = {"csrf_token": token, **data} if token else data
    form = {k: v for k, v in form.items() if v is not None}
    return client.post(reserve_path(slot), data=form)


def login(auth, account):
    response = auth.login(account.login, factories.PASSWORD)
    assert response.status_code == 303


def test_anonymous_reserve_goes_to_login_and_comes_back(client, auth, clinic):
    slot = clinic["slots"][0]
    response = client.get(reserve_path(slot) + f"?service={clinic['svc'].id}")
    assert response.status_code in (302, 303)
    assert "/login?next=" in response.headers["Location"]
    assert "reserve" in response.headers["Location"]
    back = auth.login(
        clinic["account"].login,
        factories.PASSWORD,
        next_path=f"/slots/{slot.id}/reserve?service={clinic['svc'].id}",
    )
    assert back.headers["Location"].endswith(f"/slots/{slot.id}/reserve?service={clinic['svc'].id}")


def test_confirmation_step_shows_slot_patient_choice_and_send_button(client, auth, clinic):
    login(auth, clinic["account"])
    body = client.get(reserve_path(clinic["slots"][0])).get_data(as_text=True)
    assert "Sercowy" in body and "Przychodnia Centrum" in body
    assert "Konsultacja kardiologiczna" in body
    assert 'name="patient"' in body and 'name="note"' in body
    assert "Wyślij" in body
    assert 'hx-history="false"' in body


def test_booking_creates_appointment_marks_slot_and_redirects_to_confirmation(client, auth, clinic):
    login(auth, clinic["account"])
    slot = clinic["slots"][0]
    response = post_reserve(
        client, slot, patient=clinic["account"].patient_id, note="Proszę o windę"
    )
    assert response.status_code == 303
    booked = Appointment.get(Appointment.active_slot == slot.id)
    assert booked.patient_id == clinic["account"].patient_id
    assert booked.note == "Proszę o windę"
    assert Slot.get_by_id(slot.id).booked is True
    assert response.headers["Location"].endswith(f"/panel/reservations/{booked.id}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Sercowy" in page and "zarezerwowana" in page
    assert AuditEvent.select().where(AuditEvent.action == "appointment.book").count() == 1


def test_booking_mail_carries_a_calendar_file_that_parses(client, auth, clinic):
    login(auth, clinic["account"])
    slot = clinic["slots"][1]
    post_reserve(client, slot, patient=clinic["account"].patient_id)
    message = OutboxMessage.get(OutboxMessage.to == "jan.pacjent@example.com")
    attachments = json.loads(message.attachments)
    assert attachments[0]["filename"].endswith(".ics")
    calendar = Calendar.from_ical(base64.b64decode(attachments[0]["data"]))
    assert str(calendar["METHOD"]) in ("PUBLISH", "REQUEST")
    event = calendar.walk("VEVENT")[0]
    assert event["UID"]
    assert event.decoded("DTSTAMP").tzinfo is not None
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert start.utcoffset() == timedelta(0)
    assert start.replace(tzinfo=None) == slot.starts_at
    assert end - start == timedelta(minutes=15)
    assert "Konsultacja kardiologiczna" in str(event["SUMMARY"])
    assert "Przychodnia Centrum" in str(event["LOCATION"])


def test_second_booking_of_a_slot_gets_409_with_next_free_slots(client, auth, clinic, app):
    slot = clinic["slots"][0]
    login(auth, clinic["other"])
    assert post_reserve(client, slot, patient=clinic["other"].patient_id).status_code == 303
    auth.logout()
    login(auth, clinic["account"])
    response = post_reserve(client, slot, patient=clinic["account"].patient_id)
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "Ten termin jest już zajęty" in body
    assert f"/slots/{clinic['slots'][1].id}/reserve" in body
    assert Appointment.select().count() == 1


def test_get_of_a_taken_slot_is_409_and_unknown_slot_404(client, auth, clinic):
    login(auth, clinic["account"])
    Slot.update(booked=True).where(Slot.id == clinic["slots"][0].id).execute()
    assert client.get(reserve_path(clinic["slots"][0])).status_code == 409
    assert client.get("/slots/999999/reserve").status_code == 404
    assert client.get("/slots/abc/reserve").status_code == 404
    assert client.get("/slots/99999999999999999999/reserve").status_code == 404
    assert client.get("/slots/-1/reserve").status_code == 404


def test_past_and_blocked_slots_cannot_be_booked(client, auth, clinic):
    login(auth, clinic["account"])
    past, blocked = clinic["slots"][0], clinic["slots"][1]
    Slot.update(starts_at=utcnow() - timedelta(hours=1), ends_at=utcnow()).where(
        Slot.id == past.id
    ).execute()
    Slot.update(blocked=True).where(Slot.id == blocked.id).execute()
    token = csrf_token(client, "/panel")
    for slot in (past, blocked):
        assert client.get(reserve_path(slot)).status_code == 409
        response = client.post(
            reserve_path(slot), data={"csrf_token": token, "patient": clinic["account"].patient_id}
        )
        assert response.status_code == 409
    assert Appointment.select().count() == 0


def test_double_submit_books_once_and_shows_the_booking(client, auth, clinic):
    login(auth, clinic["account"])
    slot = clinic["slots"][0]
    token = csrf_token(client, reserve_path(slot))
    data = {"csrf_token": token, "patient": clinic["account"].patient_id}
    first = client.post(reserve_path(slot), data=data)
    second = client.post(reserve_path(slot), data=data)
    assert first.status_code == 303 and second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert Appointment.select().count() == 1


def test_post_without_csrf_token_is_400_and_books_nothing(client, auth, clinic):
    """ASVS V4.2.2 a state change needs the CSRF token."""
    login(auth, clinic["account"])
    response = client.post(
        reserve_path(clinic["slots"][0]), data={"patient": clinic["account"].patient_id}
    )
    assert response.status_code == 400
    assert Appointment.select().count() == 0


@pytest.mark.parametrize("patient", ["", "abc", "-1", "99999999999999999999", "0"])
def test_invalid_patient_is_422(client, auth, clinic, patient):
    login(auth, clinic["account"])
    response = post_reserve(client, clinic["slots"][0], patient=patient)
    assert response.status_code == 422
    assert Appointment.select().count() == 0


def test_booking_for_a_stranger_is_refused(client, auth, clinic):
    """ASVS V4.2.1 the patient must be the account's own or a dependant."""
    login(auth, clinic["account"])
    response = post_reserve(client, clinic["slots"][0], patient=clinic["other"].patient_id)
    assert response.status_code in (404, 422)
    assert Appointment.select().count() == 0


def test_guardian_books_for_a_dependant_and_the_list_says_for_whom(client, auth, clinic):
    child = factories.patient(first_name="Zosia", last_name="Mała")
    Guardianship.create(guardian=clinic["account"], patient=child)
    login(auth, clinic["account"])
    body = client.get(reserve_path(clinic["slots"][0])).get_data(as_text=True)
    assert "Zosia Mała" in body
    assert post_reserve(client, clinic["slots"][0], patient=child.id).status_code == 303
    assert Appointment.get().patient_id == child.id
    listing = client.get("/panel/reservations").get_data(as_text=True)
    assert "Zosia Mała" in listing


@pytest.mark.parametrize("note", ["x" * 501, "a\x00b", "\x1b[31m"])
def test_overlong_or_control_character_note_is_422(client, auth, clinic, note):
    """ASVS V5.1.3 length limit and allow-list on every field."""
    login(auth, clinic["account"])
    response = post_reserve(
        client, clinic["slots"][0], patient=clinic["account"].patient_id, note=note
    )
    assert response.status_code == 422
    assert Appointment.select().count() == 0


def test_service_not_offered_by_the_slot_is_refused(client, auth, clinic):
    login(auth, clinic["account"])
    foreign = factories.service(clinic["spec"], name="Inna usługa")
    assert (
        client.get(reserve_path(clinic["slots"][0]) + f"?service={foreign.id}").status_code == 404
    )
    response = post_reserve(
        client, clinic["slots"][0], patient=clinic["account"].patient_id, service=foreign.id
    )
    assert response.status_code in (404, 422)
    assert Appointment.select().count() == 0


def test_slot_without_schedule_cannot_be_booked(client, auth, clinic):
    login(auth, clinic["account"])
    loose = factories.slot(
        clinic["staff"], clinic["fac"], starts_at=clinic["slots"][-1].starts_at + timedelta(hours=2)
    )
    assert client.get(reserve_path(loose)).status_code == 409
    assert post_reserve(client, loose, patient=clinic["account"].patient_id).status_code == 409
    assert Appointment.select().count() == 0


def test_anonymous_post_books_nothing_and_asks_to_log_in(client, clinic):
    response = client.post(
        reserve_path(clinic["slots"][0]),
        data={"csrf_token": csrf_token(client), "patient": clinic["account"].patient_id},
    )
    assert response.status_code in (302, 303)
    assert "/login" in response.headers["Location"]
    assert Appointment.select().count() == 0


def test_several_services_offer_a_choice(client, auth, clinic):
    second = factories.service(clinic["spec"], name="Echo serca")
    from models.clinic import ScheduleService

    ScheduleService.create(schedule=clinic["sched"], service=second)
    login(auth, clinic["account"])
    body = client.get(reserve_path(clinic["slots"][0])).get_data(as_text=True)
    assert 'name="service"' in body and "Echo serca" in body
    response = post_reserve(
        client, clinic["slots"][0], patient=clinic["account"].patient_id, service=second.id
    )
    assert response.status_code == 303
    assert Appointment.get().service_id == second.id


@pytest.fixture
def strict(app):
    app.config.update(
        BOOKING_HORIZON_DAYS=2, BOOKING_MIN_NOTICE_HOURS=2, BOOKING_LIMIT_PER_SPECIALTY=1
    )
    return app


def test_slot_beyond_the_horizon_is_refused(client, auth, clinic, strict):
    login(auth, clinic["account"])
    assert client.get(reserve_path(clinic["slots"][0])).status_code == 409
    response = post_reserve(client, clinic["slots"][0], patient=clinic["account"].patient_id)
    assert response.status_code in (409, 422)
    assert "2 dni" in response.get_data(as_text=True)


def test_slot_inside_the_minimum_notice_is_refused(client, auth, clinic, strict):
    login(auth, clinic["account"])
    soon = utcnow() + timedelta(hours=1)
    slot = clinic["slots"][0]
    Slot.update(starts_at=soon, ends_at=soon + timedelta(minutes=15)).where(
        Slot.id == slot.id
    ).execute()
    response = post_reserve(client, slot, patient=clinic["account"].patient_id)
    assert response.status_code in (409, 422)
    assert Appointment.select().count() == 0


def test_limit_of_active_bookings_per_specialty(client, auth, clinic, app):
    app.config.update(BOOKING_LIMIT_PER_SPECIALTY=1)
    login(auth, clinic["account"])
    pid = clinic["account"].patient_id
    assert post_reserve(client, clinic["slots"][0], patient=pid).status_code == 303
    response = post_reserve(client, clinic["slots"][1], patient=pid)
    assert response.status_code == 422
    assert "limit" in response.get_data(as_text=True).lower() or "już 1" in response.get_data(
        as_text=True
    )
    assert Appointment.select().count() == 1
    assert not Slot.get_by_id(clinic["slots"][1].id).booked


def test_booking_posts_are_rate_limited_per_account(client, auth, clinic, app):
    """ASVS V2.2.1 limits on sensitive endpoints; the budget belongs to the account."""
    app.config.update(BOOKING_RATE_LIMIT="2 per minute")
    login(auth, clinic["account"])
    token = csrf_token(client, "/panel")
    statuses = [
        client.post(reserve_path(slot), data={"csrf_token": token, "patient": "x"}).status_code
        for slot in clinic["slots"][:3]
    ]
    assert statuses == [422, 422, 429]
    assert Appointment.select().count() == 0


def test_slot_of_a_deactivated_doctor_cannot_be_booked(client, auth, clinic):
    login(auth, clinic["account"])
    clinic["staff"].active = False
    clinic["staff"].save()
    slot = clinic["slots"][0]
    assert client.get(reserve_path(slot)).status_code == 409
    response = post_reserve(client, slot, patient=clinic["account"].patient_id)
    assert response.status_code == 409
    assert Appointment.select().count() == 0
