"""Creating and upgrading the schema: `init-db` is idempotent and keeps data."""

from __future__ import annotations

from collections.abc import Callable

import peewee as pw
from playhouse.migrate import SchemaMigrator, migrate

from . import ALL_MODELS
from .accounts import ACCOUNT_OWNER_CHECK, STAFF_ROLES, Account
from .audit import AuditEvent
from .base import db, is_sqlite
from .booking import Appointment, AppointmentSlot
from .catalogue import install_triggers
from .clinic import Slot, Specialty, StaffMember
from .mail import OutboxMessage
from .meta import SchemaVersion
from .patients import Patient


def _migrator(database) -> SchemaMigrator:
    return SchemaMigrator.from_database(getattr(database, "obj", None) or database)


def _add_columns(database, table: str, columns: dict[str, pw.Field]) -> None:
    """Add the columns the table lacks (a database half-way between versions gets the rest)."""
    present = {column.name for column in database.get_columns(table)}
    migrator = _migrator(database)
    migrate(
        *(
            migrator.add_column(table, name, field)
            for name, field in columns.items()
            if name not in present
        )
    )


def _service_age_range(database) -> None:
    """Services get an optional age range (children's services for children)."""
    age = {"min_age": pw.SmallIntegerField(null=True), "max_age": pw.SmallIntegerField(null=True)}
    _add_columns(database, "service", age)


def _appointment_referral_code(database) -> None:
    """A visit keeps the e-referral code the patient gave when booking."""
    code = pw.CharField(max_length=44, default="")
    _add_columns(database, "appointment", {"referral_code": code})


def _appointment_slots_backfill(database) -> None:
    """The held-slot table (created by create_tables) gets a row for every active visit."""
    rows = Appointment.select(Appointment.id, Appointment.slot).where(
        Appointment.active_slot.is_null(False)
    )
    for appointment_id, slot_id in rows.tuples():
        AppointmentSlot.insert(
            appointment=appointment_id, slot=slot_id, active_slot=slot_id
        ).on_conflict_ignore().execute()


def _outbox_message_id_and_failure(database) -> None:
    """Outbox: a Message-ID fixed at queue time, the last attempt, and given-up messages."""
    fields = OutboxMessage._meta.fields
    names = ("message_id", "last_attempt_at", "failed_at")
    _add_columns(database, "outbox_message", {name: fields[name] for name in names})


def _rewrite_sqlite_table_sql(database, table: str, change: Callable[[str], str]) -> None:
    """Change a SQLite table's stored definition in place, for changes that leave the rows
    as they are (dropping NOT NULL, adding a CHECK the rows already satisfy): SQLite's
    documented writable_schema procedure. Rebuilding the table instead would fire the
    ON DELETE CASCADE of every table referencing it when the old copy is dropped."""
    (sql,) = database.execute_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).fetchone()
    new_sql = change(sql)
    if new_sql == sql:
        return
    (version,) = database.execute_sql("PRAGMA schema_version").fetchone()
    database.execute_sql("PRAGMA writable_schema = ON")
    database.execute_sql(
        "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?", (new_sql, table)
    )
    database.execute_sql(f"PRAGMA schema_version = {int(version) + 1}")
    database.execute_sql("PRAGMA writable_schema = OFF")
    if database.execute_sql("PRAGMA integrity_check").fetchone()[0] != "ok":
        raise RuntimeError(f"table {table}: rewritten definition fails the integrity check")


def _account_roles(database) -> None:
    """Staff accounts stop being fake patients: an account belongs to a Patient (role
    `patient`) or to a StaffMember (registrar, doctor, admin), never both. Each existing
    staff account gets a StaffMember; its "(personel)" pseudo-patient goes when it has no
    visits."""
    staff_fk = pw.ForeignKeyField(StaffMember, null=True, field=StaffMember.id, on_delete="CASCADE")
    _add_columns(database, "account", {"staff_member_id": staff_fk})
    sqlite = is_sqlite()
    if sqlite:
        _rewrite_sqlite_table_sql(
            database,
            "account",
            lambda sql: sql.replace('"patient_id" INTEGER NOT NULL', '"patient_id" INTEGER'),
        )
    else:
        migrate(_migrator(database).drop_not_null("account", "patient_id"))
    # Only the columns this version has: later migrations add columns to both models.
    staff_accounts = Account.select(Account.id, Account.login, Account.patient).where(
        Account.role.in_(STAFF_ROLES) & Account.staff_member.is_null()
    )
    for account in staff_accounts:
        patient = (
            Patient.select(Patient.id, Patient.first_name, Patient.last_name)
            .where(Patient.id == account.patient_id)
            .first()
        )
        pseudo = patient is not None and patient.last_name == "(personel)"
        member = StaffMember.create(
            first_name=patient.first_name if patient else account.login,
            last_name=patient.last_name if patient and not pseudo else "",
            active=False,  # office staff; a doctor is linked to the schedule's row by hand
        )
        Account.update(staff_member=member, patient=None).where(Account.id == account.id).execute()
        if pseudo and not Appointment.select().where(Appointment.patient == patient.id).exists():
            Patient.delete().where(Patient.id == patient.id).execute()
    if sqlite:
        _rewrite_sqlite_table_sql(
            database,
            "account",
            lambda sql: (
                sql
                if "account_owner" in sql
                else sql.rstrip().removesuffix(")")
                + f", CONSTRAINT account_owner CHECK ({ACCOUNT_OWNER_CHECK}))"
            ),
        )
    elif not database.execute_sql(
        "SELECT 1 FROM information_schema.table_constraints "
        "WHERE table_schema = current_schema() AND table_name = 'account' "
        "AND constraint_name = 'account_owner'"
    ).fetchone():
        database.execute_sql(
            f"ALTER TABLE account ADD CONSTRAINT account_owner CHECK ({ACCOUNT_OWNER_CHECK})"
        )


def _desk_identity(database) -> None:
    """The desk: an account's identity check ("autoryzacja") and patients it registered."""
    _add_columns(
        database, "account", {"identity_verified_at": Account._meta.fields["identity_verified_at"]}
    )
    _add_columns(
        database, "patient", {"registered_at_desk": Patient._meta.fields["registered_at_desk"]}
    )
    _link_converted_doctors()


def _link_converted_doctors() -> None:
    """Migration 6 gave every converted staff account a new, inactive StaffMember, so a
    doctor's login was not the doctor in the schedule. Link it to the schedule's row when
    exactly one active staff member without a login has the same first and last name."""
    taken = Account.select(Account.staff_member).where(Account.staff_member.is_null(False))
    for account in Account.select().where(Account.role == "doctor"):
        own = StaffMember.get_by_id(account.staff_member_id)
        if own.active or own.schedules.exists() or not own.last_name:
            continue
        matches = list(
            StaffMember.select().where(
                StaffMember.active
                & (StaffMember.first_name == own.first_name)
                & (StaffMember.last_name == own.last_name)
                & StaffMember.id.not_in(taken)
            )
        )
        if len(matches) == 1:
            Account.update(staff_member=matches[0]).where(Account.id == account.id).execute()
            own.delete_instance()


def _audit_actor_and_specialty_settings(database) -> None:
    """The audit log keeps who acted (login, role) and whose account a staff action touched;
    a specialty gets its own booking limit and can be retired (admin pages)."""
    fields = AuditEvent._meta.fields
    names = ("actor_login", "actor_role", "subject_account_id")
    _add_columns(database, "audit_event", {name: fields[name] for name in names})
    specialty = Specialty._meta.fields
    _add_columns(database, "specialty", {n: specialty[n] for n in ("booking_limit", "active")})


def _catalogue_version(database) -> None:
    """The catalogue version row and the triggers that bump it (models/catalogue.py)."""
    install_triggers(database)


def _slot_search_index(database) -> None:
    """The search's index covers what it filters on and shows (models/clinic.py)."""
    Slot._schema.create_indexes(safe=True)
    database.execute_sql("DROP INDEX IF EXISTS slot_booked_blocked_starts_at_id")


# Each later change appends a function; its position (1-based) is the version it brings.
# A migration receives the database and uses playhouse.migrate for ALTERs.
MIGRATIONS: list[Callable[[object], None]] = [
    _service_age_range,
    _appointment_referral_code,
    _appointment_slots_backfill,
    _outbox_message_id_and_failure,
    _account_roles,
    _desk_identity,
    _audit_actor_and_specialty_settings,
    _catalogue_version,
    _slot_search_index,
]

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
            install_triggers(db)
            SchemaVersion.create(version=target)
            return before, target
        for number, migration in enumerate(MIGRATIONS, start=BASE_VERSION + 1):
            if number > before:
                migration(db)
                SchemaVersion.create(version=number)
        db.create_tables(ALL_MODELS, safe=True)  # indexes of the columns just added
        return before, current_version()
