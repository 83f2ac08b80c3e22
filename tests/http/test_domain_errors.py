"""One way to turn a refused rule into an answer: a DomainError carries its status and a
message translated when read; one handler renders it (the page, or the htmx target)."""

from __future__ import annotations

import pytest

from core.errors import DomainError
from core.extensions import LANG_COOKIE
from services import account_changes, accounts, booking_errors


@pytest.fixture
def raising_app(app):
    def refuse(kind: str):
        errors = {
            "taken": booking_errors.SlotTaken(),
            "not_found": booking_errors.SlotNotFound(),
            "rule": booking_errors.BookingRuleBroken("horizon"),
            "consent": account_changes.ConsentRetired(),
        }
        raise errors[kind]

    app.add_url_rule("/_test/refuse/<kind>", "test_refuse", refuse)
    return app


@pytest.mark.parametrize(
    ("kind", "status", "words"),
    [
        ("taken", 409, "Ten termin jest już zajęty"),
        ("not_found", 404, "Tego terminu nie można zarezerwować"),
        ("rule", 422, "dni naprzód"),
        ("consent", 409, "Ta wersja zgody nie jest już aktualna"),
    ],
)
def test_a_domain_error_becomes_its_status_and_message(raising_app, kind, status, words):
    client = raising_app.test_client()
    page = client.get(f"/_test/refuse/{kind}")
    assert page.status_code == status
    assert words in page.get_data(as_text=True)
    assert "<html" in page.get_data(as_text=True).lower()

    fragment = client.get(f"/_test/refuse/{kind}", headers={"HX-Request": "true"})
    assert fragment.status_code == status
    assert fragment.headers["HX-Retarget"] == "#main"
    assert words in fragment.get_data(as_text=True)
    assert "<html" not in fragment.get_data(as_text=True).lower()


def test_the_message_is_translated_when_read(raising_app):
    client = raising_app.test_client()
    client.set_cookie(LANG_COOKIE, "en")
    page = client.get("/_test/refuse/taken")
    assert page.status_code == 409
    assert "Ten termin jest już zajęty" not in page.get_data(as_text=True)
    assert "taken" in page.get_data(as_text=True)


def test_every_service_refusal_is_a_domain_error():
    for error in (
        booking_errors.BookingError,
        accounts.LoginRefused,
        account_changes.WrongPassword,
    ):
        assert issubclass(error, DomainError)
    assert accounts.LoginRefused.status == 422
    assert booking_errors.SlotNotFound.status == 404
