"""Routes of the slot search ("Wolne terminy"): GET /slots, one URL for page and fragments.

`search_response` renders any page that embeds the search region (the panel's "Zmień
termin" too), so results are found and shown one way only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, request, url_for
from flask_babel import gettext as _

from core.htmx import is_htmx_fragment_request, render
from core.timeutil import local_today, to_local
from models.base import utcnow
from services import service_fit as fit
from services.rules import clinic_rules
from services.slot_search import (
    COUNT_CAP,
    MAX_RANGE_DAYS,
    Cursor,
    SearchQuery,
    choices_for,
    group_by_day,
    nearest_days,
    parse_query,
    search_page,
)

from . import bp

TEMPLATE = "slots/search.html"


def search_response(
    template: str,
    query: SearchQuery,
    errors: dict[str, str],
    link: Callable[[dict[str, str]], str],
    **page: Any,
) -> Response:
    """The search page `template` (with blocks `search_region` and `search_more`) for the
    query; `link(params)` is the URL of the same page with other parameters."""
    cursor = Cursor.decode(request.args.get("after"))
    rules, now = clinic_rules(), utcnow()
    not_before, not_after = rules.earliest(now), rules.latest(now)
    more = cursor is not None and is_htmx_fragment_request()

    context: dict[str, Any] = {
        **page,
        "query": query,
        "errors": errors,
        "choices": None if more else choices_for(query),
        "days": [],
        "next_url": None,
        "suggestions": [],
        "continued_day": None,
        "first_page_url": None,
        "last_bookable_day": to_local(not_after).date() if not_after else None,
        "max_range_days": MAX_RANGE_DAYS,
        "fragment": "more" if more else ("region" if is_htmx_fragment_request() else ""),
    }
    if errors:
        context["status_text"] = _("Popraw filtry wyszukiwania.")
        return render(template, block="search_region", status=422, **context)

    results = search_page(
        query, cursor=cursor, now=not_before, not_after=not_after, count=cursor is None
    )
    days = group_by_day(results.slots, results.services_by_schedule, query.service)
    context["days"] = days
    if results.next_cursor:
        last_day = days[-1].day.isoformat()
        context["next_url"] = link(query.params(after=results.next_cursor.encode(), day=last_day))
    if cursor is not None:
        context["continued_day"] = request.args.get("day", "")
        context["first_page_url"] = link(query.params())
    if more:
        context["status_text"] = _(
            "Wczytano kolejne wolne terminy: %(num)d.", num=len(results.slots)
        )
        return render(template, block="search_more", **context)

    if results.total is not None:
        total = results.total
        if total > COUNT_CAP:
            context["status_text"] = _("Liczba wolnych terminów: ponad %(num)d.", num=COUNT_CAP)
        else:
            context["status_text"] = _("Liczba wolnych terminów: %(num)d.", num=total)
    else:
        context["status_text"] = _("Wolne terminy na tej stronie: %(num)d.", num=len(results.slots))
    if not results.slots and cursor is None:
        span = query.date_to - query.date_from
        context["suggestions"] = [
            (day, link(query.params(date_from=day, date_to=day + span)))
            for day in nearest_days(query, now=not_before, not_after=not_after)
        ]
    response = render(template, block="search_region", **context)
    if context["fragment"] == "region":
        # the address bar shows the query without empty parameters, like a shared link
        response.headers["HX-Push-Url"] = link(query.params())
    return response


@bp.get("/slots")
def search():
    query, errors = parse_query(request.args, local_today())
    # a search opened from the panel's referral keeps its code up to the booking step
    code = fit.normalise_referral_code(request.args.get("referral_code", "")[:60])
    carry = {"referral_code": code} if fit.referral_code_valid(code) else {}
    return search_response(
        TEMPLATE,
        query,
        errors,
        lambda params: url_for("slots.search", **params, **carry),
        referral_code=carry.get("referral_code", ""),
    )
