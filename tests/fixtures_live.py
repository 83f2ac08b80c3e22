"""Browser fixtures: the test app on a real port, headless Chromium (JS on and off), axe checks.

- `live_server`: the test `app` served by werkzeug in a daemon thread; `.url` is its base URL
  (no trailing slash) and the app's BASE_URL is set to it, so links in mail open here.
- `browser`: one headless Chromium per session (CHROMIUM_PATH, default /usr/bin/chromium);
  the browser tests are skipped with a reason when it is missing.
- `page`: a fresh context per test with locale pl-PL and `base_url` = live_server.url, run
  twice: ids "js" (JavaScript on) and "nojs" (off). `page.js_enabled` and the `js_enabled`
  fixture tell which. Mark such tests with `pytest.mark.browser`. A test whose pages threw
  an uncaught script error, hit the CSP or got a 5xx from the app (a page or a fragment)
  fails (an error at teardown).
- `assert_no_axe_violations(page)`: runs the vendored axe-core on the page's current DOM and
  fails listing each violation (id, impact, help, first targets).
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

AXE_PATH = Path(__file__).resolve().parent / "vendor" / "axe-4.14.1.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 10_000


class LiveServer:
    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.port = self.server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def live_server(app):
    server = LiveServer(app)
    app.config["BASE_URL"] = server.url
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    executable = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    if not os.path.exists(executable):
        pytest.skip(f"Chromium not found at {executable} (set CHROMIUM_PATH)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("the playwright package is not installed")
    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(
        executable_path=executable, headless=True, args=CHROMIUM_ARGS
    )
    yield chromium
    chromium.close()
    playwright.stop()


@pytest.fixture(params=[True, False], ids=["js", "nojs"])
def js_enabled(request):
    return request.param


@pytest.fixture
def page(browser, live_server, js_enabled):
    context = browser.new_context(
        java_script_enabled=js_enabled, locale="pl-PL", base_url=live_server.url
    )
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    tab.js_enabled = js_enabled
    problems: list[str] = []
    tab.on("pageerror", lambda error: problems.append(f"uncaught script error: {error}"))
    tab.on(
        "console",
        lambda msg: (
            problems.append(f"console: {msg.text}")
            if msg.type == "error" and "Content Security Policy" in msg.text
            else None
        ),
    )
    # a 5xx the page got, htmx's requests too: a fragment that fails leaves the old content
    # on screen, and a flow's assertions may still pass on it (issue 14: the admin's lists)
    tab.on(
        "response",
        lambda response: (
            problems.append(f"the app answered {response.status}: {response.url}")
            if response.status >= 500 and response.url.startswith(live_server.url)
            else None
        ),
    )
    yield tab
    context.close()
    if problems:
        pytest.fail("the page logged errors:\n" + "\n".join(problems[:10]))


_NOSCRIPT = re.compile(r"</?noscript\b[^>]*>", re.IGNORECASE)
_AXE_RUN = """async (options) => {
  const result = await axe.run(document, options);
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.slice(0, 3).map(n => n.target.join(" ")),
    count: v.nodes.length,
  }));
}"""


def _axe_source() -> str:
    return AXE_PATH.read_text(encoding="utf-8")


def _run_axe(page, options: dict) -> list[dict]:
    page.evaluate(_axe_source())
    return page.evaluate(_AXE_RUN, options)


_snapshot_tabs: dict[int, tuple[object, dict]] = {}


def _snapshot_tab(browser):
    """One JS-enabled tab per browser that serves whatever DOM it is given at the given URL."""
    key = id(browser)
    if key not in _snapshot_tabs or _snapshot_tabs[key][0].is_closed():
        context = browser.new_context(java_script_enabled=True, locale="pl-PL")
        context.set_default_timeout(TIMEOUT_MS)
        state: dict = {"url": None, "html": ""}
        context.route(
            lambda url: url.split("#", 1)[0] == state["url"],
            lambda route: route.fulfill(
                status=200,
                content_type="text/html; charset=utf-8",
                # no page script runs: the DOM stays as the JS-less browser showed it
                headers={"Content-Security-Policy": "script-src 'none'"},
                body=state["html"],
            ),
        )
        _snapshot_tabs[key] = (context.new_page(), state)
    return _snapshot_tabs[key]


def _run_axe_on_snapshot(page, options: dict) -> list[dict]:
    """Chromium runs no timers with JavaScript off, so axe cannot finish there.

    Serve the page's current DOM, at the same URL (styles load from the same server), to a
    JS-enabled tab whose response CSP lets no page script run; `<noscript>` content is
    unwrapped because that is what a browser without JavaScript shows.
    """
    tab, state = _snapshot_tab(page.context.browser)
    state["url"] = page.url.split("#", 1)[0]
    state["html"] = _NOSCRIPT.sub("", page.content())
    tab.goto(state["url"], wait_until="load")
    return _run_axe(tab, options)


def axe_violations(page, disable: tuple[str, ...] = ()) -> list[dict]:
    """axe-core violations on the page; a page without `js_enabled` is taken as JS-enabled."""
    options = {"rules": {rule: {"enabled": False} for rule in disable}}
    # a click that navigates returns before the new document has loaded: checking then
    # would test a half-parsed page (CI once saw an /account/2fa without <title> or <main>)
    page.wait_for_load_state("load")
    if getattr(page, "js_enabled", True):
        return _run_axe(page, options)
    return _run_axe_on_snapshot(page, options)


def assert_no_axe_violations(page, disable: tuple[str, ...] = ()) -> None:
    """Fail listing axe-core violations on the current page (all default rules, WCAG 2.2 AA)."""
    violations = axe_violations(page, disable)
    if violations:
        lines = [
            f"- {v['id']} ({v['impact']}): {v['help']} — {v['count']} node(s), e.g. "
            + "; ".join(v["targets"])
            for v in violations
        ]
        pytest.fail(f"axe found {len(violations)} violation(s) on {page.url}:\n" + "\n".join(lines))
