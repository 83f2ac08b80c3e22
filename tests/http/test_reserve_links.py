"""„Rezerwuj” in the search results: a visitor's link goes straight to log-in with the booking
step as `next` (one round trip fewer on a slow phone, issue 14); after the password the
patient lands on that step with the chosen service and the way back to the search."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from html import unescape

from core.timeutil import local_to_utc, local_today
from tests import factories as f

_HREF = re.compile(r'<li><a href="([^"]+)"><span class="visually-hidden">')


def _clinic():
    spec = f.specialty(name="Kardiologia")
    svc = f.service(spec, name="Konsultacja kardiologiczna")
    fac = f.facility(name="Przychodnia Centrum")
    member = f.staff(spec, fac, first_name="Anna", last_name="Serce")
    sched = f.schedule(member, fac, services=[svc])
    day = local_today() + timedelta(days=2)
    at = local_to_utc(day, datetime.min.time()) + timedelta(hours=9)
    return spec, svc, f.slot(member, fac, at, specialty=spec, schedule=sched)


def _links(client, path: str) -> list[str]:
    return [unescape(h) for h in _HREF.findall(client.get(path).get_data(as_text=True))]


def test_a_visitors_link_leads_to_log_in_and_then_to_the_booking_step(ctx, client, auth):
    spec, svc, slot = _clinic()
    account = f.account_in(ctx)
    search = f"/slots?specialty={spec.id}&service={svc.id}"
    [link] = _links(client, search)
    assert link.startswith("/login?next=/slots/")

    login_page = client.get(link)
    assert login_page.status_code == 200
    assert "Zaloguj się, aby przejść dalej." in login_page.get_data(as_text=True)

    form = login_page.text.partition('action="/login"')[2]
    next_path = unescape(re.search(r'name="next" value="([^"]+)"', form).group(1))
    assert next_path.startswith(f"/slots/{slot.id}/reserve?")
    response = auth.login(account.login, f.PASSWORD, next_path=next_path)
    assert response.status_code == 303
    assert response.headers["Location"] == next_path
    step = client.get(next_path)
    assert step.status_code == 200
    body = step.get_data(as_text=True)
    assert "Konsultacja kardiologiczna" in body
    # the way back is the search the patient came from
    assert f"specialty={spec.id}" in unescape(body)


def test_a_signed_in_patients_link_goes_to_the_booking_step_itself(ctx, client, auth):
    spec, svc, slot = _clinic()
    account = f.account_in(ctx)
    auth.login(account.login, f.PASSWORD)
    [link] = _links(client, f"/slots?specialty={spec.id}&service={svc.id}")
    assert link.startswith(f"/slots/{slot.id}/reserve?service={svc.id}&back=")
    assert client.get(link).status_code == 200


def test_the_old_redirect_still_asks_to_log_in_once(ctx, client):
    """A bookmarked /slots/<id>/reserve still redirects; the log-in page says why, once."""
    _, _, slot = _clinic()
    response = client.get(f"/slots/{slot.id}/reserve", follow_redirects=True)
    assert response.request.path == "/login"
    assert response.get_data(as_text=True).count("Zaloguj się, aby przejść dalej.") == 1
