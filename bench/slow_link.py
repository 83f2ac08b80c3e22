"""A patient on a slow phone link: home → search → log in → book, JavaScript on and off.

Usage: .venv/bin/python bench/slow_link.py [--kbit 400] [--rtt 400] [--runs 2]

Chromium (CHROMIUM_PATH, default /usr/bin/chromium) at 360×640 with the link emulated over
CDP (Network.emulateNetworkConditions: the given download/upload rate and round-trip time),
against the demo clinic served by a threaded werkzeug server. Each step is timed from the
click to the moment its result is on screen, and its bytes are the encoded sizes Chromium
reports (headers included; answers from the browser's cache are not counted). A step ends
when its result is on screen and the page's load event has fired (its assets are in,
deferred scripts too). "On screen" is asked every 5 ms (until/on_screen), not by
Playwright's expect, whose retries back off to half a second: that added up to 0.5 s to a
step whose page htmx swaps in, while a navigating click waits for the new document itself.
The search step follows the specialty's link on the home page (--menu: the menu's
"Wolne terminy" and the specialty select). Targets (issue 14): anonymous home → booked
≤ 4 s, and JavaScript on never slower than off. Every walk starts
with an empty browser cache.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("WIZYTA_ENV", "development")
os.environ.setdefault("SECRET_KEY", "bench-secret-key-" + "x" * 32)

PASSWORD = "slow link password long enough"
STEPS = ("home", "search", "log in", "book")


def build_app():
    """The demo clinic and one patient account; returns (app, login, specialty label)."""
    import app as app_module
    from core.demo import seed_demo
    from core.passwords import use_fast_hashes_for_tests
    from models import ALL_MODELS
    from models.base import db
    from models.clinic import Service
    from tests import factories

    use_fast_hashes_for_tests()
    app_module.deliver_soon = lambda _app: None  # no SMTP here
    url = f"sqlite:///{tempfile.mkdtemp()}/slow-link.sqlite3"
    app = app_module.create_app(
        {
            "DATABASE_URL": url,
            "RATELIMIT_ENABLED": False,
            "RATELIMIT_STORAGE_URI": "memory://",
            "MAIL_SERVER": "",
            "BOOKING_LIMIT_PER_SPECIALTY": 0,
        }
    )
    with app.app_context():
        db.connect(reuse_if_open=True)
        db.create_tables(ALL_MODELS)
        seed_demo()
        account = factories.account(login="pacjentka.wolna", password=PASSWORD)
        # a specialty whose services need no referral: the booking step is two clicks
        service = (
            Service.select()
            .where((Service.requires_referral == False) & Service.min_age.is_null())  # noqa: E712
            .order_by(Service.id)
            .first()
        )
        specialty = service.specialty.name
        db.close()
    return app, account.login, specialty


class Server:
    def __init__(self, app) -> None:
        from werkzeug.serving import make_server

        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def walk(browser, base: str, js: bool, login: str, specialty: str, kbit: int, rtt: int, via_menu):
    """One walk; returns {step: (seconds, bytes, requests)}."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import expect

    context = browser.new_context(
        java_script_enabled=js,
        locale="pl-PL",
        base_url=base,
        viewport={"width": 360, "height": 640},
    )
    context.set_default_timeout(60_000)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
    rate = kbit * 1000 / 8
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": rtt,
            "downloadThroughput": rate,
            "uploadThroughput": rate,
        },
    )
    counted = {"bytes": 0, "requests": 0}
    from_cache: set[str] = set()

    def finished(event) -> None:
        if event["requestId"] in from_cache:
            return  # the browser's cache answered: nothing went over the link
        counted["bytes"] += int(event.get("encodedDataLength", 0))
        counted["requests"] += 1

    cdp.on("Network.requestServedFromCache", lambda e: from_cache.add(e["requestId"]))

    def received(event) -> None:
        if event["response"].get("fromDiskCache") or event["response"].get("fromPrefetchCache"):
            from_cache.add(event["requestId"])

    cdp.on("Network.responseReceived", received)
    cdp.on("Network.loadingFinished", finished)
    if os.environ.get("SLOW_LINK_TRACE"):
        cdp.on(
            "Network.responseReceived",
            lambda e: print(
                "   ",
                e["response"]["status"],
                e["response"]["url"][:90],
                e.get("type"),
                e["response"].get("fromDiskCache"),
            ),
        )
    results: dict[str, tuple[float, int, int]] = {}

    def until(check, what: str, timeout: float = 60.0) -> None:
        """Wait until check() is true, asking every 5 ms."""
        deadline = time.perf_counter() + timeout
        while True:
            try:
                if check():
                    return
            except PlaywrightError:
                pass  # a navigation replaced the document between two checks
            if time.perf_counter() > deadline:
                raise TimeoutError(f"not on screen after {timeout} s: {what}")
            time.sleep(0.005)

    def on_screen(locator, text: str | None = None) -> None:
        """The first match is visible (and has `text`)."""
        first = locator.first
        until(
            lambda: first.is_visible() and (text is None or text in first.inner_text()),
            f"{locator} {text or ''}",
        )

    def step(name: str, action) -> None:
        if os.environ.get("SLOW_LINK_TRACE"):
            print("  step", name, "js" if js else "no js")
        page.wait_for_timeout(50)  # let the previous step's late events land in its count
        counted["bytes"] = counted["requests"] = 0
        t0 = time.perf_counter()
        action()
        # done when the result is on screen and everything it loads has arrived (an
        # asset cut off by the next click would be fetched again on the next page)
        page.wait_for_load_state("load")
        elapsed = time.perf_counter() - t0
        page.wait_for_timeout(50)
        results[name] = (elapsed, counted["bytes"], counted["requests"])

    def home() -> None:
        page.goto("/")
        on_screen(page.get_by_role("heading", level=1))

    def search() -> None:
        if via_menu:
            page.get_by_role("navigation", name="Menu główne").get_by_role(
                "link", name="Wolne terminy"
            ).click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Wolne terminy")
            page.get_by_label("Specjalność (poradnia)").select_option(label=specialty)
            if not js:
                page.get_by_role("button", name="Wyszukaj").click()
        else:  # the home page lists the specialties as links to their search
            page.get_by_role("main").get_by_role("link", name=specialty, exact=True).click()
        until(lambda: re.search(r"specialty=\d+", page.url), "the search's URL")
        on_screen(page.locator("#search-status"), "wolnych terminów")
        on_screen(page.get_by_role("link", name=re.compile(r"^Rezerwuj")))

    def log_in() -> None:
        page.get_by_role("link", name=re.compile(r"^Rezerwuj")).first.click()
        expect(page).to_have_url(re.compile(r"/login\?next="))
        page.get_by_label("Login").fill(login)
        page.get_by_label("Hasło", exact=True).fill(PASSWORD)
        page.get_by_role("main").get_by_role("button", name="Zaloguj się").click()
        on_screen(page.get_by_role("heading", level=1), "Potwierdź rezerwację")

    def book() -> None:
        radios = page.locator("input[type=radio][name=service]")
        if radios.count() and not page.locator("input[name=service]:checked").count():
            radios.first.check()
        referral = page.locator("input[name=referral_code]")
        if referral.count():
            referral.fill("1234")
        page.get_by_role("button", name="Wyślij").click()
        on_screen(page.get_by_text("Zarezerwowano wizytę"))

    for name, action in zip(STEPS, (home, search, log_in, book), strict=True):
        step(name, action)
    context.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--kbit", type=int, default=400)
    parser.add_argument("--rtt", type=int, default=400)
    parser.add_argument("--runs", type=int, default=2, help="walks per mode, interleaved")
    parser.add_argument(
        "--menu",
        action="store_true",
        help="search by the menu's Wolne terminy + the specialty select (default: the "
        "specialty's link on the home page)",
    )
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    app, login, specialty = build_app()
    server = Server(app)
    executable = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True)
        walks: dict[bool, list[dict]] = {True: [], False: []}
        for _ in range(args.runs):
            for js in (True, False):  # interleaved, so the machine's load hits both alike
                walks[js].append(
                    walk(browser, server.url, js, login, specialty, args.kbit, args.rtt, args.menu)
                )
        browser.close()

    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"{args.kbit} kbit/s, {args.rtt} ms RTT, 360×640, {args.runs} walk(s) per mode "
        f"(median shown); search by {'the menu and select' if args.menu else 'the home page link'}"
        f"; load average {load}\n"
    )
    print(
        f"{'step':<10} {'JS on: s':>9} {'KB':>6} {'req':>4}   {'JS off: s':>9} {'KB':>6} {'req':>4}"
    )
    totals = {}
    for js in (True, False):
        totals[js] = statistics.median(sum(w[s][0] for s in STEPS) for w in walks[js])
    for name in STEPS:
        cells = []
        for js in (True, False):
            runs = walks[js]
            seconds = statistics.median(w[name][0] for w in runs)
            kb = statistics.median(w[name][1] for w in runs) / 1024
            requests = statistics.median(w[name][2] for w in runs)
            cells.append(f"{seconds:9.2f} {kb:6.1f} {requests:4.0f}")
        print(f"{name:<10} {cells[0]}   {cells[1]}")
    print(
        f"{'total':<10} {totals[True]:9.2f}{'':>12}   {totals[False]:9.2f}\n"
        f"anonymous home → booked: JS on {totals[True]:.2f} s, JS off {totals[False]:.2f} s "
        "(target ≤ 4 s, JS on ≤ JS off)"
    )


if __name__ == "__main__":
    main()
