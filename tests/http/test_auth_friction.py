"""Registration and login without friction: pasted numbers, summary order, honest messages."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from models.accounts import Account
from models.base import db
from models.patients import Patient
from tests import factories
from tests.conftest import csrf_token
from tests.http.test_auth_register import PESEL, _clinic, registration_data


@pytest.fixture
def app_config(app_config, mailbox):
    return {
        **app_config,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": mailbox.port,
        "BOT_CHECK": False,
    }


@pytest.fixture
def clinic(app):
    with app.app_context():
        db.connect(reuse_if_open=True)
        return _clinic()


def _patient(app) -> Patient:
    with app.app_context():
        db.connect(reuse_if_open=True)
        return Patient.get()


def _summary(page: str) -> str:
    match = re.search(r'<div class="error-summary".*?</div>', page, re.S)
    assert match, "no error summary"
    return match.group(0)


@pytest.mark.parametrize(
    "pasted", [PESEL[:3] + " " + PESEL[3:7] + " " + PESEL[7:], "-".join(re.findall("..?", PESEL))]
)
def test_pesel_pasted_with_spaces_or_dashes_is_accepted_whole(app, client, clinic, pasted):
    assert len(pasted) > 11
    response = client.post("/register", data=registration_data(client, clinic, pesel=pasted))
    assert response.status_code == 303, _summary(response.get_data(as_text=True))
    assert _patient(app).pesel == PESEL


def test_pesel_input_is_long_enough_for_a_pasted_number_with_separators(client, clinic):
    page = client.get("/register").get_data(as_text=True)
    tag = re.search(r'<input[^>]*id="pesel"[^>]*>', page).group(0)
    maxlength = int(re.search(r'maxlength="(\d+)"', tag).group(1))
    assert maxlength >= len("85-10-10-12-35")


def test_pesel_field_check_shows_the_normalised_number(client, clinic):
    spaced = PESEL[:3] + " " + PESEL[3:7] + " " + PESEL[7:]
    fragment = client.post(
        "/register",
        data=registration_data(client, clinic, pesel=spaced),
        headers={"HX-Request": "true", "HX-Trigger-Name": "pesel"},
    ).get_data(as_text=True)
    assert f'value="{PESEL}"' in fragment and 'aria-invalid="true"' not in fragment


@pytest.mark.parametrize("typed", ["05 500", "05500", " 05-500 "])
def test_postal_code_without_dash_is_normalised(app, client, clinic, typed):
    response = client.post("/register", data=registration_data(client, clinic, postal_code=typed))
    assert response.status_code == 303
    assert _patient(app).postal_code == "05-500"


def test_postal_code_is_normalised_in_moje_konto_too(app, client, auth):
    with app.app_context():
        db.connect(reuse_if_open=True)
        from models.clinic import Locality

        Locality.create(name="Piaseczno", commune="Piaseczno", voivodeship="mazowieckie")
        factories.account(login="ewa")
    auth.login("ewa", factories.PASSWORD)
    response = client.post(
        "/account/data",
        data={
            "csrf_token": csrf_token(client, "/account/data"),
            "first_name": "Ewa",
            "last_name": "Nowak",
            "phone": "600 100 200",
            "street": "Długa",
            "house_number": "1",
            "flat_number": "",
            "postal_code": "05 500",
            "locality": "Piaseczno",
        },
    )
    assert response.status_code == 303
    assert _patient(app).postal_code == "05-500"


def test_error_summary_lists_fields_in_the_order_of_the_page(client, clinic):
    data = registration_data(
        client,
        clinic,
        first_name="",
        postal_code="x",
        email="zly",
        login="!",
        password="",
        password_confirm="",
    )
    data.pop(f"consent_{clinic['required'].id}")
    page = client.post("/register", data=data).get_data(as_text=True)
    summary_ids = re.findall(r'<a href="#([\w-]+)"', _summary(page))
    form = page[page.index('<form method="post" action="/register"') :]
    page_ids = [i for i in re.findall(r'<input[^>]*\bid="([\w-]+)"', form) if i in summary_ids]
    assert summary_ids == page_ids
    assert summary_ids[0] == "first_name" and summary_ids[-1].startswith("consent_")
    assert summary_ids.index("postal_code") < summary_ids.index("email")


def test_summary_does_not_repeat_the_login_label(client, clinic):
    page = client.post("/register", data=registration_data(client, clinic, login="!")).get_data(
        as_text=True
    )
    summary = _summary(page)
    assert "Login:" in summary and "Login: Login" not in summary


def test_wrong_bot_answer_is_named_in_the_summary_without_stray_punctuation(app, client, clinic):
    app.config["BOT_CHECK"] = True
    data = registration_data(client, clinic, botcheck_answer="12345")
    page = client.post("/register", data=data).get_data(as_text=True)
    summary = _summary(page)
    assert "Pytanie kontrolne: Odpowiedz na pytanie kontrolne." in summary
    assert ".: " not in summary and "?: " not in summary


class _ElementText(HTMLParser):
    """The text inside the element with a given id (nested elements included)."""

    VOID = {"input", "br", "img", "meta", "link", "hr"}

    def __init__(self, element_id: str):
        super().__init__()
        self.element_id, self.depth, self.text = element_id, 0, []

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        if self.depth or dict(attrs).get("id") == self.element_id:
            self.depth += 1

    def handle_endtag(self, tag):
        if self.depth and tag not in self.VOID:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.text.append(data)


def _text_inside(page: str, element_id: str) -> str:
    parser = _ElementText(element_id)
    parser.feed(page)
    return " ".join(parser.text)


def test_each_consent_text_sits_inside_its_own_checkbox_field(client, clinic):
    page = client.get("/register").get_data(as_text=True)
    required, optional = clinic["required"], clinic["optional"]
    inside_required = _text_inside(page, f"consent_{required.id}-field")
    inside_optional = _text_inside(page, f"consent_{optional.id}-field")
    assert required.text in inside_required and optional.text not in inside_required
    assert optional.text in inside_optional and required.text not in inside_optional


def test_no_format_hint_beside_the_native_date_picker(client, clinic):
    page = client.get("/register").get_data(as_text=True)
    field = re.search(r'id="birth_date-field">.*?</div>', page, re.S).group(0)
    assert 'type="date"' in field and "RRRR-MM-DD" not in field


def test_check_your_mail_page_repeats_the_address(client, clinic):
    response = client.post(
        "/register",
        data=registration_data(client, clinic, email="anna.nowak@example.com"),
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "Sprawdź pocztę" in page and "anna.nowak@example.com" in page


def test_without_js_emptied_password_fields_do_not_claim_a_strength(client, clinic):
    """The page comes back with the locality candidates: the password fields are empty."""
    page = client.post(
        "/register", data=registration_data(client, clinic, locality="Nowa Wieś")
    ).get_data(as_text=True)
    assert "locality_choice" in page
    note = re.search(r'<p class="hint strength"[^>]*>(.*?)</p>', page, re.S).group(1)
    assert "silne" not in note.lower() and "słabe" not in note.lower()
    assert "wpisz hasło ponownie" in note.lower()
    assert re.search(r'<input[^>]*id="password"[^>]*value=""', page)


def test_first_login_after_activation_welcomes_with_next_steps(app, client, auth):
    with app.app_context():
        db.connect(reuse_if_open=True)
        factories.account(login="nowa")
    page = auth.login("nowa", factories.PASSWORD).headers["Location"]
    first = client.get(page).get_data(as_text=True)
    assert "Witamy w e-Rejestracji" in first
    for link in ("/slots", "/account/data", "/account/2fa"):
        assert f'href="{link}"' in first
    auth.logout()
    again = client.get(auth.login("nowa", factories.PASSWORD).headers["Location"])
    assert "Witamy w e-Rejestracji" not in again.get_data(as_text=True)


@pytest.mark.parametrize("login", ["ewa", "nie-ma-takiego"])
def test_failed_login_warns_about_the_lock_the_same_way_for_any_login(app, client, auth, login):
    """ASVS V2.2.1 the warning is the same whether or not the login exists (no enumeration)."""
    with app.app_context():
        db.connect(reuse_if_open=True)
        factories.account(login="ewa")
    response = auth.login(login, "zle haslo zle haslo")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert (
        "Nieprawidłowy login lub hasło. Po 5 nieudanych próbach z rzędu konto zostaje "
        "czasowo zablokowane." in page
    )
    assert "Popraw zaznaczone pola" not in page
    assert "Nie udało się zalogować" in _summary(page)


def test_reset_mail_tells_the_login_too(app, client, mailbox):
    """The answer to "I forgot my login": the password-reset e-mail names it."""
    with app.app_context():
        db.connect(reuse_if_open=True)
        factories.account(login="ewa.kowalska", email="ewa@example.com")
    client.post(
        "/password/forgot", data={"email": "ewa@example.com", "csrf_token": csrf_token(client)}
    )
    text = mailbox.text(mailbox.wait_for(to="ewa@example.com"))
    assert "ewa.kowalska" in text
    with app.app_context():
        assert Account.select().count() == 1
