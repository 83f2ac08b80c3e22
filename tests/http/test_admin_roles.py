"""Every admin route, tried anonymously, as a patient, a doctor, a registrar and an admin:
a visitor is sent to log in, a patient gets 404, other staff 403, the admin the page (ASVS
V4.1.1, V4.1.3). The routes are read from the app, so a new admin page is covered too."""

from __future__ import annotations

import re

import pytest

from models.accounts import Consent
from models.base import db
from services.staff_accounts import create_staff_account
from tests import factories
from tests import role_matrix as rm
from tests.conftest import csrf_token

LOGINS = {"patient": "pacjent", "doctor": "lekarz", "registrar": "rejestracja", "admin": "szef"}


@pytest.fixture
def world(app):
    with app.app_context():
        db.connect(reuse_if_open=True)
        fac = factories.facility()
        spec = factories.specialty()
        svc = factories.service(spec)
        member = factories.staff(spec, fac)
        Consent.create(code="regulamin", title="Regulamin", text="Treść.", required=True)
        factories.account(login="pacjent")
        create_staff_account("lekarz", "lekarz@example.com", factories.PASSWORD, "doctor", member)
        create_staff_account("rejestracja", "rej@example.com", factories.PASSWORD, "registrar")
        create_staff_account("szef", "szef@example.com", factories.PASSWORD, "admin")
        ids = {"facilities": fac.id, "specialties": spec.id, "services": svc.id, "staff": member.id}
        db.close()
    return ids


def _admin_routes(app, ids) -> list[tuple[str, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("admin."):
            continue
        path = rule.rule
        if "<int:object_id>" in path:
            kind = path.split("/")[2]
            path = path.replace("<int:object_id>", str(ids[kind]))
        path = path.replace("<code>", "regulamin")
        assert "<" not in path, path
        for method in ("GET", "POST"):
            if method in rule.methods:
                routes.append((method, path))
    return routes


ANSWERS = {rm.ANONYMOUS: rm.LOG_IN, "patient": 404, "doctor": 403, "registrar": 403,
           "admin": (200, 303, 422)}  # fmt: skip


@pytest.mark.parametrize("role", rm.ROLES)
def test_every_admin_route_answers_by_role(app, client, world, role):
    token = rm.enter_as(client, role, LOGINS)
    routes = _admin_routes(app, world)
    assert len(routes) >= 25
    rm.expect(client, token, ANSWERS[role], routes, who=role)


def test_staff_land_on_their_side_after_login(client, world):
    response = client.post(
        "/login",
        data={"login": "szef", "password": factories.PASSWORD, "csrf_token": csrf_token(client)},
    )
    assert response.headers["Location"].endswith("/admin/")
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    response = client.post(
        "/login",
        data={
            "login": "rejestracja",
            "password": factories.PASSWORD,
            "csrf_token": csrf_token(client),
        },
    )
    assert response.headers["Location"].endswith("/staff/")


def test_the_staff_placeholder_admin_page_is_gone(client, world):
    rm.log_in(client, LOGINS["admin"])
    assert client.get("/staff/admin").status_code == 404
    page = client.get("/admin/").get_data(as_text=True)
    assert re.search(r'href="/admin/audit"', page)
