"""The standalone rule (under 16 or without a PESEL, with no guardian: not usable alone) at
registration and login, with frozen time around the 16th birthday; and booking for a
dependant: for whom, who booked, limits per person, the e-mail to the guardian who booked."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from core.pesel import make as make_pesel
from core.timeutil import local_today
from models.accounts import Account
from models.booking import Appointment
from models.clinic import Locality
from models.mail import OutboxMessage
from models.patients import Patient
from services import standalone
from tests import factories
from tests.conftest import csrf_token
from tests.http.test_auth_register import registration_data

BIRTH = date(2010, 6, 15)
SIXTEENTH = date(2026, 6, 15)


@pytest.fixture
def app_config(app_config):
    return {**app_config, "BOT_CHECK": False}


@pytest.fixture
def clinic(ctx):
    """What registration_data needs: a locality and a required consent."""
    from models.accounts import Consent

    warszawa = Locality.create(name="Warszawa", commune="Warszawa", voivodeship="mazowieckie")
    required = Consent.create(code="r", title="Regulamin", text="Treść.", required=True)
    return {"locality": warszawa, "required": required, "optional": required}


def frozen_today(monkeypatch, day: date) -> None:
    """Freeze the date the standalone rule reads (Europe/Warsaw's today)."""
    monkeypatch.setattr(standalone, "local_today", lambda: day)


# --- registration ---------------------------------------------------------------------------


def test_register_without_pesel_explains_sub_accounts_instead_of_creating(client, clinic):
    response = client.post(
        "/register",
        data=registration_data(client, clinic, pesel="", no_pesel="y", birth_date="2001-02-03"),
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "subkonto" in page and 'id="no_pesel-error"' in page
    assert not Account.select().exists() and not Patient.select().exists()


def test_register_with_a_pesel_under_16_explains_sub_accounts(client, clinic):
    child = make_pesel(local_today() - timedelta(days=365 * 10), 5, female=True)
    response = client.post("/register", data=registration_data(client, clinic, pesel=child))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "poniżej 16 lat" in page and 'id="pesel-error"' in page
    assert not Account.select().exists()


# --- login ----------------------------------------------------------------------------------


@pytest.fixture
def teenager(ctx):
    """An account of a person born 2010-06-15, with a PESEL and no guardian."""
    person = factories.patient(birth_date=BIRTH, pesel=make_pesel(BIRTH, 42, female=False))
    return factories.account(login="nastolatek", patient=person)


def test_login_under_16_without_guardian_shows_both_ways_out(auth, teenager, monkeypatch):
    frozen_today(monkeypatch, SIXTEENTH - timedelta(days=1))
    response = auth.login("nastolatek", factories.PASSWORD)
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "nie spełnia określonych warunków" in page
    assert "Dodaj istniejące konto" in page  # way out 1: be attached
    assert "16 lat" in page and "2026" in page  # way out 2: log in after the birthday
    assert auth.client.get("/account").status_code in (302, 303)  # not logged in


def test_login_works_from_the_16th_birthday_without_staff_help(auth, teenager, monkeypatch):
    frozen_today(monkeypatch, SIXTEENTH)
    assert auth.login("nastolatek", factories.PASSWORD).status_code == 303
    assert auth.client.get("/account").status_code == 200


def test_login_under_16_works_once_attached_to_a_guardian(auth, teenager, monkeypatch):
    frozen_today(monkeypatch, SIXTEENTH - timedelta(days=200))
    factories.guard(factories.account(login="rodzic"), teenager.patient)
    assert auth.login("nastolatek", factories.PASSWORD).status_code == 303


def test_login_of_an_adult_without_pesel_and_guardian_is_refused(auth, ctx):
    person = factories.patient(pesel=None)
    factories.account(login="bezpesel", patient=person)
    response = auth.login("bezpesel", factories.PASSWORD)
    assert response.status_code == 403
    assert "PESEL" in response.get_data(as_text=True)


def test_a_wrong_password_says_nothing_about_the_rule(auth, teenager, monkeypatch):
    frozen_today(monkeypatch, SIXTEENTH - timedelta(days=1))
    response = auth.login("nastolatek", "wrong password 123")
    assert response.status_code == 422
    assert "nie spełnia" not in response.get_data(as_text=True)


# --- booking for a dependant ----------------------------------------------------------------


@pytest.fixture
def paediatrics(ctx):
    fac = factories.facility(name="Przychodnia", phone="+48 22 000 00 00")
    spec = factories.specialty(name="Pediatra")
    svc = factories.service(spec, name="Porada pediatryczna", min_age=0, max_age=17)
    member = factories.staff(spec=spec, fac=fac, last_name="Dziecięcy")
    slots = factories.bookable(4, fac=fac, spec=spec, svc=svc, staff=member)["slots"]
    parent = factories.account(login="mama", email="mama@example.com")
    baby = factories.dependant(
        parent, with_pesel=False, birth_date=local_today() - timedelta(days=30)
    )
    stranger = factories.account(login="obcy", email="obcy@example.com")
    strangers_child = factories.dependant(stranger, first_name="Obca")
    return {
        "slots": slots,
        "svc": svc,
        "parent": parent,
        "baby": baby,
        "stranger": stranger,
        "strangers_child": strangers_child,
    }


def _book(client, slot, patient_id):
    path = f"/slots/{slot.id}/reserve"
    return client.post(
        path, data={"csrf_token": csrf_token(client, path), "patient": str(patient_id)}
    )


def test_booking_for_a_dependant_shows_for_whom_and_who_booked(auth, paediatrics):
    client = auth.client
    assert auth.login("mama", factories.PASSWORD).status_code == 303
    baby = paediatrics["baby"]
    client.post(
        "/account/active-person",
        data={"csrf_token": csrf_token(client, "/account"), "patient": str(baby.id)},
    )
    form = client.get(f"/slots/{paediatrics['slots'][0].id}/reserve").get_data(as_text=True)
    assert f'<option selected value="{baby.id}">' in form  # "Dla kogo" starts at the child
    response = _book(client, paediatrics["slots"][0], baby.id)
    assert response.status_code == 303
    visit = Appointment.get(Appointment.patient == baby.id)
    assert visit.booked_by_id == paediatrics["parent"].id
    page = client.get(f"/panel/reservations/{visit.id}").get_data(as_text=True)
    assert f"{baby.full_name} (podopieczny)" in page
    assert f"Zarezerwował(a)</dt><dd>{paediatrics['parent'].patient.full_name}</dd>" in page
    mail = OutboxMessage.get(OutboxMessage.subject == "Potwierdzenie rezerwacji wizyty")
    assert mail.to == "mama@example.com" and baby.full_name in mail.body_text
    listing = client.get("/panel/reservations").get_data(as_text=True)
    assert "Porada pediatryczna" in listing


def test_reservations_list_only_the_person_on_screen(auth, paediatrics):
    client = auth.client
    auth.login("mama", factories.PASSWORD)
    _book(client, paediatrics["slots"][0], paediatrics["baby"].id)
    assert "Porada pediatryczna" not in client.get("/panel/reservations").get_data(as_text=True)


def test_booking_limits_count_per_person(app, auth, paediatrics):
    client = auth.client
    auth.login("mama", factories.PASSWORD)
    baby = paediatrics["baby"]
    twin = factories.dependant(paediatrics["parent"], with_pesel=False, first_name="Jaś")
    limit = app.config["BOOKING_LIMIT_PER_SPECIALTY"]
    slots = paediatrics["slots"]
    for k in range(limit):
        assert _book(client, slots[k], baby.id).status_code == 303
    refused = _book(client, slots[limit], baby.id)
    assert refused.status_code == 422 and "inną osobę" in refused.get_data(as_text=True)
    assert _book(client, slots[limit], twin.id).status_code == 303


def test_reading_or_booking_for_another_guardians_dependant_is_refused(auth, paediatrics):
    client = auth.client
    other = paediatrics["strangers_child"]
    visit = Appointment.create(
        slot=paediatrics["slots"][3],
        active_slot=paediatrics["slots"][3],
        patient=other,
        service=paediatrics["svc"],
        booked_by=paediatrics["stranger"],
    )
    auth.login("mama", factories.PASSWORD)
    assert client.get(f"/panel/reservations/{visit.id}").status_code == 404
    assert client.get(f"/panel/reservations/{visit.id}/cancel").status_code == 404
    response = _book(client, paediatrics["slots"][0], other.id)
    assert response.status_code == 422
    assert not Appointment.select().where(Appointment.slot == paediatrics["slots"][0]).exists()
    assert "Obca" not in client.get("/panel/reservations").get_data(as_text=True)
