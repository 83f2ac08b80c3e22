"""The way back to the patient's search: a `back` parameter carried through the booking steps.

Only a /slots search is ever linked: the value is parsed as a search query and the link is
rebuilt from the parsed filters, so nothing else (another host, another path, markup) can
come through it. The search results write it (templates/slots/_search_days.html: the
search's own query string, URL-encoded once more).
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from flask import url_for
from werkzeug.datastructures import MultiDict

from core.timeutil import local_today
from services.slot_search import parse_query

BACK_MAX = 500


def search_back_url(raw: str | None) -> str:
    """The /slots URL with the filters in `raw` (a query string, or a local "/slots?…");
    plain /slots when `raw` is empty, too long or not a valid search."""
    search = url_for("slots.search")
    raw = (raw or "").strip()
    if raw.startswith(search + "?"):
        raw = raw[len(search) + 1 :]
    if not raw or len(raw) > BACK_MAX:
        return search
    args = MultiDict(parse_qsl(raw, keep_blank_values=True))
    query, errors = parse_query(args, local_today())
    if errors:
        return search
    return url_for("slots.search", **query.params())
