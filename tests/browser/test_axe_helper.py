"""The axe helper really finds violations, with JavaScript on and off, under the app's CSP."""

import pytest

from core.security import CSP
from tests.fixtures_live import assert_no_axe_violations

pytestmark = pytest.mark.browser

BAD_PAGE = """<!doctype html><html><head><title>x</title></head><body>
<img src="/static/favicon.svg"><form><input type="text" name="q"></form>
<noscript><button></button></noscript></body></html>"""


def test_axe_reports_missing_alt_label_and_lang(page, live_server):
    url = live_server.url + "/__axe_selftest__"
    page.route(
        url,
        lambda route: route.fulfill(
            status=200,
            content_type="text/html; charset=utf-8",
            headers={"Content-Security-Policy": CSP},
            body=BAD_PAGE,
        ),
    )
    page.goto(url)
    with pytest.raises(pytest.fail.Exception) as failure:
        assert_no_axe_violations(page)
    report = str(failure.value)
    for rule in ("image-alt", "label", "html-has-lang"):
        assert f"- {rule} (" in report
    if not page.js_enabled:
        assert "- button-name (" in report, "noscript content is what a no-JS user sees"


def test_axe_passes_the_home_page(page):
    page.goto("/")
    assert_no_axe_violations(page)


def test_page_fixture_collects_csp_violations(browser, live_server):
    """The `page` fixture fails a test on CSP violations; prove Chromium reports them."""
    context = browser.new_context(base_url=live_server.url)
    tab = context.new_page()
    url = live_server.url + "/__csp_selftest__"
    tab.route(
        url,
        lambda route: route.fulfill(
            status=200,
            content_type="text/html; charset=utf-8",
            headers={"Content-Security-Policy": CSP},
            body="<!doctype html><html lang=pl><title>x</title><script>1</script>",
        ),
    )
    try:
        with tab.expect_console_message(
            lambda msg: msg.type == "error" and "Content Security Policy" in msg.text
        ):
            tab.goto(url)
    finally:
        context.close()
