"""The boosted log-in form and the anti-bot proof of work, in real Chromium with JavaScript:
the challenge comes in a boosted answer (htmx drops its <script>, app.js loads botcheck.js),
and a „Zaloguj się” pressed while the browser is still solving waits for the solution
instead of letting htmx send the form without it (issue 14)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from models.accounts import Account
from models.base import utcnow
from tests import factories

pytestmark = pytest.mark.browser


@pytest.fixture
def js_enabled():
    return True  # without JavaScript there is no proof of work (test_login_past_a_lock.py)


@pytest.fixture
def app_config(app_config):
    return {**app_config, "BOT_CHECK": True, "BOT_CHECK_BITS": 8}


# The page's SHA-256 waits until the test lets it go: the click is sure to land mid-solve.
HOLD_THE_PROOF_OF_WORK = """(() => {
  const subtle = window.crypto.subtle;
  const digest = subtle.digest.bind(subtle);
  let release;
  const gate = new Promise((resolve) => { release = resolve; });
  window.releaseProofOfWork = release;
  subtle.digest = (...args) => gate.then(() => digest(...args));
})();"""


def test_a_submit_during_the_proof_of_work_waits_for_it(page, live_server, ctx):
    ewa = factories.account(login="ewa", email="ewa@example.com")
    Account.update(locked_until=utcnow() + timedelta(hours=1)).where(Account.id == ewa.id).execute()
    page.add_init_script(HOLD_THE_PROOF_OF_WORK)
    page.goto("/login")
    page.get_by_label("Login").fill("ewa")
    page.get_by_label("Hasło", exact=True).fill(factories.PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Zaloguj się").click()
    expect(page.get_by_role("alert")).to_contain_text("z innego miejsca")
    # botcheck.js came with the boosted answer's page and started: the question is hidden
    expect(page.get_by_label(re.compile(r"^Ile to jest"))).to_be_hidden()
    page.get_by_label("Hasło", exact=True).fill(factories.PASSWORD)
    box = page.locator("[data-challenge]")
    expect(box).to_have_attribute("data-botcheck-state", "working")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("main").get_by_role("button", name="Zaloguj się").click()
        page.evaluate("window.releaseProofOfWork()")  # a POST sent before this one is a bug
    assert "botcheck_solution=&" not in (posted.value.request.post_data or "")
    assert posted.value.status == 200
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("button", name="Wyloguj się")).to_be_visible()
