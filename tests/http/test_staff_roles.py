"""Every desk route tried anonymously, as a patient, a doctor, a registrar and an admin:
a visitor is sent to log in, a patient gets 404 (the staff side does not exist for them),
a doctor sees the agenda and gets 403 on the desk's pages, registrar and admin get through
(ASVS V4.1.1, V4.1.3)."""

from __future__ import annotations

import pytest

from core.timeutil import to_local
from tests import factories
from tests import role_matrix as rm

AGENDA = ["/staff/", "/staff/?view=week"]


def _desk_gets(world) -> list[str]:
    p, s, v = world["patient"].id, world["slots"][2].id, world["visit"].id
    return [
        "/staff/schedules",
        "/staff/schedules/new",
        f"/staff/schedules/{world['schedule'].id}",
        "/staff/exceptions/new",
        "/staff/slots/generate",
        "/staff/visits/affected",
        "/staff/patients",
        "/staff/patients?q=Ewa",
        "/staff/patients/new",
        f"/staff/patients/{p}",
        f"/staff/patients/{p}/book",
        f"/staff/patients/{p}/book/{s}",
        f"/staff/visits/{v}/cancel",
        f"/staff/visits/{v}/change",
    ]


def _desk_posts(world) -> list[str]:
    p, s, v = world["patient"].id, world["slots"][3].id, world["visit"].id
    return [
        "/staff/schedules/new",
        f"/staff/schedules/{world['schedule'].id}",
        "/staff/exceptions/new",
        "/staff/slots/generate",
        f"/staff/slots/{s}/block",
        f"/staff/slots/{s}/free",
        "/staff/visits/affected",
        "/staff/patients/new",
        f"/staff/patients/{p}/account/remind_login",
        f"/staff/patients/{p}/book/{s}",
        f"/staff/visits/{v}/cancel",
        f"/staff/visits/{v}/change",
    ]


@pytest.fixture
def world(app):
    return factories.made_in(app, factories.desk_clinic)


@pytest.mark.parametrize(("role", "answer"), [(rm.ANONYMOUS, rm.LOG_IN), ("patient", 404)])
def test_a_visitor_is_sent_to_log_in_and_a_patient_gets_404_on_every_staff_page(
    client, world, role, answer
):
    token = rm.enter_as(client, role, rm.logins(world))
    rm.expect(client, token, answer, rm.routes(AGENDA + _desk_gets(world), _desk_posts(world)))


def test_a_doctor_sees_the_agenda_and_gets_403_on_the_desk(client, world):
    token = rm.enter_as(client, "doctor", rm.logins(world))
    rm.expect(client, token, 200, rm.routes(AGENDA))
    rm.expect(client, token, 403, rm.routes(_desk_gets(world), _desk_posts(world)))


@pytest.mark.parametrize("role", ["registrar", "admin"])
def test_registrar_and_admin_open_every_desk_page(client, world, role):
    token = rm.enter_as(client, role, rm.logins(world))
    rm.expect(client, token, 200, rm.routes(AGENDA + _desk_gets(world)))
    rm.expect(client, token, (303, 409, 422), rm.routes(posts=_desk_posts(world)))


@pytest.fixture
def other(app, world):
    """Another doctor ("Innylekarz") with a slot at the time of the world's first slot."""

    def make():
        member = factories.staff(last_name="Innylekarz")
        factories.slot(member, world["facility"], starts_at=world["slots"][0].starts_at)
        return member

    return factories.made_in(app, make)


def _table(response) -> str:
    page = response.get_data(as_text=True)
    return page[page.index('<table class="agenda">') :]


def test_the_doctors_agenda_shows_their_own_day_by_default(client, world, other):
    rm.log_in(client, world["doctor_account"].login)
    day = to_local(world["slots"][0].starts_at).date().isoformat()
    page = _table(client.get(f"/staff/?date={day}"))
    assert world["doctor"].last_name in page and "Innylekarz" not in page
    assert world["patient"].last_name in page
    # "all" is still only the doctor's own day
    everyone = _table(client.get(f"/staff/?date={day}&staff="))
    assert world["doctor"].last_name in everyone and "Innylekarz" not in everyone


def test_a_doctor_cannot_open_another_doctors_agenda(client, world, other):
    day = to_local(world["slots"][0].starts_at).date().isoformat()
    rm.log_in(client, world["doctor_account"].login)
    for view in ("day", "week"):
        response = client.get(f"/staff/?date={day}&view={view}&staff={other.id}")
        assert response.status_code == 404, view
        htmx = client.get(
            f"/staff/?date={day}&view={view}&staff={other.id}", headers={"HX-Request": "true"}
        )
        assert htmx.status_code == 404, view
    own = client.get(f"/staff/?date={day}&staff={world['doctor'].id}")
    assert own.status_code == 200 and "Innylekarz" not in _table(own)
    assert 'name="staff"' not in own.get_data(as_text=True)  # no picker of other doctors


@pytest.mark.parametrize("role", ["registrar", "admin"])
def test_the_desk_sees_any_doctors_agenda_and_everyone(client, world, other, role):
    day = to_local(world["slots"][0].starts_at).date().isoformat()
    rm.log_in(client, world[role].login)
    one = _table(client.get(f"/staff/?date={day}&staff={other.id}"))
    assert "Innylekarz" in one and world["doctor"].last_name not in one
    everyone = _table(client.get(f"/staff/?date={day}"))
    assert "Innylekarz" in everyone and world["doctor"].last_name in everyone


def test_htmx_filters_get_only_the_table_and_vary_on_hx_request(client, world):
    rm.log_in(client, world["registrar"].login)
    day = to_local(world["slots"][0].starts_at).date().isoformat()
    for path in (
        f"/staff/?date={day}&staff={world['doctor'].id}",
        "/staff/schedules?staff=",
        f"/staff/patients/{world['patient'].id}/book?date={day}",
    ):
        full = client.get(path)
        fragment = client.get(path, headers={"HX-Request": "true"})
        assert fragment.status_code == 200, path
        assert "<html" in full.get_data(as_text=True)
        body = fragment.get_data(as_text=True)
        assert "<html" not in body and "<table" in body, path
        assert "HX-Request" in fragment.headers["Vary"]
