"""The registration desk in real Chromium, JavaScript on and off, axe on every page: the
registrar builds a doctor's weekly schedule, previews and generates slots; a patient books one
online; the doctor falls ill, the registrar records the sick day (preview first), moves the
visit to the doctor's next free slot, and the patient gets the e-mail (read from the test's
own SMTP server).

The admin pages that create a doctor and a service are not on main yet, so the doctor, the
service and the logins are made with factories."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from core.timeutil import local_today, to_local
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
    fac = factories.facility(name="Przychodnia Centrum", phone="+48 22 100 20 30")
    spec = factories.specialty(name="Interna")
    svc = factories.service(spec, name="Porada internistyczna")
    doctor = factories.staff(spec, fac, first_name="Adam", last_name="Zdrowy")
    return {
        "facility": fac,
        "service": svc,
        "doctor": doctor,
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


def test_schedule_slots_booking_sick_day_and_the_move_mail(page, mailbox, clinic):
    doctor = clinic["doctor"]
    day = local_today() + timedelta(days=3)
    next_week = day + timedelta(days=7)

    # the registrar builds the doctor's weekly schedule
    _log_in(page, "rejestratorka")
    page.goto("/staff/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Terminarz")
    assert_no_axe_violations(page)
    page.get_by_role("navigation", name="Menu personelu").get_by_role(
        "link", name="Grafiki"
    ).click()
    page.get_by_role("link", name="Nowy grafik").click()
    expect(page.get_by_label("Personel", exact=True)).to_be_visible()
    assert_no_axe_violations(page)
    page.get_by_label("Personel", exact=True).select_option(label=doctor.display_name)
    page.get_by_label("Placówka", exact=True).select_option(label="Przychodnia Centrum")
    weekdays = ["poniedziałek", "wtorek", "środa", "czwartek", "piątek", "sobota", "niedziela"]
    page.get_by_label("Dzień tygodnia").select_option(label=weekdays[day.weekday()])
    page.get_by_label("Od godziny").fill("08:00")
    page.get_by_label("Do godziny").fill("07:00")
    page.get_by_label("Obowiązuje od").fill(local_today().isoformat())
    page.get_by_label("Porada internistyczna").check()
    page.get_by_role("button", name="Zapisz grafik").click()
    expect(page.locator(".error-summary")).to_contain_text("Koniec musi być później")
    assert_no_axe_violations(page)
    page.get_by_label("Do godziny").fill("09:00")
    page.get_by_role("button", name="Zapisz grafik").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Grafik: {doctor.display_name}")
    assert_no_axe_violations(page)

    # preview, then generate two weeks of slots
    page.get_by_role("navigation", name="Menu personelu").get_by_role(
        "link", name="Generuj terminy"
    ).click()
    page.get_by_label("Od dnia").fill(day.isoformat())
    page.get_by_label("Do dnia").fill(next_week.isoformat())
    page.get_by_role("button", name="Pokaż podgląd").click()
    preview = page.get_by_role("region", name="Podgląd")
    expect(preview.get_by_role("row", name=re.compile(doctor.last_name))).to_contain_text("8")
    assert_no_axe_violations(page)
    preview.get_by_role("button", name="Generuj terminy").click()
    expect(page.get_by_text("Utworzono 8 terminów")).to_be_visible()
    expect(page.locator("table.agenda tbody tr")).to_have_count(4)
    assert_no_axe_violations(page)

    # a patient books the first slot online
    first = Slot.select().where(Slot.staff == doctor.id).order_by(Slot.starts_at).first()
    _log_in(page, "jan.pacjent")
    page.goto(f"/slots/{first.id}/reserve")
    page.get_by_role("button", name="Wyślij").click()
    expect(page.get_by_text("Zarezerwowano wizytę")).to_be_visible()
    booked = Appointment.get(Appointment.active_slot == first.id)
    mailbox.wait_for(to="jan.pacjent@example.com")

    # the doctor is ill that day: preview the sick day, save it, move the visit
    _log_in(page, "rejestratorka")
    page.goto("/staff/exceptions/new")
    assert_no_axe_violations(page)
    page.get_by_label("Kogo dotyczy").select_option(label=doctor.display_name)
    page.get_by_label("Od dnia").fill(day.isoformat())
    page.get_by_label("Do dnia").fill(day.isoformat())
    page.get_by_label("Powód").fill("choroba lekarza")
    page.get_by_role("button", name="Pokaż podgląd").click()
    preview = page.get_by_role("region", name="Podgląd")
    expect(preview).to_contain_text("Zniknie 3 wolnych terminów.")
    expect(preview).to_contain_text(clinic["patient"].patient.full_name)
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Zapisz").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Wizyty do przeniesienia")
    expect(page.get_by_label(re.compile(clinic["patient"].patient.full_name))).to_be_checked()
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Przenieś na najbliższe wolne terminy tego lekarza").click()
    expect(page.get_by_role("status").filter(has_text="Wynik")).to_contain_text("przeniesiona")
    expect(page.get_by_text("Nie ma wizyt do przeniesienia.")).to_be_visible()
    assert_no_axe_violations(page)

    moved = Appointment.get_by_id(Appointment.get_by_id(booked.id).moved_to_id)
    assert to_local(moved.slot.starts_at).date() == to_local(first.starts_at).date() + timedelta(
        days=7
    )
    message = mailbox.wait_for(to="jan.pacjent@example.com", count=2)
    mails = [m for m in mailbox._matching("jan.pacjent@example.com")]
    change = next(m for m in mails if m["Subject"] == "Zmiana terminu wizyty")
    body = mailbox.text(change)
    assert "choroba lekarza" in body and next_week.strftime("%d.%m.%Y") in body
    assert message is not None
