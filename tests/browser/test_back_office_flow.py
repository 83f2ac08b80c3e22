"""The whole back office in one story, in real Chromium with axe on every page: the admin
creates a service and a doctor with a staff login; the registrar builds that doctor's weekly
schedule, previews and generates slots; a patient books one of them online; the doctor falls
ill, the registrar enters the sick day, sees the affected visit and moves it to the doctor's
next free slot; the patient gets the e-mail (read from the test's own SMTP server) naming the
new time.
Run with JavaScript on and off (about 45 s each)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from core.timeutil import local_today, to_local
from models.accounts import Account
from models.booking import Appointment
from models.clinic import Slot, StaffMember
from services.staff_accounts import create_staff_account
from tests import factories
from tests.fixtures_live import assert_no_axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WEEKDAYS = ["poniedziałek", "wtorek", "środa", "czwartek", "piątek", "sobota", "niedziela"]


@pytest.fixture
def app_config(app_config, mailbox):
    return {**app_config, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": mailbox.port}


@pytest.fixture
def clinic(ctx):
    factories.specialty(name="Kardiologia")
    factories.facility(name="Przychodnia Centrum")
    create_staff_account("kierownik", "kierownik@example.com", factories.PASSWORD, "admin")
    factories.staff_account("registrar", login="rejestratorka")
    return factories.account(login="jan.pacjent", email="jan.pacjent@example.com")


def _log_in(page, login: str) -> None:
    page.context.clear_cookies()
    page.goto("/login")
    page.get_by_label("Login", exact=True).fill(login)
    page.get_by_label("Hasło", exact=True).fill(factories.PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Zaloguj się").click()
    expect(page.get_by_role("button", name="Wyloguj się")).to_be_visible()


def _admin_creates_the_service_and_the_doctor(page) -> None:
    _log_in(page, "kierownik")
    admin_menu = page.get_by_role("navigation", name="Administracja")
    admin_menu.get_by_role("link", name="Świadczenia").click()
    page.get_by_role("link", name="Dodaj świadczenie").click()
    assert_no_axe_violations(page)
    page.get_by_label("Nazwa", exact=True).fill("Konsultacja kardiologiczna")
    page.get_by_label("Specjalność").select_option(label="Kardiologia")
    page.get_by_label("Czas trwania (min)").fill("15")
    page.get_by_label("NFZ").check()
    page.get_by_label("W placówce").check()
    page.get_by_role("button", name="Zapisz").click()
    expect(page.get_by_text("Zapisano: Konsultacja kardiologiczna.")).to_be_visible()
    assert_no_axe_violations(page)

    admin_menu.get_by_role("link", name="Personel").click()
    page.get_by_role("link", name="Dodaj osobę").click()
    page.get_by_label("Tytuł (np. lek., dr n. med.)").fill("lek.")
    page.get_by_label("Imię").fill("Maria")
    page.get_by_label("Nazwisko").fill("Sercowa")
    page.get_by_label("Specjalności").select_option(label="Kardiologia")
    page.get_by_label("Placówki").select_option(label="Przychodnia Centrum")
    page.get_by_label("Konto personelu (logowanie)").check()
    page.get_by_label("Login", exact=True).fill("maria.sercowa")
    page.get_by_label("E-mail").fill("maria.sercowa@example.com")
    page.get_by_label("Rola").select_option("doctor")
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Zapisz").click()
    expect(page.get_by_text("Zapisano: lek. Maria Sercowa.")).to_be_visible()
    expect(page.get_by_text("Wysłano na maria.sercowa@example.com link")).to_be_visible()
    assert_no_axe_violations(page)


def _registrar_builds_the_schedule(page, doctor: StaffMember, day, next_week) -> None:
    _log_in(page, "rejestratorka")
    staff_menu = page.get_by_role("navigation", name="Menu personelu")
    staff_menu.get_by_role("link", name="Grafiki").click()
    page.get_by_role("link", name="Nowy grafik").click()
    page.get_by_label("Personel", exact=True).select_option(label=doctor.display_name)
    page.get_by_label("Placówka", exact=True).select_option(label="Przychodnia Centrum")
    page.get_by_label("Dzień tygodnia").select_option(label=WEEKDAYS[day.weekday()])
    page.get_by_label("Od godziny").fill("08:00")
    page.get_by_label("Do godziny").fill("09:00")
    page.get_by_label("Obowiązuje od").fill(local_today().isoformat())
    page.get_by_label("Konsultacja kardiologiczna").check()
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Zapisz grafik").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Grafik: {doctor.display_name}")
    assert_no_axe_violations(page)

    staff_menu.get_by_role("link", name="Generuj terminy").click()
    page.get_by_label("Od dnia").fill(day.isoformat())
    page.get_by_label("Do dnia").fill(next_week.isoformat())
    page.get_by_role("button", name="Pokaż podgląd").click()
    preview = page.get_by_role("region", name="Podgląd")
    expect(preview.get_by_role("row", name=re.compile("Sercowa"))).to_contain_text("8")
    assert_no_axe_violations(page)
    preview.get_by_role("button", name="Generuj terminy").click()
    expect(page.get_by_text("Utworzono 8 terminów")).to_be_visible()
    assert_no_axe_violations(page)


def test_admin_registrar_patient_and_the_sick_day(page, mailbox, clinic):
    patient = clinic.patient
    day = local_today() + timedelta(days=3)
    next_week = day + timedelta(days=7)

    _admin_creates_the_service_and_the_doctor(page)
    doctor = StaffMember.get(StaffMember.last_name == "Sercowa")
    login = Account.get(Account.login == "maria.sercowa")
    assert login.staff_member_id == doctor.id and login.role == "doctor"
    invite = mailbox.wait_for(to="maria.sercowa@example.com")
    assert any("/password/reset/" in link for link in mailbox.links(invite))

    _registrar_builds_the_schedule(page, doctor, day, next_week)

    # the patient finds the new doctor's slot and books it online
    first = Slot.select().where(Slot.staff == doctor.id).order_by(Slot.starts_at).first()
    _log_in(page, "jan.pacjent")
    page.goto("/slots")
    expect(page.get_by_role("heading", name=doctor.display_name).first).to_be_visible()
    assert_no_axe_violations(page)
    page.goto(f"/slots/{first.id}/reserve")
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Wyślij").click()
    expect(page.get_by_text("Zarezerwowano wizytę")).to_be_visible()
    booked = Appointment.get(Appointment.active_slot == first.id)
    mailbox.wait_for(to="jan.pacjent@example.com")

    # the doctor is ill that day: the registrar enters the exception and moves the visit
    _log_in(page, "rejestratorka")
    page.goto("/staff/exceptions/new")
    page.get_by_label("Kogo dotyczy").select_option(label=doctor.display_name)
    page.get_by_label("Od dnia").fill(day.isoformat())
    page.get_by_label("Do dnia").fill(day.isoformat())
    page.get_by_label("Powód").fill("choroba lekarza")
    page.get_by_role("button", name="Pokaż podgląd").click()
    preview = page.get_by_role("region", name="Podgląd")
    expect(preview).to_contain_text(patient.full_name)
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Zapisz").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Wizyty do przeniesienia")
    expect(page.get_by_label(re.compile(patient.full_name))).to_be_checked()
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Przenieś na najbliższe wolne terminy tego lekarza").click()
    expect(page.get_by_role("status").filter(has_text="Wynik")).to_contain_text("przeniesiona")
    expect(page.get_by_text("Nie ma wizyt do przeniesienia.")).to_be_visible()
    assert_no_axe_violations(page)

    # the visit now sits in the doctor's first slot a week later, and the patient was told
    moved = Appointment.get_by_id(Appointment.get_by_id(booked.id).moved_to_id)
    assert moved.slot.staff_id == doctor.id
    assert to_local(moved.slot.starts_at).date() == to_local(first.starts_at).date() + timedelta(
        days=7
    )
    mailbox.wait_for(to="jan.pacjent@example.com", count=2)
    change = next(
        m
        for m in mailbox._matching("jan.pacjent@example.com")
        if m["Subject"] == "Zmiana terminu wizyty"
    )
    body = mailbox.text(change)
    assert "choroba lekarza" in body
    assert next_week.strftime("%d.%m.%Y") in body and "08:00" in body
