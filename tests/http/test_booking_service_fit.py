"""A service is offered on a slot only when it fits — funding, mode, the patient's age and
its duration — in the search, on the confirmation step and when booking; prices, durations
and referrals are shown; the e-referral code is asked for, checked and kept."""

from __future__ import annotations

import base64
import json
import re
from datetime import time, timedelta
from decimal import Decimal
from html import unescape

import pytest
from icalendar import Calendar

from core.timeutil import local_today, to_local
from models.accounts import Guardianship
from models.base import utcnow
from models.booking import Appointment, AppointmentSlot
from models.clinic import Slot
from models.mail import OutboxMessage
from tests import factories
from tests.conftest import csrf_token

CHILD_BIRTH = local_today() - timedelta(days=365 * 6)


@pytest.fixture
def clinic(ctx):
    """An NFZ cardiology schedule with 15-minute slots offering a 15-minute consultation that
    needs a referral, a 30-minute NFZ ECG and a private-only echo (the reported case), a
    private schedule offering the echo, and a paediatric schedule with a child's service."""
    fac = factories.facility(name="Przychodnia Centrum")
    cardio = factories.specialty(name="Kardiologia")
    consult = factories.service(
        cardio,
        name="Konsultacja kardiologiczna",
        private=True,
        price=Decimal("250.00"),
        requires_referral=True,
    )
    ecg = factories.service(cardio, name="EKG z opisem", duration_minutes=30)
    echo = factories.service(
        cardio,
        name="Echo serca z opisem",
        nfz=False,
        private=True,
        price=Decimal("300.00"),
        duration_minutes=30,
    )
    doctor = factories.staff(spec=cardio, fac=fac, first_name="Anna", last_name="Sercowa")
    day = (utcnow() + timedelta(days=3)).replace(hour=8, minute=0, second=0, microsecond=0)
    nfz = factories.schedule(
        doctor, fac, services=[consult, ecg, echo], weekday=day.weekday(), start_time=time(8)
    )
    private = factories.schedule(
        doctor, fac, services=[consult, echo], funding="private", weekday=day.weekday()
    )
    nfz_slots = [
        factories.slot(
            doctor, fac, starts_at=day + timedelta(minutes=15 * k), schedule=nfz, specialty=cardio
        )
        for k in range(4)
    ]
    private_slots = [
        factories.slot(
            doctor,
            fac,
            starts_at=day + timedelta(hours=3, minutes=15 * k),
            schedule=private,
            specialty=cardio,
            funding="private",
        )
        for k in range(2)
    ]
    paediatrics = factories.specialty(name="Pediatria")
    child_vaccine = factories.service(
        paediatrics, name="Szczepienie obowiązkowe dziecka", min_age=0, max_age=17
    )
    child_visit = factories.service(paediatrics, name="Porada pediatryczna", max_age=17)
    paediatrician = factories.staff(spec=paediatrics, fac=fac, first_name="Jan", last_name="Mały")
    kids = factories.schedule(paediatrician, fac, services=[child_vaccine, child_visit])
    kids_slot = factories.slot(
        paediatrician, fac, starts_at=day + timedelta(days=1), schedule=kids, specialty=paediatrics
    )
    account = factories.account(login="jan.pacjent", email="jan.pacjent@example.com")
    return {
        "cardio": cardio,
        "consult": consult,
        "ecg": ecg,
        "echo": echo,
        "nfz_slots": nfz_slots,
        "private_slots": private_slots,
        "child_vaccine": child_vaccine,
        "child_visit": child_visit,
        "kids_slot": kids_slot,
        "account": account,
    }


@pytest.fixture
def logged_in(client, auth, clinic):
    assert auth.login(clinic["account"].login, factories.PASSWORD).status_code == 303
    return clinic


def reserve_ids(body: str) -> list[int]:
    return [int(x) for x in re.findall(r'href="(?:/login\?next=)?/slots/(\d+)/reserve', body)]


def post_reserve(client, slot, **data):
    path = f"/slots/{slot.id}/reserve"
    form = {"csrf_token": csrf_token(client, path), **data}
    return client.post(path, data={k: v for k, v in form.items() if v is not None})


def text_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", unescape(response.get_data(as_text=True))))


# -- the search -----------------------------------------------------------------------------


def test_search_by_a_private_only_service_with_nfz_lists_no_slot(client, clinic):
    """The reported case: /slots?specialty=…&service=<private echo>&visit_type=nfz listed
    every NFZ slot of the schedule labelled with the private-only service."""
    spec, echo = clinic["cardio"].id, clinic["echo"].id
    body = client.get(f"/slots?specialty={spec}&service={echo}&visit_type=nfz").get_data(
        as_text=True
    )
    assert reserve_ids(body) == []
    # without the visit type: only the private slots, where the echo really fits (30 min =
    # both private slots, so only the first one can start it)
    body = client.get(f"/slots?service={echo}").get_data(as_text=True)
    assert reserve_ids(body) == [clinic["private_slots"][0].id]


def test_search_by_a_30_minute_service_lists_only_slots_followed_by_a_free_one(client, clinic):
    slots = clinic["nfz_slots"]
    Slot.update(booked=True).where(Slot.id == slots[2].id).execute()
    body = client.get(f"/slots?service={clinic['ecg'].id}").get_data(as_text=True)
    # 08:00 (08:15 free) fits; 08:15 is followed by a booked slot; 08:45 is the last one
    assert reserve_ids(body) == [slots[0].id]


def test_every_slot_shows_nfz_or_the_price_the_duration_and_the_referral(client, clinic):
    text = text_of(client.get("/slots"))
    assert "Konsultacja kardiologiczna (15 min, wymaga skierowania)" in text
    assert "EKG z opisem (30 min)" in text
    assert "NFZ, w placówce" in text
    # on the private schedule: prices, no referral needed
    assert "Konsultacja kardiologiczna (250,00 zł, 15 min)" in text
    assert "Echo serca z opisem (300,00 zł, 30 min)" in text
    # the private-only echo is never labelled on an NFZ slot
    nfz_labels = re.findall(r"Przychodnia Centrum · ([^·]*) · NFZ, w placówce", text)
    assert nfz_labels and not any("Echo serca" in label for label in nfz_labels)


# -- the confirmation step and booking -----------------------------------------------------------


def test_confirmation_offers_only_services_that_fit_the_slot(client, logged_in):
    clinic = logged_in
    slot = clinic["nfz_slots"][0]
    body = client.get(f"/slots/{slot.id}/reserve").get_data(as_text=True)
    assert "Konsultacja kardiologiczna" in body and "EKG z opisem" in body
    assert "Echo serca" not in body
    response = post_reserve(
        client, slot, patient=clinic["account"].patient_id, service=clinic["echo"].id
    )
    assert response.status_code == 409
    assert Appointment.select().count() == 0


def test_no_service_is_preselected_among_several_that_fit(client, logged_in):
    clinic = logged_in
    slot = clinic["nfz_slots"][0]
    body = client.get(f"/slots/{slot.id}/reserve").get_data(as_text=True)
    radios = re.findall(r'<input type="radio" name="service"[^>]*>', body)
    assert len(radios) == 2 and not any("checked" in r for r in radios)
    response = post_reserve(client, slot, patient=clinic["account"].patient_id)
    assert response.status_code == 422, text_of(response)
    assert "Wybierz świadczenie z listy." in text_of(response), text_of(response)
    assert Appointment.select().count() == 0
    # the service chosen in the search is preselected
    chosen = client.get(f"/slots/{slot.id}/reserve?service={clinic['ecg'].id}")
    radios = re.findall(r'<input type="radio" name="service"[^>]*>', chosen.get_data(as_text=True))
    assert [r for r in radios if "checked" in r] == [
        f'<input type="radio" name="service" id="service-{clinic["ecg"].id}" '
        f'value="{clinic["ecg"].id}" checked>'
    ]


def test_an_adult_cannot_book_a_childs_service(client, logged_in):
    clinic = logged_in
    slot = clinic["kids_slot"]
    # the adult has nobody the paediatric services fit: the slot is not bookable for them
    assert client.get(f"/slots/{slot.id}/reserve").status_code == 409
    response = post_reserve(
        client, slot, patient=clinic["account"].patient_id, service=clinic["child_vaccine"].id
    )
    assert response.status_code in (409, 422)
    assert Appointment.select().count() == 0


def test_a_guardian_books_a_childs_service_for_the_child_but_not_for_self(client, logged_in):
    clinic = logged_in
    child = factories.patient(first_name="Ola", birth_date=CHILD_BIRTH)
    Guardianship.create(guardian=clinic["account"], patient=child)
    slot = clinic["kids_slot"]
    page = client.get(f"/slots/{slot.id}/reserve")
    assert page.status_code == 200 and "Szczepienie obowiązkowe dziecka" in page.get_data(
        as_text=True
    )
    adult = post_reserve(
        client, slot, patient=clinic["account"].patient_id, service=clinic["child_vaccine"].id
    )
    assert adult.status_code == 422
    assert "innym wieku" in adult.get_data(as_text=True)
    assert Appointment.select().count() == 0
    ok = post_reserve(client, slot, patient=child.id, service=clinic["child_vaccine"].id)
    assert ok.status_code == 303
    assert Appointment.get().patient_id == child.id


def test_a_30_minute_service_books_two_consecutive_slots_and_frees_both(client, logged_in):
    clinic = logged_in
    first, second = clinic["nfz_slots"][0], clinic["nfz_slots"][1]
    response = post_reserve(
        client, first, patient=clinic["account"].patient_id, service=clinic["ecg"].id
    )
    assert response.status_code == 303
    visit = Appointment.get()
    held = {row.active_slot_id for row in AppointmentSlot.select()}
    assert held == {first.id, second.id}
    assert Slot.get_by_id(first.id).booked and Slot.get_by_id(second.id).booked
    # the calendar file ends after 30 minutes
    mail = OutboxMessage.select().order_by(OutboxMessage.id.desc()).first()
    ics = base64.b64decode(json.loads(mail.attachments)[0]["data"])
    event = next(c for c in Calendar.from_ical(ics).walk() if c.name == "VEVENT")
    assert event["DTEND"].dt - event["DTSTART"].dt == timedelta(minutes=30)
    # the second slot is not offered to anybody else
    assert client.get(f"/slots/{second.id}/reserve").status_code == 409
    assert second.id not in reserve_ids(client.get("/slots").get_data(as_text=True))
    # cancelling frees both
    path = f"/panel/reservations/{visit.id}/cancel"
    assert client.post(path, data={"csrf_token": csrf_token(client, path)}).status_code == 303
    assert not Slot.get_by_id(first.id).booked and not Slot.get_by_id(second.id).booked
    assert AppointmentSlot.select().where(AppointmentSlot.active_slot.is_null(False)).count() == 0


def test_a_30_minute_service_is_not_offered_where_the_next_slot_is_taken(client, logged_in):
    clinic = logged_in
    slots = clinic["nfz_slots"]
    Slot.update(booked=True).where(Slot.id == slots[1].id).execute()
    body = client.get(f"/slots/{slots[0].id}/reserve").get_data(as_text=True)
    assert "EKG z opisem" not in body and "Konsultacja kardiologiczna" in body
    assert client.get(f"/slots/{slots[0].id}/reserve?service={clinic['ecg'].id}").status_code == 409
    response = post_reserve(
        client, slots[0], patient=clinic["account"].patient_id, service=clinic["ecg"].id
    )
    assert response.status_code == 409
    # the last slot of the schedule has no successor at all
    last = slots[-1]
    response = post_reserve(
        client, last, patient=clinic["account"].patient_id, service=clinic["ecg"].id
    )
    assert response.status_code == 409
    assert Appointment.select().count() == 0


# -- the e-referral -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code", [None, "", "12a4", "123", "12345", "1" * 43, "1" * 45, "1\x00234", "9" * 5000]
)
def test_an_nfz_service_needing_a_referral_refuses_a_bad_code_with_422(client, logged_in, code):
    clinic = logged_in
    slot = clinic["nfz_slots"][0]
    page = client.get(f"/slots/{slot.id}/reserve?service={clinic['consult'].id}")
    assert 'name="referral_code"' in page.get_data(as_text=True)
    response = post_reserve(
        client,
        slot,
        patient=clinic["account"].patient_id,
        service=clinic["consult"].id,
        referral_code=code,
    )
    assert response.status_code == 422
    body = unescape(response.get_data(as_text=True))
    if code and "\x00" in code:  # refused for every form at one place (core.input_guard)
        assert "niedozwolone znaki" in body
    else:
        assert "4 cyfry (kod dostępu) albo 44 cyfry" in body
        assert 'aria-invalid="true"' in body
    assert Appointment.select().count() == 0


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("1234", "1234"), (" 12 34 ", "1234"), ("1234 " * 11, "1234" * 11)],
)
def test_a_valid_referral_code_is_kept_with_the_visit_and_shown(client, logged_in, typed, stored):
    clinic = logged_in
    slot = clinic["nfz_slots"][0]
    response = post_reserve(
        client,
        slot,
        patient=clinic["account"].patient_id,
        service=clinic["consult"].id,
        referral_code=typed,
    )
    assert response.status_code == 303
    visit = Appointment.get()
    assert visit.referral_code == stored
    detail = client.get(f"/panel/reservations/{visit.id}").get_data(as_text=True)
    assert "Kod e-skierowania" in detail and stored in detail


def test_a_private_visit_needs_no_referral(client, logged_in):
    clinic = logged_in
    slot = clinic["private_slots"][0]
    body = client.get(f"/slots/{slot.id}/reserve?service={clinic['consult'].id}").get_data(
        as_text=True
    )
    assert 'name="referral_code"' not in body
    response = post_reserve(
        client, slot, patient=clinic["account"].patient_id, service=clinic["consult"].id
    )
    assert response.status_code == 303
    assert Appointment.get().referral_code == ""


# -- moving a visit ---------------------------------------------------------------------------


def test_moving_a_30_minute_visit_takes_two_slots_and_frees_the_old_two(client, ctx, logged_in):
    clinic = logged_in
    slots = clinic["nfz_slots"]
    booked = post_reserve(
        client, slots[0], patient=clinic["account"].patient_id, service=clinic["ecg"].id
    )
    assert booked.status_code == 303
    visit = Appointment.get()
    path = f"/panel/reservations/{visit.id}/change"
    confirm = client.get(f"{path}?slot={slots[2].id}").get_data(as_text=True)
    start, end = slots[2].starts_at, slots[3].ends_at
    assert f"{to_local(start):%H:%M}–{to_local(end):%H:%M}" in confirm
    listing = client.get(path).get_data(as_text=True)
    # only 08:30 can start a 30-minute visit (08:30 + 08:45 free)
    offered = [int(x) for x in re.findall(r"change\?slot=(\d+)", listing)]
    assert offered == [slots[2].id]
    day = to_local(slots[0].starts_at).date().isoformat()
    assert f'name="date_from" value="{day}"' in listing
    response = client.post(path, data={"csrf_token": csrf_token(client, path), "slot": slots[2].id})
    assert response.status_code == 303
    moved = Appointment.get(Appointment.active_slot == slots[2].id)
    held = {
        r.active_slot_id
        for r in AppointmentSlot.select().where(AppointmentSlot.appointment == moved.id)
    }
    assert held == {slots[2].id, slots[3].id}
    booked_now = {s.id for s in Slot.select().where(Slot.booked == True)}  # noqa: E712
    assert booked_now == {slots[2].id, slots[3].id}


def test_a_move_into_a_slot_the_service_does_not_fit_is_refused(client, ctx, logged_in):
    clinic = logged_in
    slots = clinic["nfz_slots"]
    assert (
        post_reserve(
            client, slots[0], patient=clinic["account"].patient_id, service=clinic["ecg"].id
        ).status_code
        == 303
    )
    visit = Appointment.get()
    path = f"/panel/reservations/{visit.id}/change"
    # the last slot has no successor: a 30-minute visit does not fit there
    assert client.get(f"{path}?slot={slots[3].id}").status_code == 409
    response = client.post(path, data={"csrf_token": csrf_token(client, path), "slot": slots[3].id})
    assert response.status_code == 409
    assert Appointment.get_by_id(visit.id).status == "booked"


def test_a_slot_whose_schedule_offers_nothing_that_fits_is_not_listed(client, clinic):
    """Without filters too: an NFZ schedule offering only the private echo has no bookable
    slot, while the slots of the other schedules stay listed."""
    nfz_slot = clinic["nfz_slots"][0]
    member, fac = nfz_slot.staff, nfz_slot.facility
    echo_only = factories.schedule(member, fac, services=[clinic["echo"]], weekday=6)
    dead = factories.slot(
        member, fac, starts_at=nfz_slot.starts_at + timedelta(hours=6), schedule=echo_only
    )
    listed = reserve_ids(client.get("/slots").get_data(as_text=True))
    assert dead.id not in listed
    assert nfz_slot.id in listed and clinic["kids_slot"].id in listed
