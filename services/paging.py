"""Offset paging for the staff tables (small, filtered lists; slot search keeps its keyset)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import peewee as pw

PER_PAGE = 25
MAX_PAGE = 10_000


@dataclass(frozen=True)
class Page:
    items: list[Any]
    number: int
    total: int
    per_page: int = PER_PAGE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def page_number(raw: str | None) -> int:
    """The `page` query parameter: anything odd means the first page, never an error."""
    if raw and raw.isdigit() and len(raw) < 6:
        return min(max(1, int(raw)), MAX_PAGE)
    return 1


def paginate(query: pw.ModelSelect, number: int, per_page: int = PER_PAGE) -> Page:
    total = query.count()
    last = max(1, -(-total // per_page))
    number = min(max(1, number), last)
    return Page(list(query.paginate(number, per_page)), number, total, per_page)
