"""How long `generate-slots` takes for 50 staff × one year of 15-minute slots.

Usage: .venv/bin/python bench/generate_slots_bench.py [--staff 50] [--days 365]
       [--database-url postgresql://postgres@127.0.0.1:5432/wizyta_bench]
Without --database-url it uses a fresh SQLite file in a temporary folder.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("WIZYTA_ENV", "development")


def build_clinic(staff_count: int) -> None:
    from datetime import time as clock

    from models.clinic import (
        Facility,
        Schedule,
        ScheduleService,
        Service,
        Specialty,
        StaffMember,
    )

    facility = Facility.create(name="Bench", street="ul. 1", postal_code="00-001", city="X")
    specialties = [Specialty.create(name=f"Poradnia {i}") for i in range(8)]
    services = [Service.create(name=f"Porada {i}", specialty=s) for i, s in enumerate(specialties)]
    for i in range(staff_count):
        member = StaffMember.create(first_name="Lekarz", last_name=str(i))
        for weekday in range(5):
            schedule = Schedule.create(
                staff=member,
                facility=facility,
                weekday=weekday,
                start_time=clock(8, 0),
                end_time=clock(16, 0),
                slot_minutes=15,
                valid_from=date(2000, 1, 1),
            )
            ScheduleService.create(schedule=schedule, service=services[i % len(services)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--staff", type=int, default=50)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    from app import create_app
    from models import ALL_MODELS
    from models.base import db
    from services.scheduling import generate_slots

    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    app = create_app({"DATABASE_URL": url})
    with app.app_context():
        db.connect(reuse_if_open=True)
        db.drop_tables(ALL_MODELS, safe=True, cascade=not url.startswith("sqlite"))
        db.create_tables(ALL_MODELS)
        build_clinic(args.staff)
        start = date(2031, 1, 1)
        end = start + timedelta(days=args.days - 1)
        t0 = time.perf_counter()
        first = generate_slots(start, end)
        t1 = time.perf_counter()
        second = generate_slots(start, end)
        t2 = time.perf_counter()
        engine = "SQLite" if url.startswith("sqlite") else "PostgreSQL"
        print(f"database: {engine}; staff: {args.staff}; days: {args.days}")
        print(f"first run:  created {first['created']} slots in {t1 - t0:.2f} s")
        print(f"second run: created {second['created']} slots in {t2 - t1:.2f} s (idempotent)")
        db.close()


if __name__ == "__main__":
    main()
