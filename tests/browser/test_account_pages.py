"""Moje konto pages in Chromium (JS on/off): every page and its error state pass axe."""

import pytest
from playwright.sync_api import expect

from models.accounts import Consent, ConsentRecord
from models.clinic import Locality
from tests import factories
from tests.fixtures_live import assert_no_axe_violations

pytestmark = pytest.mark.browser


@pytest.fixture
def ewa(ctx):
    waw = Locality.create(name="Warszawa", commune="Warszawa", voivodeship="mazowieckie")
    req = Consent.create(code="reg", title="Regulamin", text="Treść.", required=True)
    Consent.create(code="sms", title="Przypomnienia SMS", text="SMS.")
    acc = factories.account(
        login="ewa",
        patient=factories.patient(
            house_number="1", postal_code="00-001", locality=waw, phone="600100200"
        ),
    )
    ConsentRecord.create(account=acc, consent=req, granted=True)
    return acc


def test_account_pages_pass_axe(page, ewa):
    page.goto("/login")
    page.get_by_label("Login").fill("ewa")
    page.get_by_label("Hasło", exact=True).fill(factories.PASSWORD)
    # the form is boosted: with JavaScript the click does not wait for the next page
    with page.expect_response(lambda r: r.request.method == "POST"):
        page.get_by_role("main").get_by_role("button", name="Zaloguj się").click()
    for path in [
        "/account",
        "/account/data",
        "/account/email",
        "/account/password",
        "/account/consents",
        "/account/2fa",
    ]:
        page.goto(path)
        assert_no_axe_violations(page)
    page.goto("/account/data")
    page.get_by_label("Kod pocztowy").fill("1234")
    page.get_by_role("button", name="Zapisz dane").click()
    expect(page.locator("#error-summary")).to_be_visible()
    assert_no_axe_violations(page)
    page.goto("/account/password")
    page.get_by_label("Obecne hasło").fill("zle haslo zle haslo")
    page.get_by_label("Nowe hasło", exact=True).fill("krótkie")
    page.get_by_role("button", name="Zmień hasło").click()
    expect(page.locator("#error-summary")).to_be_visible()
    assert_no_axe_violations(page)
    page.goto("/account/consents")
    page.get_by_role("button", name="Udziel zgody").click()
    expect(page.get_by_text("Udzielono zgody")).to_be_visible()
    assert_no_axe_violations(page)
    page.goto("/account/email")
    page.get_by_label("Nowy adres e-mail").fill("zly")
    page.get_by_role("button", name="Wyślij link potwierdzający").click()
    expect(page.locator("#error-summary")).to_be_visible()
    assert_no_axe_violations(page)
