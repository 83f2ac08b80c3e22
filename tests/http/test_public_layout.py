"""The layout, security headers, language switch, cookie notice and error pages."""

import re

import pytest

from core.security import safe_next
from tests import factories
from tests.conftest import csrf_token


def test_home_lists_facilities_and_specialties(client, ctx):
    factories.facility(name="Przychodnia Pod Lipami")
    factories.specialty(name="Kardiolog")
    page = client.get("/").get_data(as_text=True)
    assert "Przychodnia Pod Lipami" in page
    assert "Kardiolog" in page
    assert 'href="/slots' in page


def test_every_response_carries_security_headers(client):
    """ASVS V14.4.1-V14.4.7 charset, CSP without unsafe-inline/eval, nosniff, referrer, frames."""
    response = client.get("/")
    headers = response.headers
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    csp = headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Cache-Control"] == "no-store"


def test_pages_have_no_inline_script_or_style(client):
    """ASVS V14.4.3 the CSP can forbid inline code because pages have none."""
    page = client.get("/").get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)
    assert "<style" not in page and " style=" not in page
    assert not re.search(r"\son[a-z]+=", page)


def test_layout_has_skip_link_menu_and_administrator_contact(client, app):
    page = client.get("/").get_data(as_text=True)
    assert page.index('class="skip-link" href="#main"') < page.index("<main")
    for label in ("Wolne terminy", "Panel pacjenta", "Zaloguj się", "Utwórz konto"):
        assert label in page
    assert app.config["ADMIN_CONTACT_EMAIL"] in page
    assert re.search(r'src="/static/vendor/htmx-2\.0\.11\.min\.[0-9a-f]{10}\.js"', page)


def test_htmx_is_configured_for_the_csp_and_error_swaps(client):
    page = client.get("/").get_data(as_text=True)
    config = re.search(r"name=\"htmx-config\" content='([^']+)'", page).group(1)
    assert '"allowEval":false' in config
    assert '"includeIndicatorStyles":false' in config
    assert '"historyCacheSize":0' in config
    assert '"code":"422","swap":true' in config and '"code":"409","swap":true' in config


def test_language_switch_to_english_and_back(client):
    response = client.post(
        "/language", data={"lang": "en", "next": "/", "csrf_token": csrf_token(client)}
    )
    assert response.status_code == 303
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Free slots" in page
    client.post("/language", data={"lang": "pl", "next": "/", "csrf_token": csrf_token(client)})
    assert '<html lang="pl">' in client.get("/").get_data(as_text=True)


def test_unknown_language_is_ignored(client):
    client.post("/language", data={"lang": "xx", "csrf_token": csrf_token(client)})
    assert '<html lang="pl">' in client.get("/").get_data(as_text=True)


def test_cookie_notice_disappears_after_accepting_without_javascript(client):
    assert "cookie-notice" in client.get("/").get_data(as_text=True)
    response = client.post(
        "/cookies/accept", data={"next": "/slots", "csrf_token": csrf_token(client)}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/slots"
    assert "cookie-notice" not in client.get("/").get_data(as_text=True)


def test_post_without_csrf_token_is_refused_kindly(client):
    """ASVS V4.2.2 state changes need the CSRF token."""
    response = client.post("/language", data={"lang": "en"})
    assert response.status_code == 400
    assert "Odśwież stronę" in response.get_data(as_text=True)
    assert '<html lang="pl">' in client.get("/").get_data(as_text=True)


def test_missing_page_gets_friendly_404_in_users_language(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Nie znaleziono strony" in response.get_data(as_text=True)
    client.set_cookie("lang", "en")
    assert "Page not found" in client.get("/no-such-page").get_data(as_text=True)


def test_unexpected_error_shows_reference_id_and_no_traceback(app):
    """ASVS V7.4.1 a generic error page with a reference id."""

    @app.get("/boom-for-test")
    def boom():
        raise RuntimeError("secret internal detail")

    response = app.test_client().get("/boom-for-test")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Traceback" not in body and "secret internal detail" not in body
    assert re.search(r"Numer zgłoszenia: <strong>[0-9A-F]{8}</strong>", body)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/slots?specialty=1", "/slots?specialty=1"),
        ("https://evil.example/", "/"),
        ("//evil.example/x", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("", "/"),
        (None, "/"),
        ("/ok\r\nSet-Cookie: x", "/"),
    ],
)
def test_next_is_only_ever_a_local_path(target, expected):
    assert safe_next(target) == expected


def test_form_left_open_for_hours_still_posts(client, app):
    """ASVS V4.2.2 CSRF tokens are tied to the session, not to a one-hour clock."""
    import time as clock
    from unittest import mock

    token = csrf_token(client)
    later = clock.time() + 5 * 3600
    with mock.patch("itsdangerous.timed.time.time", return_value=later):
        response = client.post("/language", data={"lang": "en", "csrf_token": token})
    assert response.status_code == 303


def test_htmx_request_with_expired_form_gets_the_message_in_main(client):
    """ASVS V4.2.2 an htmx POST without a valid token is refused visibly, not silently."""
    response = client.post("/language", data={"lang": "en"}, headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert response.headers["HX-Retarget"] == "#main"
    assert response.headers["HX-Reswap"] == "innerHTML"
    assert "Odśwież stronę" in body and "<html" not in body


def test_htmx_error_swaps_are_enabled_in_the_config(client):
    page = client.get("/").get_data(as_text=True)
    assert '{"code":"[45]..","swap":true,"error":true}' in page
