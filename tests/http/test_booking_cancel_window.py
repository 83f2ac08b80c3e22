"""Rules that never trap: a visit inside the cancel-notice window (default 24 h) is warned
about before it is booked or moved into, the panel offers no change/cancel link for it but
the reason, and every "call the clinic" message carries the clinic's phone number."""

from datetime import time, timedelta

import pytest

from models.base import utcnow
from models.booking import Appointment
from tests import factories
from tests.conftest import csrf_token
from tests.http.test_auth_register import _clinic as registration_clinic
from tests.http.test_auth_register import registration_data

PHONE = "+48 22 111 22 33"
WARNING = "Tej wizyty nie odwołasz ani nie zmienisz online; zadzwoń: " + PHONE


@pytest.fixture
def app_config(app_config, mailbox):
    return {
        **app_config,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": mailbox.port,
        "BOT_CHECK": False,
        "CANCEL_MIN_NOTICE_HOURS": 24,
        "BOOKING_MIN_NOTICE_HOURS": 2,
    }


def _slot_at(member, fac, sched, spec, starts_at):
    return factories.slot(member, fac, starts_at=starts_at, schedule=sched, specialty=spec)


@pytest.fixture
def clinic(ctx):
    fac = factories.facility(name="Przychodnia Centrum", phone=PHONE)
    spec = factories.specialty(name="Kardiologia")
    svc = factories.service(spec, name="Konsultacja kardiologiczna")
    member = factories.staff(spec=spec, fac=fac, last_name="Sercowy")
    sched = factories.schedule(member, fac, services=[svc], start_time=time(0))
    hour = utcnow().replace(minute=0, second=0, microsecond=0)
    soon = [
        _slot_at(member, fac, sched, spec, hour + timedelta(hours=5, minutes=15 * k))
        for k in range(2)
    ]
    later = [
        _slot_at(member, fac, sched, spec, hour + timedelta(days=3, minutes=15 * k))
        for k in range(2)
    ]
    account = factories.account(login="jan.pacjent", email="jan.pacjent@example.com")
    return {"fac": fac, "soon": soon, "later": later, "account": account}


@pytest.fixture
def logged_in(auth, clinic):
    assert auth.login("jan.pacjent", factories.PASSWORD).status_code == 303
    return clinic["account"]


def book(client, slot, patient_id) -> Appointment:
    path = f"/slots/{slot.id}/reserve"
    response = client.post(
        path, data={"csrf_token": csrf_token(client, path), "patient": patient_id}
    )
    assert response.status_code == 303, response.status_code
    return Appointment.get(Appointment.active_slot == slot.id)


def test_confirmation_step_warns_about_a_visit_inside_the_cancel_window(client, logged_in, clinic):
    body = client.get(f"/slots/{clinic['soon'][0].id}/reserve").get_data(as_text=True)
    assert WARNING in body


def test_confirmation_step_of_a_later_visit_has_no_warning(client, logged_in, clinic):
    body = client.get(f"/slots/{clinic['later'][0].id}/reserve").get_data(as_text=True)
    assert "nie odwołasz" not in body
    assert "Potwierdź rezerwację" in body


def test_warning_stays_on_the_re_rendered_form(client, logged_in, clinic):
    path = f"/slots/{clinic['soon'][0].id}/reserve"
    response = client.post(
        path,
        data={
            "csrf_token": csrf_token(client, path),
            "patient": logged_in.patient_id,
            "note": "x" * 501,
        },
    )
    assert response.status_code == 422
    assert WARNING in response.get_data(as_text=True)


def test_panel_offers_no_change_or_cancel_inside_the_window_but_says_why(client, logged_in, clinic):
    soon = book(client, clinic["soon"][0], logged_in.patient_id)
    later = book(client, clinic["later"][0], logged_in.patient_id)
    listing = client.get("/panel/reservations").get_data(as_text=True)
    assert f"/panel/reservations/{soon.id}/cancel" not in listing
    assert f"/panel/reservations/{soon.id}/change" not in listing
    assert WARNING in listing
    assert f"/panel/reservations/{later.id}/cancel" in listing
    assert f"/panel/reservations/{later.id}/change" in listing

    detail = client.get(f"/panel/reservations/{soon.id}").get_data(as_text=True)
    assert f"/panel/reservations/{soon.id}/cancel" not in detail
    assert f"/panel/reservations/{soon.id}/change" not in detail
    assert WARNING in detail
    other = client.get(f"/panel/reservations/{later.id}").get_data(as_text=True)
    assert f"/panel/reservations/{later.id}/cancel" in other
    assert "nie odwołasz" not in other


def test_refused_cancel_and_change_steps_name_the_phone(client, logged_in, clinic):
    soon = book(client, clinic["soon"][0], logged_in.patient_id)
    cancel = client.get(f"/panel/reservations/{soon.id}/cancel")
    assert cancel.status_code == 409
    assert PHONE in cancel.get_data(as_text=True)
    path = f"/panel/reservations/{soon.id}/cancel"
    posted = client.post(path, data={"csrf_token": csrf_token(client, "/panel/reservations")})
    assert posted.status_code == 409 and PHONE in posted.get_data(as_text=True)
    assert Appointment.get_by_id(soon.id).status == "booked"
    change = client.get(f"/panel/reservations/{soon.id}/change")
    assert change.status_code == 409
    assert PHONE in change.get_data(as_text=True)


def test_moving_into_a_slot_inside_the_window_warns_on_the_confirmation(client, logged_in, clinic):
    visit = book(client, clinic["later"][0], logged_in.patient_id)
    into_soon = client.get(f"/panel/reservations/{visit.id}/change?slot={clinic['soon'][1].id}")
    assert into_soon.status_code == 200
    assert WARNING in into_soon.get_data(as_text=True)
    into_later = client.get(f"/panel/reservations/{visit.id}/change?slot={clinic['later'][1].id}")
    assert into_later.status_code == 200
    assert "nie odwołasz" not in into_later.get_data(as_text=True)


def test_a_facility_without_its_own_phone_gives_the_clinics_number(app, client, logged_in, clinic):
    clinic["fac"].phone = ""
    clinic["fac"].save()
    body = client.get(f"/slots/{clinic['soon'][0].id}/reserve").get_data(as_text=True)
    assert "zadzwoń: " + app.config["ADMIN_CONTACT_PHONE"] in body


def test_unknown_locality_message_gives_the_phone(app, client, ctx):
    dictionary = registration_clinic()
    response = client.post(
        "/register", data=registration_data(client, dictionary, locality="Atlantyda")
    )
    assert response.status_code == 422
    assert "zadzwoń do rejestracji: " + app.config["ADMIN_CONTACT_PHONE"] in response.get_data(
        as_text=True
    )


def test_security_notice_mail_gives_the_phone(app, client, logged_in, mailbox):
    new = "nowe bardzo dlugie haslo 2026"
    response = client.post(
        "/account/password",
        data={
            "csrf_token": csrf_token(client, "/account/password"),
            "current_password": factories.PASSWORD,
            "password": new,
            "password_confirm": new,
        },
    )
    assert response.status_code == 303
    notice = mailbox.wait_for(to="jan.pacjent@example.com")
    assert app.config["ADMIN_CONTACT_PHONE"] in mailbox.text(notice)
