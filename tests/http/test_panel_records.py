"""Panel „Szczepienia”, „Skierowania”, „Zalecenia”: the active patient's rows only,
search by name and date range (hostile input → 422, never 500), booking from a referral
carries its code into the booking step, and every read is audited."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from core.timeutil import local_today
from models.base import utcnow
from models.medical import Referral
from tests.http import panel_world
from tests.http.panel_world import events_after, in_db, last_event_id

world = panel_world.world


@pytest.mark.parametrize(
    ("path", "action"),
    [
        ("/panel/vaccinations", "read.vaccinations"),
        ("/panel/referrals", "read.referrals"),
        ("/panel/recommendations", "read.recommendations"),
    ],
)
def test_each_list_read_writes_one_audit_row_for_the_active_patient(
    app, client, world, path, action
):
    before = last_event_id(app)
    response = client.get(path, environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert response.status_code == 200
    events = events_after(app, before)
    assert [e.action for e in events] == [action]
    assert events[0].patient_id == world["me"].patient_id
    assert events[0].account_id == world["me"].id
    assert events[0].ip == "192.0.2.7"


def test_vaccinations_show_done_and_planned_with_dose_and_facility(client, world):
    body = client.get("/panel/vaccinations").get_data(as_text=True)
    assert "Szczepionka przeciw grypie" in body
    assert "kleszczowemu" in body and "2/3" in body and "zaplanowane" in body
    assert "Przychodnia Centrum" in body
    assert body.count("<tr>") == 3  # header + my two; the stranger's two are not listed


def test_vaccinations_filter_by_status_name_and_dates(client, world):
    planned = client.get("/panel/vaccinations?kind=planned").get_data(as_text=True)
    assert "kleszczowemu" in planned and "grypie" not in planned
    by_name = client.get("/panel/vaccinations?q=GRYP").get_data(as_text=True)
    assert "grypie" in by_name and "kleszczowemu" not in by_name
    today = local_today()
    ahead = f"date_from={today.isoformat()}&date_to={(today + timedelta(days=30)).isoformat()}"
    body = client.get(f"/panel/vaccinations?{ahead}").get_data(as_text=True)
    assert "kleszczowemu" in body and "grypie" not in body


@pytest.mark.parametrize(
    "query",
    [
        "date_from=2026-13-45",
        "date_from=yesterday",
        "date_to=0001-01-01",
        "date_from=2026-05-01&date_to=2026-04-01",
        "kind=%3Cscript%3E",
        "date_from=" + "9" * 3000,
    ],
)
def test_hostile_filters_get_422_with_a_message(client, world, query):
    for path in ("/panel/vaccinations", "/panel/referrals", "/panel/documents"):
        response = client.get(f"{path}?{query}")
        if "kind=" in query and path == "/panel/referrals":
            assert response.status_code == 200  # referrals have no kind: ignored
            continue
        assert response.status_code == 422, (path, query)
        body = response.get_data(as_text=True)
        assert 'id="error-summary"' in body and 'aria-invalid="true"' in body
        assert "<script>" not in body


@pytest.mark.parametrize(
    "query", ["q=%25", "q=_", "q=%27%3B--", "q=" + "ż" * 500, "page=-1", "page=99999999999"]
)
def test_odd_search_text_and_pages_never_fail(client, world, query):
    for path in ("/panel/vaccinations", "/panel/referrals", "/panel/recommendations"):
        assert client.get(f"{path}?{query}").status_code == 200


def test_htmx_gets_only_the_results_and_the_announced_count(client, world):
    response = client.get("/panel/vaccinations?kind=planned", headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="results">')
    assert 'hx-swap-oob="innerHTML:#results-status"' in body and "Znaleziono: 1" in body
    assert "<nav" not in body.split("pager")[0]
    assert "HX-Request" in response.headers["Vary"]


def test_referral_shows_target_validity_and_access_code(app, client, world):
    referral = in_db(app, lambda: Referral.get_by_id(world["mine"]["referral"]))
    body = client.get("/panel/referrals").get_data(as_text=True)
    assert "Kardiologia" in body
    assert f'<span class="access-code">{referral.access_code}</span>' in body
    assert "Ważne do" in body
    assert f"/panel/referrals/{referral.id}/book" in body


def test_booking_from_a_referral_opens_the_filtered_search_with_the_code(app, client, world):
    referral = in_db(app, lambda: Referral.get_by_id(world["mine"]["referral"]))
    before = last_event_id(app)
    response = client.get(f"/panel/referrals/{referral.id}/book")
    assert response.status_code == 303
    target = urlsplit(response.headers["Location"])
    assert target.path == "/slots"
    params = parse_qs(target.query)
    assert params["specialty"] == [str(world["specialty"].id)]
    assert params["referral_code"] == [referral.access_code]
    assert [e.action for e in events_after(app, before)] == ["read.referral"]


def test_another_patients_referral_is_404_and_audited(app, client, world):
    theirs = world["theirs"]["referral"]
    before = last_event_id(app)
    assert client.get(f"/panel/referrals/{theirs}/book").status_code == 404
    assert [e.action for e in events_after(app, before)] == ["access.refused"]
    assert client.get("/panel/referrals/0/book").status_code == 404


def test_recommendations_link_to_their_visit(client, world):
    body = client.get("/panel/recommendations").get_data(as_text=True)
    assert "Kontrola ciśnienia codziennie rano." in body
    assert f'href="/panel/reservations/{world["mine"]["visit"]}"' in body
    assert body.count("Kontrola ciśnienia") == 1
    visit = client.get(f"/panel/reservations/{world['mine']['visit']}")
    assert visit.status_code == 200
    assert client.get(f"/panel/reservations/{world['theirs']['visit']}").status_code == 404


def test_the_referral_code_travels_through_the_search_into_the_booking_step(app, client, world):
    from datetime import time

    from tests import factories

    def make_slot():
        spec, fac, doctor = world["specialty"], world["facility"], world["doctor"]
        svc = factories.service(spec, name="Konsultacja kardiologiczna NFZ", requires_referral=True)
        day = (utcnow() + timedelta(days=4)).replace(hour=9, minute=0, second=0, microsecond=0)
        sched = factories.schedule(
            doctor, fac, services=[svc], weekday=day.weekday(), start_time=time(8)
        )
        return factories.slot(doctor, fac, starts_at=day, schedule=sched, specialty=spec)

    slot = in_db(app, make_slot)
    referral = in_db(app, lambda: Referral.get_by_id(world["mine"]["referral"]))
    search = client.get(f"/panel/referrals/{referral.id}/book").headers["Location"]
    body = client.get(search).get_data(as_text=True)
    assert f'name="referral_code" value="{referral.access_code}"' in body
    link = f"/slots/{slot.id}/reserve?"
    assert link in body
    href = body.split(link, 1)[1].split('"', 1)[0].replace("&amp;", "&")
    assert f"referral_code={referral.access_code}" in href
    step = client.get(link + href).get_data(as_text=True)
    assert 'name="referral_code"' in step
    assert f'value="{referral.access_code}"' in step
    # a code that is not a valid access code is not carried
    odd = client.get("/slots?referral_code=12%3Cb%3E").get_data(as_text=True)
    assert 'name="referral_code"' not in odd and "<b>" not in odd


def test_every_section_shows_the_active_person_a_dependant_too(app, client, world, monkeypatch):
    """core.active_person.active_patient() is the one seam (sub-accounts switch it): with a
    dependant active, the sections list the dependant's records and audit them as theirs."""
    from models.accounts import Guardianship
    from models.patients import Patient
    from tests import factories

    def make_child():
        child = factories.patient(first_name="Zosia", last_name="Pacjentka")
        Guardianship.create(guardian=world["me"].id, patient=child)
        made = factories.medical_record(
            app, child, world["doctor"], world["facility"], world["specialty"]
        )
        return child.id, made

    child_id, childs = in_db(app, make_child)
    monkeypatch.setattr(
        "blueprints.panel.common.active_patient", lambda: Patient.get_by_id(child_id)
    )
    before = last_event_id(app)
    body = client.get("/panel/documents").get_data(as_text=True)
    assert "Dane osoby: Zosia Pacjentka (podopieczny)." in body
    assert f"/panel/documents/{childs['pdf']}" in body
    assert f'/panel/documents/{world["mine"]["pdf"]}"' not in body
    assert [e.patient_id for e in events_after(app, before)] == [child_id]
    assert client.get(f"/panel/documents/{childs['pdf']}/download").status_code == 200
    assert client.get(f"/panel/documents/{world['theirs']['pdf']}/download").status_code == 404
    for path in ("/panel/prescriptions", "/panel/vaccinations", "/panel/requests"):
        assert "Zosia Pacjentka" in client.get(path).get_data(as_text=True)
