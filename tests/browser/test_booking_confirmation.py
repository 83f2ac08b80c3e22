"""After booking, in real Chromium with JavaScript on and off: the search's filters survive
the booking steps, the visit page says what, when, where and what to bring, "Dodaj do
kalendarza" downloads the visit, the e-mail links to it, and a visit inside the cancel-notice
window is announced before booking and offers a phone number instead of links that would be
refused. axe checks every page on the way."""

import re
from datetime import time, timedelta
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from playwright.sync_api import expect

from models.base import utcnow
from models.booking import Appointment
from tests import factories
from tests.fixtures_live import assert_no_axe_violations

pytestmark = pytest.mark.browser

PHONE = "+48 22 333 44 55"


@pytest.fixture
def app_config(app_config, mailbox):
    return {**app_config, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": mailbox.port}


@pytest.fixture
def clinic(ctx):
    fac = factories.facility(
        name="Przychodnia Centrum", street="ul. Zdrowa 7", postal_code="02-123", phone=PHONE
    )
    spec = factories.specialty(name="Kardiologia")
    other = factories.specialty(name="Dermatologia")
    svc = factories.service(spec, name="Konsultacja kardiologiczna", requires_referral=True)
    derm = factories.service(other, name="Konsultacja dermatologiczna")
    cardiologist = factories.staff(spec=spec, fac=fac, last_name="Sercowy")
    dermatologist = factories.staff(spec=other, fac=fac, last_name="Skórna")
    sched = factories.schedule(cardiologist, fac, services=[svc], start_time=time(0))
    derm_sched = factories.schedule(dermatologist, fac, services=[derm], start_time=time(0))
    later = (utcnow() + timedelta(days=3)).replace(hour=8, minute=0, second=0, microsecond=0)
    soon = utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(hours=5)
    slots = {
        "later": factories.slot(cardiologist, fac, starts_at=later, schedule=sched, specialty=spec),
        "soon": factories.slot(cardiologist, fac, starts_at=soon, schedule=sched, specialty=spec),
    }
    factories.slot(dermatologist, fac, starts_at=later, schedule=derm_sched, specialty=other)
    account = factories.account(login="jan.pacjent", email="jan.pacjent@example.com")
    return {"spec": spec, "slots": slots, "account": account}


def _log_in(page, account, next_path: str):
    page.goto(f"/login?next={quote(next_path)}")
    page.get_by_label("Login", exact=True).fill(account.login)
    page.get_by_label("Hasło", exact=True).fill(factories.PASSWORD)
    # the form is boosted: with JavaScript the click does not wait for the next page
    with page.expect_response(lambda r: r.request.method == "POST"):
        page.get_by_role("main").get_by_role("button", name="Zaloguj się").click()


def test_book_from_filtered_search_then_visit_page_calendar_and_mail(page, mailbox, clinic):
    account, spec = clinic["account"], clinic["spec"]
    later = clinic["slots"]["later"]
    search = f"/slots?specialty={spec.id}&visit_type=nfz"
    _log_in(page, account, search)
    expect(page.get_by_role("heading", level=1)).to_have_text("Wolne terminy")

    # the reserve step remembers the search and says nothing about a late visit
    page.locator(f"a[href^='/slots/{later.id}/reserve']").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Potwierdź rezerwację")
    expect(page.get_by_text("nie odwołasz")).to_have_count(0)
    back = page.get_by_role("link", name="Wróć do wyszukiwania terminów")
    params = parse_qs(urlsplit(back.get_attribute("href")).query)
    assert params["specialty"] == [str(spec.id)] and params["visit_type"] == ["nfz"]
    assert_no_axe_violations(page)

    # "Wyślij" ends on the visit page: a real heading, the facts, what to bring, actions
    page.get_by_label("Kod e-skierowania").fill("1234")
    page.get_by_role("button", name="Wyślij").click()
    expect(page.get_by_text("Zarezerwowano wizytę")).to_be_visible()
    visit = Appointment.get(Appointment.active_slot == later.id)
    title = page.get_by_role("heading", level=1)
    expect(title).to_contain_text("Konsultacja kardiologiczna")
    expect(title).to_have_text(re.compile(r"godz\. \d\d:\d\d$"))
    main = page.get_by_role("main")
    expect(main).to_contain_text("NFZ (bezpłatnie)")
    expect(main).to_contain_text("ul. Zdrowa 7, 02-123")
    expect(main.get_by_role("link", name=PHONE)).to_be_visible()
    expect(page.get_by_role("heading", name="Co zabrać na wizytę")).to_be_visible()
    expect(main).to_contain_text("Skierowanie")
    expect(main.get_by_role("link", name=re.compile(r"^Zmień termin"))).to_be_visible()
    expect(main.get_by_role("link", name=re.compile(r"^Odwołaj wizytę"))).to_be_visible()
    assert_no_axe_violations(page)

    with page.expect_download() as download_info:
        main.get_by_role("link", name=re.compile(r"^Dodaj do kalendarza")).click()
    download = download_info.value
    assert download.suggested_filename.endswith(".ics")
    content = Path(download.path()).read_text(encoding="utf-8")
    assert content.startswith("BEGIN:VCALENDAR") and "Konsultacja kardiologiczna" in content

    # the e-mail links to the same page
    mail = mailbox.wait_for(to=account.email)
    link = next(u for u in mailbox.links(mail) if u.endswith(f"/panel/reservations/{visit.id}"))
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Konsultacja kardiologiczna")


def test_visit_inside_the_cancel_window_is_announced_and_offers_the_phone(page, clinic):
    account, soon = clinic["account"], clinic["slots"]["soon"]
    _log_in(page, account, f"/slots/{soon.id}/reserve")
    expect(page.get_by_role("heading", level=1)).to_have_text("Potwierdź rezerwację")
    expect(page.get_by_role("main")).to_contain_text(
        f"Tej wizyty nie odwołasz ani nie zmienisz online; zadzwoń: {PHONE}"
    )
    assert_no_axe_violations(page)
    page.get_by_label("Kod e-skierowania").fill("1234")
    page.get_by_role("button", name="Wyślij").click()
    expect(page.get_by_text("Zarezerwowano wizytę")).to_be_visible()
    main = page.get_by_role("main")
    expect(main).to_contain_text(f"zadzwoń: {PHONE}")
    expect(main.get_by_role("link", name=re.compile(r"^Zmień termin"))).to_have_count(0)
    expect(main.get_by_role("link", name=re.compile(r"^Odwołaj wizytę"))).to_have_count(0)
    assert_no_axe_violations(page)

    page.goto("/panel/reservations")
    visits = page.locator("ul.visits > li")
    expect(visits).to_have_count(1)
    expect(visits.first).to_contain_text(f"zadzwoń: {PHONE}")
    expect(visits.first.get_by_role("link", name=re.compile(r"^Odwołaj"))).to_have_count(0)
    assert_no_axe_violations(page)
