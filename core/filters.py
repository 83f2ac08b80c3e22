"""Jinja filters: UTC database times shown in Warsaw time, prices in the reader's locale."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from flask import Flask
from flask_babel import format_currency, format_date
from markupsafe import Markup, escape

from .timeutil import to_local


def local_datetime(value: datetime | None) -> str:
    return to_local(value).strftime("%d.%m.%Y %H:%M") if value else ""


def local_time(value: datetime | None) -> str:
    return to_local(value).strftime("%H:%M") if value else ""


def long_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_local(value).date()
    return format_date(value, "EEEE, d MMMM y")


def price(value: Decimal | None) -> str:
    """A price in złoty as the locale writes it ("150,00 zł")."""
    return format_currency(value, "PLN") if value is not None else ""


def merge_query(params: dict, **changes) -> str:
    """A query string of the page's filters with some values changed (the pager's links)."""
    merged = {k: v for k, v in {**params, **changes}.items() if v not in (None, "")}
    return urlencode(merged)


def _value(item: Any, name: str) -> Any:
    return item[name] if isinstance(item, dict) else getattr(item, name)


_SHARED_OPTIONS: dict[tuple[int, Any, str], tuple[Iterable[Any], Markup]] = {}
_SHARED_MAX = 512


def options(
    items: Iterable[Any], selected: Any, text: str = "name", shared: bool = False
) -> Markup:
    """The `<option>`s of `items` (their `id`, labelled by `text`), `selected` marked.

    One join instead of a template loop per item: the search form lists every doctor, and
    the loop with a call per option was a tenth of the page's time (issue 14). `shared`
    lists are read-only and live long (the search's choices, kept per catalogue version):
    their markup is kept too, while the list itself is (an identity check, not a copy)."""
    key = (id(items), selected, text)
    if shared and (kept := _SHARED_OPTIONS.get(key)) is not None and kept[0] is items:
        return kept[1]
    parts = []
    for item in items:
        value = _value(item, "id")
        mark = " selected" if value == selected else ""
        parts.append(f'<option value="{escape(value)}"{mark}>{escape(_value(item, text))}</option>')
    html = Markup("".join(parts))  # noqa: S704 -- every value above is escaped
    if shared:
        if len(_SHARED_OPTIONS) >= _SHARED_MAX:
            _SHARED_OPTIONS.clear()
        _SHARED_OPTIONS[key] = (items, html)
    return html


def install(app: Flask) -> None:
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.filters.update(
        local_datetime=local_datetime,
        local_time=local_time,
        long_date=long_date,
        price=price,
        merge_query=merge_query,
        options=options,
    )
    from .service_facts import service_facts  # it formats prices with the filter above

    app.jinja_env.globals["service_facts"] = service_facts
