"""Sub-accounts in real Chromium, JavaScript on and off, at 360 px and 1280 px: a parent adds
a newborn without PESEL („PESEL opiekuna”), switches to the child in the header, books a
paediatric visit, sees it in the child's reservations and switches back. axe on every page."""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest
from playwright.sync_api import expect

from core.timeutil import local_today
from models.base import utcnow
from models.booking import Appointment
from models.clinic import Locality
from models.patients import Patient
from tests import factories
from tests.fixtures_live import assert_no_axe_violations

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 640}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture
def app_config(app_config, mailbox):
    return {**app_config, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": mailbox.port}


@pytest.fixture
def paediatrics(ctx):
    """A paediatrician with free slots for children (age 0–17) and a parent with an address."""
    waw = Locality.create(name="Warszawa", commune="Warszawa", voivodeship="mazowieckie")
    fac = factories.facility(name="Przychodnia Centrum")
    spec = factories.specialty(name="Pediatria")
    svc = factories.service(spec, name="Porada pediatryczna", min_age=0, max_age=17)
    doctor = factories.staff(spec=spec, fac=fac, last_name="Dziecięca")
    day = (utcnow() + timedelta(days=3)).replace(hour=8, minute=0, second=0, microsecond=0)
    sched = factories.schedule(
        doctor, fac, services=[svc], weekday=day.weekday(), start_time=time(8)
    )
    slots = [
        factories.slot(
            doctor, fac, starts_at=day + timedelta(minutes=15 * k), schedule=sched, specialty=spec
        )
        for k in range(3)
    ]
    person = factories.patient(
        first_name="Katarzyna",
        last_name="Rodzinna",
        street="ul. Polna",
        house_number="5",
        postal_code="00-002",
        locality=waw,
        phone="600 100 200",
    )
    parent = factories.account(login="mama", email="mama@example.com", patient=person)
    return {"parent": parent, "doctor": doctor, "slots": slots}


def _switch_to(page, name: str) -> None:
    """The header's switch: open it (a <details>, no JS needed) and press the person."""
    header = page.locator(".site-header")
    header.locator("summary").click()
    header.get_by_role("button", name=re.compile(rf"^{re.escape(name)}")).click()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360px", "1280px"])
def test_parent_adds_a_newborn_switches_books_and_switches_back(page, paediatrics, viewport):
    page.set_viewport_size(viewport)
    parent = paediatrics["parent"]
    page.goto("/login")
    page.get_by_label("Login", exact=True).fill("mama")
    page.get_by_label("Hasło", exact=True).fill(factories.PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Zaloguj się").click()
    expect(page.get_by_text("Witamy w e-Rejestracji")).to_be_visible()

    # Moje konto → Subkonta → Dodaj nowe subkonto, a newborn without PESEL
    page.goto("/account")
    page.get_by_role("navigation", name="Moje konto").get_by_role("link", name="Subkonta").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Subkonta")
    assert_no_axe_violations(page)
    page.get_by_role("link", name="Dodaj nowe subkonto").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dodaj nowe subkonto")
    assert_no_axe_violations(page)
    born = local_today() - timedelta(days=14)
    page.get_by_label("Imię").fill("Zosia")
    page.get_by_label("PESEL opiekuna").check()
    page.get_by_label("Data urodzenia").fill(born.isoformat())
    page.get_by_label("kobieta").check()
    page.get_by_role("button", name="Dodaj subkonto").click()
    expect(page.get_by_text("Dodano subkonto: Zosia Rodzinna")).to_be_visible()
    assert_no_axe_violations(page)
    child = Patient.get(Patient.first_name == "Zosia")
    assert child.pesel is None and child.birth_date == born and child.sex == "F"

    # switch to the child in the header: it says whose data is on screen
    _switch_to(page, "Zosia Rodzinna")
    header = page.locator(".site-header")
    expect(header.locator("summary")).to_contain_text("Zosia Rodzinna (podopieczny)")
    assert_no_axe_violations(page)

    # book a paediatric visit: "Dla kogo" starts at the child
    page.goto("/slots")
    page.get_by_role("link", name=re.compile(r"^Rezerwuj")).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Potwierdź rezerwację")
    expect(page.get_by_label("Dla kogo jest wizyta")).to_have_value(str(child.id))
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Wyślij").click()
    expect(page.get_by_text("Zarezerwowano wizytę")).to_be_visible()
    main = page.get_by_role("main")
    expect(main.get_by_text("Zosia Rodzinna (podopieczny)")).to_be_visible()
    expect(main.get_by_text(parent.patient.full_name)).to_be_visible()  # who booked
    assert_no_axe_violations(page)
    visit = Appointment.get(Appointment.patient == child.id)
    assert visit.booked_by_id == parent.id

    # the child's reservations list it
    page.goto("/panel/reservations")
    visits = page.locator("ul.visits > li")
    expect(visits).to_have_count(1)
    expect(visits.first).to_contain_text("Porada pediatryczna")
    assert_no_axe_violations(page)

    # switch back: the parent's own reservations are empty, the header names the parent
    _switch_to(page, parent.patient.full_name)
    expect(page).to_have_url(re.compile(r"/panel/reservations$"))
    expect(page.locator(".site-header summary")).not_to_contain_text("podopieczny")
    expect(page.locator("ul.visits > li")).to_have_count(0)
    assert_no_axe_violations(page)
