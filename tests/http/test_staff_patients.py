"""The desk's patients: search by name, PESEL or phone; a person who only phones; booking,
moving and cancelling on their behalf with the same rules; account actions after an ID
check; a later login joining the desk's record only with matching data; and the clinic's
UNVERIFIED_CAN_BOOK rule as the patient meets it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from core.pesel import make as make_pesel
from core.totp import new_secret
from models.accounts import Account
from models.audit import AuditEvent
from models.base import db, utcnow
from models.booking import Appointment
from models.mail import OutboxMessage
from models.patients import Patient
from tests import factories
from tests import role_matrix as rm
from tests.http.test_auth_register import _clinic, registration_data

PESEL = make_pesel(date(1990, 5, 17), 123, female=True)


@pytest.fixture
def app_config(app_config):
    return {**app_config, "BOT_CHECK": False}


@pytest.fixture
def world(app):
    return factories.made_in(app, lambda: {**factories.desk_clinic(), **_clinic()})


def _log_in(client, login: str) -> str:
    return rm.log_in(client, login, token_from="/help")


def _phone_patient(client, token, **over):
    data = {
        "csrf_token": token,
        "first_name": "Anna",
        "last_name": "Nowak-Kowalska",
        "pesel": PESEL,
        "birth_date": "",
        "sex": "",
        "phone": "600 100 200",
        **over,
    }
    return client.post("/staff/patients/new", data=data)


def test_search_finds_a_patient_by_name_pesel_or_phone(client, app, world):
    _log_in(client, world["registrar"].login)
    person = world["patient"]
    for query in (person.last_name, person.pesel, "600-100-200", f"ewa {person.last_name}"):
        page = client.get(f"/staff/patients?q={query}").get_data(as_text=True)
        assert person.last_name in page, query
    assert person.last_name not in client.get("/staff/patients?q=Zenon").get_data(as_text=True)
    fragment = client.get(f"/staff/patients?q={person.pesel}", headers={"HX-Request": "true"})
    assert "<html" not in fragment.get_data(as_text=True)
    with app.app_context():
        assert AuditEvent.select().where(AuditEvent.action == "read.patient_search").count() >= 4


def test_a_phone_patient_is_registered_once_and_booked_without_an_account(client, app, world):
    token = _log_in(client, world["registrar"].login)
    bad = _phone_patient(client, token, pesel="12345678901")
    assert bad.status_code == 422 and "Nieprawidłowy numer PESEL." in bad.get_data(as_text=True)
    made = _phone_patient(client, token)
    assert made.status_code == 303
    again = _phone_patient(client, token)
    assert again.status_code == 409 and "jest już w rejestrze" in again.get_data(as_text=True)
    with app.app_context():
        person = Patient.get(Patient.pesel == PESEL)
        assert person.registered_at_desk and person.birth_date == date(1990, 5, 17)
    slot = world["slots"][2]
    booked = client.post(
        f"/staff/patients/{person.id}/book/{slot.id}",
        data={"csrf_token": token, "service": world["service"].id},
    )
    assert booked.status_code == 303
    with app.app_context():
        visit = Appointment.get(Appointment.active_slot == slot.id)
        assert visit.patient_id == person.id and visit.booked_by_id == world["registrar"].id
        assert OutboxMessage.select().count() == 0  # nobody to mail: no login, no guardian
        event = AuditEvent.get(AuditEvent.action == "desk.appointment.book")
        assert event.account_id == world["registrar"].id and event.patient_id == person.id


def test_phone_booking_keeps_the_clinics_rules(client, app, world):
    token = _log_in(client, world["registrar"].login)
    with app.app_context():
        far = factories.slot(
            world["doctor"],
            world["facility"],
            starts_at=utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(days=200),
            schedule=world["schedule"],
            specialty=world["specialty"],
        )
    response = client.post(
        f"/staff/patients/{world['patient'].id}/book/{far.id}",
        data={"csrf_token": token, "service": world["service"].id},
    )
    assert response.status_code == 422
    assert "najwyżej 90 dni naprzód" in response.get_data(as_text=True)
    taken = client.post(
        f"/staff/patients/{world['patient'].id}/book/{world['slots'][0].id}",
        data={"csrf_token": token, "service": world["service"].id},
    )
    assert taken.status_code == 409


def test_phone_booking_keeps_a_specialtys_own_limit(client, app, world):
    """The admin's per-specialty limit binds the desk as it binds online booking (one rule):
    the patient already holds one visit in this specialty and its limit is 1."""
    from models.clinic import Specialty

    with app.app_context():
        db.connect(reuse_if_open=True)
        Specialty.update(booking_limit=1).where(Specialty.id == world["specialty"].id).execute()
        db.close()
    token = _log_in(client, world["registrar"].login)
    response = client.post(
        f"/staff/patients/{world['patient'].id}/book/{world['slots'][2].id}",
        data={"csrf_token": token, "service": world["service"].id},
    )
    assert response.status_code == 422
    with app.app_context():
        db.connect(reuse_if_open=True)
        assert Appointment.select().where(Appointment.patient == world["patient"].id).count() == 1
        db.close()


def test_the_desk_moves_and_cancels_inside_the_cancel_window_and_mails_the_patient(
    client, app, world
):
    token = _log_in(client, world["registrar"].login)
    visit = world["visit"]
    with app.app_context():  # the visit is in two hours: the patient could only call
        soon = utcnow().replace(second=0, microsecond=0) + timedelta(hours=3)
        from models.clinic import Slot

        Slot.update(starts_at=soon, ends_at=soon + timedelta(minutes=15)).where(
            Slot.id == visit.slot_id
        ).execute()
    moved = client.post(
        f"/staff/visits/{visit.id}/change",
        data={"csrf_token": token, "slot": world["slots"][3].id, "reason": "prośba pacjenta"},
    )
    assert moved.status_code == 303
    with app.app_context():
        new = Appointment.get(Appointment.active_slot == world["slots"][3].id)
        assert Appointment.get_by_id(visit.id).status == "moved"
        assert OutboxMessage.get(OutboxMessage.subject == "Zmiana terminu wizyty").to == (
            world["account"].email
        )
    cancelled = client.post(f"/staff/visits/{new.id}/cancel", data={"csrf_token": token})
    assert cancelled.status_code == 303
    with app.app_context():
        assert Appointment.get_by_id(new.id).status == "cancelled"
        assert OutboxMessage.get(OutboxMessage.subject == "Odwołanie wizyty").to == (
            world["account"].email
        )
    again = client.post(f"/staff/visits/{new.id}/cancel", data={"csrf_token": token})
    assert again.status_code == 409


def test_account_actions_after_an_id_check_are_done_and_audit_logged(client, app, world):
    token = _log_in(client, world["registrar"].login)
    account = world["account"]
    with app.app_context():
        Account.update(
            locked_until=utcnow() + timedelta(minutes=10), failed_logins=5, totp_secret=new_secret()
        ).where(Account.id == account.id).execute()
    page = client.get(f"/staff/patients/{world['patient'].id}").get_data(as_text=True)
    assert "Odblokuj konto" in page and "Wyłącz weryfikację dwuetapową" in page
    for action in ("unlock", "verify", "reset_two_factor", "remind_login", "disable", "enable"):
        response = client.post(
            f"/staff/patients/{world['patient'].id}/account/{action}", data={"csrf_token": token}
        )
        assert response.status_code == 303, action
    assert (
        client.post(
            f"/staff/patients/{world['patient'].id}/account/delete", data={"csrf_token": token}
        ).status_code
        == 404
    )
    with app.app_context():
        fresh = Account.get_by_id(account.id)
        assert fresh.locked_until is None and fresh.identity_verified_at is not None
        assert fresh.totp_secret is None and not fresh.disabled
        assert fresh.session_version > account.session_version
        reminder = OutboxMessage.get(OutboxMessage.subject == "Twój login w e-Rejestracji")
        assert account.login in reminder.body_text
        actions = {
            e.action
            for e in AuditEvent.select().where(AuditEvent.account_id == world["registrar"].id)
        }
        for action in ("unlock", "verify", "reset_two_factor", "remind_login", "disable"):
            assert f"desk.account.{action}" in actions


def test_a_login_joins_the_desk_record_only_with_matching_data(client, app, world):
    token = _log_in(client, world["registrar"].login)
    _phone_patient(client, token)
    client.post("/logout", data={"csrf_token": token})
    other = app.test_client()
    wrong = other.post(
        "/register", data=registration_data(other, world, phone="600 999 999", login="obca")
    )
    right = app.test_client()
    joined = right.post("/register", data=registration_data(right, world))
    # the same answer either way: nobody learns that the record exists
    assert (wrong.status_code, wrong.headers["Location"]) == (
        joined.status_code,
        joined.headers["Location"],
    )
    with app.app_context():
        person = Patient.get(Patient.pesel == PESEL)
        assert Patient.select().where(Patient.pesel == PESEL).count() == 1
        account = Account.get(Account.patient == person.id)
        assert account.login == "anna.nowak" and account.activated_at is None
        assert Account.get_or_none(Account.login == "obca") is None
        assert person.street == "ul. Długa"  # the form filled what the desk left out


@pytest.mark.parametrize("rule", ["none", "known-patients"])
def test_an_unverified_account_is_told_why_it_cannot_book_and_booking_after_the_check(
    app, world, rule
):
    app.config["UNVERIFIED_CAN_BOOK"] = rule
    patient_client, desk_client = app.test_client(), app.test_client()
    _log_in(patient_client, world["account"].login)
    slot = world["slots"][2]
    refused = patient_client.get(f"/slots/{slot.id}/reserve")
    assert refused.status_code == 403
    assert "z dowodem osobistym" in refused.get_data(as_text=True)
    assert "Potwierdź tożsamość w rejestracji" in patient_client.get("/panel").get_data(
        as_text=True
    )
    token = _log_in(desk_client, world["registrar"].login)
    desk_client.post(
        f"/staff/patients/{world['patient'].id}/account/verify", data={"csrf_token": token}
    )
    assert patient_client.get(f"/slots/{slot.id}/reserve").status_code == 200


def test_known_patients_may_book_unverified_when_the_desk_registered_them(app, world):
    app.config["UNVERIFIED_CAN_BOOK"] = "known-patients"
    with app.app_context():
        Patient.update(registered_at_desk=True).where(Patient.id == world["patient"].id).execute()
    client = app.test_client()
    _log_in(client, world["account"].login)
    assert client.get(f"/slots/{world['slots'][2].id}/reserve").status_code == 200
