"""init-db is idempotent and keeps data; the database pragmas are as designed."""

from models.base import db, is_sqlite
from models.clinic import Facility
from models.meta import SchemaVersion
from tests import factories


def test_init_db_twice_changes_nothing_and_keeps_data(runner, ctx):
    first = runner.invoke(args=["init-db"])
    assert first.exit_code == 0
    factories.facility(name="Zostaję")
    second = runner.invoke(args=["init-db"])
    assert second.exit_code == 0
    assert "up to date" in second.output
    assert Facility.select().where(Facility.name == "Zostaję").count() == 1
    assert SchemaVersion.select().count() == 1


def test_sqlite_runs_with_wal_foreign_keys_and_busy_timeout(ctx):
    if not is_sqlite():
        return
    assert db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute_sql("PRAGMA busy_timeout").fetchone()[0] == 10000
