"""GET /localities: the search page without JavaScript and the htmx <datalist> options."""

from __future__ import annotations

import re

import pytest

from models.base import db
from models.clinic import Locality

HTMX = {"HX-Request": "true"}


@pytest.fixture
def dictionary(app):
    with app.app_context():
        db.connect(reuse_if_open=True)
        for name, commune, county, voivodeship, simc in [
            ("Łódź", "Łódź", "m. Łódź", "łódzkie", "0958063"),
            ("Łomianki", "Łomianki", "warszawski zachodni", "mazowieckie", "0001001"),
            ("Nowa Wieś", "Kowala", "radomski", "mazowieckie", "0001002"),
            ("Nowa Wieś", "Przasnysz", "przasnyski", "mazowieckie", "0001003"),
        ]:
            Locality.create(
                name=name, commune=commune, county=county, voivodeship=voivodeship, simc=simc
            )
        db.close()


def test_search_page_without_js_lists_matches(client, dictionary):
    response = client.get("/localities?q=%C5%82%C3%B3d")  # "łód"
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<form method="get" action="/localities"' in page
    assert 'name="q" value="łód"' in page
    assert "Łódź" in page and "woj. łódzkie" in page and "Łomianki" not in page


def test_search_page_without_a_query_shows_only_the_form(client, dictionary):
    page = client.get("/localities").get_data(as_text=True)
    assert 'name="q"' in page and "Nowa Wieś" not in page


def test_htmx_gets_datalist_options_with_labels(client, dictionary):
    response = client.get("/localities?q=nowa", headers=HTMX)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert body.startswith('<datalist id="locality-options">') and body.endswith("</datalist>")
    assert body.count("<option") == 2
    assert '<option value="Nowa Wieś (gm. Kowala, woj. mazowieckie)">' in body
    assert "HX-Request" in response.headers.get("Vary", "")


def test_registration_field_name_is_accepted_as_the_query(client, dictionary):
    body = client.get("/localities?locality=%C5%81OM", headers=HTMX).get_data(as_text=True)
    assert body.count("<option") == 1 and "Łomianki" in body


def test_too_short_query_gives_an_empty_datalist(client, dictionary):
    body = client.get("/localities?q=n", headers=HTMX).get_data(as_text=True)
    assert body == '<datalist id="locality-options"></datalist>'


@pytest.mark.parametrize(
    "query",
    [
        "x" * 5000,
        "%00%00ab",
        "%FF%FE",
        "%25%25%25",
        "%5C%5C",
        "Nowa%0AWie%C5%9B",
        "'%20OR%201=1--",
        "%F0%9F%98%80%F0%9F%98%80",
    ],
)
def test_any_query_gets_an_answer_not_a_server_error(client, dictionary, query):
    """ASVS V5.1.3: the query is length-limited and sanitised; no input causes a 500."""
    for headers in ({}, HTMX):
        response = client.get(f"/localities?q={query}", headers=headers)
        # Control characters are refused for every form at one place (core.input_guard).
        assert response.status_code == (422 if "%00" in query else 200)


def test_query_is_escaped_in_the_page(client, dictionary):
    """ASVS V5.3.3: the echoed query is HTML-escaped."""
    page = client.get("/localities?q=%3Cscript%3Ealert(1)%3C/script%3E").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page


def test_long_query_is_cut_to_100_characters(client, dictionary):
    page = client.get("/localities?q=" + "a" * 300).get_data(as_text=True)
    assert len(re.search(r'name="q" value="(a*)"', page).group(1)) == 100
