"""The database handle, the base model and connection helpers for SQLite and PostgreSQL."""

from __future__ import annotations

import fcntl
import os
import threading
from contextlib import contextmanager
from datetime import UTC, datetime

import peewee
from playhouse.db_url import connect as connect_url
from playhouse.db_url import parse as parse_url
from playhouse.pool import PooledPostgresqlDatabase

db = peewee.DatabaseProxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 10000,
    "synchronous": "normal",
    "cache_size": -16000,
}


def utcnow() -> datetime:
    """Now in UTC as a naive datetime: the database stores UTC without a zone."""
    return datetime.now(UTC).replace(tzinfo=None)


class BaseModel(peewee.Model):
    class Meta:
        database = db
        legacy_table_names = False


def make_database(url: str) -> peewee.Database:
    """Open the database named by a URL; SQLite gets WAL, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        # A pool here too: opening a SQLite connection and setting its pragmas cost more
        # than the three queries of a search page. A pooled connection serves one thread
        # at a time, so sqlite3's same-thread check is not needed.
        scheme, rest = url.split("://", 1)
        if "+pool" not in scheme:
            scheme = "sqlite+pool"
        database = connect_url(
            f"{scheme}://{rest}",
            pragmas=SQLITE_PRAGMAS,
            timeout=10,
            max_connections=32,
            stale_timeout=300,
            check_same_thread=False,
        )
    else:
        # A pool: closing a request's connection returns it instead of paying a new
        # PostgreSQL connection (several ms) on every request.
        settings = {
            **parse_url(url),  # options in the URL's query string too
            "max_connections": 32,
            "stale_timeout": 300,
            "timeout": 15,
        }
        database = QuietPool(settings.pop("database"), **settings)
    return database


class QuietPool(PooledPostgresqlDatabase):
    """The pool, able to skip its `SELECT 1` on checkout: a round trip per request, as long
    as the rest of a search page's work in PostgreSQL (issue 14). Inside `unchecked()` only
    what the driver knows locally is checked (closed, or left in a transaction: rolled
    back), and the caller's first query is the check: `connect_for_request` in
    services/catalogue_cache.py reads the catalogue's version first and opens a fresh
    connection if the server had dropped this one. Elsewhere (the mail worker, the CLI) the
    pool pings as before."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._trusting = threading.local()

    @contextmanager
    def unchecked(self):
        self._trusting.on = True
        try:
            yield
        finally:
            self._trusting.on = False

    def _is_closed(self, conn) -> bool:
        if getattr(self._trusting, "on", False):
            return bool(conn.closed) or not self._adapter.is_connection_reusable(conn)
        return super()._is_closed(conn)


def is_sqlite() -> bool:
    return isinstance(db.obj, peewee.SqliteDatabase)


class _WriterQueue:
    """SQLite writers of all processes queue on a file lock beside the database.

    SQLite's own busy handler makes a writer that finds the lock taken sleep and retry,
    up to 100 ms at a time, while the write itself takes a few ms. A kernel file lock wakes
    the next writer the moment the previous one commits. (On the loaded machine of issue 14
    the booking benchmark was CPU-bound and showed no difference either way.) Threads of
    one process take a thread lock first (a file lock is held by the open file, which
    threads share); a forked process opens its own.
    """

    def __init__(self) -> None:
        self._thread_lock = threading.Lock()
        self._files: dict[str, int] = {}

    def _fd(self, path: str) -> int:
        key = f"{os.getpid()}:{path}"  # an inherited descriptor would share the lock
        fd = self._files.get(key)
        if fd is None:
            fd = self._files[key] = os.open(path + "-writers", os.O_RDWR | os.O_CREAT, 0o600)
        return fd

    @contextmanager
    def held(self, path: str):
        with self._thread_lock:
            fd = self._fd(path)
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)


_writers = _WriterQueue()


@contextmanager
def write_transaction():
    """A transaction that will write: on SQLite it takes the write lock at BEGIN (IMMEDIATE).

    A deferred SQLite transaction that reads first and writes later cannot upgrade its lock
    in WAL mode once another connection has written: it fails at once with "database is
    locked" and the busy timeout never applies. Taking the lock at BEGIN makes the busy
    timeout queue writers instead; the outermost one also queues on `_WriterQueue`, which
    wakes the next writer at once. Nested, it is a savepoint like db.atomic().
    """
    if not is_sqlite():
        with db.atomic() as transaction:
            yield transaction
        return
    path = db.obj.database
    if db.in_transaction() or not path or path == ":memory:" or path.startswith("file:"):
        with db.atomic("IMMEDIATE") as transaction:
            yield transaction
        return
    with _writers.held(path), db.atomic("IMMEDIATE") as transaction:
        yield transaction
