"""The demo clinic's medical records for `seed-demo`: prescriptions and orders,
vaccinations, referrals, completed visits with recommendations, documents (a small PDF and
PNG drawn here) and RODO requests for the demo patients and a dependant."""

from __future__ import annotations

import struct
import zlib
from datetime import date, datetime, time, timedelta

from flask import current_app

from models.accounts import Account, Guardianship
from models.base import utcnow
from models.booking import Appointment
from models.clinic import Facility, Service, Slot, Specialty, StaffMember
from models.patients import Patient
from services import data_requests, documents, medical_records, prescriptions
from services.prescriptions import OrderLine

from .pesel import make as make_pesel
from .timeutil import local_to_utc


def tiny_pdf(title: str, lines: list[str]) -> bytes:
    """A valid one-page PDF (Helvetica, ASCII text) with a correct cross-reference table."""
    text = ["BT /F1 16 Tf 40 760 Td (" + _pdf_text(title) + ") Tj ET"]
    for n, line in enumerate(lines):
        text.append(f"BT /F1 11 Tf 40 {730 - 18 * n} Td ({_pdf_text(line)}) Tj ET")
    stream = "\n".join(text).encode("latin-1")
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R"
        b"/Resources<</Font<</F1 5 0 R>>>>>>",
        b"<</Length " + str(len(stream)).encode() + b">>stream\n" + stream + b"\nendstream",
        b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer<</Size {len(objects) + 1}/Root 1 0 R>>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _pdf_text(value: str) -> str:
    ascii_text = value.encode("ascii", "replace").decode()
    return ascii_text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def tiny_png(width: int = 48, height: int = 32) -> bytes:
    """A valid RGB PNG: a grey picture with a darker band, like a scan's thumbnail."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b""
    for y in range(height):
        shade = 90 if height // 3 <= y < 2 * height // 3 else 200
        rows += b"\x00" + bytes([shade, shade, shade + 20 if shade < 235 else shade]) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _dependant_of(account: Account) -> Patient:
    """The demo account's first dependant, made here when the seed has none yet."""
    link = Guardianship.select().where(Guardianship.guardian == account.id).first()
    if link:
        return Patient.get_by_id(link.patient_id)
    child = Patient.create(
        first_name="Zosia",
        last_name=account.patient.last_name,
        pesel=make_pesel(date(2018, 5, 15), 4242, female=True),
        birth_date=date(2018, 5, 15),
        sex="F",
        street="ul. Przykładowa",
        house_number="1",
        postal_code="00-001",
    )
    Guardianship.create(guardian=account, patient=child)
    return child


def _past_visit(patient: Patient, doctor: StaffMember, facility: Facility, days_ago: int):
    specialty = Specialty.get_or_none(Specialty.name == "Internista") or Specialty.select().first()
    service = Service.select().where(Service.specialty == specialty).first()
    day = utcnow().date() - timedelta(days=days_ago)
    starts = local_to_utc(day, time(9, 0)) + timedelta(minutes=15 * (patient.id % 16))
    slot = Slot.create(
        staff=doctor,
        facility=facility,
        specialty=specialty,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=15),
        booked=True,
    )
    return Appointment.create(slot=slot, patient=patient, service=service)


def seed_medical() -> int:
    """Fill every panel section for the demo patients and one dependant; returns how many
    patients got records."""
    store = current_app.config["DOCUMENTS_DIR"]
    doctor = StaffMember.select().where(StaffMember.title != "").order_by(StaffMember.id).first()
    second = (
        StaffMember.select()
        .where((StaffMember.title != "") & (StaffMember.id != doctor.id))
        .order_by(StaffMember.id)
        .first()
    ) or doctor
    facility = Facility.select().order_by(Facility.id).first()
    cardiology = Specialty.get_or_none(Specialty.name.contains("Kardiolog"))
    today = utcnow().date()
    people = []
    for account in Account.select().where(
        Account.login.endswith(".demo") & Account.patient.is_null(False)
    ):
        people.append((account, account.patient))
    if people:
        anna = next((a for a, _ in people if a.login == "anna.demo"), people[0][0])
        people.append((anna, _dependant_of(anna)))
    for account, person in people:
        adult = person.birth_date < date(today.year - 18, today.month, 1)
        medicines = (
            [OrderLine("Bisocard 5 mg, 30 tabl.", 2), OrderLine("Atoris 20 mg, 30 tabl.", 1)]
            if adult
            else [OrderLine("Zyrtec krople 10 mg/ml, 20 ml", 1)]
        )
        for months_ago, lines in ((7, medicines), (3, medicines[:1])):
            made = prescriptions.issue_prescription(person, doctor, lines, note="")
            made.issued_at = datetime.combine(today - timedelta(days=30 * months_ago), time(9))
            made.valid_until = made.issued_at.date() + timedelta(days=30)
            made.save()
        rejected = prescriptions.order_prescription(
            account, person, second.id, [OrderLine("Tramal 50 mg, 20 kaps.", 1)]
        )
        prescriptions.reject_order(
            rejected, "Ten lek wymaga wizyty kontrolnej — proszę umówić się na poradę."
        )
        prescriptions.order_prescription(
            account, person, doctor.id, medicines[:1], note="Proszę o receptę na 3 miesiące."
        )
        for name, dose, status, offset in (
            ("Szczepionka przeciw grypie (Vaxigrip Tetra)", "1/1", "done", -60),
            ("Szczepionka przeciw COVID-19 (Comirnaty)", "dawka przypominająca", "done", -400),
            ("Szczepionka przeciw kleszczowemu zapaleniu mózgu (FSME-Immun)", "2/3", "planned", 25),
            ("Szczepionka przeciw tężcowi i błonicy (Td)", "przypominająca", "planned", 120),
        ):
            medical_records.record_vaccination(
                person, name, today + timedelta(days=offset), dose, status, facility, "AB1234C"
            )
        if cardiology:
            medical_records.issue_referral(
                person,
                doctor,
                "Poradnia kardiologiczna",
                specialty=cardiology,
                diagnosis="I10 Nadciśnienie tętnicze samoistne",
            )
        medical_records.issue_referral(
            person,
            second,
            "Morfologia krwi z rozmazem, lipidogram",
            valid_days=None,
            issued_on=today - timedelta(days=20),
        )
        visit = _past_visit(person, doctor, facility, 14)
        medical_records.complete_visit(
            visit,
            doctor,
            [
                "Mierzyć ciśnienie rano i wieczorem przez 2 tygodnie, zapisywać wyniki.",
                "Kontrola z wynikami badań za miesiąc.",
            ],
        )
        documents.share_document(
            person,
            "Wynik morfologii krwi",
            "result",
            tiny_pdf(
                "Wynik morfologii krwi", ["WBC 6.1 tys/ul", "HGB 13.8 g/dl", "PLT 245 tys/ul"]
            ),
            "morfologia.pdf",
            store,
        )
        documents.share_document(
            person,
            "Karta informacyjna z wizyty",
            "discharge",
            tiny_pdf("Karta informacyjna", ["Rozpoznanie: I10", "Zalecenia: kontrola za miesiac"]),
            "karta-informacyjna.pdf",
            store,
        )
        documents.share_document(
            person, "Zdjęcie RTG klatki piersiowej", "imaging", tiny_png(), "rtg.png", store
        )
        answered = data_requests.submit_request(
            account,
            person,
            "documentation",
            "Proszę o skan dokumentacji z wizyt w 2025 roku.",
            "scan",
        )
        data_requests.answer_request(
            answered, "Skan dokumentacji udostępniliśmy w zakładce „Dokumenty”.", None
        )
        data_requests.submit_request(
            account, person, "rectification", "Proszę poprawić numer telefonu na 600 100 200."
        )
    return len(people)
