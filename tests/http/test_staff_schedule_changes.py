"""The schedule-change rule through the desk's pages: a change (a sick day, the end of a
schedule, a blocked slot) removes free slots at once, never a booked one; the visits it
leaves are listed and moved to the same doctor's next free slot or cancelled in one action,
every patient mailed and every step audit-logged with the registrar as the actor."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from core.timeutil import to_local
from models.audit import AuditEvent
from models.booking import Appointment
from models.clinic import Schedule, ScheduleException, Slot
from models.mail import OutboxMessage
from services import booking, booking_errors
from tests import factories
from tests import role_matrix as rm


@pytest.fixture
def world(app):
    return factories.made_in(app, _world)


def _world() -> dict:
    made = factories.desk_clinic()
    first = made["slots"][0]
    # the same doctor a week later: where a moved visit goes
    made["later"] = [
        factories.slot(
            made["doctor"],
            made["facility"],
            starts_at=first.starts_at + timedelta(days=7, minutes=15 * k),
            schedule=made["schedule"],
            specialty=made["specialty"],
        )
        for k in range(2)
    ]
    return made


def _log_in(client, login: str) -> str:
    return rm.log_in(client, login, token_from="/staff/")


def _sick_day(client, token, world, action: str):
    day = to_local(world["slots"][0].starts_at).date().isoformat()
    return client.post(
        "/staff/exceptions/new",
        data={
            "csrf_token": token,
            "staff": world["doctor"].id,
            "date_from": day,
            "date_to": day,
            "reason": "choroba",
            "action": action,
        },
    )


def test_a_sick_day_preview_lists_the_visit_and_saving_keeps_the_booked_slot(client, app, world):
    token = _log_in(client, world["registrar"].login)
    preview = _sick_day(client, token, world, "preview")
    assert preview.status_code == 200
    page = preview.get_data(as_text=True)
    assert "Zniknie 7 wolnych terminów." in page
    assert world["patient"].full_name in page
    with app.app_context():
        assert ScheduleException.select().count() == 0  # a preview changes nothing
        assert Slot.select().count() == 10

    saved = _sick_day(client, token, world, "save")
    assert saved.status_code == 303 and "/staff/visits/affected" in saved.headers["Location"]
    with app.app_context():
        remaining = list(Slot.select().where(Slot.staff == world["doctor"].id))
        # the seven free slots of the day are gone; the booked one and next week's stay
        assert {s.id for s in remaining} == {world["slots"][0].id, *(s.id for s in world["later"])}
        assert Appointment.get_by_id(world["visit"].id).status == "booked"
    listed = client.get("/staff/visits/affected").get_data(as_text=True)
    assert world["patient"].full_name in listed


def test_moving_the_sick_days_visits_books_the_next_free_slot_and_mails_the_patient(
    client, app, world
):
    token = _log_in(client, world["registrar"].login)
    _sick_day(client, token, world, "save")
    response = client.post(
        "/staff/visits/affected",
        data={
            "csrf_token": token,
            "visit": [world["visit"].id],
            "action": "move",
            "reason": "choroba lekarza",
        },
    )
    assert response.status_code == 200
    assert "przeniesiona" in response.get_data(as_text=True)
    with app.app_context():
        old = Appointment.get_by_id(world["visit"].id)
        assert old.status == "moved" and old.active_slot_id is None
        new = Appointment.get_by_id(old.moved_to_id)
        assert new.active_slot_id == world["later"][0].id and new.status == "booked"
        assert Slot.get_by_id(world["slots"][0].id).booked is False
        mail = OutboxMessage.get(OutboxMessage.to == world["account"].email)
        assert mail.subject == "Zmiana terminu wizyty"
        assert "choroba lekarza" in mail.body_text
        assert to_local(world["later"][0].starts_at).strftime("%d.%m.%Y %H:%M") in mail.body_text
        event = AuditEvent.get(AuditEvent.action == "desk.appointment.change")
        assert event.account_id == world["registrar"].id
        assert event.patient_id == world["patient"].id
    assert world["patient"].full_name not in client.get("/staff/visits/affected").get_data(
        as_text=True
    )


def test_cancelling_the_sick_days_visits_frees_them_and_mails_the_patient(client, app, world):
    token = _log_in(client, world["registrar"].login)
    _sick_day(client, token, world, "save")
    client.post(
        "/staff/visits/affected",
        data={"csrf_token": token, "visit": [world["visit"].id], "action": "cancel"},
    )
    with app.app_context():
        assert Appointment.get_by_id(world["visit"].id).status == "cancelled"
        mail = OutboxMessage.get(OutboxMessage.to == world["account"].email)
        assert mail.subject == "Odwołanie wizyty"
        assert AuditEvent.get(AuditEvent.action == "desk.appointment.cancel").account_id == (
            world["registrar"].id
        )


def test_a_visit_with_no_free_slot_to_move_to_stays_booked_and_is_reported(client, app, world):
    token = _log_in(client, world["registrar"].login)
    with app.app_context():
        Slot.delete().where(Slot.id.in_([s.id for s in world["later"]])).execute()
    _sick_day(client, token, world, "save")
    response = client.post(
        "/staff/visits/affected",
        data={"csrf_token": token, "visit": [world["visit"].id], "action": "move"},
    )
    assert "Brak wolnego terminu." in response.get_data(as_text=True)
    with app.app_context():
        assert Appointment.get_by_id(world["visit"].id).status == "booked"
        assert OutboxMessage.select().where(OutboxMessage.to == world["account"].email).count() == 0


def test_ending_a_schedule_removes_its_free_slots_after_the_date_and_lists_booked_ones(
    client, app, world
):
    token = _log_in(client, world["registrar"].login)
    end = to_local(world["slots"][0].starts_at).date() - timedelta(days=1)
    response = client.post(
        f"/staff/schedules/{world['schedule'].id}",
        data={"csrf_token": token, "valid_to": end.isoformat()},
    )
    assert response.status_code == 303 and "affected" in response.headers["Location"]
    with app.app_context():
        assert Schedule.get_by_id(world["schedule"].id).valid_to == end
        assert [s.id for s in Slot.select()] == [world["slots"][0].id]
    assert world["patient"].full_name in client.get("/staff/visits/affected").get_data(as_text=True)


def test_a_booked_slot_cannot_be_blocked_and_a_blocked_one_cannot_be_booked(client, app, world):
    token = _log_in(client, world["registrar"].login)
    booked, free = world["slots"][0], world["slots"][1]
    assert (
        client.post(f"/staff/slots/{booked.id}/block", data={"csrf_token": token}).status_code
        == 409
    )
    assert (
        client.post(f"/staff/slots/{free.id}/block", data={"csrf_token": token}).status_code == 303
    )
    with app.app_context():
        assert Slot.get_by_id(free.id).blocked
        with pytest.raises(booking_errors.SlotUnavailable):
            booking.book(world["account"], free.id, world["patient"].id)
    assert (
        client.post(f"/staff/slots/{free.id}/free", data={"csrf_token": token}).status_code == 303
    )
    with app.app_context():
        assert not Slot.get_by_id(free.id).blocked


def test_a_new_schedule_is_checked_previewed_and_generated(client, app, world):
    token = _log_in(client, world["registrar"].login)
    day = to_local(world["slots"][0].starts_at).date() + timedelta(days=1)
    form = {
        "csrf_token": token,
        "staff": world["doctor"].id,
        "facility": world["facility"].id,
        "weekday": day.weekday(),
        "start_time": "10:00",
        "end_time": "09:00",
        "slot_minutes": "20",
        "funding": "nfz",
        "mode": "in_person",
        "valid_from": day.isoformat(),
        "services": [world["service"].id],
    }
    refused = client.post("/staff/schedules/new", data=form)
    assert refused.status_code == 422
    assert "Koniec musi być później niż początek." in refused.get_data(as_text=True)
    created = client.post("/staff/schedules/new", data={**form, "end_time": "11:00"})
    assert created.status_code == 303
    query = f"date_from={day.isoformat()}&date_to={day.isoformat()}"
    preview = client.get(f"/staff/slots/generate?{query}").get_data(as_text=True)
    assert world["doctor"].display_name in preview
    assert '<td data-label="Nowe terminy">3</td>' in preview
    with app.app_context():
        before = Slot.select().count()
    done = client.post(
        "/staff/slots/generate",
        data={"csrf_token": token, "date_from": day.isoformat(), "date_to": day.isoformat()},
    )
    assert done.status_code == 303
    with app.app_context():
        new = list(
            Slot.select().where(Slot.starts_at > world["slots"][-1].starts_at + timedelta(hours=12))
        )
        assert Slot.select().count() == before + 3
        assert [to_local(s.starts_at).time() for s in sorted(new, key=lambda s: s.starts_at)][
            :3
        ] == [time(10), time(10, 20), time(10, 40)]
        assert AuditEvent.get(AuditEvent.action == "desk.slots.generate").account_id == (
            world["registrar"].id
        )
