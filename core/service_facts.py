"""What a patient decides by, for one service on a slot of a given funding: the price of a
private visit, the duration, "wymaga skierowania" (NFZ only) and the age range.

A template global (search results, the booking step, the panel's change of term). The text
depends only on the values below and the language, so it is kept once made: the search page
shows it for every run of slots, and the price's locale formatting was the costly part.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from .filters import price
from .jinja_gettext import request_translations

_MADE: dict[tuple, tuple[object, str]] = {}
_MADE_MAX = 2048


def _text(service: Any, funding: str) -> str:
    parts = []
    if funding == "private" and service.price is not None:
        parts.append(price(service.price))
    parts.append(_("%(minutes)d min", minutes=service.duration_minutes))
    if funding == "nfz" and service.requires_referral:
        parts.append(_("wymaga skierowania"))
    low, high = service.min_age, service.max_age
    if low is not None and high is not None:
        parts.append(_("wiek %(low)d–%(high)d lat", low=low, high=high))
    elif high is not None:
        parts.append(_("wiek do %(high)d lat", high=high))
    elif low is not None:
        parts.append(_("wiek od %(low)d lat", low=low))
    return ", ".join(parts)


def service_facts(service: Any, funding: str) -> str:
    """ "150,00 zł, 20 min, wiek od 18 lat" (plain text: the template escapes it)."""
    language = request_translations()  # the request's catalogue: cheaper than get_locale()
    key = (
        id(language),
        funding,
        service.price,
        service.duration_minutes,
        bool(service.requires_referral),
        service.min_age,
        service.max_age,
    )
    kept = _MADE.get(key)
    if kept is not None and kept[0] is language:  # the same catalogue object, not a new one
        return kept[1]
    if len(_MADE) >= _MADE_MAX:
        _MADE.clear()
    text = _text(service, funding)
    _MADE[key] = (language, text)
    return text
