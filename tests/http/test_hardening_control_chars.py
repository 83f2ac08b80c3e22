"""Control characters are refused in every field of every form, at one place (issue 8.5)."""

from __future__ import annotations

import itertools
from urllib.parse import urlencode

import pytest

from tests import factories
from tests.conftest import csrf_token
from tests.http.hardening_world import (
    PATIENT_LOGIN,
    TOTP_LOGIN,
    build_world,
    forms_of,
    route_urls,
    snapshot,
)

SAMPLES = ["\x00", "\x01", "\x08", "\x0b", "\x1b", "\x7f", "\x85", "\x9f"]
MESSAGE = "niedozwolone znaki sterujące"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "BOT_CHECK": True, "BOT_CHECK_BITS": 4}


def _all_forms(app, client, world) -> dict[tuple[str, str], dict]:
    """Every form on every page the client can open (GET rules of the URL map)."""
    found: dict[tuple[str, str], dict] = {}
    for _endpoint, url in route_urls(app, world):
        if url.startswith("/static/"):
            continue
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response.content_type:
            continue
        for form in forms_of(response.get_data(as_text=True)):
            action = form["action"] or url
            found.setdefault((form["method"], action), form)
    return found


def _send(client, method: str, action: str, fields: dict):
    if method == "get":
        separator = "&" if "?" in action else "?"
        return client.get(action + separator + urlencode(fields))
    return client.post(action, data=fields)


@pytest.mark.parametrize("logged_in", [False, True])
def test_every_field_of_every_form_refuses_control_characters(app, client, auth, logged_in):
    """ASVS V5.1.3/V5.1.4 and V5.3.4: NUL and the other control characters, sent in each field
    of each form the site shows (found by walking the URL map and reading the pages), get 422
    with a message — never a 500, never a stored value; on PostgreSQL too."""
    world = build_world(app)
    if logged_in:
        assert auth.login(PATIENT_LOGIN, factories.PASSWORD).status_code == 303
        # The authenticator set-up form appears after "start".
        client.post("/account/2fa/start", data={"csrf_token": csrf_token(client, "/account/2fa")})
    else:
        # The second login step's form appears after the first step of a 2FA account.
        assert auth.login(TOTP_LOGIN, factories.PASSWORD).status_code == 303
    forms = _all_forms(app, client, world)
    expected = (
        {"/login", "/register", "/password/forgot", "/login/code"}
        if not logged_in
        else {"/account/data", "/account/2fa/setup", "/slots/{free_slot}/reserve".format(**world)}
    )
    assert expected <= {action.split("?")[0] for _method, action in forms}
    before = snapshot(app)
    samples = itertools.cycle(SAMPLES)
    checked = 0
    for (method, action), form in forms.items():
        for name in form["text"]:
            value = f"a{next(samples)}b"
            response = _send(client, method, action, {**form["fields"], name: value})
            assert response.status_code == 422, (method, action, name, response.status_code)
            assert MESSAGE in response.get_data(as_text=True), (action, name)
            checked += 1
    assert checked >= (15 if not logged_in else 20)
    after = snapshot(app)
    after.pop("ip_block", None), before.pop("ip_block", None)  # login probes count as failures
    assert after == before


@pytest.mark.parametrize("value", ["\x00", "ewa\x00", "\x00" * 50])
def test_nul_in_the_login_field_is_a_422_with_a_message(client, value):
    """ASVS V5.1.4: the NUL that gave a 500 on PostgreSQL ("A string literal cannot contain
    NUL characters") is refused before any query."""
    for headers in ({}, {"HX-Request": "true"}):
        response = client.post(
            "/login",
            data={"login": value, "password": "x", "csrf_token": csrf_token(client, "/login")},
            headers=headers,
        )
        assert response.status_code == 422
        assert MESSAGE in response.get_data(as_text=True)


def test_tab_and_new_lines_stay_allowed(client):
    """A textarea sends line breaks; they are not control characters to refuse."""
    response = client.post(
        "/password/forgot",
        data={
            "email": "a\tb\r\n@example.com",
            "csrf_token": csrf_token(client, "/password/forgot"),
        },
    )
    assert response.status_code == 422
    assert MESSAGE not in response.get_data(as_text=True)
