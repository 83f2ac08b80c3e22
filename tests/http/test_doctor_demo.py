"""seed-demo leaves the demo doctor a visit that has begun: lekarz.demo opens it from today's
agenda and can complete it."""

from __future__ import annotations

from core.timeutil import to_local
from models.accounts import Account
from models.base import db
from models.booking import Appointment
from tests.conftest import csrf_token


def test_the_demo_doctor_has_a_started_visit_to_complete(runner, client, ctx):
    result = runner.invoke(args=["seed-demo", "--weeks", "1"])
    assert result.exit_code == 0, result.output
    visit = Appointment.get(Appointment.note == "Od tygodnia boli mnie gardło.")
    assert visit.booked_by.login == "anna.demo"
    assert visit.slot.staff_id == Account.get(Account.login == "lekarz.demo").staff_member_id
    day = to_local(visit.slot.starts_at).date().isoformat()
    db.close()
    client.post(
        "/login",
        data={
            "login": "lekarz.demo",
            "password": "demo-haslo-1234",
            "csrf_token": csrf_token(client, "/login"),
        },
    )
    assert f"/staff/visits/{visit.id}" in client.get(f"/staff/?date={day}").get_data(as_text=True)
    token = csrf_token(client, f"/staff/visits/{visit.id}")
    done = client.post(f"/staff/visits/{visit.id}/complete", data={"csrf_token": token})
    assert done.status_code == 303
