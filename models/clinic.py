"""The clinic: facilities, specialties, services, staff, schedules, slots and localities."""

from __future__ import annotations

import peewee as pw

from .base import BaseModel, utcnow

FUNDING_CHOICES = ("nfz", "private")
MODE_CHOICES = ("in_person", "remote")


class Facility(BaseModel):
    """A site of the clinic ("świadczeniodawca" / placówka)."""

    name = pw.CharField(max_length=200)
    street = pw.CharField(max_length=200)
    postal_code = pw.CharField(max_length=6)
    city = pw.CharField(max_length=100)
    phone = pw.CharField(max_length=30, default="")
    active = pw.BooleanField(default=True)


class Specialty(BaseModel):
    """A specialty or outpatient clinic ("poradnia")."""

    name = pw.CharField(max_length=120, unique=True)
    # active visits a patient may hold here at once; None: the clinic's BOOKING_LIMIT_PER_SPECIALTY
    booking_limit = pw.SmallIntegerField(null=True)
    active = pw.BooleanField(default=True)


class Service(BaseModel):
    """What a patient books ("świadczenie")."""

    name = pw.CharField(max_length=200)
    specialty = pw.ForeignKeyField(Specialty, backref="services", on_delete="RESTRICT")
    duration_minutes = pw.SmallIntegerField(default=15)
    nfz = pw.BooleanField(default=True)
    private = pw.BooleanField(default=False)
    in_person = pw.BooleanField(default=True)
    remote = pw.BooleanField(default=False)
    price = pw.DecimalField(max_digits=8, decimal_places=2, null=True)
    requires_referral = pw.BooleanField(default=False)
    active = pw.BooleanField(default=True)
    # the patient's age in whole years on the day of the visit, both ends inclusive
    min_age = pw.SmallIntegerField(null=True)
    max_age = pw.SmallIntegerField(null=True)


class StaffMember(BaseModel):
    """A person in the schedule; may later get a staff login."""

    first_name = pw.CharField(max_length=100)
    last_name = pw.CharField(max_length=100)
    title = pw.CharField(max_length=60, default="")
    active = pw.BooleanField(default=True)

    @property
    def display_name(self) -> str:
        return " ".join(p for p in (self.title, self.first_name, self.last_name) if p)


class StaffSpecialty(BaseModel):
    staff = pw.ForeignKeyField(StaffMember, backref="specialty_links", on_delete="CASCADE")
    specialty = pw.ForeignKeyField(Specialty, backref="staff_links", on_delete="CASCADE")

    class Meta:
        indexes = ((("staff", "specialty"), True),)


class StaffFacility(BaseModel):
    staff = pw.ForeignKeyField(StaffMember, backref="facility_links", on_delete="CASCADE")
    facility = pw.ForeignKeyField(Facility, backref="staff_links", on_delete="CASCADE")

    class Meta:
        indexes = ((("staff", "facility"), True),)


class Schedule(BaseModel):
    """A weekly pattern ("grafik"): one staff member, one facility, one weekday's hours."""

    staff = pw.ForeignKeyField(StaffMember, backref="schedules", on_delete="CASCADE")
    facility = pw.ForeignKeyField(Facility, backref="schedules", on_delete="CASCADE")
    weekday = pw.SmallIntegerField()  # 0 = Monday, as date.weekday()
    start_time = pw.TimeField()  # local (Europe/Warsaw) wall-clock time
    end_time = pw.TimeField()
    slot_minutes = pw.SmallIntegerField(default=15)
    funding = pw.CharField(max_length=10, default="nfz")
    mode = pw.CharField(max_length=10, default="in_person")
    valid_from = pw.DateField()
    valid_to = pw.DateField(null=True)


class ScheduleService(BaseModel):
    """Which services may be booked in a schedule's slots."""

    schedule = pw.ForeignKeyField(Schedule, backref="service_links", on_delete="CASCADE")
    service = pw.ForeignKeyField(Service, backref="schedule_links", on_delete="CASCADE")

    class Meta:
        indexes = ((("schedule", "service"), True),)


class ScheduleException(BaseModel):
    """Days with no slots: a staff member's leave, or a clinic holiday when staff is empty."""

    staff = pw.ForeignKeyField(StaffMember, null=True, backref="exceptions", on_delete="CASCADE")
    date_from = pw.DateField()
    date_to = pw.DateField()
    reason = pw.CharField(max_length=200, default="")


class Slot(BaseModel):
    """A bookable time ("wolny termin"), materialised from a schedule; times in UTC."""

    schedule = pw.ForeignKeyField(Schedule, null=True, backref="slots", on_delete="SET NULL")
    staff = pw.ForeignKeyField(StaffMember, backref="slots", on_delete="CASCADE")
    facility = pw.ForeignKeyField(Facility, backref="slots", on_delete="CASCADE")
    specialty = pw.ForeignKeyField(Specialty, null=True, backref="slots", on_delete="SET NULL")
    starts_at = pw.DateTimeField()
    ends_at = pw.DateTimeField()
    funding = pw.CharField(max_length=10, default="nfz")
    mode = pw.CharField(max_length=10, default="in_person")
    blocked = pw.BooleanField(default=False)
    booked = pw.BooleanField(default=False)
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = (
            (("staff", "starts_at"), True),
            (("starts_at", "booked", "blocked"), False),
            (("specialty", "starts_at"), False),
            (("facility", "starts_at"), False),
            # search by service (via the schedules offering it); schedule deletes
            (("schedule", "starts_at"), False),
        )


# The search: free slots in time order, keyset-paged by (starts_at, id). It holds every
# column the search filters on and its page shows, so the database skips the slots of
# other places or kinds inside the index and never reads the table for them (SQLite:
# "USING COVERING INDEX", PostgreSQL: "Index Only Scan"); facility + visit type on 416k
# slots went from 3.3 to 1.3 ms. It costs about the size of the table again on disk.
SEARCH_INDEX = "slot_search"
Slot.add_index(
    Slot.index(
        Slot.booked,
        Slot.blocked,
        Slot.starts_at,
        Slot.id,
        Slot.schedule,
        Slot.staff,
        Slot.facility,
        Slot.specialty,
        Slot.funding,
        Slot.mode,
        Slot.ends_at,
        name=SEARCH_INDEX,
    )
)


class Locality(BaseModel):
    """A town or village from the TERYT SIMC dictionary ("miejscowość")."""

    name = pw.CharField(max_length=120, index=True)
    commune = pw.CharField(max_length=120, default="")
    county = pw.CharField(max_length=120, default="")
    voivodeship = pw.CharField(max_length=60, default="")
    simc = pw.CharField(max_length=7, null=True, unique=True)

    @property
    def label(self) -> str:
        return f"{self.name} (gm. {self.commune}, woj. {self.voivodeship})"


CLINIC_MODELS = [
    Facility,
    Specialty,
    Service,
    StaffMember,
    StaffSpecialty,
    StaffFacility,
    Schedule,
    ScheduleService,
    ScheduleException,
    Slot,
    Locality,
]
