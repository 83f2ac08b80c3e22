"""The slot search in Chromium, JavaScript on (htmx) and off: filter, page, announce, axe."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from models.base import utcnow
from tests import factories as f
from tests.fixtures_live import assert_no_axe_violations

pytestmark = pytest.mark.browser


@pytest.fixture
def clinic(ctx):
    cardio_spec = f.specialty(name="Kardiologia")
    derm_spec = f.specialty(name="Dermatologia")
    cardio_svc = f.service(cardio_spec, name="Konsultacja kardiologiczna")
    derm_svc = f.service(derm_spec, name="Konsultacja dermatologiczna")
    fac = f.facility(name="Przychodnia Centrum")
    cardio = f.staff(cardio_spec, fac, first_name="Anna", last_name="Serce")
    derm = f.staff(derm_spec, fac, first_name="Piotr", last_name="Skóra")
    s1 = f.schedule(cardio, fac, services=[cardio_svc])
    s2 = f.schedule(derm, fac, services=[derm_svc])
    start = (utcnow() + timedelta(days=1)).replace(hour=7, minute=0, second=0, microsecond=0)
    for n in range(40):
        f.slot(cardio, fac, start + timedelta(minutes=15 * n), specialty=cardio_spec, schedule=s1)
    f.slot(derm, fac, start + timedelta(days=1), specialty=derm_spec, schedule=s2)
    return {"derm_spec": derm_spec.id}


def reserve_links(page):
    return page.locator("a[href*='/reserve']")


def test_search_narrow_and_show_more(page, live_server, clinic):
    page.goto("/slots")
    assert reserve_links(page).count() == 30
    assert_no_axe_violations(page)

    page.focus("#f-specialty")
    page.select_option("#f-specialty", str(clinic["derm_spec"]))
    if not page.js_enabled:
        page.get_by_role("button", name="Wyszukaj").click()
    page.wait_for_url(re.compile(rf"specialty={clinic['derm_spec']}"))
    page.locator("#search-status", has_text="Liczba wolnych terminów: 1.").wait_for()
    assert reserve_links(page).count() == 1
    staff_options = page.locator("#f-staff option").all_inner_texts()
    assert any("Skóra" in o for o in staff_options) and not any("Serce" in o for o in staff_options)
    if page.js_enabled:
        assert page.evaluate("document.activeElement.id") == "f-specialty"
    assert_no_axe_violations(page)

    page.select_option("#f-specialty", "")
    if not page.js_enabled:
        page.get_by_role("button", name="Wyszukaj").click()
    page.locator("#search-status", has_text="Liczba wolnych terminów: 41.").wait_for()
    before = page.url
    page.get_by_role("link", name="Pokaż więcej").click()
    if page.js_enabled:
        page.locator("#search-status", has_text="Wczytano kolejne").wait_for()
        assert reserve_links(page).count() == 41
        assert page.url == before
        # focus moves to the first appended heading, not back to the top of the page
        # htmx applies autofocus in its settle step, just after the swap: wait for it
        expect(page.locator("h2:focus")).to_have_count(1)
    else:
        page.wait_for_url(re.compile("after="))
        assert reserve_links(page).count() == 11
    assert_no_axe_violations(page)


def test_invalid_dates_show_the_message_next_to_the_field(page, live_server, clinic):
    page.goto("/slots?date_from=2031-05-10&date_to=2031-05-01")
    assert page.locator("#f-date_to-error").is_visible()
    assert page.locator("#f-date_to").get_attribute("aria-invalid") == "true"
    assert_no_axe_violations(page)
