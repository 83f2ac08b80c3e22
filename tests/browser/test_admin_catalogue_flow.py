"""The admin in Chromium (JS on and off): creates a service and a doctor with a staff login,
the doctor sets a password from the mailed link and logs in; the admin's list filters live
with htmx; every page passes axe."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from models.accounts import Account
from models.clinic import Service, StaffMember
from services.staff_accounts import create_staff_account
from tests import factories
from tests.fixtures_live import assert_no_axe_violations

pytestmark = pytest.mark.browser

DOCTOR_PASSWORD = "zielone jabłka na wiosnę 7"


@pytest.fixture
def app_config(app_config, mailbox):
    return {**app_config, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": mailbox.port}


@pytest.fixture
def clinic(ctx):
    spec = factories.specialty(name="Kardiologia")
    place = factories.facility(name="Przychodnia Centrum")
    factories.staff(spec, place, last_name="Nowakowska")  # filtered out by "Serc" below
    create_staff_account("kierownik", "kierownik@example.com", factories.PASSWORD, "admin")


def _log_in(page, login: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("Login", exact=True).fill(login)
    page.get_by_label("Hasło", exact=True).fill(password)
    # the form is boosted: with JavaScript the click does not wait for the next page
    with page.expect_response(lambda r: r.request.method == "POST"):
        page.get_by_role("main").get_by_role("button", name="Zaloguj się").click()


def test_admin_creates_a_service_and_a_doctor_who_can_log_in(page, clinic, mailbox):
    _log_in(page, "kierownik", factories.PASSWORD)
    expect(page).to_have_url(re.compile(r"/admin/$"))
    assert_no_axe_violations(page)

    page.get_by_role("navigation", name="Administracja").get_by_role(
        "link", name="Świadczenia"
    ).click()
    page.get_by_role("link", name="Dodaj świadczenie").click()
    page.get_by_role("button", name="Zapisz").click()  # nothing filled in: errors first
    expect(page.locator("#error-summary")).to_be_visible()
    assert_no_axe_violations(page)
    page.get_by_label("Nazwa", exact=True).fill("Konsultacja kardiologiczna")
    page.get_by_label("Specjalność").select_option(label="Kardiologia")
    page.get_by_label("Czas trwania (min)").fill("20")
    page.get_by_label("Prywatnie").check()
    page.get_by_label("Cena (zł, dla wizyt prywatnych)").fill("150")
    page.get_by_label("Wymaga skierowania").check()
    page.get_by_role("button", name="Zapisz").click()
    expect(page.get_by_text("Zapisano: Konsultacja kardiologiczna.")).to_be_visible()
    assert_no_axe_violations(page)

    page.get_by_role("navigation", name="Administracja").get_by_role(
        "link", name="Personel"
    ).click()
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
    page.get_by_role("button", name="Zapisz").click()
    expect(page.get_by_text("Zapisano: lek. Maria Sercowa.")).to_be_visible()
    assert_no_axe_violations(page)

    # the list filters by a GET form; with JS, htmx swaps only the results
    page.get_by_label("Nazwa zawiera").fill("Serc")
    if not page.js_enabled:
        page.get_by_role("button", name="Filtruj").click()
    expect(page.locator("#results")).to_contain_text("maria.sercowa")
    expect(page.locator("#results")).not_to_contain_text("Nowakowska")
    expect(page).to_have_url(re.compile(r"q=Serc"))
    assert_no_axe_violations(page)

    # the doctor sets her own password from the e-mail, then logs in
    page.get_by_role("button", name="Wyloguj się").click()
    # the log-out lands on the home page; going to the link before that races with it
    expect(page.get_by_role("link", name="Zaloguj się")).to_be_visible()
    invite = mailbox.wait_for(to="maria.sercowa@example.com")
    link = next(u for u in mailbox.links(invite) if "/password/reset/" in u)
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Ustaw hasło do konta personelu")
    expect(page.get_by_text("Twój login: maria.sercowa")).to_be_visible()
    assert_no_axe_violations(page)
    page.get_by_label("Nowe hasło", exact=True).fill(DOCTOR_PASSWORD)
    page.get_by_label("Powtórz nowe hasło").fill(DOCTOR_PASSWORD)
    page.get_by_role("button", name="Zapisz hasło").click()
    _log_in(page, "maria.sercowa", DOCTOR_PASSWORD)
    expect(page).to_have_url(re.compile(r"/staff/$"))

    member = StaffMember.get(StaffMember.last_name == "Sercowa")
    account = Account.get(Account.login == "maria.sercowa")
    assert account.staff_member_id == member.id and account.role == "doctor"
    service = Service.get(Service.name == "Konsultacja kardiologiczna")
    assert service.private and service.requires_referral and service.duration_minutes == 20
