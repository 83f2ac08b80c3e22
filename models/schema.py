"""Creating and upgrading the schema: `init-db` is idempotent and keeps data."""

from __future__ import annotations

from collections.abc import Callable

from . import ALL_MODELS
from .base import db
from .meta import SchemaVersion

# Each later change appends a function; its position (1-based) is the version it brings.
# A migration receives the database and uses playhouse.migrate for ALTERs.
MIGRATIONS: list[Callable[[object], None]] = []


def _outbox_message_id_and_failure(database) -> None:
    """Outbox: a Message-ID fixed at queue time, the last attempt, and given-up messages."""
    from playhouse.migrate import SchemaMigrator, migrate

    from .mail import OutboxMessage

    migrator = SchemaMigrator.from_database(getattr(database, "obj", None) or database)
    fields = OutboxMessage._meta.fields
    migrate(
        migrator.add_column("outbox_message", "message_id", fields["message_id"]),
        migrator.add_column("outbox_message", "last_attempt_at", fields["last_attempt_at"]),
        migrator.add_column("outbox_message", "failed_at", fields["failed_at"]),
    )


MIGRATIONS.append(_outbox_message_id_and_failure)

BASE_VERSION = 1


def current_version() -> int:
    row = SchemaVersion.select().order_by(SchemaVersion.version.desc()).first()
    return row.version if row else 0


def init_schema() -> tuple[int, int]:
    """Create missing tables, then run pending migrations. Returns (before, after)."""
    with db.atomic():
        # Only missing tables first: creating an existing table's indexes here would fail
        # on an index of a column that a migration below has yet to add.
        db.create_tables([m for m in ALL_MODELS if not m.table_exists()], safe=True)
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
        db.create_tables(ALL_MODELS, safe=True)  # indexes of the columns just added
        return before, current_version()
