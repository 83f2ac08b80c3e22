"""Account roles: a patient account belongs to a Patient, a staff account to a StaffMember,
never both; init-db converts the old staff pseudo-patients; seed-demo creates staff logins;
patient pages send a staff account elsewhere instead of failing."""

from __future__ import annotations

import peewee as pw
import pytest

from models.accounts import Account
from models.base import BaseModel, db, is_sqlite, utcnow
from models.clinic import StaffMember
from models.meta import SchemaVersion
from models.patients import Patient
from services.staff_accounts import InvalidOwner, check_owner, create_staff_account
from tests import factories
from tests.conftest import csrf_token


def _login(client, login: str, password: str = factories.PASSWORD):
    return client.post(
        "/login",
        data={"login": login, "password": password, "csrf_token": csrf_token(client, "/login")},
    )


def test_an_account_belongs_to_a_patient_or_a_staff_member_never_both(ctx):
    member = factories.staff()
    patient = factories.patient()
    with pytest.raises(pw.IntegrityError), db.atomic():
        Account.create(
            patient=patient,
            staff_member=member,
            login="oboje",
            email="oboje@example.com",
            password_hash="x",
            role="registrar",
        )
    with pytest.raises(pw.IntegrityError), db.atomic():
        Account.create(login="nikt", email="nikt@example.com", password_hash="x", role="admin")
    with pytest.raises(pw.IntegrityError), db.atomic():
        Account.create(
            staff_member=member,
            login="lekarz",
            email="lekarz@example.com",
            password_hash="x",
            role="patient",
        )
    with pytest.raises(InvalidOwner):
        check_owner("doctor", patient.id, member.id)
    with pytest.raises(InvalidOwner):
        check_owner("superuser", None, member.id)
    staff = create_staff_account("rej", "rej@example.com", factories.PASSWORD, "registrar")
    assert staff.patient_id is None and staff.staff_member_id is not None and staff.is_staff
    assert not staff.is_patient
    assert factories.account().is_patient


class _OldAccount(BaseModel):
    """The account table before roles: every login had a (possibly fake) patient."""

    patient = pw.ForeignKeyField(Patient, unique=True, backref="+", on_delete="CASCADE")
    login = pw.CharField(max_length=64, unique=True)
    email = pw.CharField(max_length=254, unique=True)
    password_hash = pw.CharField(max_length=255)
    role = pw.CharField(max_length=20, default="patient")
    activated_at = pw.DateTimeField(null=True)
    disabled = pw.BooleanField(default=False)
    failed_logins = pw.IntegerField(default=0)
    locked_until = pw.DateTimeField(null=True)
    lock_count = pw.IntegerField(default=0)
    session_version = pw.IntegerField(default=1)
    totp_secret = pw.CharField(max_length=64, null=True)
    totp_last_step = pw.BigIntegerField(null=True)
    pending_email = pw.CharField(max_length=254, null=True)
    created_at = pw.DateTimeField(default=utcnow)
    last_login_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "account"


def test_init_db_turns_staff_pseudo_patients_into_staff_accounts(runner, ctx):
    from models.schema import BASE_VERSION, MIGRATIONS, _account_roles

    db.drop_tables([Account], cascade=not is_sqlite())
    db.create_tables([_OldAccount])
    real = factories.patient(first_name="Anna")
    _OldAccount.create(patient=real, login="anna", email="anna@example.com", password_hash="h")
    fake = Patient.create(first_name="rejestracja", last_name="(personel)", birth_date=utcnow())
    _OldAccount.create(
        patient=fake,
        login="rejestracja",
        email="r@example.com",
        password_hash="h",
        role="registrar",
    )
    SchemaVersion.delete().execute()
    # the version just before the roles migration (later migrations run after it)
    SchemaVersion.create(version=BASE_VERSION + MIGRATIONS.index(_account_roles))

    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output

    anna = Account.get(Account.login == "anna")
    assert anna.role == "patient" and anna.patient_id == real.id and anna.staff_member_id is None
    office = Account.get(Account.login == "rejestracja")
    assert office.patient_id is None and office.staff_member_id is not None
    assert office.password_hash == "h"
    assert StaffMember.get_by_id(office.staff_member_id).first_name == "rejestracja"
    assert Patient.get_or_none(Patient.id == fake.id) is None
    # the database now refuses an account with both owners
    with pytest.raises(pw.IntegrityError), db.atomic():
        Account.update(patient=real).where(Account.id == office.id).execute()
    again = runner.invoke(args=["init-db"])
    assert again.exit_code == 0 and "up to date" in again.output


def test_seed_demo_creates_staff_accounts_linked_to_staff_members(runner, ctx):
    result = runner.invoke(args=["seed-demo", "--weeks", "1"])
    assert result.exit_code == 0, result.output
    roles = {a.login: a for a in Account.select().where(Account.role != "patient")}
    assert {roles[name].role for name in roles} == {"registrar", "doctor", "admin"}
    assert set(roles) == {"rejestracja.demo", "lekarz.demo", "admin.demo"}
    for account in roles.values():
        assert account.patient_id is None and account.staff_member_id is not None
    doctor = StaffMember.get_by_id(roles["lekarz.demo"].staff_member_id)
    assert doctor.active and doctor.schedules.count() > 0
    assert Patient.select().where(Patient.last_name == "(personel)").count() == 0
    assert "lekarz.demo" in result.output


@pytest.mark.parametrize("path", ["/panel", "/panel/reservations", "/account", "/account/password"])
def test_patient_pages_send_a_staff_account_to_the_staff_side(client, ctx, path):
    create_staff_account("rej", "rej@example.com", factories.PASSWORD, "registrar")
    assert _login(client, "rej").status_code == 303
    response = client.get(path)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/staff/")


def test_booking_refuses_a_staff_account_without_an_error(client, ctx):
    fac = factories.facility()
    member = factories.staff(fac=fac)
    slot = factories.slot(member, fac)
    create_staff_account("rej", "rej@example.com", factories.PASSWORD, "registrar")
    _login(client, "rej")
    response = client.get(f"/slots/{slot.id}/reserve")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/staff/")


@pytest.mark.parametrize(
    ("role", "staff_page", "admin_page"),
    [
        ("patient", 404, 404),
        ("registrar", 200, 403),
        ("doctor", 200, 403),
        ("admin", 200, 200),
    ],
)
def test_staff_pages_check_the_role_on_the_server(client, ctx, role, staff_page, admin_page):
    """ASVS V4.1.1, V4.1.3: each staff route checks the role for every request; a patient
    does not learn the staff side exists (404), another staff role is refused (403)."""
    if role == "patient":
        factories.account(login="osoba")
    else:
        create_staff_account("osoba", "osoba@example.com", factories.PASSWORD, role)
    assert _login(client, "osoba").status_code == 303
    assert client.get("/staff/").status_code == staff_page
    assert client.get("/staff/admin").status_code == admin_page


def test_staff_pages_send_a_visitor_to_log_in(client, ctx):
    response = client.get("/staff/admin")
    assert response.status_code in (302, 303)
    assert "/login" in response.headers["Location"]
