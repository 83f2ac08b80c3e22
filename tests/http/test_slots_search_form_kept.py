"""The search form is rendered once per catalogue version, language and filters and then
kept (blueprints/slots/kept_markup.py, issue 14). What it shows must still follow the
request: the language, the chosen filters, the catalogue's changes, and errors (not kept)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from models.base import db, utcnow
from models.clinic import Facility
from tests import factories as f
from tests.conftest import csrf_token


@pytest.fixture
def clinic(app):
    with app.app_context():
        db.connect(reuse_if_open=True)
        place = f.facility(name="Przychodnia Lipowa")
        spec = f.specialty(name="Poradnia Kardiologiczna")
        doctor = f.staff(spec, place, last_name="Zielińska")
        start = (utcnow() + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
        f.slot(doctor, place, start, specialty=spec)
        ids = {"place": place.id, "spec": spec.id}
        db.close()
    return ids


def _form(client, **query) -> str:
    page = client.get("/slots", query_string=query).get_data(as_text=True)
    start = page.index('<form id="slot-search"')
    return page[start : page.index("</form>", start)]


def test_the_same_search_in_english_gets_the_english_form(client, clinic):
    assert "Specjalność (poradnia)" in _form(client, specialty=clinic["spec"])
    client.post("/language", data={"lang": "en", "next": "/", "csrf_token": csrf_token(client)})
    english = _form(client, specialty=clinic["spec"])
    assert "Specjalność (poradnia)" not in english
    assert 'lang="en"' in client.get("/slots").get_data(as_text=True)


def test_the_chosen_filters_stay_selected(client, clinic):
    plain = _form(client)
    chosen = _form(client, specialty=clinic["spec"], visit_type="remote")
    assert f'value="{clinic["spec"]}" selected' in chosen
    assert f'value="{clinic["spec"]}" selected' not in plain
    assert '<option value="remote" selected>' in chosen
    assert '<option value="" selected>' in _form(client)


def test_a_form_with_errors_shows_what_was_typed_and_is_not_kept(client, clinic):
    wrong = client.get("/slots", query_string={"date_from": "2026-02-31"})
    assert wrong.status_code == 422
    assert 'value="2026-02-31"' in wrong.get_data(as_text=True)
    again = _form(client, date_from="2026-02-31")
    assert "aria-invalid" in again
    assert "aria-invalid" not in _form(client)


def test_a_renamed_place_shows_in_the_kept_form(app, client, clinic):
    assert "Przychodnia Lipowa" in _form(client)
    with app.app_context():
        db.connect(reuse_if_open=True)
        Facility.update(name="Przychodnia Klonowa").where(Facility.id == clinic["place"]).execute()
        db.close()
    form = _form(client)
    assert "Przychodnia Klonowa" in form and "Przychodnia Lipowa" not in form
    assert re.search(r'<select id="f-facility"', form)


def test_every_date_range_a_visitor_tries_keeps_at_most_a_bounded_number_of_forms(
    app, client, clinic, monkeypatch
):
    import importlib

    from services.catalogue_cache import catalogue

    kept_markup = importlib.import_module("blueprints.slots.kept_markup")

    monkeypatch.setattr(kept_markup, "KEPT_MAX", 5)
    for day in range(1, 13):
        response = client.get("/slots", query_string={"date_to": f"2027-01-{day:02d}"})
        assert response.status_code == 200
        assert f'value="2027-01-{day:02d}"' in response.get_data(as_text=True)
    with app.test_request_context():
        db.connect(reuse_if_open=True)
        kept = catalogue().remembered(("kept markup",), dict)
        db.close()
    assert 0 < len(kept) <= 5
