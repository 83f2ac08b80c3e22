"""Creating and upgrading the schema: `init-db` is idempotent and keeps data."""

from __future__ import annotations

from collections.abc import Callable

import peewee as pw
from playhouse.migrate import SchemaMigrator, migrate

from . import ALL_MODELS
from .base import db
from .booking import Appointment, AppointmentSlot
from .meta import SchemaVersion


def _migrator(database) -> SchemaMigrator:
    return SchemaMigrator.from_database(getattr(database, "obj", None) or database)


def _service_age_range(database) -> None:
    """Services get an optional age range (children's services for children)."""
    migrator = _migrator(database)
    migrate(
        migrator.add_column("service", "min_age", pw.SmallIntegerField(null=True)),
        migrator.add_column("service", "max_age", pw.SmallIntegerField(null=True)),
    )


def _appointment_referral_code(database) -> None:
    """A visit keeps the e-referral code the patient gave when booking."""
    migrate(
        _migrator(database).add_column(
            "appointment", "referral_code", pw.CharField(max_length=44, default="")
        )
    )


def _appointment_slots_backfill(database) -> None:
    """The held-slot table (created by create_tables) gets a row for every active visit."""
    rows = Appointment.select(Appointment.id, Appointment.slot).where(
        Appointment.active_slot.is_null(False)
    )
    for appointment_id, slot_id in rows.tuples():
        AppointmentSlot.insert(
            appointment=appointment_id, slot=slot_id, active_slot=slot_id
        ).on_conflict_ignore().execute()


# Each later change appends a function; its position (1-based) is the version it brings.
# A migration receives the database and uses playhouse.migrate for ALTERs.
MIGRATIONS: list[Callable[[object], None]] = [
    _service_age_range,
    _appointment_referral_code,
    _appointment_slots_backfill,
]

BASE_VERSION = 1


def current_version() -> int:
    row = SchemaVersion.select().order_by(SchemaVersion.version.desc()).first()
    return row.version if row else 0


def init_schema() -> tuple[int, int]:
    """Create missing tables, then run pending migrations. Returns (before, after)."""
    with db.atomic():
        db.create_tables(ALL_MODELS, safe=True)
        before = current_version()
        if before == 0:
            # A fresh database: create_tables already made the newest schema.
            target = BASE_VERSION + len(MIGRATIONS)
            SchemaVersion.create(version=target)
            return before, target
        for number, migration in enumerate(MIGRATIONS, start=BASE_VERSION + 1):
            if number > before:
                migration(db)
                SchemaVersion.create(version=number)
        return before, current_version()
