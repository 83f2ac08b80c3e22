"""Consent versions (patients accept a new required version at their next login), clinic
settings from the database over the environment's defaults, localities, IP blocks and the
audit log's CSV (safe against spreadsheet formulas)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from models.accounts import Account, Consent, ConsentRecord, IpBlock
from models.audit import AuditEvent
from models.base import db, utcnow
from models.clinic import Locality, Specialty
from services.rules import clinic_rules
from services.staff_accounts import create_staff_account
from tests import factories
from tests.conftest import csrf_token


def _read(app, fn):
    with app.app_context():
        db.connect(reuse_if_open=True)
        try:
            return fn()
        finally:
            db.close()


@pytest.fixture
def admin(app):
    _read(
        app, lambda: create_staff_account("szef", "szef@example.com", factories.PASSWORD, "admin")
    )


def _login(client, login: str):
    return client.post(
        "/login",
        data={"login": login, "password": factories.PASSWORD, "csrf_token": csrf_token(client)},
    )


def _logout(client):
    client.post("/logout", data={"csrf_token": csrf_token(client)})


def _post(client, path, data):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, "/help")})


def test_new_version_of_a_required_consent_is_accepted_again_at_next_login(app, client, admin):
    def setup():
        terms = Consent.create(code="regulamin", title="Regulamin", text="Wersja 1.", required=True)
        ewa = factories.account(login="ewa")
        ConsentRecord.create(account=ewa, consent=terms, granted=True)
        factories.account(login="nowa")  # never accepted anything: not asked (nothing to renew)

    _read(app, setup)
    _login(client, "ewa")
    assert client.get("/panel").status_code == 200
    _logout(client)

    _login(client, "szef")
    response = _post(
        client,
        "/admin/consents/regulamin",
        {"title": "Regulamin", "text": "Wersja 2: nowe zasady.", "required": "y"},
    )
    assert response.status_code == 303
    versions = _read(
        app, lambda: [(c.version, c.active) for c in Consent.select().order_by(Consent.version)]
    )
    assert versions == [(1, False), (2, True)]
    _logout(client)

    _login(client, "ewa")
    response = client.get("/panel")
    assert response.status_code == 303 and response.headers["Location"] == "/account/consents/renew"
    page = client.get("/account/consents/renew").get_data(as_text=True)
    assert "Wersja 2: nowe zasady." in page
    refused = client.post(
        "/account/consents/renew",
        data={"csrf_token": csrf_token(client, "/account/consents/renew")},
    )
    assert refused.status_code == 422
    accepted = client.post(
        "/account/consents/renew",
        data={"accept": "1", "csrf_token": csrf_token(client, "/account/consents/renew")},
    )
    assert accepted.status_code == 303
    assert client.get("/panel").status_code == 200
    granted = _read(
        app,
        lambda: [
            (r.consent.version, r.granted)
            for r in ConsentRecord.select().join(Account).where(Account.login == "ewa")
        ],
    )
    assert granted == [(1, True), (2, True)]
    _logout(client)
    _login(client, "nowa")
    assert client.get("/panel").status_code == 200


def test_an_optional_consent_version_does_not_stop_the_patient(app, client):
    def setup():
        sms = Consent.create(code="sms", title="SMS", text="1", required=False)
        ewa = factories.account(login="ewa")
        ConsentRecord.create(account=ewa, consent=sms, granted=True)
        Consent.update(active=False).execute()
        Consent.create(code="sms", version=2, title="SMS", text="2", required=False)

    _read(app, setup)
    _login(client, "ewa")
    assert client.get("/panel").status_code == 200


def test_clinic_rules_and_footer_come_from_the_database_over_the_environment(app, client, admin):
    app.config["ADMIN_CONTACT_PHONE"] = "+48 22 000 00 00"
    _login(client, "szef")
    assert "+48 22 000 00 00" in client.get("/help").get_data(as_text=True)
    response = _post(
        client,
        "/admin/settings",
        {
            "booking_horizon_days": "30",
            "admin_contact_phone": "+48 61 111 22 33",
            "clinic_opening_hours": "pn–pt 7:30–18:00",
            "clinic_locality_help": "Zadzwoń, dopiszemy ją od ręki.",
        },
    )
    assert response.status_code == 303
    help_page = client.get("/help").get_data(as_text=True)
    assert "+48 61 111 22 33" in help_page and "+48 22 000 00 00" not in help_page
    assert "pn–pt 7:30–18:00" in help_page and "dopiszemy ją od ręki" in help_page
    with app.test_request_context():
        assert clinic_rules().horizon_days == 30
    # an empty field brings the environment's value back
    assert _post(client, "/admin/settings", {"booking_horizon_days": ""}).status_code == 303
    client.get("/help")
    assert app.config["BOOKING_HORIZON_DAYS"] == 90
    assert app.config["ADMIN_CONTACT_PHONE"] == "+48 22 000 00 00"


def test_admin_adds_a_locality_by_hand_and_imports_simc(app, client, admin):
    _login(client, "szef")
    data = {"name": "Zalesie Dolne", "commune": "Piaseczno", "voivodeship": "mazowieckie"}
    assert _post(client, "/admin/localities", data).status_code == 303
    assert _post(client, "/admin/localities", data).status_code == 422  # already there
    simc = (
        "WOJ;POW;GMI;RODZ_GMI;RM;MZ;NAZWA;SYM;SYMPOD;STAN_NA\n"
        "14;18;05;3;01;1;Józefosław;0005410;0005410;2025-01-01\n"
    ).encode()
    response = client.post(
        "/admin/localities/import",
        data={
            "simc": (io.BytesIO(simc), "SIMC_Urzedowy.csv"),
            "csrf_token": csrf_token(client, "/help"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    names = _read(app, lambda: sorted(loc.name for loc in Locality.select()))
    assert names == ["Józefosław", "Zalesie Dolne"]
    bad = client.post(
        "/admin/localities/import",
        data={
            "simc": (io.BytesIO(b"nie;ten;plik\n1;2;3\n"), "x.csv"),
            "csrf_token": csrf_token(client, "/help"),
        },
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422


def test_admin_lists_and_lifts_an_ip_block(app, client, admin):
    _read(
        app,
        lambda: IpBlock.create(
            ip="203.0.113.9", failures=31, blocked_until=utcnow() + timedelta(minutes=20)
        ),
    )
    _login(client, "szef")
    assert "203.0.113.9" in client.get("/admin/ip-blocks").get_data(as_text=True)
    assert _post(client, "/admin/ip-blocks/lift", {"ip": "203.0.113.9"}).status_code == 303
    assert _read(app, lambda: IpBlock.select().count()) == 0
    event = _read(app, lambda: AuditEvent.get(AuditEvent.action == "admin.ip.unblocked"))
    assert event.actor_login == "szef" and "203.0.113.9" in event.details


def test_audit_log_filters_and_csv_export_are_formula_safe(app, client, admin):
    def setup():
        patient = factories.patient()
        AuditEvent.create(action="read.panel", patient_id=patient.id, details="=HYPERLINK(1)")
        AuditEvent.create(action="admin.service.created", actor_login="@evil", details="+1")
        AuditEvent.create(
            action="read.old", patient_id=patient.id, at=utcnow() - timedelta(days=40)
        )
        return patient.id

    patient_id = _read(app, setup)
    _login(client, "szef")
    page = client.get(f"/admin/audit?whose={patient_id}&what=read.").get_data(as_text=True)
    assert "read.panel" in page and "read.old" in page and "admin.service.created" not in page
    recent = (utcnow() - timedelta(days=2)).date().isoformat()
    page = client.get(f"/admin/audit?whose={patient_id}&date_from={recent}").get_data(as_text=True)
    assert "read.panel" in page and "read.old" not in page
    assert "admin.service.created" in client.get("/admin/audit?who=@evil").get_data(as_text=True)

    response = client.get(f"/admin/audit.csv?whose={patient_id}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["action"] for r in rows] == ["read.panel", "read.old"]
    assert rows[0]["details"] == "'=HYPERLINK(1)"
    everything = list(
        csv.DictReader(io.StringIO(client.get("/admin/audit.csv").get_data(as_text=True)))
    )
    evil = next(r for r in everything if r["action"] == "admin.service.created")
    assert evil["actor_login"] == "'@evil" and evil["details"] == "'+1"
    assert any(
        r["action"] == "admin.audit.exported" and r["actor_login"] == "szef" for r in everything
    )


def test_a_staff_post_without_its_own_audit_row_is_still_logged(app, client, admin):
    """The safety net of core.audit.install_staff_trail: a staff POST that succeeded."""
    _read(app, lambda: Consent.create(code="sms", title="SMS", text="1"))
    _login(client, "szef")
    before = _read(app, lambda: AuditEvent.select().count())
    response = client.post(
        "/language",
        data={"lang": "en", "next": "/admin/", "csrf_token": csrf_token(client, "/help")},
    )
    assert response.status_code in (302, 303)
    event = _read(app, lambda: AuditEvent.select().order_by(AuditEvent.id.desc()).first())
    assert _read(app, lambda: AuditEvent.select().count()) == before + 1
    assert event.action == "staff.public.set_language" and event.actor_login == "szef"


def test_init_db_adds_the_audit_actor_and_specialty_columns(runner, ctx):
    from playhouse.migrate import SchemaMigrator, migrate

    from models.meta import SchemaVersion
    from models.schema import BASE_VERSION, MIGRATIONS, _audit_actor_and_specialty_settings

    AuditEvent.create(action="login.ok")
    factories.specialty(name="Kardiologia")
    migrator = SchemaMigrator.from_database(db.obj)
    migrate(
        migrator.drop_index("audit_event", "audit_event_subject_account_id"),
        migrator.drop_column("audit_event", "subject_account_id"),
        migrator.drop_column("audit_event", "actor_login"),
        migrator.drop_column("audit_event", "actor_role"),
        migrator.drop_column("specialty", "booking_limit"),
        migrator.drop_column("specialty", "active"),
    )
    SchemaVersion.delete().execute()
    SchemaVersion.create(
        version=BASE_VERSION + MIGRATIONS.index(_audit_actor_and_specialty_settings)
    )
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert {"actor_login", "actor_role", "subject_account_id"} <= {
        c.name for c in db.get_columns("audit_event")
    }
    assert AuditEvent.get().actor_login == ""
    spec = Specialty.get(Specialty.name == "Kardiologia")
    assert spec.active is True and spec.booking_limit is None
