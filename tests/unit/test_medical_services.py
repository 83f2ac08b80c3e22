"""The services staff will call (next issue) and the patient's own actions, called
directly: issue a prescription from an order or new, reject an order, record a vaccination,
issue a referral, complete a visit with recommendations, answer or close a RODO request."""

from __future__ import annotations

from datetime import timedelta

import peewee as pw
import pytest

from core.timeutil import local_today, to_local
from models.base import utcnow
from models.booking import Appointment
from models.medical import PrescriptionOrder, PrescriptionOrderItem, Recommendation
from services import data_requests, medical_records, prescriptions
from services.prescriptions import OrderLine
from tests import factories


@pytest.fixture
def people(ctx):
    fac = factories.facility()
    spec = factories.specialty(name="Kardiologia")
    doctor = factories.staff(spec, fac)
    return {"patient": factories.patient(), "doctor": doctor, "facility": fac, "spec": spec}


def test_issue_from_an_order_closes_it_and_gives_a_4_digit_code(people):
    patient, doctor = people["patient"], people["doctor"]
    order = prescriptions.order_prescription(
        None, patient, doctor.id, [OrderLine("Bisocard 5 mg", 2), OrderLine("Atoris 20 mg", 1)]
    )
    made = prescriptions.issue_prescription(patient, doctor, order=order, valid_days=60)
    assert len(made.access_code) == 4 and made.access_code.isdigit()
    assert [(i.medicine, i.packages) for i in made.items] == [
        ("Bisocard 5 mg", 2),
        ("Atoris 20 mg", 1),
    ]
    assert made.valid_until == to_local(made.issued_at).date() + timedelta(days=60)
    stored = PrescriptionOrder.get_by_id(order.id)
    assert (stored.status, stored.prescription_id) == ("issued", made.id)
    assert (
        not PrescriptionOrderItem.select()
        .where(PrescriptionOrderItem.open_medicine.is_null(False))
        .exists()
    )
    with pytest.raises(prescriptions.OrderNotOpen):
        prescriptions.issue_prescription(patient, doctor, order=stored)
    # the issued medicine is now a standing one, and may be ordered again
    assert prescriptions.standing_medicines(patient) == ["Bisocard 5 mg", "Atoris 20 mg"]
    prescriptions.order_prescription(None, patient, doctor.id, [OrderLine("bisocard 5 mg", 1)])


def test_issue_new_and_reject_with_a_reason(people):
    patient, doctor = people["patient"], people["doctor"]
    new = prescriptions.issue_prescription(patient, doctor, [OrderLine("Euthyrox N 50", 1)])
    assert new.access_code.isdigit()
    order = prescriptions.order_prescription(None, patient, doctor.id, [OrderLine("Tramal", 1)])
    with pytest.raises(prescriptions.OrderInvalid):
        prescriptions.reject_order(order, "  ")
    prescriptions.reject_order(order, "Potrzebna wizyta kontrolna.")
    stored = PrescriptionOrder.get_by_id(order.id)
    assert (stored.status, stored.reject_reason) == ("rejected", "Potrzebna wizyta kontrolna.")
    with pytest.raises(prescriptions.OrderInvalid):
        prescriptions.issue_prescription(patient, doctor, [])
    other = factories.patient()
    with pytest.raises(prescriptions.OrderInvalid):
        prescriptions.issue_prescription(other, doctor, order=stored)


def test_the_database_refuses_two_open_orders_of_one_medicine(people):
    patient, doctor = people["patient"], people["doctor"]
    order = prescriptions.order_prescription(None, patient, doctor.id, [OrderLine("Lek", 1)])
    with pytest.raises(pw.IntegrityError), PrescriptionOrderItem._meta.database.atomic():
        PrescriptionOrderItem.create(
            order=order, patient=patient, medicine="LEK", open_medicine="lek"
        )
    with pytest.raises(prescriptions.MedicineAlreadyOrdered):
        prescriptions.order_prescription(None, patient, doctor.id, [OrderLine(" LEK ", 1)])


def test_open_orders_are_capped(people):
    patient, doctor = people["patient"], people["doctor"]
    for n in range(prescriptions.OPEN_ORDERS_MAX):
        prescriptions.order_prescription(None, patient, doctor.id, [OrderLine(f"Lek {n}", 1)])
    with pytest.raises(prescriptions.TooManyOpenOrders) as refused:
        prescriptions.order_prescription(None, patient, doctor.id, [OrderLine("Lek X", 1)])
    assert refused.value.status == 429


def test_record_vaccinations_done_and_planned(people):
    patient, fac = people["patient"], people["facility"]
    today = local_today()
    with pytest.raises(medical_records.MedicalRecordError):
        medical_records.record_vaccination(patient, "Grypa", today + timedelta(days=3))
    with pytest.raises(medical_records.MedicalRecordError):
        medical_records.record_vaccination(patient, " ", today)
    planned = medical_records.record_vaccination(
        patient, "Td", today + timedelta(days=3), "2/3", "planned", fac
    )
    done = medical_records.record_vaccination(patient, "Grypa", today - timedelta(days=1))
    page = medical_records.vaccinations(patient, medical_records.Filters())
    assert [v.id for v in page.rows] == [planned.id, done.id]


def test_issue_referral_with_code_and_validity(people):
    referral = medical_records.issue_referral(
        people["patient"], people["doctor"], "Poradnia kardiologiczna", specialty=people["spec"]
    )
    assert referral.access_code.isdigit() and len(referral.access_code) == 4
    assert referral.valid_until == referral.issued_on + timedelta(days=365)
    other = factories.patient()
    assert medical_records.referral_for(other, referral.id) is None
    with pytest.raises(medical_records.MedicalRecordError):
        medical_records.issue_referral(people["patient"], people["doctor"], "")


def test_complete_visit_keeps_recommendations_and_refuses_a_cancelled_one(people):
    doctor, fac = people["doctor"], people["facility"]
    slot = factories.slot(doctor, fac, utcnow() - timedelta(days=1))
    service = factories.service(people["spec"])
    visit = Appointment.create(slot=slot, patient=people["patient"], service=service)
    made = medical_records.complete_visit(visit, doctor, ["Dieta lekkostrawna.", " ", "Kontrola."])
    assert [r.text for r in made] == ["Dieta lekkostrawna.", "Kontrola."]
    assert Appointment.get_by_id(visit.id).status == "completed"
    assert Recommendation.select().where(Recommendation.appointment == visit.id).count() == 2
    cancelled = Appointment.create(
        slot=factories.slot(doctor, fac, utcnow() - timedelta(days=2)),
        patient=people["patient"],
        service=service,
        status="cancelled",
    )
    with pytest.raises(medical_records.MedicalRecordError) as refused:
        medical_records.complete_visit(cancelled, doctor, ["x"])
    assert refused.value.status == 409


def test_answer_or_close_a_request_once(people):
    patient = people["patient"]
    first = data_requests.submit_request(None, patient, "rectification", "Zły adres.")
    data_requests.answer_request(first, "Poprawiliśmy adres.", None)
    assert first.status == "answered"
    with pytest.raises(data_requests.RequestNotOpen):
        data_requests.withdraw_request(first)
    second = data_requests.submit_request(None, patient, "information", "Jakie dane macie?")
    data_requests.answer_request(second, "Wniosek powtórzony — zamykamy.", None, close=True)
    assert second.status == "closed"
    with pytest.raises(data_requests.DataRequestError):
        data_requests.answer_request(
            data_requests.submit_request(None, patient, "information", "x"), "", None
        )
