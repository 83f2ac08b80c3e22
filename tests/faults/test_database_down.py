"""PostgreSQL down: the error page renders without the database, in the user's language (503)."""

from __future__ import annotations

import pytest

from models.base import db, make_database
from tests.fixtures_mail import free_port


@pytest.fixture
def database_down(app):
    """Point the app at a PostgreSQL address where nothing listens, as when the server stops."""
    working = db.obj
    db.initialize(make_database(f"postgresql://postgres@127.0.0.1:{free_port()}/wizyta"))
    yield
    db.initialize(working)


@pytest.fixture
def database_refuses(app):
    """A PostgreSQL server that answers but refuses the connection (no such database)."""
    if "postgres" not in str(app.config["DATABASE_URL"]):
        pytest.skip("needs the PostgreSQL server (TEST_DATABASE_URL)")
    working = db.obj
    db.initialize(make_database("postgresql://postgres@127.0.0.1:5432/wizyta_no_such_database"))
    yield
    db.initialize(working)


@pytest.mark.parametrize("path", ["/", "/login", "/register", "/slots", "/panel/reservations"])
def test_pages_answer_503_with_the_full_error_page_when_the_database_is_down(
    client, database_down, path
):
    response = client.get(path)
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert "Spróbuj ponownie za chwilę" in page
    assert 'class="site-footer"' in page, "the regular layout, not the bare fallback"


def test_the_database_down_page_speaks_english_when_chosen(client, database_down):
    client.set_cookie("lang", "en")
    response = client.get("/login")
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert 'lang="en"' in page
    assert "try again in a moment" in page.lower()


def test_a_post_while_the_database_is_down_gets_503_not_500(client, database_down):
    response = client.post("/login", data={"login": "ewa", "password": "x"})
    assert response.status_code == 503


def test_a_database_that_refuses_the_connection_gets_the_same_page(client, database_refuses):
    response = client.get("/login")
    assert response.status_code == 503
    assert "Spróbuj ponownie za chwilę" in response.get_data(as_text=True)


def test_the_site_recovers_without_restart_when_the_database_returns(client, app):
    working = db.obj
    db.initialize(make_database(f"postgresql://postgres@127.0.0.1:{free_port()}/wizyta"))
    try:
        assert client.get("/login").status_code == 503
    finally:
        db.initialize(working)
    assert client.get("/login").status_code == 200
