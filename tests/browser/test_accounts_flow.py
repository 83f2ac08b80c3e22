"""A new patient in real Chromium, JavaScript on and off: register, activate from the e-mail,
log in, turn on two-step verification, log out and log in again with the code. axe checks
every page on the way."""

import re
from datetime import date

import pyotp
import pytest
from playwright.sync_api import expect

from core.pesel import make as make_pesel
from models.accounts import Account, Consent
from models.clinic import Locality
from tests.fixtures_live import assert_no_axe_violations

pytestmark = pytest.mark.browser

PASSWORD = "Zielony rower jedzie pod górę 42"
NUMBERS = {
    "jeden": 1, "dwa": 2, "trzy": 3, "cztery": 4, "pięć": 5,
    "sześć": 6, "siedem": 7, "osiem": 8, "dziewięć": 9,
}  # fmt: skip


@pytest.fixture
def app_config(app_config, mailbox):
    return {**app_config, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": mailbox.port}


@pytest.fixture
def clinic(ctx):
    Locality.create(name="Sulejówek", commune="Sulejówek", voivodeship="mazowieckie")
    Consent.create(
        code="terms", title="Akceptuję regulamin portalu", text="Regulamin…", required=True
    )
    Consent.create(code="sms", title="Przypomnienia SMS", text="Zgoda na SMS…", required=False)


def _skip_if_missing(page, path: str, what: str):
    response = page.goto(path)
    if response.status == 404:
        pytest.skip(f"{what} not built yet")
    return response


def _answer_bot_question(page) -> None:
    """Without JavaScript a person answers the arithmetic question; with it the browser
    solves the proof of work and the question stays hidden."""
    question = page.get_by_label(re.compile(r"^Ile to jest"))
    if page.js_enabled:
        expect(question).to_be_hidden()
        return
    label = page.locator("label[for='botcheck_answer']").inner_text()
    a, b = re.search(r"Ile to jest (\w+) plus (\w+)", label).groups()
    question.fill(str(NUMBERS[a] + NUMBERS[b]))


def _log_in(page, login: str, password: str) -> None:
    page.get_by_role("link", name="Zaloguj się").click()
    page.get_by_label("Login").fill(login)
    page.get_by_label("Hasło", exact=True).fill(password)
    # the form is boosted: with JavaScript the click does not wait for the next page
    with page.expect_response(lambda r: r.request.method == "POST"):
        page.get_by_role("main").get_by_role("button", name="Zaloguj się").click()


def test_register_activate_log_in_and_use_two_step_verification(page, live_server, mailbox, clinic):
    suffix = "js" if page.js_enabled else "nojs"
    login, email = f"anna.{suffix}", f"anna.{suffix}@example.com"
    pesel = make_pesel(date(1990, 5, 17), 7 if page.js_enabled else 8, female=True)

    # Utwórz konto
    page.goto("/")
    page.get_by_role("link", name="Utwórz konto").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Utwórz konto")
    assert_no_axe_violations(page)
    page.get_by_label("Imię", exact=True).fill("Anna")
    page.get_by_label("Nazwisko", exact=True).fill("Nowak")
    page.get_by_label("PESEL", exact=True).fill(pesel)
    page.get_by_label("Ulica", exact=True).fill("ul. Lipowa")
    page.get_by_label("Numer domu", exact=True).fill("12A")
    page.get_by_label("Numer lokalu", exact=True).fill("3")
    page.get_by_label("Kod pocztowy", exact=True).fill("05-070")
    page.get_by_label("Miejscowość", exact=True).fill("Sulejówek")
    page.get_by_label("Adres e-mail", exact=True).fill(email)
    page.get_by_label("Telefon", exact=True).fill("600 100 200")
    page.get_by_label("Login", exact=True).fill(login)
    page.get_by_label("Hasło", exact=True).fill(PASSWORD)
    page.get_by_label("Powtórz hasło", exact=True).fill(PASSWORD)
    page.get_by_label("Akceptuję regulamin portalu").check()
    _answer_bot_question(page)
    if page.js_enabled:
        # the derived birth date shows once the PESEL was checked on the server (htmx)
        expect(page.locator("#pesel-derived")).to_contain_text("1990")
    page.get_by_role("button", name="Utwórz konto").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sprawdź pocztę")
    assert_no_axe_violations(page)

    # the activation link arrives over SMTP and opens a confirmation page
    message = mailbox.wait_for(to=email)
    links = [u for u in mailbox.links(message) if "/activate/" in u]
    assert links, f"no activation link in: {mailbox.text(message)}"
    assert links[0].startswith(live_server.url)
    page.goto(links[0])
    expect(page.get_by_text(login)).to_be_visible()
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Aktywuj konto").click()
    expect(page.get_by_text("Konto zostało aktywowane")).to_be_visible()
    assert_no_axe_violations(page)

    # Zaloguj się, then Moje konto shows what was registered
    _log_in(page, login, PASSWORD)
    expect(page.get_by_role("button", name="Wyloguj się")).to_be_visible()
    with page.expect_navigation() as navigation:
        page.get_by_role("link", name="Moje konto").click()
    if navigation.value.status == 404:
        pytest.skip("/account not built yet")
    main = page.get_by_role("main")
    expect(main.get_by_text("Anna Nowak")).to_be_visible()
    expect(main.get_by_text(re.compile("Sulejówek"))).to_be_visible()
    assert_no_axe_violations(page)

    # Weryfikacja dwuetapowa: scan or type the secret, confirm with a code
    secret, recovery_codes = _enable_two_step(page)
    account = Account.get(Account.login == login)
    assert account.totp_secret == secret

    page.get_by_role("button", name="Wyloguj się").click()
    expect(page.get_by_role("link", name="Zaloguj się")).to_be_visible()

    # the next login asks for the code (field `code`) after login and password
    _log_in(page, login, PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Kod weryfikacyjny")
    assert_no_axe_violations(page)
    # the code that switched 2FA on may not be replayed: move the stored step back as if
    # the clock had moved on, instead of waiting for the next 30-second step
    account = Account.get(Account.login == login)
    Account.update(totp_last_step=account.totp_last_step - 1).where(
        Account.id == account.id
    ).execute()
    code_field = page.get_by_label("Kod z aplikacji lub kod zapasowy")
    expect(code_field).to_have_attribute("name", "code")
    code_field.fill(pyotp.TOTP(secret).now())
    page.get_by_role("main").get_by_role("button", name="Zaloguj się").click()
    expect(page.get_by_role("button", name="Wyloguj się")).to_be_visible()
    assert_no_axe_violations(page)

    # a recovery code works once instead of the app's code
    page.get_by_role("button", name="Wyloguj się").click()
    expect(page.get_by_role("link", name="Zaloguj się")).to_be_visible()  # then go on
    _log_in(page, login, PASSWORD)
    page.get_by_label("Kod z aplikacji lub kod zapasowy").fill(recovery_codes[0])
    page.get_by_role("main").get_by_role("button", name="Zaloguj się").click()
    expect(page.get_by_role("button", name="Wyloguj się")).to_be_visible()


def _enable_two_step(page) -> tuple[str, list[str]]:
    page.get_by_role("navigation", name="Moje konto").get_by_role(
        "link", name="Weryfikacja dwuetapowa"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Weryfikacja dwuetapowa")
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Włącz weryfikację dwuetapową").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Włącz weryfikację dwuetapową")
    expect(page.locator(".qr svg")).to_be_visible()
    assert_no_axe_violations(page)
    secret = page.locator(".totp-secret").inner_text().replace(" ", "").strip()
    assert re.fullmatch(r"[A-Z2-7]{16,}", secret), secret
    page.get_by_label("Kod z aplikacji", exact=True).fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Potwierdź i włącz").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kody zapasowe")
    expect(page.get_by_role("status")).to_contain_text("została włączona")
    assert_no_axe_violations(page)
    codes = [c.strip() for c in page.locator(".recovery-codes li").all_inner_texts()]
    assert len(codes) >= 8
    return secret, codes


def test_invalid_registration_marks_every_field_and_summary_and_passes_axe(page, clinic):
    page.goto("/register")
    page.get_by_label("PESEL", exact=True).fill("12345678901")
    page.get_by_label("Adres e-mail", exact=True).fill("to-nie-jest-adres")
    _answer_bot_question(page)
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Utwórz konto").click()
    assert navigation.value.status == 422
    summary = page.get_by_role("alert").filter(has_text="Popraw zaznaczone pola")
    expect(summary).to_be_visible()
    if page.js_enabled:
        expect(summary).to_be_focused()  # a screen reader user hears what to fix first
    for label in ("Imię", "PESEL", "Adres e-mail", "Hasło"):
        field = page.get_by_label(label, exact=True)
        expect(field).to_have_attribute("aria-invalid", "true")
        message = page.locator(f"#{field.get_attribute('id')}-error")
        expect(message).to_be_visible()
        assert f"{field.get_attribute('id')}-error" in field.get_attribute("aria-describedby")
        expect(summary.get_by_role("link", name=re.compile(label))).to_have_count(1)
    expect(page.get_by_label("Adres e-mail", exact=True)).to_have_value("to-nie-jest-adres")
    assert_no_axe_violations(page)
    summary.get_by_role("link", name=re.compile("^PESEL")).click()
    expect(page.get_by_label("PESEL", exact=True)).to_be_focused()
