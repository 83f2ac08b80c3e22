"""The way back to the patient's search: a `back` parameter carried through the booking steps.

Only a /slots search is ever linked: the value is parsed as a search query and the link is
rebuilt from the parsed filters, so nothing else (another host, another path, markup) can
come through it. The search results write it (templates/slots/_search_days.html: the
search's own query string, URL-encoded once more).
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qsl, quote, urlencode

from flask import url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from core.timeutil import local_today
from models.clinic import Slot
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


_SENTINEL = 9_876_543_210_123


def reserve_links(service: int | None, back: str, referral_code: str = "") -> Callable[[Slot], str]:
    """The results' „Rezerwuj” address for each slot, the router asked once per page.

    A signed-in patient goes to the booking step with the chosen service and the way back to
    the search; a visitor goes straight to log-in with that step as `next`, which saves the
    slow phone the round trip of a redirect (issue 14).
    """
    pattern = url_for("slots.reserve", slot_id=_SENTINEL)
    before, _, after = pattern.partition(str(_SENTINEL))
    params = {"service": service or "", "back": back, "referral_code": referral_code}
    query = urlencode({name: value for name, value in params.items() if value})
    if current_user.is_authenticated:
        return lambda slot: f"{before}{slot.id}{after}?{query}"
    # quoted once: quote() works character by character, and the id is digits only
    head = url_for("auth.login") + "?next=" + quote(before, safe="/")
    tail = quote(f"{after}?{query}", safe="/")
    return lambda slot: f"{head}{slot.id}{tail}"
