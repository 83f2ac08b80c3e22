"""Fixtures: app, client, runner, a fresh database per test (SQLite or PostgreSQL), auth."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import peewee
import pytest
from flask import g, request_started
from jinja2 import BytecodeCache

os.environ["WIZYTA_ENV"] = "development"
os.environ.setdefault("SECRET_KEY", "test-secret-key-" + "x" * 32)
for name in ("DATABASE_URL", "RATELIMIT_STORAGE_URI", "MAIL_SERVER"):
    os.environ.pop(name, None)

from app import create_app  # noqa: E402
from core.extensions import limiter  # noqa: E402
from core.passwords import use_fast_hashes_for_tests  # noqa: E402
from models import ALL_MODELS  # noqa: E402
from models.base import db, make_database  # noqa: E402
from models.catalogue import install_triggers  # noqa: E402

pytest_plugins = ["tests.fixtures_mail", "tests.fixtures_live"]

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("TEST_DATABASE_URL", "")

use_fast_hashes_for_tests()


def pytest_report_header(config):
    return f"database: {'PostgreSQL ' + PG_URL if PG_URL else 'SQLite (temp file per test)'}"


@pytest.fixture(scope="session", autouse=True)
def compiled_translations():
    """The .mo files are build output: compile them once so the English UI is testable.

    Skipped when they are newer than the catalogues (`make test` compiled them already, and
    its two database runs must not rewrite a file the other one is reading)."""
    catalogues = list((ROOT / "translations").glob("*/LC_MESSAGES/messages.po"))
    if all(
        po.with_suffix(".mo").exists()
        and po.with_suffix(".mo").stat().st_mtime >= po.stat().st_mtime
        for po in catalogues
    ):
        return
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "compile",
            "-d",
            str(ROOT / "translations"),
        ],
        check=True,
    )


def _ensure_pg_database(url: str) -> None:
    parts = urlparse(url)
    name = parts.path.lstrip("/")
    admin = peewee.PostgresqlDatabase(
        "postgres", user=parts.username, host=parts.hostname, port=parts.port or 5432
    )
    admin.connect()
    admin.connection().autocommit = True
    exists = admin.execute_sql("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    if not exists:
        admin.execute_sql(f'CREATE DATABASE "{name}"')
    admin.close()


def _close_all(database) -> None:
    """Pooled PostgreSQL connections stay open after close(); a test's pool is done."""
    if not database.is_closed():
        database.close()
    if hasattr(database, "close_all"):
        database.close_all()


@pytest.fixture(scope="session")
def pg_schema():
    """PostgreSQL: one database, schema created once per session, emptied per test."""
    if not PG_URL:
        return None
    _ensure_pg_database(PG_URL)
    database = make_database(PG_URL)
    db.initialize(database)
    database.connect(reuse_if_open=True)
    database.drop_tables(ALL_MODELS, safe=True, cascade=True)
    database.create_tables(ALL_MODELS)
    _close_all(database)
    return PG_URL


_PG_EMPTYING: list[str] = []


def _pg_emptying_sql(database) -> str:
    """One statement that empties every table (children first) and restarts the ids.

    TRUNCATE … RESTART IDENTITY CASCADE took 325 ms a test here (it makes new files for every
    table and index); DELETE of a test's few rows plus setval() takes 4 ms."""
    if not _PG_EMPTYING:
        names = [m._meta.table_name for m in reversed(peewee.sort_models(ALL_MODELS))]
        sequences = [
            row[0]
            for row in database.execute_sql(
                "SELECT pg_get_serial_sequence(quote_ident(table_name), 'id') FROM "
                "information_schema.columns WHERE table_schema = current_schema() "
                "AND column_name = 'id' AND table_name = ANY(%s)",
                (names,),
            ).fetchall()
            if row[0]
        ]
        restart = ", ".join(f"setval('{seq}', 1, false)" for seq in sequences)
        _PG_EMPTYING.append("".join(f'DELETE FROM "{n}";' for n in names) + f"SELECT {restart};")
    return _PG_EMPTYING[0]


@pytest.fixture(scope="session")
def sqlite_schema(tmp_path_factory):
    """SQLite: the schema (tables, indexes, the catalogue's triggers) built once per session;
    each test gets a copy of the file (0.4 ms) instead of building it again (~60 ms)."""
    if PG_URL:
        return None
    path = tmp_path_factory.mktemp("schema") / "schema.sqlite3"
    database = make_database(f"sqlite:///{path}")
    db.initialize(database)
    database.connect(reuse_if_open=True)
    database.create_tables(ALL_MODELS)
    install_triggers(database)
    database.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the main file
    _close_all(database)
    return path


@pytest.fixture
def database_url(tmp_path, pg_schema, sqlite_schema):
    if pg_schema:
        database = make_database(pg_schema)
        database.connect()
        try:
            database.execute_sql(_pg_emptying_sql(database))
        except peewee.IntegrityError:  # rows that reference each other both ways
            database.rollback()
            tables = ", ".join(f'"{m._meta.table_name}"' for m in ALL_MODELS)
            database.execute_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        _close_all(database)
        return pg_schema
    shutil.copyfile(sqlite_schema, tmp_path / "test.sqlite3")
    return f"sqlite:///{tmp_path / 'test.sqlite3'}"


@pytest.fixture
def app_config(database_url, tmp_path):
    """Override in a test module to change settings before the app is built."""
    return {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "RATELIMIT_STORAGE_URI": "memory://",
        "MAIL_SERVER": "",
        "MAIL_SYNC": True,
        "BASE_URL": "http://localhost",
        "DOCUMENTS_DIR": str(tmp_path / "documents"),
        # Staff logins in tests skip the 2FA set-up; tests of the rule switch it on.
        "STAFF_REQUIRE_2FA": False,
    }


def _fresh_g_per_request(sender, **_extra) -> None:
    """With `ctx` open, test-client requests reuse its app context and so its `g`; clear it
    so that each request starts like a real one (no cached user, CSRF token or mail flag)."""
    g.__dict__.clear()


class _CompiledTemplates(BytecodeCache):
    """Every test builds its own app, and each app's Jinja compiled every template again
    (~50 ms a page, most of a short test). Jinja keys the compiled code by the template's
    name and a checksum of its source, so an edited template is compiled afresh."""

    def __init__(self) -> None:
        self.store: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        code = self.store.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket) -> None:
        self.store[bucket.key] = bucket.bytecode_to_string()


_COMPILED_TEMPLATES = _CompiledTemplates()


@pytest.fixture
def app(app_config):
    application = create_app(app_config)
    application.jinja_env.bytecode_cache = _COMPILED_TEMPLATES
    request_started.connect(_fresh_g_per_request, application)
    with application.app_context():
        if not PG_URL and not db.table_exists("account"):  # a test's own empty database
            db.create_tables(ALL_MODELS)
        limiter.reset()
        db.close()
    yield application
    if not db.is_closed():
        db.close()
    _close_all(db.obj)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def ctx(app):
    """An app context with an open connection, for calling services directly."""
    with app.app_context():
        db.connect(reuse_if_open=True)
        yield app
        if not db.is_closed():
            db.close()


_CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')


def csrf_token(client, path: str = "/") -> str:
    """The CSRF token of the client's session, read from a page like a browser would."""
    page = client.get(path).get_data(as_text=True)
    match = _CSRF.search(page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


_SIGNED_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_.-]{20,}")


def without_csrf(response) -> str:
    """A page's HTML with signed tokens masked: a CSRF token carries its signing second."""
    return _SIGNED_TOKEN.sub("TOKEN", response.get_data(as_text=True))


class AuthActions:
    def __init__(self, client):
        self.client = client

    def login(self, login: str, password: str, next_path: str | None = None, **extra):
        data = {
            "login": login,
            "password": password,
            "csrf_token": csrf_token(self.client),
            **extra,
        }
        if next_path:
            data["next"] = next_path
        return self.client.post("/login", data=data)

    def logout(self):
        return self.client.post("/logout", data={"csrf_token": csrf_token(self.client)})


@pytest.fixture
def auth(client):
    return AuthActions(client)


def pytest_collection_modifyitems(config, items):
    """`BROWSER_SHARD=k/n` keeps every n-th browser test, starting at the k-th (by node id).

    `make test` runs the SQLite and the PostgreSQL suites side by side and gives each half of
    the browser tests (1/2 and 2/2): every browser test still runs once, on one database or
    the other, and every HTTP and unit test on both. Unset (plain `pytest`), all of them run.
    """
    shard = os.environ.get("BROWSER_SHARD", "").strip()
    if not shard:
        return
    match = re.fullmatch(r"(\d+)/(\d+)", shard)
    if not match or not 1 <= int(match[1]) <= int(match[2]):
        raise pytest.UsageError(f"BROWSER_SHARD must look like 1/2, not {shard!r}")
    index, count = int(match[1]) - 1, int(match[2])
    browser = sorted(
        (item for item in items if item.get_closest_marker("browser")), key=lambda i: i.nodeid
    )
    dropped = {item.nodeid for n, item in enumerate(browser) if n % count != index}
    if dropped:
        config.hook.pytest_deselected(items=[i for i in items if i.nodeid in dropped])
        items[:] = [item for item in items if item.nodeid not in dropped]
