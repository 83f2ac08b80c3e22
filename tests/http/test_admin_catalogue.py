"""The admin's catalogue over HTTP: services and staff (with a staff login) are created,
edited and deactivated, never deleted; hostile input is a 422, never a 500; each change is
in the audit log with who did it and from where."""

from __future__ import annotations

from decimal import Decimal

import pytest

from models.accounts import Account
from models.audit import AuditEvent
from models.base import db
from models.clinic import Facility, Service, Specialty, StaffMember
from models.mail import OutboxMessage
from services.staff_accounts import create_staff_account
from tests import factories
from tests.conftest import csrf_token


@pytest.fixture
def admin(app, client):
    with app.app_context():
        db.connect(reuse_if_open=True)
        spec = factories.specialty(name="Kardiologia")
        fac = factories.facility(name="Centrum")
        create_staff_account("szef", "szef@example.com", factories.PASSWORD, "admin")
        ids = {"spec": spec.id, "fac": fac.id}
        db.close()
    client.post(
        "/login",
        data={"login": "szef", "password": factories.PASSWORD, "csrf_token": csrf_token(client)},
    )
    return ids


def _read(app, fn):
    with app.app_context():
        db.connect(reuse_if_open=True)
        try:
            return fn()
        finally:
            db.close()


def _post(client, path, data):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, "/admin/")})


def test_admin_creates_edits_and_deactivates_a_service(app, client, admin):
    data = {
        "name": "Konsultacja kardiologiczna",
        "specialty": str(admin["spec"]),
        "duration_minutes": "20",
        "private": "y",
        "in_person": "y",
        "remote": "y",
        "price": "180.00",
        "requires_referral": "",
        "min_age": "18",
        "max_age": "",
    }
    response = _post(client, "/admin/services/new", data)
    assert response.status_code == 303
    service = _read(app, lambda: Service.get(Service.name == "Konsultacja kardiologiczna"))
    assert (service.duration_minutes, service.private, service.nfz, service.remote) == (
        20,
        True,
        False,
        True,
    )
    assert Decimal(service.price) == Decimal("180")
    assert service.min_age == 18 and service.max_age is None
    listing = client.get("/admin/services?q=kardio").get_data(as_text=True)
    assert "Konsultacja kardiologiczna" in listing
    response = _post(client, f"/admin/services/{service.id}", {**data, "duration_minutes": "30"})
    assert response.status_code == 303
    response = _post(client, f"/admin/services/{service.id}/active", {"active": "0"})
    assert response.status_code == 303
    service = _read(app, lambda: Service.get_by_id(service.id))
    assert service.duration_minutes == 30 and service.active is False
    client.get("/admin/services")  # shows (and so clears) the flashed message
    assert "kardiologiczna</a>" not in client.get("/admin/services?state=active").get_data(
        as_text=True
    )
    assert "kardiologiczna</a>" in client.get("/admin/services?state=inactive").get_data(
        as_text=True
    )
    events = _read(
        app,
        lambda: [
            (e.action, e.actor_login, e.actor_role, e.ip)
            for e in AuditEvent.select().where(AuditEvent.object_type == "service")
        ],
    )
    assert [e[0] for e in events] == [
        "admin.service.created",
        "admin.service.changed",
        "admin.service.deactivated",
    ]
    assert all(e[1:] == ("szef", "admin", "127.0.0.1") for e in events)


def test_admin_creates_a_doctor_with_a_staff_login_set_up_by_mail(app, client, admin):
    response = _post(
        client,
        "/admin/staff/new",
        {
            "title": "lek.",
            "first_name": "Maria",
            "last_name": "Zdrowa",
            "specialties": str(admin["spec"]),
            "facilities": str(admin["fac"]),
            "has_login": "y",
            "login": "maria.zdrowa",
            "email": "maria@example.com",
            "role": "doctor",
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    member = _read(app, lambda: StaffMember.get(StaffMember.last_name == "Zdrowa"))
    account = _read(app, lambda: Account.get(Account.login == "maria.zdrowa"))
    assert account.staff_member_id == member.id and account.role == "doctor"
    assert not account.is_active  # until the doctor sets a password from the e-mail
    assert _read(app, lambda: [s.specialty_id for s in member.specialty_links]) == [admin["spec"]]
    mail = _read(app, lambda: OutboxMessage.get(OutboxMessage.to == "maria@example.com"))
    assert mail.subject == "Ustaw hasło do konta personelu" and "/password/reset/" in mail.body_text


def test_deactivating_a_staff_member_ends_their_login(app, client, admin):
    member = _read(app, lambda: factories.staff())
    _read(
        app,
        lambda: create_staff_account(
            "odchodzi", "o@example.com", factories.PASSWORD, "registrar", member
        ),
    )
    assert _post(client, f"/admin/staff/{member.id}/active", {"active": "0"}).status_code == 303
    account = _read(app, lambda: Account.get(Account.login == "odchodzi"))
    assert account.disabled and not account.is_active
    assert _read(app, lambda: StaffMember.get_by_id(member.id)).active is False


def test_a_new_staff_login_needs_a_free_login(app, client, admin):
    base = {
        "first_name": "Jan",
        "last_name": "Nowy",
        "has_login": "y",
        "login": "szef",
        "email": "inny@example.com",
        "role": "registrar",
    }
    response = _post(client, "/admin/staff/new", base)
    assert response.status_code == 422
    assert "ma już inne konto" in response.get_data(as_text=True)
    assert (
        _read(app, lambda: StaffMember.select().where(StaffMember.last_name == "Nowy").count()) == 0
    )


HOSTILE = [
    ("/admin/services/new", {"name": "x" * 5000, "specialty": "1", "duration_minutes": "15"}),
    ("/admin/services/new", {"name": "A", "specialty": "999999", "duration_minutes": "15"}),
    ("/admin/services/new", {"name": "A", "specialty": "abc", "duration_minutes": "-5"}),
    ("/admin/services/new", {"name": "A", "duration_minutes": "99999999999999999999"}),
    ("/admin/services/new", {"name": "A", "duration_minutes": "15", "price": "1e999"}),
    (
        "/admin/services/new",
        {"name": "A", "duration_minutes": "15", "min_age": "9", "max_age": "3"},
    ),
    ("/admin/facilities/new", {"name": "<script>", "postal_code": "'; DROP TABLE--"}),
    ("/admin/specialties/new", {"name": "Kardiologia"}),
    ("/admin/specialties/new", {"name": "K", "booking_limit": "-1"}),
    ("/admin/staff/new", {"first_name": "1234", "last_name": "", "specialties": "x"}),
    ("/admin/staff/new", {"first_name": "Jan", "last_name": "Nowak", "facilities": "99999"}),
    ("/admin/consents/new", {"code": "ZŁY KOD", "title": "", "text": ""}),
    ("/admin/settings", {"booking_horizon_days": "-3", "admin_contact_phone": "x" * 500}),
    ("/admin/localities", {"name": "", "commune": "x" * 300}),
    ("/admin/localities/import", {}),
    ("/admin/ip-blocks/lift", {"ip": "not an ip; rm -rf"}),
    ("/admin/facilities/1/active", {"active": "maybe"}),
]


@pytest.mark.parametrize(("path", "data"), HOSTILE)
def test_hostile_input_is_refused_with_422(app, client, admin, path, data):
    before = _read(
        app,
        lambda: (Service.select().count(), Facility.select().count(), Specialty.select().count()),
    )
    response = _post(client, path, data)
    assert response.status_code == 422, response.get_data(as_text=True)[:1500]
    after = _read(
        app,
        lambda: (Service.select().count(), Facility.select().count(), Specialty.select().count()),
    )
    assert before == after


@pytest.mark.parametrize(
    "query",
    [
        "page=-1",
        "page=99999999999999",
        "q=%25%25%25",
        "q=" + "x" * 3000,
        "state=nonsense",
        "q=%27%3B--",
    ],
)
def test_hostile_query_strings_on_lists_never_fail(client, admin, query):
    for path in ("/admin/facilities", "/admin/services", "/admin/staff", "/admin/localities"):
        assert client.get(f"{path}?{query}").status_code == 200


@pytest.mark.parametrize(
    "query", ["date_from=2026-13-01", "whose=abc", "date_from=2026-05-01&date_to=2026-01-01"]
)
def test_bad_audit_filters_are_422(client, admin, query):
    assert client.get(f"/admin/audit?{query}").status_code == 422
    assert client.get(f"/admin/audit.csv?{query}").status_code == 422
