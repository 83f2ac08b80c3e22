"""Markup that follows from the catalogue and a few values, rendered once and kept.

The search form (every filter with every option, narrowed by the others) is the same for
every search with the same filters, days and language: a tenth of the search page's time
to render (issue 14). Kept with the catalogue's version, so a change to a doctor, a place
or a service renders it anew; never for anything personal, and the template does not use it
when the form shows errors (those echo what was typed).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

from flask import request
from flask_babel import get_locale
from markupsafe import Markup

from services.catalogue_cache import catalogue

# a form lists every doctor (25 KB of markup at 500 staff): a few hundred kept at most, so
# a visitor trying every date range costs renders, not memory
KEPT_MAX = 256


def kept_markup(name: str, *key: Hashable, caller: Callable[[], str]) -> Markup:
    """`{% call kept_markup("name", key…) %}…{% endcall %}`: the block's output, rendered once
    per catalogue version, language, mount point and `key`."""
    kept: dict[tuple, Markup] = catalogue().remembered(("kept markup",), dict)
    full = (name, str(get_locale()), request.script_root, *key)
    found = kept.get(full)
    if found is None:
        if len(kept) >= KEPT_MAX:
            kept.clear()
        found = kept[full] = Markup(caller())  # noqa: S704 -- rendered (and escaped) by Jinja
    return found
