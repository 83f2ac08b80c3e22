"""The slot search on a slow link and a phone screen, in Chromium with htmx.

A filter changed while the previous update is still in flight must not be reverted when
that older response arrives (the newest request wins, no choice is lost), and changing a
filter from the keyboard keeps the focused select on screen.
"""

from __future__ import annotations

import contextlib
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from models.base import utcnow
from tests import factories as f
from tests.fixtures_live import assert_no_axe_violations

pytestmark = pytest.mark.browser


@pytest.fixture
def clinic(ctx):
    cardio = f.specialty(name="Kardiologia")
    f.specialty(name="Dermatologia")
    service = f.service(cardio, name="Konsultacja kardiologiczna")
    centre = f.facility(name="Przychodnia Centrum")
    branch = f.facility(name="Filia Piaseczno")
    start = (utcnow() + timedelta(days=1)).replace(hour=7, minute=0, second=0, microsecond=0)
    for fac, surname in ((centre, "Serce"), (branch, "Zastawka")):
        doctor = f.staff(cardio, fac, first_name="Anna", last_name=surname)
        sched = f.schedule(doctor, fac, services=[service])
        for n in range(4):
            f.slot(doctor, fac, start + timedelta(minutes=15 * n), specialty=cardio, schedule=sched)
    return {"cardio": str(cardio.id), "branch": str(branch.id)}


def _skip_without_js(page):
    if not page.js_enabled:
        pytest.skip("htmx requests exist only with JavaScript on")


def test_filter_changed_while_an_update_is_in_flight_is_not_reverted(page, clinic):
    _skip_without_js(page)
    held = []

    def hold_first_htmx_request(route):
        # the first htmx update is delayed until the test lets it go: a slow link
        if route.request.headers.get("hx-request") and not held:
            held.append(route)
            return
        route.continue_()

    page.route(re.compile(r"/slots\?"), hold_first_htmx_request)
    failed = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.goto("/slots")
    page.select_option("#f-specialty", clinic["cardio"])
    expect(page.locator("#slot-search.htmx-request, #search-busy.htmx-request")).not_to_have_count(
        0
    )
    assert len(held) == 1
    # the patient picks a facility while the specialty update is still on its way
    page.select_option("#f-facility", clinic["branch"])
    page.wait_for_url(re.compile(rf"facility={clinic['branch']}"))
    expect(page.locator("#f-facility")).to_have_value(clinic["branch"])
    expect(page.locator("#f-specialty")).to_have_value(clinic["cardio"])
    # now the old, slower response arrives: it must not overwrite the newer choice
    with contextlib.suppress(Exception):  # the browser may have dropped it already
        held[0].continue_()
    expect(page.locator("#search-status")).to_have_text("Liczba wolnych terminów: 4.")
    # the superseded request was aborted by the browser, not swapped in late
    assert any(f"facility={clinic['branch']}" not in url for url in failed), failed
    expect(page.locator("#f-facility")).to_have_value(clinic["branch"])
    expect(page.locator("#f-specialty")).to_have_value(clinic["cardio"])
    assert "Zastawka" in page.locator("#search-results").inner_text()
    assert "Serce" not in page.locator("#search-results").inner_text()
    assert_no_axe_violations(page)


def test_changing_visit_type_by_keyboard_keeps_the_select_on_a_phone_screen(page, clinic):
    _skip_without_js(page)
    page.set_viewport_size({"width": 360, "height": 640})
    page.goto("/slots")
    select = page.locator("#f-visit_type")
    select.focus()
    select.scroll_into_view_if_needed()
    page.keyboard.press("ArrowDown")
    page.wait_for_url(re.compile(r"visit_type=nfz"))
    expect(page.locator("#f-visit_type")).to_be_focused()
    expect(page.locator("#f-visit_type")).to_have_value("nfz")
    box = page.locator("#f-visit_type").bounding_box()
    height = page.evaluate("innerHeight")
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height, box
