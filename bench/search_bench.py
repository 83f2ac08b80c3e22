"""Server time of the free-slot search on a clinic of 50 staff × one year of 15-minute slots.

Each search is timed against the framework's floor, interleaved in the same process: a bare
Flask app rendering the same 30 rows with Jinja (no database, no extensions). The ratio
Wizyta / floor is the cost of the search itself (target p50 ≤ 2×). --huge adds a clinic of
10× the staff (4.2M slots), to show the cost does not follow the table.

Usage: .venv/bin/python bench/search_bench.py [--staff 50] [--days 365] [--runs 40]
       [--database-url postgresql://postgres@127.0.0.1:5432/wizyta_bench] [--quick]
Without --database-url (or DATABASE_URL) it uses a fresh SQLite file in a temporary folder.
The schema of the given database is dropped and re-created. Unless --no-small, the same
measurements are repeated on a clinic with 10× fewer slots (a tenth of the staff), to show
that the cost follows the page of results and not the size of the table.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from datetime import time as clock
from pathlib import Path
from urllib.parse import urlencode, urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("WIZYTA_ENV", "development")
os.environ.setdefault("SECRET_KEY", "bench-secret-key-" + "x" * 32)

SPECIALTIES = 8
FACILITIES = 3


def ensure_pg_database(url: str) -> None:
    """Create the PostgreSQL database named in the URL if it does not exist."""
    import peewee

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    admin = peewee.PostgresqlDatabase(
        "postgres",
        user=parts.username,
        password=parts.password,
        host=parts.hostname,
        port=parts.port or 5432,
    )
    admin.connect()
    admin.connection().autocommit = True
    exists = admin.execute_sql("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    if not exists:
        admin.execute_sql(f'CREATE DATABASE "{name}"')
    admin.close()


def build_clinic(staff_count: int, days: int, today: date) -> dict[str, int]:
    """Staff with Mon–Fri 8:00–16:00 schedules of 15-minute slots, mixed funding and mode,
    two services per specialty; then slots for `days` days from today, a third of the first
    month booked and a few blocked."""
    from models.base import db, utcnow
    from models.clinic import (
        Facility,
        Schedule,
        ScheduleService,
        Service,
        Slot,
        Specialty,
        StaffFacility,
        StaffMember,
        StaffSpecialty,
    )
    from services.scheduling import generate_slots

    facilities = [
        Facility.create(name=f"Przychodnia {i}", street="ul. 1", postal_code="00-001", city="X")
        for i in range(FACILITIES)
    ]
    specialties = [Specialty.create(name=f"Poradnia {i}") for i in range(SPECIALTIES)]
    services = {
        s.id: [
            Service.create(name=f"Porada {s.id}", specialty=s, private=True, remote=True),
            Service.create(name=f"Kontrola {s.id}", specialty=s, private=True, remote=True),
        ]
        for s in specialties
    }
    with db.atomic():
        for i in range(staff_count):
            member = StaffMember.create(
                first_name="Anna", last_name=f"Lekarz {i:03d}", title="lek."
            )
            specialty = specialties[i % SPECIALTIES]
            facility = facilities[i % FACILITIES]
            StaffSpecialty.create(staff=member, specialty=specialty)
            StaffFacility.create(staff=member, facility=facility)
            for weekday in range(5):
                schedule = Schedule.create(
                    staff=member,
                    facility=facility,
                    weekday=weekday,
                    start_time=clock(8, 0),
                    end_time=clock(16, 0),
                    slot_minutes=15,
                    funding="private" if (i + weekday) % 4 == 0 else "nfz",
                    mode="remote" if (i + weekday) % 5 == 0 else "in_person",
                    valid_from=date(2000, 1, 1),
                )
                offered = services[specialty.id] if weekday % 2 == 0 else services[specialty.id][:1]
                for service in offered:
                    ScheduleService.create(schedule=schedule, service=service)
    generate_slots(today, today + timedelta(days=days - 1))
    month = utcnow() + timedelta(days=30)
    # id mod n via integer division: peewee's % means LIKE, psycopg2 reads % as a parameter
    Slot.update(booked=True).where(
        (Slot.starts_at < month) & (Slot.id - Slot.id / 3 * 3 == 0)
    ).execute()
    Slot.update(blocked=True).where(Slot.id - Slot.id / 97 * 97 == 0).execute()
    return {
        "slots": Slot.select().count(),
        "staff": staff_count,
        "facility": facilities[1].id,
        "specialty": specialties[2].id,
        "service": services[specialties[3].id][1].id,
        "staff_member": StaffMember.select().order_by(StaffMember.id.desc()).first().id,
    }


def scenarios(ids: dict[str, int], today: date, days: int) -> list[tuple[str, dict[str, str]]]:
    far_from = today + timedelta(days=max(days - 45, 1))
    return [
        ("no filters", {}),
        ("specialty", {"specialty": str(ids["specialty"])}),
        ("service", {"service": str(ids["service"])}),
        ("staff member", {"staff": str(ids["staff_member"])}),
        ("facility + remote", {"facility": str(ids["facility"]), "visit_type": "remote"}),
        ("facility + private", {"facility": str(ids["facility"]), "visit_type": "private"}),
        (
            "range far ahead",
            {"date_from": far_from.isoformat(), "date_to": (far_from + timedelta(30)).isoformat()},
        ),
        (
            "service, far ahead",
            {
                "service": str(ids["service"]),
                "date_from": far_from.isoformat(),
                "date_to": (far_from + timedelta(30)).isoformat(),
            },
        ),
    ]


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


FLOOR_TEMPLATE = """<!doctype html><html lang="pl"><head><meta charset="utf-8">
<title>Wolne terminy</title><link rel="stylesheet" href="/static/app.css"></head><body>
<main><h1>Wolne terminy</h1><ol>
{% for row in rows %}<li><time datetime="{{ row.at }}">{{ row.at }}</time>
{{ row.staff }}, {{ row.place }} — {{ row.kind }}
<a href="/slots/{{ row.id }}/reserve">Zarezerwuj</a></li>
{% endfor %}</ol></main></body></html>"""


def floor_app(rows: list[dict]):
    """The floor: a bare Flask app rendering the same rows with Jinja."""
    from flask import Flask, render_template_string

    bare = Flask("floor")

    @bare.get("/floor")
    def page():
        return render_template_string(FLOOR_TEMPLATE, rows=rows)

    return bare.test_client()


def page_rows(app, params: dict, today: date) -> list[dict]:
    from models.base import db, utcnow
    from services.slot_search import parse_query, search_page

    with app.app_context():
        db.connect(reuse_if_open=True)
        query, _ = parse_query(params, today)
        page = search_page(query, now=utcnow())
        rows = [
            {
                "id": slot.id,
                "at": slot.starts_at.isoformat(),
                "staff": f"{slot.staff.title} {slot.staff.first_name} {slot.staff.last_name}",
                "place": slot.facility.name,
                "kind": f"{slot.funding}, {slot.mode}",
            }
            for slot in page.slots
        ]
        db.close()
    return rows


def explain(select) -> list[str]:
    from models.base import db, is_sqlite

    sql, params = select.sql()
    if is_sqlite():
        rows = db.execute_sql("EXPLAIN QUERY PLAN " + sql, params).fetchall()
        return [row[-1] for row in rows]
    # what the app runs: the statement PREPAREd with the catalogue's values written in and
    # the rest as parameters, planned once (the generic plan, slot_search/prepared.py)
    from services.slot_search.prepared import prepare

    statement = prepare(select, set())
    assert statement is not None
    db.execute_sql("SET plan_cache_mode = force_generic_plan")
    db.execute_sql(f"PREPARE bench_plan AS {statement.server_body}")
    values = statement.server_bind({})
    execute = "EXECUTE bench_plan" + (f" ({', '.join(['%s'] * len(values))})" if values else "")
    rows = db.execute_sql("EXPLAIN (ANALYZE, COSTS OFF, TIMING ON) " + execute, values).fetchall()
    db.execute_sql("DEALLOCATE bench_plan")
    return [row[0] for row in rows]


def measure(app, ids, today: date, days: int, runs: int, show_plans: bool) -> dict:
    from flask import url_for

    from models.base import utcnow
    from services.slot_search import (
        Cursor,
        count_free_slots,
        page_query,
        parse_query,
        search_page,
    )

    client = app.test_client()
    header = (
        f"{'search':<22} {'HTTP full':>15} {'HTTP htmx':>15} {'floor':>15} {'full/floor':>12}"
        f" {'CPU full/floor':>17} {'service fn':>15}  results"
    )
    print(header)
    print(
        f"{'':<22}"
        + f" {'p50 / p95 ms':>15}" * 3
        + f" {'p50 / p95':>12} {'p50 ms, ratio':>17} {'p50 / p95 ms':>15}"
    )
    worst = 0.0
    ratios: dict[str, tuple[float, float]] = {}
    cpu_ratios: dict[str, float] = {}
    plans: list[tuple[str, list[str]]] = []
    for name, params in scenarios(ids, today, days):
        with app.test_request_context():
            url = url_for("slots.search") + ("?" + urlencode(params) if params else "")
        timings: dict[str, list[float]] = {
            "full": [],
            "htmx": [],
            "floor": [],
            "fn": [],
            "cpu full": [],
            "cpu floor": [],
        }
        body = ""
        floor = floor_app(page_rows(app, params, today))
        client.get(url)  # warm-up: template compilation and caches are not what we measure
        client.get(url, headers={"HX-Request": "true"})
        floor.get("/floor")
        for _ in range(runs):
            c0, t0 = time.process_time(), time.perf_counter()
            response = client.get(url)
            c1, t1 = time.process_time(), time.perf_counter()
            client.get(url, headers={"HX-Request": "true"})
            c2, t2 = time.process_time(), time.perf_counter()
            assert floor.get("/floor").status_code == 200
            c3, t3 = time.process_time(), time.perf_counter()
            timings["cpu full"].append((c1 - c0) * 1000)
            timings["cpu floor"].append((c3 - c2) * 1000)
            timings["full"].append((t1 - t0) * 1000)
            timings["htmx"].append((t2 - t1) * 1000)
            timings["floor"].append((t3 - t2) * 1000)
            assert response.status_code == 200, (url, response.status_code)
            body = response.get_data(as_text=True)
        with app.app_context():
            from models.base import db

            db.connect(reuse_if_open=True)
            query, errors = parse_query(params, today)
            assert not errors, errors
            now = utcnow()
            horizon = now + timedelta(days=app.config["BOOKING_HORIZON_DAYS"])
            page = None
            for _ in range(runs):
                t0 = time.perf_counter()
                page = search_page(query, now=now, not_after=horizon)
                count_free_slots(query, now=now, not_after=horizon)
                timings["fn"].append((time.perf_counter() - t0) * 1000)
            assert page is not None
            cursor = page.next_cursor or Cursor(now, 0)
            if show_plans:
                plans.append(
                    (
                        name,
                        explain(page_query(query, cursor=cursor, now=now, not_after=horizon)),
                    )
                )
            db.close()
        cells = []
        for key in ("full", "htmx", "floor"):
            p50, p95 = percentiles(timings[key])
            worst = max(worst, p95) if key != "floor" else worst
            cells.append(f"{p50:6.1f} / {p95:5.1f}")
        (full50, full95), (floor50, floor95) = (
            percentiles(timings["full"]),
            percentiles(timings["floor"]),
        )
        ratios[name] = (full50 / floor50, full95 / floor95)
        cells.append(f"{ratios[name][0]:4.1f}× / {ratios[name][1]:3.1f}×")
        cpu_full, cpu_floor = percentiles(timings["cpu full"]), percentiles(timings["cpu floor"])
        cpu_ratios[name] = cpu_full[0] / max(cpu_floor[0], 0.001)
        cells.append(f"{cpu_full[0]:5.1f}/{cpu_floor[0]:4.1f} {cpu_ratios[name]:4.1f}×")
        p50, p95 = percentiles(timings["fn"])
        cells.append(f"{p50:6.1f} / {p95:5.1f}")
        # a visitor's „Rezerwuj” goes to log-in with the booking step as `next` (…/reserve%3F…)
        shown = body.count('/reserve"') + body.count("/reserve?") + body.count("/reserve%3F")
        print(f"{name:<22} " + " ".join(f"{c:>15}" for c in cells) + f"  {shown} on page")
    median_ratio = statistics.median(r[0] for r in ratios.values())
    print(
        f"worst HTTP p95: {worst:.1f} ms; median of the p50 ratios to the floor: "
        f"{median_ratio:.2f}× wall, {statistics.median(cpu_ratios.values()):.2f}× CPU "
        "(target ≤ 2×; CPU time of this process leaves out other processes' load, and "
        "PostgreSQL's own work)"
    )
    for name, lines in plans:
        print(f"\nplan of the main query (page 2), {name}:")
        for line in lines:
            print("   ", line)
    return ratios


def measure_alternatives(app, ids, runs: int) -> None:
    """The 409 page's alternatives (services.booking.alternatives_for): the free slots of the
    same kind nearest to a taken one, for a taken slot early, mid-year and at the end."""
    from models.base import db, utcnow
    from models.clinic import Slot
    from services import booking_checks
    from services.rules import clinic_rules

    with app.app_context():
        db.connect(reuse_if_open=True)
        rules = clinic_rules(app.config)
        now = utcnow()
        print(f"\n{'409 alternatives (5 nearest)':<34} {'p50 / p95 ms':>17}")
        ordered = Slot.select().where(Slot.staff == ids["staff_member"]).order_by(Slot.starts_at)
        total = ordered.count()
        for where, offset in (("early", total // 20), ("mid-year", total // 2), ("end", total - 2)):
            taken = ordered.offset(offset).limit(1).get()
            for kind, service in (("specialty", None), ("service", ids["service"])):
                samples = []
                for _ in range(runs):
                    t0 = time.perf_counter()
                    booking_checks.alternatives_for(taken, service, rules, now)
                    samples.append((time.perf_counter() - t0) * 1000)
                p50, p95 = percentiles(samples)
                print(f"{where + ', same ' + kind:<34} {p50:7.1f} / {p95:6.1f}")
        db.close()


def run(url: str, staff: int, days: int, runs: int, show_plans: bool) -> dict:
    from app import create_app
    from core.timeutil import local_today
    from models import ALL_MODELS
    from models.base import db

    sqlite = url.startswith("sqlite")
    if not sqlite:
        ensure_pg_database(url)
    app = create_app(
        {
            "DATABASE_URL": url,
            "RATELIMIT_ENABLED": False,
            "RATELIMIT_STORAGE_URI": "memory://",
            "MAIL_SERVER": "",
            "BOOKING_HORIZON_DAYS": days + 1,
        }
    )
    today = local_today()
    with app.app_context():
        db.connect(reuse_if_open=True)
        db.drop_tables(ALL_MODELS, safe=True, cascade=not sqlite)
        db.create_tables(ALL_MODELS)
        t0 = time.perf_counter()
        ids = build_clinic(staff, days, today)
        built = time.perf_counter() - t0
        # what autovacuum does on PostgreSQL (statistics, and the visibility map that lets
        # an Index Only Scan skip the table) and `PRAGMA optimize` on SQLite, done now
        db.execute_sql("ANALYZE" if sqlite else "VACUUM ANALYZE")
        db.close()
    engine = "SQLite" if sqlite else "PostgreSQL"
    print(
        f"\n== {engine}: {ids['staff']} staff × {days} days = {ids['slots']} slots "
        f"(built in {built:.1f} s); {runs} runs per search, one page = 30 slots"
    )
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    ratios = measure(app, ids, today, days, runs, show_plans)
    measure_alternatives(app, ids, runs)
    return ratios


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--staff", type=int, default=50)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--quick", action="store_true", help="CI smoke run: 5 staff, 30 days")
    parser.add_argument("--no-small", action="store_true", help="skip the 10× smaller run")
    parser.add_argument("--no-plans", action="store_true", help="do not print query plans")
    parser.add_argument("--huge", action="store_true", help="also 10× the staff (4.2M slots)")
    args = parser.parse_args()
    if args.quick:
        args.staff, args.days, args.runs = 5, 30, 5

    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/search-bench.sqlite3"
    sizes = [args.staff]
    if not args.no_small and not args.quick:
        sizes.insert(0, max(1, args.staff // 10))
    if args.huge:
        sizes.append(args.staff * 10)
    results = {}
    for n, staff in enumerate(sizes):
        if url.startswith("sqlite") and not args.database_url:
            url = f"sqlite:///{tempfile.mkdtemp()}/search-bench-{staff}.sqlite3"
        results[staff] = run(url, staff, args.days, args.runs, not args.no_plans and n == 0)
    if len(sizes) > 1:
        small, big = results[sizes[0]], results[sizes[-1]]
        growth = statistics.median(big[k][1] / small[k][1] for k in small)
        print(
            f"\np95 ratio {sizes[-1]} staff vs {sizes[0]} staff (median over searches): "
            f"{growth:.2f} (target ≤ 1.3)"
        )


if __name__ == "__main__":
    main()
