"""GET /localities: a search page without JavaScript, <datalist> options for htmx."""

from __future__ import annotations

from flask import request

from core.htmx import render
from services.localities import MAX_QUERY, MIN_QUERY, clean_query, search_localities

from . import bp

PAGE_LIMIT = 30
OPTIONS_LIMIT = 10


@bp.get("/localities")
def search():
    # The registration form sends its field as `locality`; the search page sends `q`.
    query = clean_query(request.args.get("q") or request.args.get("locality"))
    too_short = 0 < len(query) < MIN_QUERY
    fragment = request.headers.get("HX-Request") == "true"
    matches = search_localities(query, OPTIONS_LIMIT if fragment else PAGE_LIMIT)
    return render(
        "localities/search.html",
        block="options",
        query=query,
        matches=matches,
        too_short=too_short,
        min_query=MIN_QUERY,
        max_query=MAX_QUERY,
    )
