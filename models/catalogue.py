"""The catalogue's version: one row the database bumps on every write to the catalogue.

The catalogue is what the search reads on every request and staff change rarely:
facilities, specialties, services, staff, their links and the schedules with what each
offers, and the clinic settings the admin stores (read before every request). Triggers on
those tables (installed by `init-db`, or by the first reader of a database made with plain
`create_tables`) add one to `catalogue_version.version` in the same transaction as the
write, whoever writes — a form, the CLI, a migration, psql — so a cached copy in any
process on any machine knows it is stale by reading one integer.
"""

from __future__ import annotations

import peewee as pw

from .base import BaseModel, is_sqlite
from .clinic import (
    Facility,
    Schedule,
    ScheduleService,
    Service,
    Specialty,
    StaffFacility,
    StaffMember,
    StaffSpecialty,
)
from .settings import ClinicSetting

CATALOGUE_MODELS = [
    Facility,
    Specialty,
    Service,
    StaffMember,
    StaffSpecialty,
    StaffFacility,
    Schedule,
    ScheduleService,
    ClinicSetting,
]
TRIGGER_PREFIX = "catalogue_bump_"
PG_FUNCTION = "wizyta_bump_catalogue_version"
ADVISORY_LOCK = 7_420_114  # any constant: serialises trigger installs on PostgreSQL


class CatalogueVersion(BaseModel):
    """One row (id 1); a missing row reads as version 0."""

    version = pw.BigIntegerField(default=0)


_UPSERT = (
    "INSERT INTO catalogue_version (id, version) VALUES (1, 1) "
    "ON CONFLICT (id) DO UPDATE SET version = catalogue_version.version + 1"
)


def bump_sql() -> str:
    return _UPSERT


def triggers_installed(database) -> bool:
    tables = [m._meta.table_name for m in CATALOGUE_MODELS]
    if is_sqlite():
        (count,) = database.execute_sql(
            "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE ?",
            (TRIGGER_PREFIX + "%",),
        ).fetchone()
        return count >= 3 * len(tables)
    (count,) = database.execute_sql(
        "SELECT count(*) FROM pg_trigger WHERE tgname LIKE %s AND NOT tgisinternal",
        (TRIGGER_PREFIX + "%",),
    ).fetchone()
    return count >= len(tables)


def install_triggers(database) -> None:
    """Idempotent: the version table and one bump per write on each catalogue table.
    Run it in a transaction (PostgreSQL holds its advisory lock until the end of one)."""
    CatalogueVersion.create_table(safe=True)
    tables = [m._meta.table_name for m in CATALOGUE_MODELS]
    if is_sqlite():
        for table in tables:
            for event in ("INSERT", "UPDATE", "DELETE"):
                database.execute_sql(
                    f'CREATE TRIGGER IF NOT EXISTS "{TRIGGER_PREFIX}{table}_{event.lower()}" '
                    f'AFTER {event} ON "{table}" BEGIN {_UPSERT}; END'
                )
        return
    # workers starting together would otherwise replace the function at once ("tuple
    # concurrently updated"): one at a time, until the transaction ends
    database.execute_sql("SELECT pg_advisory_xact_lock(%s)", (ADVISORY_LOCK,))
    if triggers_installed(database):
        return
    database.execute_sql(
        f"CREATE OR REPLACE FUNCTION {PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN {_UPSERT}; RETURN NULL; END $$"
    )
    for table in tables:
        name = f"{TRIGGER_PREFIX}{table}"
        database.execute_sql(f'DROP TRIGGER IF EXISTS "{name}" ON "{table}"')
        database.execute_sql(
            f'CREATE TRIGGER "{name}" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "{table}" '
            f"FOR EACH STATEMENT EXECUTE FUNCTION {PG_FUNCTION}()"
        )


def read_version(database) -> int:
    row = database.execute_sql("SELECT version FROM catalogue_version WHERE id = 1").fetchone()
    return int(row[0]) if row else 0


def bump_version(database) -> None:
    database.execute_sql(_UPSERT)
