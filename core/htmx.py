"""One helper decides between the full page and the fragment htmx asked for."""

from __future__ import annotations

from typing import Any

from flask import Response, make_response, render_template, request
from jinja2_fragments.flask import render_block


def is_htmx_fragment_request() -> bool:
    """True for a plain htmx request; boosted and history-restore requests get full pages."""
    headers = request.headers
    return (
        headers.get("HX-Request") == "true"
        and headers.get("HX-Boosted") != "true"
        and headers.get("HX-History-Restore-Request") != "true"
    )


def render(template: str, block: str | None = None, status: int = 200, **context: Any) -> Response:
    """Render the page, or only `block` of it for htmx; always varies on HX-Request."""
    if block and is_htmx_fragment_request():
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    response = make_response(body, status)
    response.vary.add("HX-Request")
    return response
