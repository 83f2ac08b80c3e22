"""The boosted log-in and booking forms in real Chromium (issue 14), JavaScript on and off:
from a slot's „Rezerwuj”, log in and book. With JavaScript each POST comes back with the
next page itself (core/htmx_redirects.py), no redirect is fetched, the address bar shows the
real page, the <title> and the heading are the new page's and focus is on <main>; without
JavaScript the same walk works by plain redirects. axe checks each page."""

import re
from datetime import time, timedelta

import pytest
from playwright.sync_api import expect

from models.base import utcnow
from models.booking import Appointment
from tests import factories
from tests.fixtures_live import assert_no_axe_violations

pytestmark = pytest.mark.browser


@pytest.fixture
def clinic(ctx):
    fac = factories.facility(name="Przychodnia Centrum")
    spec = factories.specialty(name="Kardiologia")
    svc = factories.service(spec, name="Konsultacja kardiologiczna")
    member = factories.staff(spec=spec, fac=fac, last_name="Sercowy")
    day = (utcnow() + timedelta(days=3)).replace(hour=8, minute=0, second=0, microsecond=0)
    sched = factories.schedule(
        member, fac, services=[svc], weekday=day.weekday(), start_time=time(8)
    )
    slot = factories.slot(member, fac, starts_at=day, schedule=sched, specialty=spec)
    account = factories.account(login="jan.pacjent", email="jan.pacjent@example.com")
    return {"spec": spec, "slot": slot, "account": account}


def _redirects(page) -> list[str]:
    seen: list[str] = []
    page.on("response", lambda r: seen.append(r.url) if 300 <= r.status < 400 else None)
    return seen


def test_log_in_from_rezerwuj_and_book(page, clinic):
    account, slot = clinic["account"], clinic["slot"]
    page.goto(f"/slots?specialty={clinic['spec'].id}")
    page.get_by_role("link", name=re.compile(r"^Rezerwuj")).first.click()
    expect(page).to_have_url(re.compile(r"/login\?next=.*reserve"))
    redirects = _redirects(page)

    # log in: the booking step arrives in the POST's answer (JS) or by its 303 (no JS)
    page.get_by_label("Login", exact=True).fill(account.login)
    page.get_by_label("Hasło", exact=True).fill(factories.PASSWORD)
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("main").get_by_role("button", name="Zaloguj się").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Potwierdź rezerwację")
    expect(page).to_have_url(re.compile(rf"/slots/{slot.id}/reserve\?"))
    expect(page).to_have_title(re.compile(r"^Potwierdź rezerwację"))
    expect(page.get_by_role("button", name="Wyloguj się")).to_be_visible()
    if page.js_enabled:
        assert posted.value.status == 200 and posted.value.headers["hx-push-url"]
        expect(page.locator("main#main")).to_be_focused()
    else:
        assert posted.value.status == 303
    assert_no_axe_violations(page)

    # book: the visit page, its flash, the real URL; exactly one booking
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Wyślij").click()
    expect(page.get_by_text("Zarezerwowano wizytę")).to_be_visible()
    booked = Appointment.select().where(Appointment.active_slot == slot.id)
    assert booked.count() == 1
    expect(page).to_have_url(re.compile(rf"/panel/reservations/{booked.get().id}$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Konsultacja kardiologiczna")
    expect(page).to_have_title(re.compile(r"^Wizyta: Konsultacja kardiologiczna"))
    if page.js_enabled:
        assert posted.value.status == 200
        expect(page.locator("main#main")).to_be_focused()
        assert redirects == []  # both 303s saved: no redirect crossed the link
    else:
        assert posted.value.status == 303
        assert len(redirects) == 2
    assert_no_axe_violations(page)

    # the session is a real one: the next page needs no log-in either
    page.get_by_role("navigation", name="Menu główne").get_by_role(
        "link", name="Panel pacjenta"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Panel pacjenta")


def test_a_failed_log_in_says_why_and_focuses_the_summary(page, clinic):
    page.goto("/login")
    page.get_by_label("Login", exact=True).fill(clinic["account"].login)
    page.get_by_label("Hasło", exact=True).fill("not the right password")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("main").get_by_role("button", name="Zaloguj się").click()
    assert posted.value.status == 422
    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("Nieprawidłowy login lub hasło")
    expect(page).to_have_url(re.compile(r"/login$"))
    if page.js_enabled:
        expect(summary).to_be_focused()
        # the swapped page's "Pokaż hasło" works too (auth.js wires the new checkbox)
        page.get_by_label("Pokaż hasło").check()
        expect(page.get_by_label("Hasło", exact=True)).to_have_attribute("type", "text")
    assert_no_axe_violations(page)
