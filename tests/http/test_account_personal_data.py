"""Changing personal data: registration's validation, read-only PESEL, hostile input refused."""

from __future__ import annotations

import pytest

from models.accounts import Account
from models.audit import AuditEvent
from models.base import db
from models.clinic import Locality
from models.patients import Patient
from tests import factories
from tests.conftest import csrf_token


@pytest.fixture
def setup(app):
    with app.app_context():
        db.connect(reuse_if_open=True)
        warszawa = Locality.create(
            name="Warszawa", commune="Warszawa", county="Warszawa", voivodeship="mazowieckie"
        )
        nw1 = Locality.create(
            name="Nowa Wieś", commune="Kowala", voivodeship="mazowieckie", simc="0001"
        )
        Locality.create(
            name="Nowa Wieś", commune="Przasnysz", voivodeship="mazowieckie", simc="0002"
        )
        ewa = factories.account(
            login="ewa",
            patient=factories.patient(
                first_name="Ewa",
                last_name="Nowak",
                phone="600100200",
                street="Długa",
                house_number="1",
                postal_code="00-001",
                locality=warszawa,
            ),
        )
        other = factories.account(login="jan")
        db.close()
    return {"ewa": ewa, "other": other, "warszawa": warszawa, "nowa_wies": nw1}


def form_data(client, **over) -> dict[str, str]:
    data = {
        "csrf_token": csrf_token(client, "/account/data"),
        "first_name": "Ewa Maria",
        "last_name": "Nowak-Kowalska",
        "phone": "+48 601 200 300",
        "street": "Krótka",
        "house_number": "12A",
        "flat_number": "5",
        "postal_code": "02-123",
        "locality": "Warszawa",
    }
    data.update(over)
    return data


def patient_of(app, account) -> Patient:
    with app.app_context():
        db.connect(reuse_if_open=True)
        found = Patient.get_by_id(account.patient_id)
        db.close()
    return found


def test_form_shows_current_data_and_pesel_read_only(client, auth, setup):
    auth.login("ewa", factories.PASSWORD)
    page = client.get("/account/data").get_data(as_text=True)
    assert 'value="Długa"' in page and 'value="00-001"' in page
    assert setup["ewa"].patient.pesel in page
    assert 'name="pesel"' not in page and 'name="birth_date"' not in page
    assert 'hx-history="false"' in page


def test_valid_change_is_saved_and_audited(app, client, auth, setup):
    auth.login("ewa", factories.PASSWORD)
    response = client.post("/account/data", data=form_data(client))
    assert response.status_code == 303 and response.headers["Location"] == "/account"
    patient = patient_of(app, setup["ewa"])
    assert patient.first_name == "Ewa Maria" and patient.last_name == "Nowak-Kowalska"
    assert patient.street == "Krótka" and patient.flat_number == "5"
    assert patient.postal_code == "02-123" and patient.locality_id == setup["warszawa"].id
    assert "Zapisano dane osobowe" in client.get("/account").get_data(as_text=True)
    with app.app_context():
        db.connect(reuse_if_open=True)
        event = AuditEvent.get(AuditEvent.action == "account.personal_data_changed")
        assert "first_name" in event.details and "pesel" not in event.details
        db.close()


def test_pesel_and_birth_date_in_the_post_are_ignored(app, client, auth, setup):
    """ASVS V4.2.1/V5.1.x: fields the patient may not edit are not taken from the request."""
    before = patient_of(app, setup["ewa"])
    auth.login("ewa", factories.PASSWORD)
    data = form_data(client, pesel="44051401458", birth_date="1944-05-14", sex="M")
    assert client.post("/account/data", data=data).status_code == 303
    after = patient_of(app, setup["ewa"])
    assert (after.pesel, after.birth_date, after.sex) == (
        before.pesel,
        before.birth_date,
        before.sex,
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("postal_code", "0000-1"),
        ("postal_code", "00-0011"),
        ("phone", "call me"),
        ("first_name", "<script>alert(1)</script>"),
        ("last_name", "Nowak'); DROP TABLE patient;--"),
        ("first_name", "x" * 101),
        ("street", "y" * 5000),
        ("house_number", ""),
        ("first_name", "Ewa\u0000"),
        ("locality", "Atlantyda"),
    ],
)
def test_invalid_or_hostile_input_gets_422_and_changes_nothing(
    app, client, auth, setup, field, value
):
    """ASVS V5.1.3/V5.1.4 allow-lists and length limits; V5.3.4 nothing reaches SQL raw."""
    before = patient_of(app, setup["ewa"])
    auth.login("ewa", factories.PASSWORD)
    response = client.post("/account/data", data=form_data(client, **{field: value}))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    if "\x00" in value:  # refused for every form at one place, before the view (core.input_guard)
        assert "niedozwolone znaki" in page
    else:
        assert 'aria-invalid="true"' in page and 'id="error-summary"' in page
    assert "<script>alert(1)</script>" not in page
    after = patient_of(app, setup["ewa"])
    assert after.first_name == before.first_name and after.street == before.street


def test_invalid_utf8_bytes_get_422_not_500(app, client, auth, setup):
    """Bad input never gives a 500 (DESIGN §6)."""
    auth.login("ewa", factories.PASSWORD)
    data = form_data(client)
    body = "&".join(f"{k}={v}" for k, v in data.items() if k != "first_name")
    body = body.encode() + b"&first_name=Ew%C3%28a%FF"
    response = client.post(
        "/account/data", data=body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 422
    assert patient_of(app, setup["ewa"]).first_name == "Ewa"


def test_ambiguous_locality_offers_candidates_then_accepts_a_choice(app, client, auth, setup):
    auth.login("ewa", factories.PASSWORD)
    response = client.post("/account/data", data=form_data(client, locality="Nowa Wieś"))
    assert response.status_code == 422
    assert response.get_data(as_text=True).count('name="locality_choice"') == 2
    chosen = setup["nowa_wies"]
    response = client.post(
        "/account/data",
        data=form_data(client, locality="Nowa Wieś", locality_choice=str(chosen.id)),
    )
    assert response.status_code == 303
    assert patient_of(app, setup["ewa"]).locality_id == chosen.id


def test_missing_csrf_token_gets_400_and_changes_nothing(app, client, auth, setup):
    """ASVS V4.2.2 CSRF token on every state change."""
    auth.login("ewa", factories.PASSWORD)
    data = form_data(client)
    del data["csrf_token"]
    assert client.post("/account/data", data=data).status_code == 400
    assert patient_of(app, setup["ewa"]).first_name == "Ewa"


def test_change_touches_only_the_logged_in_patient(app, client, auth, setup):
    """ASVS V4.2.1 the patient comes from the session, never from the request."""
    other_before = patient_of(app, setup["other"])
    auth.login("ewa", factories.PASSWORD)
    data = form_data(client, patient=str(setup["other"].patient_id), id=str(setup["other"].id))
    assert client.post("/account/data", data=data).status_code == 303
    other_after = patient_of(app, setup["other"])
    assert other_after.first_name == other_before.first_name
    assert other_after.street == other_before.street
    with app.app_context():
        db.connect(reuse_if_open=True)
        assert Account.get_by_id(setup["other"].id).login == "jan"
        db.close()
