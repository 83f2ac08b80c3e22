"""GET /slots: the free-slot search as a page, as htmx fragments, and with bad input."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from html import unescape

import pytest

from core.timeutil import local_to_utc, local_today
from models.base import utcnow
from tests import factories as f

TODAY = local_today()


def at(day_offset: int, hour: int, minute: int = 0) -> datetime:
    """Warsaw wall-clock time on TODAY + day_offset, as stored (UTC)."""
    return local_to_utc(TODAY + timedelta(days=day_offset), datetime.min.time()) + timedelta(
        hours=hour, minutes=minute
    )


def reserve_ids(body: str) -> list[int]:
    return [int(x) for x in re.findall(r'href="(?:/login\?next=)?/slots/(\d+)/reserve', body)]


@pytest.fixture
def clinic(ctx):
    spec = f.specialty(name="Kardiologia")
    spec2 = f.specialty(name="Dermatologia")
    svc = f.service(spec, name="Konsultacja kardiologiczna")
    svc2 = f.service(
        spec2, name="Konsultacja dermatologiczna", nfz=False, private=True, remote=True
    )
    fac = f.facility(name="Przychodnia Centrum")
    fac2 = f.facility(name="Przychodnia Północ")
    cardio = f.staff(spec, fac, first_name="Anna", last_name="Serce")
    derm = f.staff(spec2, fac2, first_name="Piotr", last_name="Skóra")
    sched = f.schedule(cardio, fac, services=[svc])
    sched2 = f.schedule(derm, fac2, services=[svc2], funding="private", mode="remote")
    slots = {
        "cardio": f.slot(cardio, fac, at(2, 9), specialty=spec, schedule=sched),
        "derm": f.slot(
            derm,
            fac2,
            at(2, 10),
            specialty=spec2,
            schedule=sched2,
            funding="private",
            mode="remote",
        ),
        "booked": f.slot(cardio, fac, at(2, 11), specialty=spec, schedule=sched, booked=True),
        "blocked": f.slot(cardio, fac, at(2, 12), specialty=spec, schedule=sched, blocked=True),
        "past": f.slot(cardio, fac, utcnow() - timedelta(hours=3), specialty=spec),
        "later": f.slot(cardio, fac, at(30, 9), specialty=spec, schedule=sched),
    }
    return dict(
        spec=spec,
        spec2=spec2,
        svc=svc,
        svc2=svc2,
        fac=fac,
        fac2=fac2,
        cardio=cardio,
        derm=derm,
        slots={k: v.id for k, v in slots.items()},
    )


def test_anonymous_user_sees_free_future_slots_only(client, clinic):
    response = client.get("/slots")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    s = clinic["slots"]
    assert reserve_ids(body) == [s["cardio"], s["derm"]]
    assert "Liczba wolnych terminów: 2." in body
    assert 'aria-live="polite"' in body
    assert "Wyszukaj" in body


def test_each_slot_shows_time_staff_service_facility_and_visit_type(client, clinic):
    body = unescape(client.get("/slots").get_data(as_text=True))
    assert "<h2>" in body and "<h3>lek. Anna Serce</h3>" in body
    text = re.sub(r"<[^>]+>", "", body)
    assert "Przychodnia Centrum · Konsultacja kardiologiczna (15 min) · NFZ, w placówce" in text
    assert "Przychodnia Północ · Konsultacja dermatologiczna (15 min) · prywatnie, teleporada" in (
        text
    )
    # the link names the action, time and doctor for screen readers
    assert re.search(
        r'<span class="visually-hidden">Rezerwuj </span>09:00'
        r'<span class="visually-hidden">, lek\. Anna Serce, ',
        body,
    )


def test_reserve_link_carries_the_chosen_service(client, clinic):
    body = client.get(f"/slots?service={clinic['svc'].id}").get_data(as_text=True)
    # a visitor's link goes to log-in first, the booking step (with the service) its `next`
    link = f"/slots/{clinic['slots']['cardio']}/reserve%3Fservice%3D{clinic['svc'].id}%26back%3D"
    assert link in body
    assert reserve_ids(body) == [clinic["slots"]["cardio"]]


def test_filters_narrow_the_results(client, clinic):
    s = clinic["slots"]
    cases = {
        f"specialty={clinic['spec2'].id}": [s["derm"]],
        f"staff={clinic['cardio'].id}": [s["cardio"]],
        f"facility={clinic['fac2'].id}": [s["derm"]],
        "visit_type=remote": [s["derm"]],
        "visit_type=nfz": [s["cardio"]],
        "visit_type=in_person": [s["cardio"]],
        "visit_type=private": [s["derm"]],
        f"date_from={(TODAY + timedelta(days=25)).isoformat()}": [s["later"]],
    }
    for params, expected in cases.items():
        body = client.get(f"/slots?{params}").get_data(as_text=True)
        assert reserve_ids(body) == expected, params


def test_default_range_is_today_and_next_two_weeks(client, clinic):
    body = client.get("/slots").get_data(as_text=True)
    assert f'name="date_from" value="{TODAY.isoformat()}"' in body
    assert f'name="date_to" value="{(TODAY + timedelta(days=14)).isoformat()}"' in body
    assert clinic["slots"]["later"] not in reserve_ids(body)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("facility=abc", "facility"),
        ("specialty=1%27%20OR%201=1", "specialty"),
        ("service=99999", "service"),
        ("staff=-3", "staff"),
        ("date_from=2031-02-31", "date_from"),
        ("date_to=%3Cscript%3E", "date_to"),
        ("date_from=2031-05-10&date_to=2031-05-01", "date_to"),
        ("date_from=2031-01-01&date_to=2031-12-31", "date_to"),
        ("visit_type=vip", "visit_type"),
        ("date_from=9999-12-31", "date_from"),
        ("date_from=0001-01-01", "date_from"),
        ("date_to=0001-01-02", "date_to"),
        ("date_from=9999-12-20&date_to=9999-12-31", "date_from"),
    ],
)
def test_invalid_filters_give_422_with_a_message_next_to_the_filter(client, clinic, query, field):
    response = client.get(f"/slots?{query}")
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'aria-invalid="true" aria-describedby="f-{field}-error"' in body
    assert f'<p class="error-message" id="f-{field}-error">' in body
    assert 'id="error-summary"' in body
    assert reserve_ids(body) == []
    assert "<script>" not in body


def test_invalid_filters_with_htmx_swap_the_region_with_status_422(client, clinic):
    response = client.get("/slots?date_from=nope", headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert body.lstrip().startswith('<div id="search-region"')
    assert "<html" not in body


def test_htmx_filter_change_returns_the_region_and_announces_the_count(client, clinic):
    response = client.get(f"/slots?specialty={clinic['spec'].id}", headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    assert body.lstrip().startswith('<div id="search-region"')
    assert "<html" not in body and "<h1>" not in body
    assert 'hx-swap-oob="innerHTML:#search-status">Liczba wolnych terminów: 1.' in body
    assert reserve_ids(body) == [clinic["slots"]["cardio"]]
    # the pushed address is the whole query without empty parameters
    assert response.headers["HX-Push-Url"] == (
        f"/slots?specialty={clinic['spec'].id}&date_from={TODAY.isoformat()}"
        f"&date_to={(TODAY + timedelta(days=14)).isoformat()}"
    )
    # the form re-renders with narrowed choices and keeps the selection
    assert f'<option value="{clinic["spec"].id}" selected>' in body


def test_search_form_is_wired_for_htmx_and_works_without_it(client, clinic):
    body = client.get("/slots").get_data(as_text=True)
    form = re.search(r"<form id=\"slot-search\"[^>]*>", body).group(0)
    for attr in (
        'method="get"',
        'action="/slots"',
        'hx-get="/slots"',
        'hx-trigger="change, submit"',
        'hx-push-url="true"',
        'hx-target="#search-region"',
        'hx-indicator="#search-busy"',
    ):
        assert attr in form
    assert '<button type="submit" class="primary">Wyszukaj</button>' in body
    assert "hx-swap-oob" not in body  # the full page has one status region, no fragments


def test_a_specialty_narrows_services_and_staff(client, clinic):
    body = client.get(f"/slots?specialty={clinic['spec'].id}").get_data(as_text=True)
    services = re.search(r'<select id="f-service".*?</select>', body, re.S).group(0)
    staff = re.search(r'<select id="f-staff".*?</select>', body, re.S).group(0)
    assert "Konsultacja kardiologiczna" in services
    assert "Konsultacja dermatologiczna" not in services
    assert "Anna Serce" in staff and "Piotr Skóra" not in staff


def test_a_staff_member_narrows_facilities_and_a_selection_is_kept(client, clinic):
    url = f"/slots?staff={clinic['derm'].id}&facility={clinic['fac'].id}"
    body = client.get(url).get_data(as_text=True)
    facilities = re.search(r'<select id="f-facility".*?</select>', body, re.S).group(0)
    assert "Przychodnia Północ" in facilities
    # not the staff member's facility, but the user chose it, so it stays selected
    assert f'<option value="{clinic["fac"].id}" selected>Przychodnia Centrum</option>' in facilities
    assert reserve_ids(body) == []


def test_empty_result_suggests_the_nearest_days_with_slots(client, clinic):
    date_from = TODAY + timedelta(days=5)
    date_to = date_from + timedelta(days=3)
    url = f"/slots?staff={clinic['cardio'].id}&date_from={date_from}&date_to={date_to}"
    body = unescape(client.get(url).get_data(as_text=True))
    assert reserve_ids(body) == []
    assert "Brak wolnych terminów" in body
    before, after = (
        (TODAY + timedelta(days=2)).isoformat(),
        (TODAY + timedelta(days=30)).isoformat(),
    )
    assert f"date_from={before}" in body and f"date_from={after}" in body
    assert f"staff={clinic['cardio'].id}" in body.split("Najbliższe dni", 1)[1]


def _many_slots(count: int):
    spec = f.specialty()
    svc = f.service(spec)
    fac = f.facility()
    doctors = [f.staff(spec, fac) for _ in range(3)]
    schedules = [f.schedule(d, fac, services=[svc]) for d in doctors]
    ids = []
    for i in range(count):
        doc, sched = doctors[i % 3], schedules[i % 3]
        day, minute = divmod(i // 3, 20)
        ids.append(
            f.slot(doc, fac, at(1 + day % 10, 8, minute * 15), specialty=spec, schedule=sched).id
        )
    return ids


def test_show_more_pages_through_every_slot_with_and_without_htmx(client, ctx):
    ids = set(_many_slots(70))
    body = client.get("/slots").get_data(as_text=True)
    seen = reserve_ids(body)
    assert len(seen) == 30
    url = unescape(
        re.search(r'<a href="([^"]+)" hx-get="[^"]+" hx-target="closest p"', body).group(1)
    )
    assert "after=" in url and "date_from=" in url
    # without JS: a normal link to the next page (a full page)
    page2 = client.get(url).get_data(as_text=True)
    assert "<html" in page2 and "Wróć do pierwszej strony" in page2
    # with htmx: only the next days and the next "Pokaż więcej" link
    while url:
        response = client.get(url, headers={"HX-Request": "true"})
        part = response.get_data(as_text=True)
        assert response.status_code == 200 and "<form" not in part
        assert 'hx-swap-oob="innerHTML:#search-status"' in part
        seen += reserve_ids(part)
        more = re.search(r'<a href="([^"]+)" hx-get=', part)
        url = unescape(more.group(1)) if more else None
    assert len(seen) == len(ids) and set(seen) == ids


@pytest.mark.parametrize("after", ["99991231235959-1", "00010101000000-1", "20260229120000-5"])
def test_extreme_cursors_never_give_a_server_error(client, clinic, after):
    assert client.get(f"/slots?after={after}").status_code == 200
    assert client.get(f"/slots?after={after}", headers={"HX-Request": "true"}).status_code == 200


def test_garbage_cursor_means_first_page_not_an_error(client, clinic):
    response = client.get("/slots?after=DROP%20TABLE&day=x")
    assert response.status_code == 200
    assert reserve_ids(response.get_data(as_text=True)) == [
        clinic["slots"]["cardio"],
        clinic["slots"]["derm"],
    ]


def test_slots_beyond_the_booking_horizon_are_neither_shown_nor_suggested(app, client, clinic):
    app.config["BOOKING_HORIZON_DAYS"] = 10
    date_from = TODAY + timedelta(days=25)
    body = unescape(client.get(f"/slots?date_from={date_from}").get_data(as_text=True))
    assert reserve_ids(body) == []
    suggestions = body.split("Najbliższe dni", 1)[1]
    assert f"date_from={(TODAY + timedelta(days=2)).isoformat()}" in suggestions
    assert f"date_from={(TODAY + timedelta(days=30)).isoformat()}" not in suggestions
    assert "Wizyty można rezerwować najpóźniej na" in body


def test_slots_within_the_minimum_notice_are_not_shown(app, client, ctx):
    fac = f.facility()
    doc = f.staff(fac=fac)
    sched = f.schedule(doc, fac, services=[f.service()])
    soon = f.slot(doc, fac, utcnow().replace(microsecond=0) + timedelta(minutes=30), schedule=sched)
    later = f.slot(doc, fac, utcnow().replace(microsecond=0) + timedelta(hours=5), schedule=sched)
    app.config["BOOKING_MIN_NOTICE_HOURS"] = 2
    ids = reserve_ids(client.get(f"/slots?staff={doc.id}").get_data(as_text=True))
    assert soon.id not in ids
    assert later.id in ids


def test_slots_of_deactivated_staff_or_facility_are_not_offered(client, clinic):
    s = clinic["slots"]
    clinic["derm"].active = False
    clinic["derm"].save()
    assert reserve_ids(client.get("/slots").get_data(as_text=True)) == [s["cardio"]]
    clinic["derm"].active = True
    clinic["derm"].save()
    clinic["fac"].active = False
    clinic["fac"].save()
    assert reserve_ids(client.get("/slots").get_data(as_text=True)) == [s["derm"]]


def test_names_in_the_results_are_escaped_and_each_slot_names_its_doctor_place_and_day(ctx, client):
    """The results' markup is written in Python (blueprints/slots/results_markup.py): the
    staff's, place's and service's names are escaped there like a template would."""
    spec = f.specialty(name="Poradnia <i>ogólna</i>")
    svc = f.service(spec, name='Porada "<b>"')
    fac = f.facility(name="Przychodnia <script>alert(1)</script>")
    doc = f.staff(spec, fac, first_name="Ewa", last_name="Nowak & <u>Syn</u>")
    sched = f.schedule(doc, fac, services=[svc])
    slot = f.slot(doc, fac, at(2, 9), specialty=spec, schedule=sched)
    body = client.get("/slots").get_data(as_text=True)
    assert "<script>alert(1)" not in body and "<u>Syn</u>" not in body and "<b>" not in body
    assert "Przychodnia &lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "Nowak &amp; &lt;u&gt;Syn&lt;/u&gt;" in body
    assert "Porada &#34;&lt;b&gt;&#34;" in body
    link = re.search(rf'<a href="[^"]*/slots/{slot.id}/reserve[^"]*">(.*?)</a>', body).group(1)
    spoken = unescape(re.sub(r"<[^>]+>", "", link))
    day = (TODAY + timedelta(days=2)).strftime("%d.%m.%Y")
    assert spoken == f"Rezerwuj 09:00, lek. Ewa Nowak & <u>Syn</u>, {fac.name}, {day}"
