"""The staff role matrix: a staff route tried anonymously, as a patient, a doctor, a registrar
and an admin, each answering as its role must (a visitor is sent to log in, a patient gets 404,
a role without the right 403, the right role the page). One set of helpers for every role test.
"""

from __future__ import annotations

from collections.abc import Iterable

from tests import factories
from tests.conftest import csrf_token

ANONYMOUS = "anonymous"
ROLES = (ANONYMOUS, "patient", "doctor", "registrar", "admin")
LOG_IN = "sent to log in"  # the expected answer of a visitor: a redirect to the log-in page


def log_in(client, login: str, password: str = factories.PASSWORD, token_from: str = ""):
    """Log the test client in (the log-in must succeed: 303); with `token_from`, the CSRF
    token of the new session as that page shows it."""
    response = client.post(
        "/login",
        data={"login": login, "password": password, "csrf_token": csrf_token(client, "/login")},
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return csrf_token(client, token_from) if token_from else None


def logins(world: dict) -> dict[str, str]:
    """The login of each role in a factories.desk_clinic() or doctor_day() world."""
    return {
        "patient": world["account"].login,
        "doctor": world["doctor_account"].login,
        "registrar": world["registrar"].login,
        "admin": world["admin"].login,
    }


def enter_as(client, role: str, role_logins: dict[str, str]) -> str:
    """Log in as `role` (a visitor stays logged out); the CSRF token of the session."""
    if role == ANONYMOUS:
        return csrf_token(client, "/help")
    return log_in(client, role_logins[role], token_from="/help")


def routes(gets: Iterable[str] = (), posts: Iterable[str] = ()) -> list[tuple[str, str]]:
    """(method, path) pairs: the GETs first, then the POSTs."""
    return [("GET", path) for path in gets] + [("POST", path) for path in posts]


def expect(client, token: str, answer, tried: Iterable[tuple[str, str]], data=None, who=""):
    """Every (method, path) answers `answer`: LOG_IN, a status or a tuple of statuses. A POST
    carries the CSRF token and `data`."""
    for method, path in tried:
        if method == "GET":
            response = client.get(path)
        else:
            response = client.post(path, data={"csrf_token": token, **(data or {})})
        status = response.status_code
        where = f"{who} {method} {path}: {status}".strip()
        if answer == LOG_IN:
            location = response.headers.get("Location", "")
            if method == "GET":
                assert status == 302 and "/login?next=" in location, where
            else:
                assert status in (302, 303) and "/login" in location, where
        else:
            assert status in ((answer,) if isinstance(answer, int) else answer), where
