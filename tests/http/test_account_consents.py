"""Consents in Moje konto: list with text and version, grant/withdraw optional, history kept."""

from __future__ import annotations

import pytest

from models.accounts import Consent, ConsentRecord
from models.audit import AuditEvent
from models.base import db
from tests import factories
from tests.conftest import csrf_token


@pytest.fixture
def setup(app):
    with app.app_context():
        db.connect(reuse_if_open=True)
        required = Consent.create(
            code="regulamin", title="Akceptuję regulamin", text="Treść regulaminu.", required=True
        )
        sms = Consent.create(
            code="sms", version=2, title="Przypomnienia SMS", text="Zgoda na SMS o wizytach."
        )
        retired = Consent.create(
            code="newsletter", title="Newsletter", text="Stara zgoda.", active=False
        )
        ewa = factories.account(login="ewa")
        jan = factories.account(login="jan")
        ConsentRecord.create(account=ewa, consent=required, granted=True, ip="127.0.0.1")
        ConsentRecord.create(account=jan, consent=sms, granted=True, ip="127.0.0.1")
        db.close()
    return {"required": required, "sms": sms, "retired": retired, "ewa": ewa, "jan": jan}


def decide(client, consent_id, decision, **extra):
    data = {"decision": decision, "csrf_token": csrf_token(client, "/account/consents"), **extra}
    return client.post(f"/account/consents/{consent_id}", data=data)


def records(app, account, consent=None) -> list[tuple[int, bool]]:
    with app.app_context():
        db.connect(reuse_if_open=True)
        query = ConsentRecord.select().where(ConsentRecord.account == account.id)
        if consent is not None:
            query = query.where(ConsentRecord.consent == consent.id)
        found = [(r.consent_id, r.granted) for r in query.order_by(ConsentRecord.id)]
        db.close()
    return found


def test_list_shows_title_text_version_and_state(client, auth, setup):
    auth.login("ewa", factories.PASSWORD)
    page = client.get("/account/consents").get_data(as_text=True)
    assert "Akceptuję regulamin" in page and "Treść regulaminu." in page
    assert "Przypomnienia SMS" in page and "Wersja 2" in page
    assert "udzielona" in page and "nieudzielona" in page
    assert "Newsletter" not in page  # retired and never answered
    assert 'hx-history="false"' in page


def test_grant_then_withdraw_optional_consent_keeps_history(app, client, auth, setup):
    auth.login("ewa", factories.PASSWORD)
    sms = setup["sms"]
    response = decide(client, sms.id, "grant")
    assert response.status_code == 303 and response.headers["Location"] == "/account/consents"
    assert decide(client, sms.id, "withdraw").status_code == 303
    assert records(app, setup["ewa"], sms) == [(sms.id, True), (sms.id, False)]
    page = client.get("/account/consents").get_data(as_text=True)
    assert "Historia zgód" in page and page.count("Przypomnienia SMS") >= 3
    assert "udzielono" in page and "wycofano" in page
    with app.app_context():
        db.connect(reuse_if_open=True)
        actions = [e.action for e in AuditEvent.select().order_by(AuditEvent.id)]
        db.close()
    assert "consent.granted" in actions and "consent.withdrawn" in actions


def test_repeating_the_same_decision_adds_no_record(app, client, auth, setup):
    auth.login("ewa", factories.PASSWORD)
    decide(client, setup["sms"].id, "grant")
    decide(client, setup["sms"].id, "grant")
    assert len(records(app, setup["ewa"], setup["sms"])) == 1


def test_required_consent_cannot_be_withdrawn_here(app, client, auth, setup):
    auth.login("ewa", factories.PASSWORD)
    page = client.get("/account/consents").get_data(as_text=True)
    assert "Zgód wymaganych do prowadzenia konta nie można wycofać" in page
    response = decide(client, setup["required"].id, "withdraw")
    assert response.status_code == 409
    assert "Zgody wymaganej nie można wycofać" in response.get_data(as_text=True)
    assert records(app, setup["ewa"], setup["required"]) == [(setup["required"].id, True)]


def test_retired_consent_cannot_be_granted_and_unknown_gives_404(app, client, auth, setup):
    auth.login("ewa", factories.PASSWORD)
    assert decide(client, setup["retired"].id, "grant").status_code == 404
    assert decide(client, 999999, "grant").status_code == 404
    assert client.post("/account/consents/abc", data={}).status_code in (400, 404)
    assert records(app, setup["ewa"]) == [(setup["required"].id, True)]


@pytest.mark.parametrize("decision", ["", "delete", "grant' OR 1=1 --", "x" * 10000])
def test_bad_decision_gets_422(app, client, auth, setup, decision):
    auth.login("ewa", factories.PASSWORD)
    assert decide(client, setup["sms"].id, decision).status_code == 422
    assert records(app, setup["ewa"], setup["sms"]) == []


def test_missing_csrf_changes_nothing(app, client, auth, setup):
    """ASVS V4.2.2."""
    auth.login("ewa", factories.PASSWORD)
    response = client.post(f"/account/consents/{setup['sms'].id}", data={"decision": "grant"})
    assert response.status_code == 400
    assert records(app, setup["ewa"], setup["sms"]) == []


def test_another_accounts_consents_are_never_touched_or_shown(app, client, auth, setup):
    """ASVS V4.2.1 records are read and written only for the logged-in account."""
    auth.login("ewa", factories.PASSWORD)
    decide(client, setup["sms"].id, "grant", account=str(setup["jan"].id))
    decide(client, setup["sms"].id, "withdraw", account=str(setup["jan"].id))
    assert records(app, setup["jan"]) == [(setup["sms"].id, True)]
    assert records(app, setup["ewa"], setup["sms"]) == [
        (setup["sms"].id, True),
        (setup["sms"].id, False),
    ]
    auth.logout()
    auth.login("jan", factories.PASSWORD)
    page = client.get("/account/consents").get_data(as_text=True)
    assert "wycofano" not in page and "Akceptuję regulamin</td>" not in page


def test_withdrawing_a_consent_never_given_records_nothing(app, client, auth, setup):
    auth.login("ewa", factories.PASSWORD)
    assert decide(client, setup["sms"].id, "withdraw").status_code == 303
    assert records(app, setup["ewa"], setup["sms"]) == []


def test_new_version_of_a_consent_is_asked_again_and_the_old_can_be_withdrawn(
    app, client, auth, setup
):
    """A new wording is a new version: the old grant stays in history, not as a grant of v3."""
    with app.app_context():
        db.connect(reuse_if_open=True)
        ConsentRecord.create(account=setup["ewa"], consent=setup["sms"], granted=True)
        Consent.update(active=False).where(Consent.id == setup["sms"].id).execute()
        v3 = Consent.create(code="sms", version=3, title="Przypomnienia SMS", text="Nowa treść.")
        db.close()
    auth.login("ewa", factories.PASSWORD)
    page = client.get("/account/consents").get_data(as_text=True)
    assert "Wersja 2" in page and "Wersja 3" in page and "wersja nieaktualna" in page
    response = decide(client, setup["sms"].id, "grant")
    assert response.status_code == 409
    assert "nie jest już aktualna" in response.get_data(as_text=True)
    assert decide(client, setup["sms"].id, "withdraw").status_code == 303
    assert decide(client, v3.id, "grant").status_code == 303
    assert records(app, setup["ewa"], v3) == [(v3.id, True)]
