"""The doctor's day and the desk's RODO queue in real Chromium, JavaScript on and off, axe on
every page: a patient books online; the doctor opens the visit from the agenda, completes it
with a recommendation, issues a prescription and shares a PDF; the patient sees all three in
the panel and downloads the PDF; a RODO request goes from the patient to the desk and back
(the answer and its date in the panel and in the e-mail from the test's own SMTP server)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from core.timeutil import to_local
from models.base import utcnow
from models.booking import Appointment
from models.clinic import Slot
from tests import factories
from tests.fixtures_live import assert_no_axe_violations

pytestmark = pytest.mark.browser


@pytest.fixture
def app_config(app_config, mailbox):
    return {**app_config, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": mailbox.port}


@pytest.fixture
def clinic(ctx):
    fac = factories.facility(name="Przychodnia Centrum")
    spec = factories.specialty(name="Interna")
    svc = factories.service(spec, name="Porada internistyczna")
    doctor = factories.staff(spec, fac, first_name="Ewa", last_name="Lecznicza")
    sched = factories.schedule(doctor, fac, services=[svc])
    start = (utcnow() + timedelta(days=2)).replace(hour=9, minute=0, second=0, microsecond=0)
    slot = factories.slot(doctor, fac, start, specialty=spec, schedule=sched)
    return {
        "slot": slot,
        "doctor": doctor,
        "doctor_account": factories.staff_account("doctor", doctor, login="lekarka"),
        "registrar": factories.staff_account("registrar", login="rejestratorka"),
        "patient": factories.account(login="jan.pacjent", email="jan.pacjent@example.com"),
    }


def _log_in(page, login: str) -> None:
    page.context.clear_cookies()
    page.goto("/login")
    page.get_by_label("Login", exact=True).fill(login)
    page.get_by_label("Hasło", exact=True).fill(factories.PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Zaloguj się").click()
    expect(page.get_by_role("button", name="Wyloguj się")).to_be_visible()


def test_visit_completed_with_records_and_a_rodo_round_trip(page, mailbox, clinic, tmp_path):
    # the patient books online
    _log_in(page, "jan.pacjent")
    page.goto(f"/slots/{clinic['slot'].id}/reserve")
    page.get_by_role("button", name="Wyślij").click()
    expect(page.get_by_text("Zarezerwowano wizytę")).to_be_visible()
    visit = Appointment.get(Appointment.active_slot == clinic["slot"].id)
    # the day comes: the visit started an hour ago (moved in the database, not by waiting)
    began = utcnow().replace(second=0, microsecond=0) - timedelta(hours=1)
    Slot.update(starts_at=began, ends_at=began + timedelta(minutes=15)).where(
        Slot.id == clinic["slot"].id
    ).execute()

    # the doctor opens it from their agenda and completes it
    _log_in(page, "lekarka")
    page.goto(f"/staff/?date={to_local(began).date().isoformat()}")
    assert_no_axe_violations(page)
    page.get_by_role("link", name=clinic["patient"].patient.full_name).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Wizyta:")
    assert_no_axe_violations(page)
    page.get_by_label("Zalecenia dla pacjenta (nieobowiązkowe)").fill(
        "Dużo pić, kontrola za 2 tyg."
    )
    page.get_by_role("button", name="Wizyta odbyta").click()
    expect(page.get_by_text("Wizyta oznaczona jako odbyta.")).to_be_visible()
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Wystaw receptę").click()  # nothing entered: 422
    expect(page.locator(".error-summary")).to_contain_text("Wpisz lek")
    assert_no_axe_violations(page)
    page.get_by_label("Lek, dawka i postać").fill("Amotaks 1 g, 16 tabl.")
    page.get_by_role("button", name="Wystaw receptę").click()
    expect(page.get_by_text("Wystawiono receptę. Kod dostępu:")).to_be_visible()
    pdf = tmp_path / "wynik.pdf"
    pdf.write_bytes(factories.TINY_PDF)
    page.get_by_label("Tytuł dokumentu").fill("Wynik morfologii")
    page.get_by_label("Plik (PDF, PNG lub JPEG)").set_input_files(str(pdf))
    page.get_by_role("button", name="Udostępnij pacjentowi").click()
    expect(page.get_by_text("Udostępniono dokument pacjentowi.")).to_be_visible()
    assert_no_axe_violations(page)
    assert Appointment.get_by_id(visit.id).status == "completed"

    # the patient sees all three and downloads the PDF
    _log_in(page, "jan.pacjent")
    page.goto("/panel/recommendations")
    expect(page.get_by_text("Dużo pić, kontrola za 2 tyg.")).to_be_visible()
    page.goto("/panel/prescriptions")
    expect(page.get_by_text("Amotaks 1 g, 16 tabl.").first).to_be_visible()
    page.goto("/panel/documents")
    page.get_by_role("link", name="Wynik morfologii", exact=True).click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Pobierz plik").click()
    assert Path(download.value.path()).read_bytes() == factories.TINY_PDF

    # a RODO request: the patient files it, the desk answers, the patient reads the answer
    page.goto("/panel/requests/new")
    page.get_by_label("Informacja o przetwarzaniu danych osobowych").check()
    page.get_by_label("Opis wniosku").fill("Jakie moje dane przetwarzacie?")
    page.get_by_role("button", name="Wyślij").click()
    expect(page.get_by_text("Jakie moje dane przetwarzacie?")).to_be_visible()
    _log_in(page, "rejestratorka")
    page.goto("/staff/")
    page.get_by_role("navigation", name="Menu personelu").get_by_role(
        "link", name="Wnioski RODO"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Wnioski RODO")
    assert_no_axe_violations(page)
    page.locator("table.agenda tbody a").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Wniosek RODO")
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Przypisz").click()
    expect(page.get_by_text("Przypisano wniosek: rejestratorka.")).to_be_visible()
    page.get_by_label("Odpowiedź dla pacjenta").fill("Przetwarzamy imię, nazwisko i PESEL.")
    page.get_by_role("button", name="Wyślij odpowiedź").click()
    expect(page.get_by_text("Wysłano odpowiedź")).to_be_visible()
    expect(page.get_by_text("Brak wniosków.")).to_be_visible()
    _log_in(page, "jan.pacjent")
    page.goto("/panel/requests")
    expect(page.get_by_text("Przetwarzamy imię, nazwisko i PESEL.")).to_be_visible()
    expect(page.get_by_text("Data odpowiedzi")).to_be_visible()
    mailbox.wait_for(to="jan.pacjent@example.com", count=2)
    answer = next(
        m
        for m in mailbox._matching("jan.pacjent@example.com")
        if m["Subject"] == "Odpowiedź na wniosek"
    )
    assert "Przetwarzamy imię, nazwisko i PESEL." in mailbox.text(answer)
