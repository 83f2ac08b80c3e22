"""Sub-accounts ("Subkonta") through the real routes with CSRF on: adding a dependant,
attaching an existing account (and the hostile ways to use that form), switching whose data
is on screen, detaching, and 404 for anyone else's dependant on every route."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from core.pesel import make as make_pesel
from core.timeutil import local_today
from models.accounts import Account, Guardianship
from models.audit import AuditEvent
from models.base import utcnow
from models.clinic import Locality
from models.mail import OutboxMessage
from models.patients import Patient
from tests import factories
from tests.conftest import csrf_token


@pytest.fixture
def family(ctx):
    """A parent (`parent`) with a newborn without PESEL (`baby`), a stranger guardian with a
    child of their own (`stranger`, `strangers_child`) and an adult with a login (`adult`)."""
    Locality.create(name="Warszawa", commune="Warszawa", county="Warszawa", voivodeship="maz.")
    parent = factories.account(login="mama", email="mama@example.com")
    baby = factories.dependant(
        parent, with_pesel=False, first_name="Zosia", birth_date=local_today() - timedelta(days=20)
    )
    stranger = factories.account(login="obcy", email="obcy@example.com")
    strangers_child = factories.dependant(stranger, first_name="Obca")
    adult = factories.account(login="babcia", email="babcia@example.com")
    return {
        "parent": parent,
        "baby": baby,
        "stranger": stranger,
        "strangers_child": strangers_child,
        "adult": adult,
    }


def log_in(auth, account):
    assert auth.login(account.login, factories.PASSWORD).status_code == 303


def post(client, path, **data):
    return client.post(path, data={"csrf_token": csrf_token(client, "/account"), **data})


def new_dependant_data(**over):
    data = {
        "first_name": "Staś",
        "last_name": "Mamin",
        "pesel": "",
        "guardian_pesel": "y",
        "birth_date": (local_today() - timedelta(days=3)).isoformat(),
        "sex": "M",
        "phone": "600 100 200",
        "street": "Polna",
        "house_number": "1",
        "postal_code": "00-001",
        "locality": "Warszawa",
    }
    return {**data, **over}


# --- adding a new dependant -----------------------------------------------------------------


def test_a_newborn_without_pesel_is_added_with_the_guardians_pesel(client, auth, family):
    log_in(auth, family["parent"])
    form = client.get("/account/subaccounts/new").get_data(as_text=True)
    assert 'name="guardian_pesel"' in form and "PESEL opiekuna" in form
    response = post(client, "/account/subaccounts/new", **new_dependant_data())
    assert response.status_code == 303
    child = Patient.get(Patient.first_name == "Staś")
    assert child.pesel is None and child.sex == "M"
    assert child.birth_date == local_today() - timedelta(days=3)
    assert Guardianship.get(Guardianship.patient == child).guardian_id == family["parent"].id
    assert not Account.select().where(Account.patient == child).exists()  # no login of its own
    listing = client.get("/account/subaccounts").get_data(as_text=True)
    assert "Staś Mamin" in listing and "Zosia" in listing


def test_guardian_pesel_needs_a_birth_date_and_sex(client, auth, family):
    log_in(auth, family["parent"])
    response = post(client, "/account/subaccounts/new", **new_dependant_data(birth_date="", sex=""))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="birth_date-error"' in page and 'id="sex-error"' in page
    assert not Patient.select().where(Patient.first_name == "Staś").exists()


def test_a_dependant_with_a_pesel_gets_birth_date_and_sex_from_it(client, auth, family):
    log_in(auth, family["parent"])
    pesel = make_pesel(date(2016, 4, 2), 77, female=False)
    response = post(
        client,
        "/account/subaccounts/new",
        **new_dependant_data(guardian_pesel="", pesel=pesel, birth_date="", sex=""),
    )
    assert response.status_code == 303
    child = Patient.get(Patient.pesel == pesel)
    assert child.birth_date == date(2016, 4, 2) and child.sex == "M"


def test_a_pesel_that_is_already_a_patient_is_refused_with_what_to_do(client, auth, family):
    log_in(auth, family["parent"])
    taken = family["strangers_child"].pesel
    response = post(
        client,
        "/account/subaccounts/new",
        **new_dependant_data(guardian_pesel="", pesel=taken, birth_date="", sex=""),
    )
    assert response.status_code == 409
    assert "istniejące konto" in response.get_data(as_text=True)
    assert Guardianship.select().where(Guardianship.guardian == family["parent"]).count() == 1


# --- attaching an existing account -----------------------------------------------------------


def test_an_existing_account_is_attached_and_its_own_login_keeps_working(client, auth, family):
    log_in(auth, family["parent"])
    response = post(
        client, "/account/subaccounts/attach", login="babcia", password=factories.PASSWORD
    )
    assert response.status_code == 303
    assert Guardianship.get(Guardianship.patient == family["adult"].patient_id).guardian_id == (
        family["parent"].id
    )
    mail = OutboxMessage.get(OutboxMessage.to == "babcia@example.com")
    assert "subkontem" in mail.subject
    auth.logout()
    log_in(auth, family["adult"])


def test_attaching_yourself_is_refused(client, auth, family):
    log_in(auth, family["parent"])
    response = post(
        client, "/account/subaccounts/attach", login="mama", password=factories.PASSWORD
    )
    assert response.status_code == 409
    assert "własne konto" in response.get_data(as_text=True)
    assert (
        not Guardianship.select()
        .where(Guardianship.patient == family["parent"].patient_id)
        .exists()
    )


def test_attaching_your_own_guardian_is_refused_as_a_cycle(client, auth, family):
    # babcia looks after mama; mama may not make babcia her dependant
    factories.guard(family["adult"], family["parent"].patient)
    log_in(auth, family["parent"])
    response = post(
        client, "/account/subaccounts/attach", login="babcia", password=factories.PASSWORD
    )
    assert response.status_code == 409
    assert "opiekunem" in response.get_data(as_text=True)
    assert (
        not Guardianship.select().where(Guardianship.patient == family["adult"].patient_id).exists()
    )


def test_a_longer_cycle_is_refused_too(client, auth, family):
    # babcia → mama → (attached) ciocia; ciocia may not attach babcia
    aunt = factories.account(login="ciocia", email="ciocia@example.com")
    factories.guard(family["adult"], family["parent"].patient)
    factories.guard(family["parent"], aunt.patient)
    log_in(auth, aunt)
    response = post(
        client, "/account/subaccounts/attach", login="babcia", password=factories.PASSWORD
    )
    assert response.status_code == 409


@pytest.mark.parametrize("state", ["locked", "disabled"])
def test_a_locked_or_disabled_account_cannot_be_attached(client, auth, family, state):
    change = (
        {"locked_until": utcnow() + timedelta(minutes=15)}
        if state == "locked"
        else {"disabled": True}
    )
    Account.update(**change).where(Account.id == family["adult"].id).execute()
    log_in(auth, family["parent"])
    response = post(
        client, "/account/subaccounts/attach", login="babcia", password=factories.PASSWORD
    )
    assert response.status_code == 409
    word = "zablokowane" if state == "locked" else "wyłączone"
    assert word in response.get_data(as_text=True)
    assert (
        not Guardianship.select().where(Guardianship.patient == family["adult"].patient_id).exists()
    )


def test_guessing_passwords_through_the_attach_form_locks_that_account(app, client, auth, family):
    """ASVS V2.2.1: the attach form counts like a login: the target account locks, and the
    right password then no longer attaches it."""
    log_in(auth, family["parent"])
    wrong_login = post(client, "/account/subaccounts/attach", login="nikt", password="x" * 12)
    wrong_password = post(client, "/account/subaccounts/attach", login="babcia", password="x" * 12)
    assert wrong_login.status_code == wrong_password.status_code == 422
    message = "Nieprawidłowy login lub hasło"
    assert message in wrong_login.get_data(as_text=True)
    assert message in wrong_password.get_data(as_text=True)
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        post(client, "/account/subaccounts/attach", login="babcia", password="y" * 12)
    assert Account.get_by_id(family["adult"].id).locked_until is not None
    right = post(client, "/account/subaccounts/attach", login="babcia", password=factories.PASSWORD)
    assert right.status_code == 409 and "zablokowane" in right.get_data(as_text=True)
    assert AuditEvent.select().where(AuditEvent.action == "login.failure").count() >= 5


def test_the_attach_form_is_rate_limited_like_the_login(app, client, auth, family):
    log_in(auth, family["parent"])
    statuses = [
        post(client, "/account/subaccounts/attach", login=f"nikt{n}", password="x" * 12).status_code
        for n in range(11)
    ]
    assert statuses[:10] == [422] * 10
    assert statuses[10] == 429


def test_a_dependant_has_at_most_two_guardians(client, auth, family):
    factories.guard(family["stranger"], family["adult"].patient)
    factories.guard(factories.account(), family["adult"].patient)
    log_in(auth, family["parent"])
    response = post(
        client, "/account/subaccounts/attach", login="babcia", password=factories.PASSWORD
    )
    assert response.status_code == 409
    assert "dwóch opiekunów" in response.get_data(as_text=True)


# --- switching whose data is on screen --------------------------------------------------------


def test_switching_to_a_dependant_shows_their_data_and_says_whose_it_is(client, auth, family):
    log_in(auth, family["parent"])
    page = client.get("/panel/reservations").get_data(as_text=True)
    assert "zmień osobę" in page
    response = post(
        client, "/account/active-person", patient=str(family["baby"].id), next="/panel/reservations"
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/panel/reservations")
    page = client.get("/panel/reservations").get_data(as_text=True)
    assert f"<strong>{family['baby'].full_name}</strong> (podopieczny)" in page
    back = post(client, "/account/active-person", patient=str(family["parent"].patient_id))
    assert back.status_code == 303
    page = client.get("/panel/reservations").get_data(as_text=True)
    assert f"<strong>{family['parent'].patient.full_name}</strong><span" in page


def test_switching_to_a_strangers_patient_id_is_404(client, auth, family):
    log_in(auth, family["parent"])
    for patient_id in (family["strangers_child"].id, family["stranger"].patient_id, 999999, "x"):
        response = post(client, "/account/active-person", patient=str(patient_id))
        assert response.status_code == 404
    assert AuditEvent.select().where(AuditEvent.action == "access.refused").count() >= 3


def test_an_offsite_next_after_switching_stays_on_the_site(client, auth, family):
    log_in(auth, family["parent"])
    response = post(
        client, "/account/active-person", patient=str(family["baby"].id), next="//evil.example/"
    )
    assert response.status_code == 303
    assert "evil" not in response.headers["Location"]


def test_a_detached_dependant_falls_back_to_yourself(client, auth, family):
    second = factories.account(login="tata", email="tata@example.com")
    factories.guard(second, family["baby"])
    log_in(auth, family["parent"])
    post(client, "/account/active-person", patient=str(family["baby"].id))
    Guardianship.delete().where(
        (Guardianship.guardian == family["parent"].id) & (Guardianship.patient == family["baby"])
    ).execute()
    page = client.get("/panel/reservations").get_data(as_text=True)
    assert "(podopieczny)" not in page
    assert family["baby"].full_name not in page


# --- detaching ------------------------------------------------------------------------------


def test_detaching_asks_first_then_detaches(client, auth, family):
    factories.guard(family["parent"], family["adult"].patient)
    log_in(auth, family["parent"])
    path = f"/account/subaccounts/{family['adult'].patient_id}/detach"
    confirm = client.get(path)
    assert confirm.status_code == 200
    assert "Tak, odłącz subkonto" in confirm.get_data(as_text=True)
    assert Guardianship.select().where(Guardianship.patient == family["adult"].patient_id).exists()
    assert post(client, path).status_code == 303
    assert (
        not Guardianship.select().where(Guardianship.patient == family["adult"].patient_id).exists()
    )


def test_a_newborn_without_login_cannot_be_detached_into_nothing(client, auth, family):
    log_in(auth, family["parent"])
    path = f"/account/subaccounts/{family['baby'].id}/detach"
    confirm = client.get(path)
    assert confirm.status_code == 409
    assert "nie można odłączyć" in confirm.get_data(as_text=True)
    assert post(client, path).status_code == 409
    assert Guardianship.select().where(Guardianship.patient == family["baby"]).exists()


def test_a_child_under_16_with_a_login_cannot_be_detached_into_nothing(client, auth, family):
    kid = factories.account(
        login="dziecko", patient=factories.patient(birth_date=local_today() - timedelta(days=3650))
    )
    factories.guard(family["parent"], kid.patient)
    log_in(auth, family["parent"])
    response = post(client, f"/account/subaccounts/{kid.patient_id}/detach")
    assert response.status_code == 409
    assert "16 lat" in response.get_data(as_text=True)


def test_with_a_second_guardian_one_parent_may_detach(client, auth, family):
    second = factories.account(login="tata", email="tata@example.com")
    factories.guard(second, family["baby"])
    log_in(auth, family["parent"])
    response = post(client, f"/account/subaccounts/{family['baby'].id}/detach")
    assert response.status_code == 303
    assert [
        g.guardian_id for g in Guardianship.select().where(Guardianship.patient == family["baby"])
    ] == [second.id]


def test_another_guardians_dependant_is_404_on_every_route(client, auth, family):
    log_in(auth, family["parent"])
    other = family["strangers_child"].id
    assert client.get(f"/account/subaccounts/{other}/detach").status_code == 404
    assert post(client, f"/account/subaccounts/{other}/detach").status_code == 404
    assert post(client, "/account/active-person", patient=str(other)).status_code == 404
    assert client.get(f"/account/subaccounts/{family['adult'].patient_id}/detach").status_code == (
        404
    )
    assert Guardianship.select().where(Guardianship.patient == other).count() == 1
    assert "Obca" not in client.get("/account/subaccounts").get_data(as_text=True)


def test_pages_need_a_login(client, family):
    for path in ("/account/subaccounts", "/account/subaccounts/new", "/account/subaccounts/attach"):
        response = client.get(path)
        assert response.status_code in (302, 303) and "/login" in response.headers["Location"]


# --- a second guardian ----------------------------------------------------------------------


def test_a_newborn_is_shared_with_the_other_parent_by_login_and_email(client, auth, family):
    dad = factories.account(login="tata", email="tata@example.com")
    log_in(auth, family["parent"])
    path = f"/account/subaccounts/{family['baby'].id}/share"
    assert client.get(path).status_code == 200
    wrong = post(client, path, login="tata", email="ktos@example.com")
    assert wrong.status_code == 422
    assert not Guardianship.select().where(Guardianship.guardian == dad.id).exists()
    assert post(client, path, login="tata", email="TATA@example.com").status_code == 303
    assert Guardianship.get(Guardianship.guardian == dad.id).patient_id == family["baby"].id
    assert OutboxMessage.select().where(OutboxMessage.to == "tata@example.com").exists()
    auth.logout()
    log_in(auth, dad)
    switched = post(client, "/account/active-person", patient=str(family["baby"].id))
    assert switched.status_code == 303


def test_a_third_guardian_is_refused(client, auth, family):
    factories.guard(factories.account(login="tata"), family["baby"])
    factories.account(login="wujek", email="wujek@example.com")
    log_in(auth, family["parent"])
    response = post(
        client,
        f"/account/subaccounts/{family['baby'].id}/share",
        login="wujek",
        email="wujek@example.com",
    )
    assert response.status_code == 409
    assert "dwóch opiekunów" in response.get_data(as_text=True)


def test_sharing_another_guardians_dependant_is_404(client, auth, family):
    log_in(auth, family["parent"])
    path = f"/account/subaccounts/{family['strangers_child'].id}/share"
    assert client.get(path).status_code == 404
    assert post(client, path, login="mama", email="mama@example.com").status_code == 404
    assert (
        Guardianship.select().where(Guardianship.patient == family["strangers_child"]).count() == 1
    )


def test_a_dependant_cannot_be_shared_with_its_own_account(client, auth, family):
    factories.guard(family["parent"], family["adult"].patient)
    log_in(auth, family["parent"])
    response = post(
        client,
        f"/account/subaccounts/{family['adult'].patient_id}/share",
        login="babcia",
        email="babcia@example.com",
    )
    assert response.status_code == 409
