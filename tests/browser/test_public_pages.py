"""Public pages in real Chromium, JavaScript on and off: layout, cookie notice, language, a11y."""

import re

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.fixtures_live import assert_no_axe_violations

pytestmark = pytest.mark.browser


def test_home_page_shows_clinic_offer_and_passes_axe(page, ctx):
    factories.facility(name="Przychodnia Pod Lipami")
    factories.specialty(name="Kardiologia")
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "pl")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Kardiologia")).to_be_visible()
    expect(page.get_by_role("heading", name="Przychodnia Pod Lipami")).to_be_visible()
    expect(page.get_by_role("navigation", name="Menu główne")).to_be_visible()
    assert_no_axe_violations(page)


def test_login_page_has_labelled_fields_and_passes_axe(page):
    page.goto("/")
    page.get_by_role("link", name="Zaloguj się").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_label("Login", exact=True)).to_be_visible()
    expect(page.get_by_label("Hasło", exact=True)).to_have_attribute("type", "password")
    assert_no_axe_violations(page)


def test_unknown_page_is_a_friendly_404_that_passes_axe(page):
    response = page.goto("/nie-ma-takiej-strony")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Nie znaleziono strony")
    expect(page.get_by_role("link", name="Wróć na stronę główną")).to_be_visible()
    assert_no_axe_violations(page)


def test_cookie_notice_disappears_after_pressing_rozumiem(page):
    page.goto("/login")
    notice = page.get_by_role("region", name="Informacja o plikach cookie")
    expect(notice).to_be_visible()
    notice.get_by_role("button", name="Rozumiem").click()
    expect(notice).to_have_count(0)
    expect(page).to_have_url(re.compile(r"/login$"))
    page.goto("/")
    expect(notice).to_have_count(0)
    assert_no_axe_violations(page)


def test_language_switch_to_english_and_back(page):
    page.goto("/")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("link", name="Free slots", exact=True)).to_be_visible()
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Polski").click()
    expect(page.locator("html")).to_have_attribute("lang", "pl")
    expect(page.get_by_role("link", name="Wolne terminy", exact=True)).to_be_visible()


def test_skip_link_is_the_first_tab_stop_and_moves_focus_to_main(page):
    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Przejdź do treści")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
