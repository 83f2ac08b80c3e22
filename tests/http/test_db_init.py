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


def test_init_db_upgrades_a_version_1_database_to_service_fit_columns(runner, ctx):
    """Age range on services, the referral code on visits and the held-slot rows of the
    visits already booked arrive through migrations, keeping the data."""
    from playhouse.migrate import SchemaMigrator, migrate

    from models.booking import Appointment, AppointmentSlot
    from models.schema import BASE_VERSION, MIGRATIONS

    fac = factories.facility()
    member = factories.staff(fac=fac)
    service = factories.service()
    slot = factories.slot(member, fac)
    visit = Appointment.create(
        slot=slot, active_slot=slot, patient=factories.patient(), service=service
    )
    # back to the schema of version 1
    db.drop_tables([AppointmentSlot])
    migrator = SchemaMigrator.from_database(db.obj)
    migrate(
        migrator.drop_column("service", "min_age"),
        migrator.drop_column("service", "max_age"),
        migrator.drop_column("appointment", "referral_code"),
    )
    SchemaVersion.delete().execute()
    SchemaVersion.create(version=BASE_VERSION)

    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert SchemaVersion.select().order_by(SchemaVersion.version.desc()).first().version == (
        BASE_VERSION + len(MIGRATIONS)
    )
    columns = {c.name for c in db.get_columns("service")}
    assert {"min_age", "max_age"} <= columns
    assert "referral_code" in {c.name for c in db.get_columns("appointment")}
    held = AppointmentSlot.get(AppointmentSlot.appointment == visit.id)
    assert held.active_slot_id == slot.id
    assert Appointment.get_by_id(visit.id).referral_code == ""


def test_init_db_replaces_the_old_search_index_with_the_covering_one(runner, ctx):
    from models.clinic import SEARCH_INDEX
    from models.schema import BASE_VERSION, MIGRATIONS, _slot_search_index

    db.execute_sql(f"DROP INDEX {SEARCH_INDEX}")
    db.execute_sql(
        "CREATE INDEX slot_booked_blocked_starts_at_id ON slot (booked, blocked, starts_at, id)"
    )
    SchemaVersion.delete().execute()
    SchemaVersion.create(version=BASE_VERSION + MIGRATIONS.index(_slot_search_index))

    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    names = {index.name for index in db.get_indexes("slot")}
    assert SEARCH_INDEX in names and "slot_booked_blocked_starts_at_id" not in names
