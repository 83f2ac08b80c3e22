"""Registration field checks cannot slow the site; request bodies have a size limit (issue 8.2)."""

from __future__ import annotations

import pytest

from tests.conftest import csrf_token

FIELD_CHECK = {"HX-Request": "true", "HX-Trigger-Name": "password"}


@pytest.fixture
def app_config(app_config):
    return {**app_config, "BOT_CHECK": False, "REGISTER_FIELD_RATE_LIMIT": "5 per minute"}


def _check(client, token, **fields):
    return client.post(
        "/register",
        data={"csrf_token": token, **fields},
        headers={**FIELD_CHECK, "X-CSRFToken": token},
    )


def test_field_checks_are_rate_limited_per_ip(client):
    """ASVS V11.1.4 / V2.2.1 anti-automation: the per-field htmx validation has its own
    per-IP limit (generous in production: a person types); past it, 429 with Retry-After and
    a message that says how long to wait."""
    token = csrf_token(client, "/register")
    statuses = [_check(client, token, password="x" * 20).status_code for _ in range(5)]
    assert statuses == [200] * 5
    refused = _check(client, token, password="x" * 20)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    page = refused.get_data(as_text=True)
    assert "Spróbuj ponownie za" in page
    assert refused.headers["HX-Retarget"] == "#main"
    # Another IP is not affected.
    other = client.post(
        "/register",
        data={"csrf_token": token, "password": "x" * 20},
        headers={**FIELD_CHECK, "X-CSRFToken": token},
        environ_base={"REMOTE_ADDR": "10.9.9.9"},
    )
    assert other.status_code == 200


def test_a_huge_value_is_capped_before_validation_and_never_echoed(client):
    """ASVS V5.1.4: each field is cut to its limit before any validator runs; the answer does
    not carry the value back."""
    token = csrf_token(client, "/register")
    huge = "abcdefgh " * 5000  # 45 KB, under the request limit
    response = _check(client, token, password=huge)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "najwyżej 128" in body
    assert len(body) < 5000
    assert huge[:200] not in body


@pytest.mark.parametrize("lang", ["pl", "en"])
@pytest.mark.parametrize("htmx", [False, True])
def test_oversized_request_gets_a_proper_413_page(client, lang, htmx):
    """ASVS V12.1.1 / V13.1.x: MAX_CONTENT_LENGTH is tens of KB (no uploads yet); a bigger body
    gets 413 with a page in the user's language (an htmx request gets it in <main>)."""
    client.set_cookie("lang", lang, domain="localhost")
    token = csrf_token(client, "/register")
    headers = {"X-CSRFToken": token, **({"HX-Request": "true"} if htmx else {})}
    response = client.post(
        "/register", data={"csrf_token": token, "note": "x" * 200_000}, headers=headers
    )
    assert response.status_code == 413
    body = response.get_data(as_text=True)
    if lang == "pl":
        assert "najwyżej 64 KB" in body
    else:
        assert "at most 64 KB" in body
    if htmx:
        assert response.headers["HX-Retarget"] == "#main"
        assert "<html" not in body
    else:
        assert "<html" in body
    assert len(body) < 20_000
