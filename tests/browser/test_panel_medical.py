"""The panel's medical sections in real Chromium at 360 px, JavaScript on and off: order a
prescription and withdraw it, find a planned vaccination, open and download a document, send
and withdraw a RODO request, book a visit from a referral. axe checks every page on the way."""

from __future__ import annotations

import re
from datetime import time, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from models.base import utcnow
from models.booking import Appointment
from models.medical import Referral
from tests import factories
from tests.fixtures_live import assert_no_axe_violations

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 640}


@pytest.fixture
def world(app, ctx):
    fac = factories.facility(name="Przychodnia Centrum")
    spec = factories.specialty(name="Kardiologia")
    doctor = factories.staff(spec, fac, first_name="Anna", last_name="Sercowa")
    me = factories.account(login="jan.pacjent", email="jan.pacjent@example.com")
    stranger = factories.account(login="obcy", email="obcy@example.com")
    mine = factories.medical_record(app, me.patient, doctor, fac, spec)
    factories.medical_record(app, stranger.patient, doctor, fac, spec)
    service = factories.service(spec, name="Konsultacja kardiologiczna NFZ", requires_referral=True)
    day = (utcnow() + timedelta(days=4)).replace(hour=9, minute=0, second=0, microsecond=0)
    sched = factories.schedule(
        doctor, fac, services=[service], weekday=day.weekday(), start_time=time(8)
    )
    slot = factories.slot(doctor, fac, starts_at=day, schedule=sched, specialty=spec)
    return {"me": me, "mine": mine, "slot": slot, "doctor": doctor}


def _log_in(page) -> None:
    page.set_viewport_size(PHONE)
    page.goto("/login")
    page.get_by_label("Login", exact=True).fill("jan.pacjent")
    page.get_by_label("Hasło", exact=True).fill(factories.PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Zaloguj się").click()
    expect(page.get_by_role("button", name="Wyloguj się")).to_be_visible()


def _fits(page) -> None:
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width} px wide"
    assert_no_axe_violations(page)


def test_order_a_prescription_and_withdraw_it(page, world):
    _log_in(page)
    page.goto("/panel/prescriptions")
    _fits(page)
    page.get_by_role("main").get_by_role("link", name="Zamów receptę").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Zamów receptę")
    _fits(page)
    page.get_by_role("button", name="Wyślij").click()  # nothing chosen: explained
    expect(page.locator("#error-summary")).to_contain_text("Wybierz lub wpisz")
    _fits(page)
    page.get_by_label("Lekarz", exact=True).select_option(label=world["doctor"].display_name)
    page.get_by_role("checkbox", name="Metformax 500 mg, 60 tabl.").check()
    page.get_by_label("Liczba opakowań: Metformax 500 mg, 60 tabl.").select_option("2")
    page.get_by_label("Lek 1").fill("Euthyrox N 50, 50 tabl.")
    page.get_by_label("Uwagi dla lekarza").fill("Proszę o e-receptę SMS-em.")
    page.get_by_role("button", name="Wyślij").click()
    expect(page.get_by_text("Wysłaliśmy zamówienie recepty do lekarza.")).to_be_visible()
    newest = page.locator(".records > li").first
    expect(newest).to_contain_text("Euthyrox N 50, 50 tabl.")
    expect(newest).to_contain_text("wysłane, czeka na lekarza")
    _fits(page)
    newest.get_by_role("button", name=re.compile("Wycofaj zamówienie")).click()
    expect(page.get_by_text("Zamówienie recepty zostało wycofane.")).to_be_visible()
    newest = page.locator(".records > li").first
    expect(newest).to_contain_text("Euthyrox")
    expect(newest).to_contain_text("wycofane")
    expect(newest.get_by_role("button")).to_have_count(0)
    # the issued prescription with its access code
    expect(page.locator(".access-code").first).to_have_text(re.compile(r"^\d{4}$"))


def test_find_a_planned_vaccination(page, world):
    _log_in(page)
    page.goto("/panel/vaccinations")
    expect(page.get_by_role("cell", name="Szczepionka przeciw grypie")).to_be_visible()
    _fits(page)
    page.get_by_label("Stan").select_option(label="zaplanowane")
    if not page.js_enabled:
        page.get_by_role("button", name="Szukaj").click()
    expect(page.get_by_role("cell", name="Szczepionka przeciw grypie")).to_have_count(0)
    planned = page.get_by_role("cell", name=re.compile("kleszczowemu"))
    expect(planned).to_be_visible()
    expect(page).to_have_url(re.compile(r"kind=planned"))
    if page.js_enabled:
        expect(page.locator("#results-status")).to_have_text("Znaleziono: 1")
    page.get_by_label("Nazwa szczepionki").fill("tężec")
    if not page.js_enabled:
        page.get_by_role("button", name="Szukaj").click()
    expect(page.get_by_text("Brak szczepień spełniających kryteria.")).to_be_visible()
    _fits(page)


def test_open_and_download_a_document(page, world):
    _log_in(page)
    page.goto("/panel/documents")
    _fits(page)
    page.get_by_role("link", name="Wynik morfologii", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Wynik morfologii")
    _fits(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Pobierz plik").click()
    assert download.value.suggested_filename.endswith(".pdf")
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
    page.goto("/panel/documents")
    page.get_by_label("Rodzaj").select_option(label="Opis i obraz badania obrazowego")
    if not page.js_enabled:
        page.get_by_role("button", name="Szukaj").click()
    expect(page.get_by_role("link", name="Wynik morfologii", exact=True)).to_have_count(0)
    page.get_by_role("link", name="Zdjęcie RTG", exact=True).click()
    image = page.get_by_role("img", name=re.compile("Zdjęcie RTG"))
    expect(image).to_be_visible()
    # the picture really decoded (the file route served a PNG); polled through the
    # element's properties, not a string predicate, which the page's CSP refuses to eval
    expect(page.locator(".document-image")).to_have_js_property("complete", True)
    expect(page.locator(".document-image")).to_have_js_property("naturalWidth", 48)
    _fits(page)


def test_send_and_withdraw_a_rodo_request(page, world):
    _log_in(page)
    page.goto("/panel/requests")
    _fits(page)
    page.get_by_role("link", name="Złóż wniosek").click()
    expect(page.get_by_text(re.compile("Odpowiemy najpóźniej"))).to_be_visible()
    _fits(page)
    page.get_by_label("Dostęp do dokumentacji medycznej").check()
    page.get_by_role("button", name="Wyślij").click()  # no form of access, no description
    expect(page.locator("#error-summary")).to_be_visible()
    _fits(page)
    page.get_by_label("Dostęp do dokumentacji medycznej").check()
    page.get_by_label("skan (plik)").check()
    page.get_by_label("Opis wniosku").fill("Proszę o skan dokumentacji z wizyt w 2025 r.")
    page.get_by_role("button", name="Wyślij").click()
    expect(page.get_by_text("Wniosek został złożony.")).to_be_visible()
    newest = page.locator(".records > li").first
    expect(newest).to_contain_text("skan (plik)")
    expect(newest).to_contain_text("Termin odpowiedzi")
    _fits(page)
    newest.get_by_role("button", name=re.compile("Wycofaj wniosek")).click()
    expect(page.get_by_text("Wniosek został wycofany.")).to_be_visible()
    expect(page.locator(".records > li").first).to_contain_text("wycofany")


def test_book_a_visit_from_a_referral(app, page, world):
    _log_in(page)
    code = Referral.get_by_id(world["mine"]["referral"]).access_code
    page.goto("/panel/referrals")
    expect(page.get_by_text(code)).to_be_visible()
    _fits(page)
    page.get_by_role("link", name=re.compile("Znajdź termin z tym skierowaniem")).click()
    expect(page.get_by_text(f"kod {code}")).to_be_visible()
    _fits(page)
    page.locator(".slot-times a").first.click()
    expect(page.get_by_label("Kod e-skierowania")).to_have_value(code)
    _fits(page)
    page.get_by_role("button", name="Wyślij").click()
    expect(page.get_by_text("Zarezerwowano wizytę.")).to_be_visible()
    visit = Appointment.get(Appointment.slot == world["slot"].id)
    assert visit.referral_code == code
