"""Free-slot search ("Wolne terminy"), one module per part:

- query.py      — the GET parameters read into a SearchQuery (and the paging Cursor);
- free_slots.py — the keyset-paged page and the capped count;
- nearest.py    — the days with slots nearest to an empty search, the free slots nearest
                  to a taken one;
- prepared.py   — each shape of search's SQL built once (PREPAREd on PostgreSQL);
- fit.py        — which slots a service fits, as SQL over the cached catalogue;
- choices.py    — the options of each filter, narrowed by the others;
- grouping.py   — results grouped by day, staff member and run of slots for display.

The clinic's catalogue (facilities, staff, services, schedules) comes from
services/catalogue_cache.py, so a search page costs two queries: the catalogue version, and
the page with the count of all matches as one of its columns.
"""

from .choices import Choices, choices_for
from .free_slots import (
    COUNT_CAP,
    PAGE_SIZE,
    SearchPage,
    attach_related,
    count_free_slots,
    free_slot_query,
    page_query,
    search_page,
)
from .grouping import DayGroup, SlotRun, StaffGroup, group_by_day
from .nearest import SUGGESTED_DAYS, nearest_days, nearest_free_slots
from .query import (
    DEFAULT_RANGE_DAYS,
    EARLIEST_DATE,
    LATEST_DATE,
    MAX_RANGE_DAYS,
    VISIT_TYPES,
    Cursor,
    SearchQuery,
    check_references,
    parse_query,
)

__all__ = [
    "COUNT_CAP",
    "DEFAULT_RANGE_DAYS",
    "EARLIEST_DATE",
    "LATEST_DATE",
    "MAX_RANGE_DAYS",
    "PAGE_SIZE",
    "SUGGESTED_DAYS",
    "VISIT_TYPES",
    "Choices",
    "Cursor",
    "DayGroup",
    "SearchPage",
    "SearchQuery",
    "SlotRun",
    "StaffGroup",
    "attach_related",
    "check_references",
    "choices_for",
    "count_free_slots",
    "free_slot_query",
    "group_by_day",
    "nearest_days",
    "nearest_free_slots",
    "page_query",
    "parse_query",
    "search_page",
]
