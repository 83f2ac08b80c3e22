"""The search's SQL, built by peewee once per shape of query and catalogue version.

Peewee builds a statement from its expression tree on every call; for the search page that
cost more than running it (0.7 ms of the page's 4.8 ms, issue 14). A search's statement
text depends only on which filters are set and on the catalogue (the fitting schedules, the
inactive staff and places); the values that change from request to request — the time
window, the chosen ids, the cursor, the page size — are parameters. So the statement is
built once with stand-in values of the right type (no real id is negative, no free slot is
in 1901), the positions of the stand-ins in its parameters are noted, and later searches of
the same shape only put their own values there. A stand-in that peewee did not pass as a
parameter (written into the text) means the statement cannot be reused: it is then built
for every search, as before.
"""

from __future__ import annotations

import hashlib
import re
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

import peewee as pw

from services.catalogue_cache import Catalogue

STAND_INS: dict[str, Any] = {
    "facility": -1_000_000_001,
    "specialty": -1_000_000_002,
    "staff": -1_000_000_003,
    "after_id": -1_000_000_004,
    "limit": -1_000_000_005,
    "count_limit": -1_000_000_006,
    "lo": datetime(1901, 1, 1, 0, 0, 1),
    "hi": datetime(1901, 1, 1, 0, 0, 2),
    "after_at": datetime(1901, 1, 1, 0, 0, 3),
}
_NAMES = {value: name for name, value in STAND_INS.items()}


@dataclass(frozen=True)
class Prepared:
    """A statement and its parameters, with the positions the request's values go to."""

    sql: str
    params: tuple[Any, ...]
    holes: tuple[tuple[int, str], ...]

    def bind(self, values: Mapping[str, Any]) -> list[Any]:
        params = list(self.params)
        for position, name in self.holes:
            params[position] = values[name]
        return params

    # PostgreSQL's server-side form (server_prepared below), worked out once per statement
    @cached_property
    def server_name(self) -> str:
        return "wizyta_" + hashlib.sha256(self.sql.encode()).hexdigest()[:20]

    @cached_property
    def server_body(self) -> str:
        """The SQL with PostgreSQL's numbered placeholders ($1, $2…) for PREPARE."""
        numbered = iter(range(1, len(self.params) + 1))
        return _PLACEHOLDER.sub(lambda _m: f"${next(numbered)}", self.sql)

    @cached_property
    def server_execute(self) -> str:
        values = ", ".join(["%s"] * len(self.params))
        return (
            f"EXECUTE {self.server_name} ({values})"
            if self.params
            else f"EXECUTE {self.server_name}"
        )


def _name_of(param: Any) -> str | None:
    if isinstance(param, bool) or not isinstance(param, int | datetime):
        return None
    return _NAMES.get(param)


def prepare(query: pw.Query, used: set[str]) -> Prepared | None:
    """`query` (built with the stand-ins named in `used`) as a reusable statement, or None
    when one of them did not come out as a parameter."""
    sql, params = query.sql()
    holes = tuple(
        (position, name)
        for position, param in enumerate(params)
        if (name := _name_of(param)) is not None
    )
    if {name for _, name in holes} != used:
        return None
    return Prepared(sql, tuple(params), holes)


def prepared(
    known: Catalogue,
    shape: tuple,
    values: Mapping[str, Any],
    build: Callable[[Mapping[str, Any]], pw.Query],
) -> tuple[str, list[Any]] | None:
    """The statement and parameters of `build(values)`, from the statement kept for this
    shape (`build` given the stand-ins instead, once); None if it cannot be kept."""
    used = {name for name, value in values.items() if value is not None}
    statement = known.remembered(
        ("prepared", *shape, *sorted(used)),
        lambda: prepare(
            build({name: STAND_INS.get(name) if name in used else None for name in values}), used
        ),
    )
    if statement is None:
        return None
    return server_prepared(statement), statement.bind(values)


# PostgreSQL plans a statement again on every call: 0.1–0.7 ms for a search that then runs
# in 0.03–0.3 ms. A statement PREPAREd once on a connection is planned once (PostgreSQL
# keeps a generic plan after five runs), and `EXECUTE name (…)` sends only the values. The
# pool keeps connections, so the statement is prepared once per statement and connection.
_PREPARED_ON: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()
_PLACEHOLDER = re.compile(r"%s")


def server_prepared(statement: Prepared) -> str:
    """The SQL to send: on PostgreSQL outside a transaction, `EXECUTE` of the statement
    prepared on this connection (prepared now if it is not yet); otherwise its SQL."""
    from flask import current_app, has_app_context

    from models.base import db, is_sqlite

    if is_sqlite() or db.in_transaction() or "%%" in statement.sql:
        return statement.sql
    if has_app_context() and not current_app.config.get("DATABASE_PREPARE", True):
        return statement.sql
    connection = db.connection()
    names = _PREPARED_ON.setdefault(connection, set())
    if statement.server_name not in names:
        with connection.cursor() as cursor:
            cursor.execute(f"PREPARE {statement.server_name} AS {statement.server_body}")
        names.add(statement.server_name)
    return statement.server_execute
