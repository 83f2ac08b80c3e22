"""After booking: the page the booking ends on, "Dodaj do kalendarza" (.ics, access-checked),
the link to the visit in the confirmation e-mail, the way back to the patient's search, and
409 alternatives nearest to the time that was taken."""

import html
import re
from datetime import time, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from icalendar import Calendar

from models.base import utcnow
from models.booking import Appointment
from tests import factories
from tests.conftest import csrf_token

PHONE = "+48 22 333 44 55"


@pytest.fixture
def app_config(app_config, mailbox):
    return {**app_config, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": mailbox.port}


@pytest.fixture
def clinic(ctx):
    fac = factories.facility(
        name="Przychodnia Centrum",
        street="ul. Zdrowa 7",
        postal_code="02-123",
        city="Warszawa",
        phone=PHONE,
    )
    spec = factories.specialty(name="Kardiologia")
    svc = factories.service(spec, name="Konsultacja kardiologiczna", requires_referral=True)
    echo = factories.service(
        spec, name="Echo serca", nfz=False, private=True, price=Decimal("300.00")
    )
    member = factories.staff(spec=spec, fac=fac, last_name="Sercowy")
    day = (utcnow() + timedelta(days=3)).replace(hour=8, minute=0, second=0, microsecond=0)
    sched = factories.schedule(member, fac, services=[svc], start_time=time(0))
    private_sched = factories.schedule(member, fac, services=[echo], weekday=1)
    slots = [
        factories.slot(
            member, fac, starts_at=day + timedelta(minutes=15 * k), schedule=sched, specialty=spec
        )
        for k in range(4)
    ]
    private = factories.slot(
        member,
        fac,
        starts_at=day + timedelta(hours=4),
        minutes=30,
        schedule=private_sched,
        specialty=spec,
        funding="private",
    )
    return {
        "fac": fac,
        "spec": spec,
        "svc": svc,
        "echo": echo,
        "staff": member,
        "sched": sched,
        "slots": slots,
        "private": private,
        "account": factories.account(login="jan.pacjent", email="jan.pacjent@example.com"),
        "stranger": factories.account(login="obcy", email="obcy@example.com"),
    }


def login(auth, account):
    assert auth.login(account.login, factories.PASSWORD).status_code == 303


def post_reserve(client, slot, query: str = "", **data):
    """The consultation needs an e-referral: a valid access code goes with every booking."""
    path = f"/slots/{slot.id}/reserve"
    form = {"csrf_token": csrf_token(client, path + query), "referral_code": "1234", **data}
    return client.post(path, data=form)


def book(client, slot, patient_id, **data) -> Appointment:
    response = post_reserve(client, slot, patient=patient_id, **data)
    assert response.status_code == 303, response.status_code
    return Appointment.get(Appointment.active_slot == slot.id)


def heading(body: str) -> str:
    match = re.search(r"<h1[^>]*>(.*?)</h1>", body, re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip()


def hrefs(body: str, text: str) -> list[str]:
    return [
        html.unescape(href)
        for href, label in re.findall(r'<a [^>]*href="([^"]*)"[^>]*>(.*?)</a>', body, re.S)
        if text in label
    ]


# -- the page a booking ends on ----------------------------------------------------------------


def test_booking_ends_on_a_page_that_says_what_when_where_and_what_to_bring(client, auth, clinic):
    login(auth, clinic["account"])
    response = post_reserve(client, clinic["slots"][0], patient=clinic["account"].patient_id)
    assert response.status_code == 303
    visit = Appointment.get(Appointment.active_slot == clinic["slots"][0].id)
    assert response.headers["Location"].endswith(f"/panel/reservations/{visit.id}")
    body = client.get(response.headers["Location"]).get_data(as_text=True)

    title = heading(body)
    assert "Konsultacja kardiologiczna" in title
    assert re.search(r"godz\. \d\d:\d\d$", title)
    assert re.search(r"\d{4}", title)  # the date, with its year
    assert "Zarezerwowano wizytę" in body
    assert re.search(r"\d\d:\d\d–\d\d:\d\d", body)  # start and end time
    assert "NFZ (bezpłatnie)" in body
    assert "ul. Zdrowa 7, 02-123 Warszawa" in body
    assert PHONE in body and 'href="tel:+48223334455"' in body
    assert "Co zabrać na wizytę" in body
    assert "Dokument tożsamości" in body
    assert "Skierowanie" in body  # the service requires one
    assert hrefs(body, "Dodaj do kalendarza") == [f"/panel/reservations/{visit.id}/calendar.ics"]
    assert hrefs(body, "Zmień termin") == [f"/panel/reservations/{visit.id}/change"]
    assert hrefs(body, "Odwołaj wizytę") == [f"/panel/reservations/{visit.id}/cancel"]


def test_private_visit_page_shows_the_price_and_no_referral(client, auth, clinic):
    login(auth, clinic["account"])
    visit = book(client, clinic["private"], clinic["account"].patient_id)
    body = client.get(f"/panel/reservations/{visit.id}").get_data(as_text=True)
    assert "Echo serca" in heading(body)
    assert "300,00\xa0zł" in body  # the currency as the locale writes it, unbroken
    assert "NFZ (bezpłatnie)" not in body
    assert "Skierowanie" not in body


def test_cancelled_visit_page_offers_no_actions(client, auth, clinic):
    login(auth, clinic["account"])
    visit = book(client, clinic["slots"][0], clinic["account"].patient_id)
    path = f"/panel/reservations/{visit.id}/cancel"
    assert client.post(path, data={"csrf_token": csrf_token(client, path)}).status_code == 303
    body = client.get(f"/panel/reservations/{visit.id}").get_data(as_text=True)
    assert not hrefs(body, "Zmień termin") and not hrefs(body, "Odwołaj wizytę")
    assert not hrefs(body, "Dodaj do kalendarza")


# -- "Dodaj do kalendarza" ---------------------------------------------------------------------


def test_calendar_file_downloads_for_the_owner(client, auth, clinic):
    login(auth, clinic["account"])
    slot = clinic["slots"][1]
    visit = book(client, slot, clinic["account"].patient_id)
    response = client.get(f"/panel/reservations/{visit.id}/calendar.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    event = Calendar.from_ical(response.data).walk("VEVENT")[0]
    assert event.decoded("DTSTART").replace(tzinfo=None) == slot.starts_at
    assert event.decoded("DTEND").replace(tzinfo=None) == slot.ends_at
    assert "Konsultacja kardiologiczna" in str(event["SUMMARY"])
    assert "ul. Zdrowa 7" in str(event["LOCATION"])
    assert PHONE in str(event["DESCRIPTION"])
    assert str(event["STATUS"]) == "CONFIRMED"


def test_calendar_file_of_another_patients_visit_is_404(client, auth, clinic):
    """ASVS V4.2.1 a visit is only found through its owner: a stranger's id is a 404."""
    login(auth, clinic["account"])
    visit = book(client, clinic["slots"][1], clinic["account"].patient_id)
    auth.logout()
    login(auth, clinic["stranger"])
    assert client.get(f"/panel/reservations/{visit.id}/calendar.ics").status_code == 404
    assert client.get("/panel/reservations/999999/calendar.ics").status_code == 404


def test_calendar_file_needs_a_login(client, auth, clinic):
    """ASVS V4.1.1 the calendar file is checked on the server: no session, no file."""
    login(auth, clinic["account"])
    visit = book(client, clinic["slots"][1], clinic["account"].patient_id)
    auth.logout()
    response = client.get(f"/panel/reservations/{visit.id}/calendar.ics")
    assert response.status_code in (302, 303)
    assert "/login?next=" in response.headers["Location"]


# -- the confirmation e-mail -----------------------------------------------------------------


def test_confirmation_mail_links_to_the_visit_behind_a_login(client, auth, clinic, mailbox):
    login(auth, clinic["account"])
    visit = book(client, clinic["slots"][2], clinic["account"].patient_id)
    mail = mailbox.wait_for(to="jan.pacjent@example.com")
    link = f"http://localhost/panel/reservations/{visit.id}"
    assert link in mailbox.links(mail)
    assert PHONE in mailbox.text(mail)
    path = urlsplit(link).path
    auth.logout()
    anonymous = client.get(path)
    assert anonymous.status_code in (302, 303) and "/login?next=" in anonymous.headers["Location"]
    back = auth.login(clinic["account"].login, factories.PASSWORD, next_path=path)
    assert back.headers["Location"].endswith(path)
    assert "Konsultacja kardiologiczna" in heading(client.get(path).get_data(as_text=True))


# -- the way back to the search ------------------------------------------------------------------


def test_back_to_search_keeps_the_patients_filters(client, auth, clinic):
    login(auth, clinic["account"])
    search = f"/slots?facility={clinic['fac'].id}&specialty={clinic['spec'].id}&visit_type=nfz"
    results = client.get(search).get_data(as_text=True)
    reserve = next(h for h in re.findall(r'href="([^"]*/reserve[^"]*)"', results))
    reserve = html.unescape(reserve)
    page = client.get(reserve).get_data(as_text=True)
    (back,) = hrefs(page, "Wróć do wyszukiwania")
    assert urlsplit(back).path == "/slots"
    params = parse_qs(urlsplit(back).query)
    assert params["facility"] == [str(clinic["fac"].id)]
    assert params["specialty"] == [str(clinic["spec"].id)]
    assert params["visit_type"] == ["nfz"]


@pytest.mark.parametrize(
    "back",
    [
        "https://evil.example/slots?specialty=1",
        "//evil.example/slots",
        "/admin/?facility=1",
        "javascript:alert(1)",
        "specialty=abc",
        "specialty=%00&date_from=9999-99-99",
        "\x00",
        "x" * 600,
    ],
)
def test_back_link_is_only_ever_a_local_search(client, auth, clinic, back):
    """ASVS V5.1.5 redirects and links built from input go only to allowed local places."""
    login(auth, clinic["account"])
    response = client.get(f"/slots/{clinic['slots'][0].id}/reserve", query_string={"back": back})
    if "\x00" in back:  # control characters are refused for every form at one place
        assert response.status_code == 422
        return
    assert response.status_code == 200
    (link,) = hrefs(response.get_data(as_text=True), "Wróć do wyszukiwania")
    assert link == "/slots" or link.startswith("/slots?")
    assert "evil" not in link and "admin" not in link and "javascript" not in link


def test_taken_slot_page_searches_again_with_the_same_filters(client, auth, clinic):
    taken = clinic["slots"][0]
    login(auth, clinic["stranger"])
    book(client, taken, clinic["stranger"].patient_id)
    auth.logout()
    login(auth, clinic["account"])
    back = f"specialty={clinic['spec'].id}&visit_type=nfz"
    query = "?back=" + back.replace("&", "%26").replace("=", "%3D")
    response = post_reserve(
        client, taken, query=query, patient=clinic["account"].patient_id, back=back
    )
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    (again,) = hrefs(body, "Wyszukaj inne terminy")
    params = parse_qs(urlsplit(again).query)
    assert params["specialty"] == [str(clinic["spec"].id)] and params["visit_type"] == ["nfz"]
    for alternative in hrefs(body, "Rezerwuj"):
        assert "back=" in alternative


def test_taken_slot_offers_the_free_slots_nearest_to_its_time(client, auth, ctx, clinic):
    member, fac, spec, sched = clinic["staff"], clinic["fac"], clinic["spec"], clinic["sched"]
    base = (utcnow() + timedelta(days=10)).replace(hour=10, minute=0, second=0, microsecond=0)
    early = [
        factories.slot(
            member,
            fac,
            starts_at=base - timedelta(days=6, minutes=-15 * k),
            schedule=sched,
            specialty=spec,
        )
        for k in range(6)
    ]
    taken = factories.slot(member, fac, starts_at=base, schedule=sched, specialty=spec)
    before = factories.slot(
        member, fac, starts_at=base - timedelta(minutes=15), schedule=sched, specialty=spec
    )
    after = factories.slot(
        member, fac, starts_at=base + timedelta(minutes=15), schedule=sched, specialty=spec
    )
    login(auth, clinic["stranger"])
    book(client, taken, clinic["stranger"].patient_id)
    auth.logout()
    login(auth, clinic["account"])
    response = post_reserve(client, taken, patient=clinic["account"].patient_id)
    assert response.status_code == 409
    offered = [
        int(re.search(r"/slots/(\d+)/reserve", h).group(1))
        for h in hrefs(response.get_data(as_text=True), "Rezerwuj")
    ]
    assert offered.index(before.id) < offered.index(after.id)  # in time order
    assert clinic["slots"][0].id not in offered  # three days from now: far from the 10th day
    assert early[0].id not in offered
    assert len(offered) == 5


def test_visit_page_and_warning_read_in_english(client, auth, clinic, ctx):
    client.post("/language", data={"lang": "en", "next": "/", "csrf_token": csrf_token(client)})
    login(auth, clinic["account"])
    visit = book(client, clinic["private"], clinic["account"].patient_id)
    body = client.get(f"/panel/reservations/{visit.id}").get_data(as_text=True)
    assert re.search(r"Echo serca: \w+, \d+ \w+ \d{4} at \d\d:\d\d$", heading(body))
    assert "What to bring" in body and "Add to calendar" in body and "PLN300.00" in body
    soon = factories.slot(
        clinic["staff"],
        clinic["fac"],
        starts_at=utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(hours=5),
        schedule=clinic["sched"],
        specialty=clinic["spec"],
    )
    page = client.get(f"/slots/{soon.id}/reserve").get_data(as_text=True)
    assert f"You will not be able to cancel or change it online; call: {PHONE}" in page
