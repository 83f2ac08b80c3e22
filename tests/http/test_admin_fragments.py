"""The admin's lists filter with htmx (only #results comes back). The fragment is rendered
without the rest of its template, so its macros must be imported inside it: before, every
filtered admin list answered 500 with JavaScript on ('active_button' / 'pager' undefined)
while the same list without JavaScript worked. tests/unit/test_fragment_imports.py checks
every fragment's template; this asks each admin list for its fragment over HTTP."""

from __future__ import annotations

import pytest

from models.base import db
from models.clinic import Locality
from services.staff_accounts import create_staff_account
from tests import factories

HTMX = {"HX-Request": "true"}


@pytest.fixture
def admin_client(app, client, auth):
    with app.app_context():
        db.connect(reuse_if_open=True)
        create_staff_account("szef", "szef@example.com", factories.PASSWORD, "admin")
        place = factories.facility(name="Przychodnia Lipowa")
        spec = factories.specialty(name="Poradnia Kardiologiczna")
        factories.service(spec, name="Porada kardiologiczna")
        factories.staff(spec, place, last_name="Sercowa")
        Locality.create(name="Zalesie Dolne", commune="Piaseczno", voivodeship="mazowieckie")
        db.close()
    assert auth.login("szef", factories.PASSWORD).status_code == 303
    return client


@pytest.mark.parametrize(
    ("path", "query", "expected"),
    [
        ("/admin/facilities", "Lipo", "Przychodnia Lipowa"),
        ("/admin/specialties", "Kardio", "Poradnia Kardiologiczna"),
        ("/admin/services", "kardio", "Porada kardiologiczna"),
        ("/admin/staff", "Serc", "Sercowa"),
        ("/admin/localities", "Zalesie", "Zalesie Dolne"),
        ("/admin/audit", "", "127.0.0.1"),  # the log-in above
    ],
)
def test_a_filtered_admin_list_answers_its_fragment(admin_client, path, query, expected):
    full = admin_client.get(path, query_string={"q": query})
    assert full.status_code == 200 and expected in full.get_data(as_text=True)
    part = admin_client.get(path, query_string={"q": query}, headers=HTMX)
    text = part.get_data(as_text=True)
    assert part.status_code == 200, text[:300]
    assert text.lstrip().startswith('<div id="results"') and expected in text
    assert "<html" not in text
