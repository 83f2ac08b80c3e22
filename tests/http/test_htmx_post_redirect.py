"""A boosted form's 303 answered with the page it points to (core/htmx_redirects.py, issue 14):
the boosted log-in answers the booking step with the new session, the boosted booking answers
the visit page and books once; plain requests, off-site targets and failures are unchanged."""

import pytest

from core.htmx_redirects import cookies_after, local_location
from models.booking import Appointment
from tests import factories
from tests.conftest import csrf_token

BOOSTED = {"HX-Request": "true", "HX-Boosted": "true", "HX-Current-URL": "http://localhost/login"}


@pytest.fixture
def clinic(ctx):
    made = factories.bookable(2, **factories.cardiology())
    made["account"] = factories.account(login="jan.pacjent", email="jan.pacjent@example.com")
    return made


def reserve_path(clinic) -> str:
    return f"/slots/{clinic['slots'][0].id}/reserve?service={clinic['svc'].id}"


def post_login(client, next_path, headers=None, password=factories.PASSWORD):
    data = {
        "login": "jan.pacjent",
        "password": password,
        "csrf_token": csrf_token(client, "/login"),
        "next": next_path,
    }
    return client.post("/login", data=data, headers=headers or {})


def test_boosted_login_answers_the_booking_step_with_the_new_session(client, clinic):
    target = reserve_path(clinic)
    response = post_login(client, target, headers=BOOSTED)
    assert response.status_code == 200
    assert response.headers["HX-Push-Url"] == target
    assert "Location" not in response.headers
    page = response.get_data(as_text=True)
    assert "<title>Potwierdź rezerwację" in page
    assert 'hx-boost="true"' in page and "Wyślij" in page
    session_cookies = [
        c for c in response.headers.getlist("Set-Cookie") if c.startswith("wizyta_session=")
    ]
    assert session_cookies and all("HttpOnly" in c for c in session_cookies)
    # the browser keeps the last one: logged in for the next request, not only in this answer
    assert client.get(target).status_code == 200
    assert "jan.pacjent" in client.get("/account").get_data(as_text=True)


def test_plain_login_post_is_still_a_303(client, clinic):
    target = reserve_path(clinic)
    response = post_login(client, target)
    assert response.status_code == 303
    assert response.headers["Location"] == target
    assert "HX-Push-Url" not in response.headers
    # htmx but not boosted (an hx-post fragment): the redirect is not followed either
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    fragment = post_login(client, target, headers={"HX-Request": "true"})
    assert fragment.status_code == 303 and "HX-Push-Url" not in fragment.headers


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example"])
def test_an_off_site_next_is_never_followed(client, clinic, target):
    response = post_login(client, target, headers=BOOSTED)
    # the app turns it into its home page, and only that local page is followed
    assert response.status_code == 200
    assert response.headers["HX-Push-Url"] == "/"
    assert "evil" not in response.headers["HX-Push-Url"]


def test_failed_boosted_login_is_unchanged(client, clinic):
    response = post_login(client, reserve_path(clinic), headers=BOOSTED, password="wrong one!!")
    assert response.status_code == 422
    assert "HX-Push-Url" not in response.headers
    assert "Nieprawidłowy login lub hasło" in response.get_data(as_text=True)
    assert client.get(reserve_path(clinic)).status_code in (302, 303)  # still signed out


def test_a_boosted_post_without_csrf_is_still_refused(client, clinic):
    data = {"login": "jan.pacjent", "password": factories.PASSWORD, "next": reserve_path(clinic)}
    response = client.post("/login", data=data, headers=BOOSTED)
    assert response.status_code == 400
    assert "HX-Push-Url" not in response.headers
    assert client.get(reserve_path(clinic)).status_code in (302, 303)  # not signed in


def test_boosted_booking_answers_the_visit_page_and_books_once(client, auth, clinic):
    assert auth.login("jan.pacjent", factories.PASSWORD).status_code == 303
    slot = clinic["slots"][0]
    path = f"/slots/{slot.id}/reserve"
    data = {
        "csrf_token": csrf_token(client, path),
        "patient": clinic["account"].patient_id,
        "service": clinic["svc"].id,
    }
    response = client.post(path, data=data, headers=BOOSTED)
    booked = list(Appointment.select().where(Appointment.active_slot == slot.id))
    assert len(booked) == 1
    assert response.status_code == 200
    assert response.headers["HX-Push-Url"] == f"/panel/reservations/{booked[0].id}"
    page = response.get_data(as_text=True)
    assert "Zarezerwowano wizytę" in page  # the flash set by the POST, shown by the GET
    assert "<title>Wizyta: Konsultacja kardiologiczna" in page
    # the flash was shown once: the next page does not repeat it
    again = client.get(f"/panel/reservations/{booked[0].id}").get_data(as_text=True)
    assert "Zarezerwowano wizytę" not in again


def test_a_followed_page_that_is_not_200_leaves_the_redirect(client, app, clinic):
    """The GET of the Location answering a redirect itself: the browser gets the first 303."""
    app.add_url_rule("/test-hop", "test_hop", lambda: ("", 303, {"Location": "/test-hop2"}))
    app.add_url_rule("/test-hop2", "test_hop2", lambda: ("", 303, {"Location": "/"}))
    response = client.get("/test-hop", headers=BOOSTED)
    assert response.status_code == 303
    assert response.headers["Location"] == "/test-hop2"
    assert "HX-Push-Url" not in response.headers


def test_local_location_takes_only_paths_of_this_app():
    assert local_location("/slots/1/reserve?a=1") == ("/slots/1/reserve", "a=1")
    for bad in ("https://x.example/", "//x.example", "/\\x", "x/y", "", None, "/a b", "/a\n"):
        assert local_location(bad) is None
    assert local_location("/app/panel", "/app") == ("/panel", "")
    assert local_location("/other/panel", "/app") is None


def test_cookies_after_replaces_adds_and_deletes():
    sent = cookies_after(
        "session=old; lang=pl; gone=1",
        [
            "session=new.value; HttpOnly; Path=/; SameSite=Lax",
            "gone=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/",
            "fresh=1; Max-Age=60; Path=/",
            "elsewhere=1; Path=/static",
        ],
        "/panel/reservations/1",
    )
    assert sent == "session=new.value; lang=pl; fresh=1"
