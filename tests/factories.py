"""Factory helpers that build clinic objects with sensible defaults for tests."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta

from core.passwords import hash_password
from core.pesel import make as make_pesel
from models.accounts import Account
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
from models.patients import Patient

_seq = itertools.count(1)
PASSWORD = "correct horse battery staple"


def facility(**kw) -> Facility:
    n = next(_seq)
    defaults = dict(
        name=f"Placówka {n}", street="ul. Testowa 1", postal_code="00-001", city="Warszawa"
    )
    return Facility.create(**{**defaults, **kw})


def specialty(**kw) -> Specialty:
    return Specialty.create(**{"name": f"Poradnia {next(_seq)}", **kw})


def service(spec: Specialty | None = None, **kw) -> Service:
    spec = spec or specialty()
    return Service.create(**{"name": f"Porada {next(_seq)}", "specialty": spec, **kw})


def staff(spec: Specialty | None = None, fac: Facility | None = None, **kw) -> StaffMember:
    member = StaffMember.create(
        **{"first_name": "Jan", "last_name": f"Lekarz{next(_seq)}", "title": "lek.", **kw}
    )
    if spec:
        StaffSpecialty.create(staff=member, specialty=spec)
    if fac:
        StaffFacility.create(staff=member, facility=fac)
    return member


def schedule(member: StaffMember, fac: Facility, services=(), **kw) -> Schedule:
    defaults = dict(
        weekday=0,
        start_time=time(8, 0),
        end_time=time(12, 0),
        slot_minutes=15,
        valid_from=date(2020, 1, 1),
    )
    sched = Schedule.create(staff=member, facility=fac, **{**defaults, **kw})
    for svc in services:
        ScheduleService.create(schedule=sched, service=svc)
    return sched


def slot(
    member: StaffMember | None = None,
    fac: Facility | None = None,
    starts_at: datetime | None = None,
    minutes: int = 15,
    **kw,
) -> Slot:
    fac = fac or facility()
    member = member or staff(fac=fac)
    starts_at = starts_at or (utcnow() + timedelta(days=3)).replace(
        minute=0, second=0, microsecond=0
    )
    return Slot.create(
        staff=member,
        facility=fac,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=minutes),
        **kw,
    )


def patient(**kw) -> Patient:
    n = next(_seq)
    born = kw.pop("birth_date", date(1980, 1, 1) + timedelta(days=n))
    defaults = dict(
        first_name="Ewa",
        last_name=f"Pacjentka{n}",
        pesel=make_pesel(born, n, female=True),
        birth_date=born,
        sex="F",
    )
    return Patient.create(**{**defaults, **kw})


def account(login: str | None = None, password: str = PASSWORD, activated: bool = True, **kw):
    n = next(_seq)
    login = login or f"user{n}"
    person = kw.pop("patient", None) or patient()
    return Account.create(
        patient=person,
        login=login,
        email=kw.pop("email", f"{login}@example.com"),
        password_hash=hash_password(password),
        activated_at=utcnow() if activated else None,
        **kw,
    )


def account_in(app, **kw) -> Account:
    """An account made in its own app context, the connection closed again: for tests that
    then use the app only through its test client."""
    with app.app_context():
        db.connect(reuse_if_open=True)
        made = account(**kw)
        db.close()
    return made


def stored(app, made: Account) -> Account:
    """The account as the database has it now (read in its own app context)."""
    with app.app_context():
        db.connect(reuse_if_open=True)
        found = Account.get_by_id(made.id)
        db.close()
    return found


def staff_account(role: str, member: StaffMember | None = None, login: str | None = None):
    """An activated staff login (registrar, doctor, admin); a doctor's is `member`."""
    from services.staff_accounts import create_staff_account

    login = login or f"{role}{next(_seq)}"
    return create_staff_account(login, f"{login}@example.com", PASSWORD, role, staff_member=member)


def desk_clinic(days_ahead: int = 3) -> dict:
    """A doctor with a weekly schedule and a morning of slots `days_ahead` from now, a patient
    with an account and a booked visit, and a login for every staff role."""
    fac = facility(name="Przychodnia Centrum", phone="+48 22 100 20 30")
    spec = specialty(name=f"Interna {next(_seq)}")
    svc = service(spec, name="Porada internistyczna")
    doctor = staff(spec, fac, first_name="Adam", last_name=f"Doktorski{next(_seq)}")
    day = (utcnow() + timedelta(days=days_ahead)).replace(hour=8, minute=0, second=0, microsecond=0)
    sched = schedule(doctor, fac, services=[svc], weekday=day.weekday(), start_time=time(8))
    slots = [
        slot(doctor, fac, starts_at=day + timedelta(minutes=15 * k), schedule=sched, specialty=spec)
        for k in range(8)
    ]
    person = patient(phone="600 100 200")
    owner = account(patient=person)
    from models.booking import Appointment, AppointmentSlot

    visit = Appointment.create(
        slot=slots[0], active_slot=slots[0], patient=person, service=svc, booked_by=owner
    )
    AppointmentSlot.create(appointment=visit, slot=slots[0], active_slot=slots[0])
    Slot.update(booked=True).where(Slot.id == slots[0].id).execute()
    return {
        "facility": fac,
        "specialty": spec,
        "service": svc,
        "doctor": doctor,
        "schedule": sched,
        "slots": slots,
        "patient": person,
        "account": owner,
        "visit": visit,
        "registrar": staff_account("registrar"),
        "admin": staff_account("admin"),
        "doctor_account": staff_account("doctor", member=doctor),
    }
