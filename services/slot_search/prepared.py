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

    # PostgreSQL's server-side form (server_prepared below), worked out once per statement.
    # Only the request's values travel as parameters: the catalogue's (the fitting
    # schedules, hundreds of ids in a big clinic, and the flags) are written into the
    # PREPAREd text, so EXECUTE sends a handful of values and PostgreSQL plans with the real
    # lists instead of hundreds of parameters.
    @cached_property
    def _server_form(self) -> tuple[str, tuple[int, ...]]:
        holes = {position for position, _ in self.holes}
        pieces = _PLACEHOLDER.split(self.sql)
        body, sent = [pieces[0]], []
        for position, (param, after) in enumerate(zip(self.params, pieces[1:], strict=True)):
            literal = None if position in holes else _literal(param)
            if literal is None:
                sent.append(position)
                literal = f"${len(sent)}"
            body.append(literal)
            body.append(after)
        return "".join(body), tuple(sent)

    @property
    def server_body(self) -> str:
        """The SQL for PREPARE: constants written in, $1, $2… for the rest."""
        return self._server_form[0]

    @cached_property
    def server_name(self) -> str:
        return "wizyta_" + hashlib.sha256(self.server_body.encode()).hexdigest()[:20]

    @cached_property
    def server_execute(self) -> str:
        count = len(self._server_form[1])
        values = ", ".join(["%s"] * count)
        return f"EXECUTE {self.server_name} ({values})" if count else f"EXECUTE {self.server_name}"

    def server_bind(self, values: Mapping[str, Any]) -> list[Any]:
        """The parameters of `server_execute`: what is not written into the text."""
        params = self.bind(values)
        return [params[position] for position in self._server_form[1]]


_SAFE_TEXT = re.compile(r"[A-Za-z0-9_ .-]{0,64}")


def _literal(value: Any) -> str | None:
    """`value` as SQL text when that is unambiguous (ints, booleans, plain words), else None."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and _SAFE_TEXT.fullmatch(value):
        return f"'{value}'"
    return None


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
    if server_prepared(statement):
        return statement.server_execute, statement.server_bind(values)
    return statement.sql, statement.bind(values)


# PostgreSQL plans a statement again on every call: 0.3–0.7 ms for a search that then runs
# in 0.05–0.3 ms. A statement PREPAREd once on a connection and run with the generic plan is
# planned once, and `EXECUTE name (…)` sends only the values. Left to itself PostgreSQL kept
# planning anew for every call ("custom plans": the search's generic plan looks costlier on
# paper, its unknown time window assumed wide), although the plans are the same index walk
# either way (bench/search_bench.py prints them), so the connections that run the search
# are set to use the generic plan (`plan_cache_mode`; PostgreSQL 12+). The pool keeps
# connections, so a statement is prepared once per statement and connection.
_PREPARED_ON: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()
_PLACEHOLDER = re.compile(r"%s")


def server_prepared(statement: Prepared) -> bool:
    """Whether to send `EXECUTE` of the statement prepared on this connection (prepared now
    if it is not yet): on PostgreSQL outside a transaction; otherwise the SQL itself goes."""
    from flask import current_app, has_app_context

    from models.base import db, is_sqlite

    if is_sqlite() or db.in_transaction() or "%%" in statement.sql:
        return False
    if has_app_context() and not current_app.config.get("DATABASE_PREPARE", True):
        return False
    connection = db.connection()
    names = _PREPARED_ON.get(connection)
    if names is None:
        names = _PREPARED_ON[connection] = set()
        if connection.server_version >= 120000:
            with connection.cursor() as cursor:
                cursor.execute("SET plan_cache_mode = force_generic_plan")
    if statement.server_name not in names:
        with connection.cursor() as cursor:
            cursor.execute(f"PREPARE {statement.server_name} AS {statement.server_body}")
        names.add(statement.server_name)
    return True
