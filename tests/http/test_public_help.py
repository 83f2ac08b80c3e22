"""The help page ("Pomoc") and the header that says who is logged in."""

from __future__ import annotations

import re

from models.base import db
from tests import factories


def _header(page: str) -> str:
    return page[page.index('<header class="site-header">') : page.index("</header>")]


def _footer(page: str) -> str:
    return page[page.index('<footer class="site-footer">') : page.index("</footer>")]


def test_help_page_answers_the_questions_patients_ask(app, client):
    response = client.get("/help")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<h1>Pomoc</h1>" in page
    for anchor in ("register", "login", "book", "change", "messages", "cookies"):
        assert f'id="{anchor}"' in page and f'href="#{anchor}"' in page
    for question in (
        "Nie znamy takiej miejscowości",
        "Konto jest czasowo zablokowane",
        "Ten link wygasł",
        "Nie pamiętam loginu",
    ):
        assert question in page
    assert "podaje także Twój login" in page
    phone = app.config["ADMIN_CONTACT_PHONE"]
    assert f'href="tel:{phone.replace(" ", "")}"' in page


def test_help_is_linked_from_header_footer_and_the_cookie_notice(client):
    page = client.get("/").get_data(as_text=True)
    assert 'href="/help"' in _header(page)
    assert 'href="/help"' in _footer(page)
    notice = re.search(r'<section class="cookie-notice".*?</section>', page, re.S).group(0)
    assert 'href="/help#cookies"' in notice


def test_help_page_in_english(client):
    client.set_cookie("lang", "en")
    page = client.get("/help").get_data(as_text=True)
    assert "<h1>Help</h1>" in page and "Cookie policy" in page


def test_header_names_the_logged_in_patient_with_account_and_logout(app, client, auth):
    with app.app_context():
        db.connect(reuse_if_open=True)
        person = factories.patient(first_name="Ewa", last_name="Nowakowska")
        factories.account(login="ewa", patient=person)
    anonymous = _header(client.get("/").get_data(as_text=True))
    assert "Nowakowska" not in anonymous and "Zaloguj się" in anonymous
    auth.login("ewa", factories.PASSWORD)
    header = _header(client.get("/slots").get_data(as_text=True))
    assert "Ewa Nowakowska" in header
    assert 'href="/account"' in header and "Moje konto" in header
    assert re.search(r'<form method="post" action="/logout".*?Wyloguj', header, re.S)
    assert "Zaloguj się" not in header
