"""HEAD and OPTIONS never change state: only a POST with a valid CSRF token does (issue 8.3)."""

from __future__ import annotations

import pytest

from models.accounts import Account
from models.base import db
from tests import factories
from tests.http.hardening_world import PATIENT_LOGIN, build_world, route_urls, snapshot


@pytest.fixture
def world(app):
    return build_world(app)


def _activated(app, account_id: int) -> bool:
    with app.app_context():
        db.connect(reuse_if_open=True)
        active = Account.get_by_id(account_id).activated_at is not None
        db.close()
    return active


def test_head_on_an_activation_link_does_not_activate(app, client, world):
    """ASVS V2.3.1 / V4.2.2 a mail scanner sending HEAD must not activate someone's account."""
    path = f"/activate/{world['activation_token']}"
    response = client.head(path)
    assert response.status_code == 200
    assert not _activated(app, world["inactive"])
    assert client.options(path).status_code == 200
    assert not _activated(app, world["inactive"])


@pytest.mark.parametrize("logged_in", [False, True])
def test_head_and_options_on_every_route_change_nothing(app, client, auth, world, logged_in):
    """ASVS V4.2.2 (and V13.1 safe methods): HEAD and OPTIONS are sent to every rule of the
    URL map, with real ids and live tokens; no table changes (reads may be audited) and no
    answer is a 5xx."""
    if logged_in:
        assert auth.login(PATIENT_LOGIN, factories.PASSWORD).status_code == 303
    before = snapshot(app)
    urls = route_urls(app, world)
    assert len(urls) >= len(list(app.url_map.iter_rules()))
    for endpoint, url in urls:
        for method in ("HEAD", "OPTIONS"):
            response = client.open(url, method=method, headers={"HX-Request": "true"})
            assert response.status_code < 500, (method, url, response.status_code)
            response = client.open(url, method=method)
            assert response.status_code < 500, (method, url, response.status_code)
            assert snapshot(app) == before, f"{method} {url} ({endpoint}) changed the database"
