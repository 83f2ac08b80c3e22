"""Issue 14: a search page costs two queries (the catalogue version; the page, which also
counts the matches),
and a catalogue change made anywhere is seen by every app instance at its next request."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from datetime import timedelta

import pytest

from app import create_app
from models.base import db, utcnow
from models.clinic import Facility, StaffMember
from services.catalogue_cache import bump_catalogue_version, catalogue
from tests import factories as f


class _Queries(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.sql: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if isinstance(record.msg, tuple):  # (sql, params); not the pool's messages
            self.sql.append(str(record.msg[0]))


@contextmanager
def counting_queries():
    """Every statement peewee sends (it logs each one at DEBUG)."""
    logger = logging.getLogger("peewee")
    handler, level = _Queries(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler.sql
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


@pytest.fixture
def clinic(app):
    with app.app_context():
        db.connect(reuse_if_open=True)
        places = [f.facility(name=f"Przychodnia {n}") for n in range(3)]
        specs = [f.specialty(name=f"Poradnia {n}") for n in range(4)]
        start = (utcnow() + timedelta(days=1)).replace(hour=8, minute=0, second=0, microsecond=0)
        doctors = []
        for n in range(8):
            spec, place = specs[n % 4], places[n % 3]
            doctor = f.staff(spec, place, last_name=f"Nowak {n}")
            services = [f.service(spec, name=f"Porada {n}"), f.service(spec, name=f"Kontrola {n}")]
            sched = f.schedule(doctor, place, services=services)
            for k in range(6):
                f.slot(
                    doctor, place, start + timedelta(minutes=15 * k), specialty=spec, schedule=sched
                )
            doctors.append(doctor)
        # one inactive doctor and one inactive place, so the exclusions are in the query
        f.staff(specs[0], places[0], last_name="Emerytowany", active=False)
        f.facility(name="Zamknięta", active=False)
        ids = {"specialty": specs[1].id, "facility": places[2].id, "staff": doctors[3].id}
        ids["service"] = services[0].id
        db.close()
    return ids


SEARCHES = [
    {},
    {"specialty": "specialty"},
    {"service": "service"},
    {"staff": "staff"},
    {"facility": "facility", "visit_type": "nfz"},
    {"specialty": "specialty", "facility": "facility"},
]


@pytest.mark.parametrize("params", SEARCHES, ids=lambda p: "+".join(p) or "no filters")
def test_a_search_page_runs_two_queries(client, clinic, params):
    query = {k: str(clinic.get(v, v)) for k, v in params.items()}
    client.get("/slots", query_string=query)  # the first request of a process loads it all
    for headers in ({}, {"HX-Request": "true"}):
        with counting_queries() as sql:
            response = client.get("/slots", query_string=query, headers=headers)
        assert response.status_code == 200
        assert len(sql) <= 2, "\n".join(sql)
        # the page: its SQL, or on PostgreSQL the EXECUTE of it prepared on the connection
        assert any('FROM "slot"' in q or q.startswith("EXECUTE wizyta_") for q in sql)


def test_the_found_slots_carry_their_doctor_and_place(client, clinic):
    page = client.get("/slots", query_string={"specialty": clinic["specialty"]})
    text = page.get_data(as_text=True)
    assert "Nowak 1" in text and "Emerytowany" not in text


@pytest.fixture
def second_app(app_config):
    """Another process (a gunicorn worker, another machine) on the same database."""
    other = create_app(app_config)
    yield other
    if not db.is_closed():
        db.close()


def test_a_catalogue_change_is_seen_by_another_app_instance(app, second_app, clinic):
    first, second = app.test_client(), second_app.test_client()
    query = {"specialty": clinic["specialty"]}
    assert "Nowak 1" in first.get("/slots", query_string=query).get_data(as_text=True)
    assert "Nowak 1" in second.get("/slots", query_string=query).get_data(as_text=True)
    with app.app_context():  # staff deactivate the doctor through the first instance
        db.connect(reuse_if_open=True)
        StaffMember.update(active=False).where(StaffMember.last_name == "Nowak 1").execute()
        db.close()
    for client in (second, first):
        page = client.get("/slots", query_string=query).get_data(as_text=True)
        assert "Nowak 1" not in page


def test_a_renamed_facility_shows_in_the_other_instance_and_the_choices(app, second_app, clinic):
    second = second_app.test_client()
    assert "Przychodnia 2" in second.get("/slots").get_data(as_text=True)
    with app.app_context():
        db.connect(reuse_if_open=True)
        Facility.update(name="Przychodnia Nowa").where(Facility.id == clinic["facility"]).execute()
        db.close()
    page = second.get("/slots").get_data(as_text=True)
    assert "Przychodnia Nowa" in page and "Przychodnia 2" not in page


def test_an_unchanged_catalogue_is_not_read_again_and_a_bump_reloads_it(app, clinic):
    with app.test_request_context():
        db.connect(reuse_if_open=True)
        before = catalogue()
    with app.test_request_context():
        assert catalogue() is before
        bump_catalogue_version()
        after = catalogue()
        assert after is not before and after.version == before.version + 1
        db.close()


def test_searches_of_one_shape_reuse_the_statement_with_their_own_values(client, clinic):
    """The statement is built once per shape (slot_search/prepared.py): a search for
    another specialty or place, later, must still find its own doctors."""
    for specialty in (clinic["specialty"], clinic["specialty"] - 1, clinic["specialty"]):
        page = client.get("/slots", query_string={"specialty": specialty}).get_data(as_text=True)
        doctors = {n for n in range(8) if f"Nowak {n}<" in page}
        assert doctors == {n for n in range(8) if n % 4 == specialty - clinic["specialty"] + 1}


def test_the_reused_statement_finds_what_peewee_builds_afresh(app, clinic):
    from core.timeutil import local_today
    from services.slot_search import page_query, parse_query, search_page
    from services.slot_search.query import Cursor

    now = utcnow()
    with app.test_request_context():
        db.connect(reuse_if_open=True)
        for params in (
            {"specialty": str(clinic["specialty"])},
            {"facility": str(clinic["facility"]), "visit_type": "nfz"},
            {"staff": str(clinic["staff"])},
            {},
        ):
            query, errors = parse_query(params, local_today())
            assert not errors
            cursor = None
            for _ in range(3):  # the first page, then pages after a cursor
                page = search_page(query, cursor=cursor, now=now, page_size=4)
                fresh = list(page_query(query, cursor=cursor, now=now, page_size=4))[:4]
                assert [s.id for s in page.slots] == [s.id for s in fresh]
                assert all(s.starts_at.tzinfo is None and s.staff.id for s in page.slots)
                if page.next_cursor is None:
                    break
                cursor = Cursor(page.slots[-1].starts_at, page.slots[-1].id)
        db.close()


def test_a_stand_in_peewee_writes_into_the_text_is_not_reused(app):
    import peewee as pw

    from models.clinic import Slot
    from services.slot_search.prepared import STAND_INS, prepare

    with app.app_context():
        as_param = Slot.select().where(Slot.staff == STAND_INS["staff"])
        assert prepare(as_param, {"staff"}) is not None
        inline = Slot.select().where(pw.SQL(f"staff_id = {STAND_INS['staff']}"))
        assert prepare(inline, {"staff"}) is None


def test_postgresql_runs_the_search_as_a_statement_prepared_on_its_connection(app, client, clinic):
    """PostgreSQL plans a PREPAREd statement once per connection (DATABASE_PREPARE, on by
    default; off behind PgBouncer in transaction mode). SQLite runs the SQL itself."""
    from models.base import is_sqlite

    query = {"specialty": clinic["specialty"]}
    client.get("/slots", query_string=query)
    with counting_queries() as sql:
        first = client.get("/slots", query_string=query).get_data(as_text=True)
    page = [q for q in sql if "slot" in q.lower() or q.startswith("EXECUTE")]
    if is_sqlite():
        assert page and all(q.startswith("SELECT") for q in page)
        return
    assert page and page[-1].startswith("EXECUTE wizyta_"), page
    app.config["DATABASE_PREPARE"] = False
    with counting_queries() as sql:
        again = client.get("/slots", query_string=query).get_data(as_text=True)
    assert not any(q.startswith("EXECUTE") for q in sql)
    assert first.count("/reserve") == again.count("/reserve") > 0


def test_postgresql_gets_only_the_requests_values_and_plans_the_statement_once(app, client, clinic):
    """The catalogue's values (the fitting schedules of a service: hundreds of ids in a big
    clinic) are written into the PREPAREd text; EXECUTE sends the time window, the limits and
    the chosen ids only, and PostgreSQL reuses one generic plan instead of planning anew on
    every call (it chose to plan anew when left to itself: 0.3–0.7 ms a search)."""
    from models.base import is_sqlite

    if is_sqlite():
        pytest.skip("PostgreSQL's server-side statements")
    query = {"service": clinic["service"]}
    for _ in range(8):
        assert client.get("/slots", query_string=query).status_code == 200
    with counting_queries() as sql:
        page = client.get("/slots", query_string=query).get_data(as_text=True)
    executed = [q for q in sql if q.startswith("EXECUTE wizyta_")]
    assert executed and executed[-1].count("%s") <= 6, executed
    assert "Porada" in page
    with app.app_context():
        db.connect(reuse_if_open=True)
        rows = db.execute_sql(
            "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements "
            "WHERE name LIKE 'wizyta_%%'"
        ).fetchall()
        db.close()
    assert rows
    for statement, generic, custom in rows:
        assert custom == 0 and generic >= 1, (generic, custom)
        assert 'schedule_id" IN (' in statement  # the fitting schedules, written in
