"""The PostgreSQL pool without its `SELECT 1` on every checkout (issue 14): a request's
first query — the catalogue's version — is its check, and a connection the server dropped
(restart, idle timeout of a proxy) is replaced before the page runs, never a 500."""

from __future__ import annotations

import psycopg2
import pytest

from models.base import QuietPool, db, is_sqlite
from tests import factories as f
from tests.http.test_slots_search_queries import counting_queries


@pytest.fixture
def pg_app(app):
    with app.app_context():
        if is_sqlite():
            pytest.skip("the PostgreSQL pool")
        assert isinstance(db.obj, QuietPool)
    return app


def _pooled_backend(app) -> int:
    """The server process behind the connection the pool hands out next."""
    with app.app_context():
        db.connect(reuse_if_open=True)
        pid = db.connection().get_backend_pid()
        db.close()  # back to the pool, alive as far as the driver knows
    return pid


def _terminate(app, pid: int) -> None:
    admin = psycopg2.connect(app.config["DATABASE_URL"])
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", (pid,))
        assert cursor.fetchone()[0] is True
    admin.close()


def test_a_request_does_not_ping_the_pooled_connection(pg_app, client):
    client.get("/slots")
    with counting_queries() as sql:
        assert client.get("/slots").status_code == 200
    assert "SELECT 1" not in sql
    assert sql[0].startswith("SELECT version FROM catalogue_version"), sql


def test_a_connection_the_server_dropped_is_replaced_before_the_page(pg_app, client):
    with pg_app.app_context():
        db.connect(reuse_if_open=True)
        place, spec = f.facility(name="Przychodnia Zdrowa"), f.specialty(name="Poradnia Ogólna")
        f.staff(spec, place, last_name="Kowalska")
        db.close()
    dropped = _pooled_backend(pg_app)
    _terminate(pg_app, dropped)
    response = client.get("/slots")
    assert response.status_code == 200
    assert "Przychodnia Zdrowa" in response.get_data(as_text=True)
    assert _pooled_backend(pg_app) != dropped


def test_outside_a_request_the_pool_still_pings(pg_app):
    """The mail worker and the CLI connect without a request: their checkout pings as before."""
    dropped = _pooled_backend(pg_app)
    _terminate(pg_app, dropped)
    with pg_app.app_context():
        db.connect(reuse_if_open=True)
        assert db.execute_sql("SELECT 2").fetchone()[0] == 2
        assert db.connection().get_backend_pid() != dropped
        db.close()


def test_the_urls_options_reach_the_driver():
    from models.base import make_database

    pool = make_database("postgresql://wizyta:s3cret@db.example:6543/clinic?sslmode=require")
    assert isinstance(pool, QuietPool) and pool.database == "clinic"
    assert pool.connect_params == {
        "user": "wizyta",
        "password": "s3cret",
        "host": "db.example",
        "port": 6543,
        "sslmode": "require",
    }
