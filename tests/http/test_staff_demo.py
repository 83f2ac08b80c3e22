"""seed-demo gives the desk something to work with: the demo doctor's login is the doctor in
the schedule with slots and visits on the agenda; init-db links a converted doctor's login to
the schedule's staff member when the name identifies one."""

from __future__ import annotations

from models.accounts import Account
from models.base import db, is_sqlite
from models.booking import Appointment
from models.clinic import Slot, StaffMember
from models.meta import SchemaVersion
from models.patients import Patient
from tests import factories
from tests.conftest import csrf_token
from tests.http.test_account_roles import _OldAccount


def test_the_demo_doctor_logs_in_to_their_own_agenda_with_visits(runner, client, ctx):
    result = runner.invoke(args=["seed-demo", "--weeks", "2"])
    assert result.exit_code == 0, result.output
    doctor = Account.get(Account.login == "lekarz.demo")
    member = StaffMember.get_by_id(doctor.staff_member_id)
    assert member.active and Slot.select().where(Slot.staff == member.id).exists()
    visit = (
        Appointment.select()
        .join(Slot, on=(Appointment.active_slot == Slot.id))
        .where(Slot.staff == member.id)
        .first()
    )
    assert visit is not None
    assert Patient.get(Patient.last_name == "Telefoniczna").registered_at_desk
    assert Account.get(Account.login == "anna.demo").identity_verified_at is not None
    assert Account.get(Account.login == "maria.demo").identity_verified_at is None
    db.close()
    client.post(
        "/login",
        data={
            "login": "lekarz.demo",
            "password": "demo-haslo-1234",
            "csrf_token": csrf_token(client, "/login"),
        },
    )
    from core.timeutil import to_local

    day = to_local(visit.active_slot.starts_at).date().isoformat()
    page = client.get(f"/staff/?date={day}").get_data(as_text=True)
    table = page[page.index('<table class="agenda">') :]
    assert member.last_name in table and "zajęty" in table


def test_init_db_links_a_converted_doctor_to_the_schedules_staff_member(runner, ctx):
    from models.schema import BASE_VERSION, MIGRATIONS, _account_roles

    doctor = factories.staff(first_name="Anna", last_name="Nowak")
    db.drop_tables([Account], cascade=not is_sqlite())
    db.create_tables([_OldAccount])
    pseudo = factories.patient(first_name="Anna", last_name="Nowak")
    _OldAccount.create(
        patient=pseudo, login="anowak", email="a@example.com", password_hash="h", role="doctor"
    )
    SchemaVersion.delete().execute()
    SchemaVersion.create(version=BASE_VERSION + MIGRATIONS.index(_account_roles))
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    account = Account.get(Account.login == "anowak")
    assert account.staff_member_id == doctor.id
    assert StaffMember.select().count() == 1
