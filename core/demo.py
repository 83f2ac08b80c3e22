"""The demo clinic for `seed-demo`: facilities, specialties, staff, schedules, patients."""

from __future__ import annotations

import random
from datetime import date, time, timedelta
from decimal import Decimal
from pathlib import Path

from models.accounts import Account, Consent, Guardianship
from models.base import db, utcnow
from models.booking import Appointment, AppointmentSlot
from models.clinic import (
    Facility,
    Locality,
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
from services.scheduling import generate_slots
from services.staff_accounts import create_staff_account

from .demo_data import (
    CONSENTS,
    DEMO_PARENTS,
    DEMO_PASSWORD,
    DEMO_PATIENTS,
    FACILITIES,
    SPECIALTIES,
    STAFF_NAMES,
)
from .demo_doctor import seed_doctor_visit
from .demo_medical import seed_medical
from .passwords import hash_password
from .pesel import make as make_pesel
from .timeutil import local_today

LOCALITIES_CSV = Path(__file__).resolve().parent.parent / "data" / "localities_pl.csv"


def clinic_is_empty() -> bool:
    return not Facility.select().exists()


def _seed_localities() -> int:
    if Locality.select().exists() or not LOCALITIES_CSV.exists():
        return Locality.select().count()
    from services.localities import import_localities

    import_localities(LOCALITIES_CSV)
    return Locality.select().count()


def _demo_desk(doctor: StaffMember | None) -> None:
    """What the desk and the doctor see at once: the demo doctor's next two free slots booked
    by anna.demo and by a person who only phones; anna.demo and jan.demo have shown an ID at
    the desk, maria.demo has not (she sees why when the clinic requires it)."""
    now = utcnow()
    Account.update(identity_verified_at=now).where(
        Account.login.in_(["anna.demo", "jan.demo"])
    ).execute()
    phoned = Patient.create(
        first_name="Zofia",
        last_name="Telefoniczna",
        pesel="56030412348",
        birth_date=date(1956, 3, 4),
        sex="F",
        phone="+48 601 234 567",
        registered_at_desk=True,
    )
    if doctor is None:
        return
    anna = Account.get(Account.login == "anna.demo")
    free = (
        Slot.select()
        .join(ScheduleService, on=(ScheduleService.schedule == Slot.schedule))
        .join(Service, on=(ScheduleService.service == Service.id))
        .where((Slot.staff == doctor.id) & (Slot.starts_at > now + timedelta(days=1)))
        .where(
            ~Slot.booked
            & (Service.duration_minutes <= 15)
            & (Service.min_age.is_null() | (Service.min_age <= 18))
            & (Service.max_age.is_null() | (Service.max_age >= 70))
        )
        .order_by(Slot.starts_at)
        .distinct()
        .limit(2)
    )
    for slot, patient in zip(free, (anna.patient_id, phoned.id), strict=False):
        service = (
            Service.select()
            .join(ScheduleService)
            .where(
                (ScheduleService.schedule == slot.schedule_id) & (Service.duration_minutes <= 15)
            )
            .first()
        )
        visit = Appointment.create(
            slot=slot, active_slot=slot, patient=patient, service=service, booked_by=anna.id
        )
        AppointmentSlot.create(appointment=visit, slot=slot, active_slot=slot)
        Slot.update(booked=True).where(Slot.id == slot.id).execute()


def seed_demo(weeks: int = 8, rng_seed: int = 2026) -> list[str]:
    """Create the demo clinic; returns lines to print (including demo logins)."""
    rng = random.Random(rng_seed)
    today = local_today()
    with db.atomic():
        localities = _seed_localities()
        facilities = [
            Facility.create(name=n, street=s, postal_code=p, city=c, phone=ph)
            for n, s, p, c, ph in FACILITIES
        ]
        services_by_specialty: dict[Specialty, list[Service]] = {}
        for spec_name, services in SPECIALTIES.items():
            specialty = Specialty.create(name=spec_name)
            services_by_specialty[specialty] = [
                Service.create(
                    name=name,
                    specialty=specialty,
                    duration_minutes=minutes,
                    nfz=nfz,
                    private=private,
                    in_person=not remote,
                    remote=remote,
                    price=Decimal(price) if price else None,
                    requires_referral=referral,
                    min_age=min_age,
                    max_age=max_age,
                )
                for (
                    name,
                    minutes,
                    nfz,
                    private,
                    remote,
                    price,
                    referral,
                    min_age,
                    max_age,
                ) in services
            ]
        specialties = list(services_by_specialty)
        staff_count = 0
        first_doctor: StaffMember | None = None
        for i in range(25):
            specialty = specialties[i % len(specialties)]
            first, last = STAFF_NAMES[i]
            title = "" if specialty.name == "Szczepienia" and i % 2 else "lek. med."
            staff = StaffMember.create(first_name=first, last_name=last, title=title)
            staff_count += 1
            first_doctor = first_doctor or staff
            StaffSpecialty.create(staff=staff, specialty=specialty)
            facility = facilities[i % len(facilities)]
            StaffFacility.create(staff=staff, facility=facility)
            services = services_by_specialty[specialty]
            for weekday in rng.sample(range(5), 3):
                start_hour = rng.choice([8, 9, 12, 14])
                remote = [s for s in services if s.remote]
                in_person = [s for s in services if not s.remote]
                funding = "private" if rng.random() < 0.3 else "nfz"
                schedule = Schedule.create(
                    staff=staff,
                    facility=facility,
                    weekday=weekday,
                    start_time=time(start_hour, 0),
                    end_time=time(start_hour + 4, 0),
                    slot_minutes=15,
                    funding=funding,
                    mode="in_person",
                    valid_from=today - timedelta(days=today.weekday()),
                )
                for service in in_person:
                    ScheduleService.create(schedule=schedule, service=service)
                if remote:
                    tele = Schedule.create(
                        staff=staff,
                        facility=facility,
                        weekday=weekday,
                        start_time=time(start_hour + 4, 0),
                        end_time=time(start_hour + 5, 0),
                        slot_minutes=15,
                        funding="nfz" if any(s.nfz for s in remote) else "private",
                        mode="remote",
                        valid_from=schedule.valid_from,
                    )
                    for service in remote:
                        ScheduleService.create(schedule=tele, service=service)
        for code, title, text, required in CONSENTS:
            Consent.create(code=code, title=title, text=text, required=required)
        logins = []
        for login, first, last, pesel, birth, sex in DEMO_PATIENTS:
            patient = Patient.create(
                first_name=first,
                last_name=last,
                pesel=pesel,
                birth_date=birth,
                sex=sex,
                street="ul. Przykładowa",
                house_number="1",
                postal_code="00-001",
                phone="+48 600 000 000",
            )
            Account.create(
                patient=patient,
                login=login,
                email=f"{login}@example.com",
                password_hash=hash_password(DEMO_PASSWORD),
                activated_at=utcnow(),
            )
            logins.append(login)
        family = _seed_family(today)
        create_staff_account(
            "rejestracja.demo", "rejestracja@example.com", DEMO_PASSWORD, "registrar"
        )
        create_staff_account(
            "lekarz.demo", "lekarz@example.com", DEMO_PASSWORD, "doctor", staff_member=first_doctor
        )
        create_staff_account("admin.demo", "admin@example.com", DEMO_PASSWORD, "admin")
    slots = generate_slots(today, today + timedelta(weeks=weeks))
    with db.atomic():
        with_records = seed_medical()
        _demo_desk(first_doctor)
        seed_doctor_visit(first_doctor)
    return [
        f"Demo clinic: {len(facilities)} facilities, {len(specialties)} specialties, "
        f"{sum(len(v) for v in services_by_specialty.values())} services, {staff_count} staff, "
        f"{localities} localities, {slots['created']} slots over {weeks} weeks.",
        f"Demo patient logins (password {DEMO_PASSWORD!r}): {', '.join(logins)}",
        f"Demo family (same password): {family}",
        "Staff logins (same password): rejestracja.demo (registrar), "
        f"lekarz.demo (doctor: {first_doctor.display_name if first_doctor else '-'}), "
        "admin.demo (admin)",
        f"Medical records (prescriptions, vaccinations, referrals, recommendations, "
        f"documents, RODO requests) for {with_records} patients, one of them a dependant.",
    ]


def _demo_account(login: str, patient: Patient) -> Account:
    return Account.create(
        patient=patient,
        login=login,
        email=f"{login}@example.com",
        password_hash=hash_password(DEMO_PASSWORD),
        activated_at=utcnow(),
    )


def _seed_family(today: date) -> str:
    """Two parents sharing a newborn without PESEL (identified by a parent's PESEL) and a
    10-year-old; returns the line that names the logins."""
    address = dict(street="ul. Rodzinna", house_number="5", postal_code="00-002")
    parents = []
    for login, first, last, born, sex in DEMO_PARENTS:
        pesel = make_pesel(born, 300 + len(parents), female=sex == "F")
        person = Patient.create(
            first_name=first,
            last_name=last,
            pesel=pesel,
            birth_date=born,
            sex=sex,
            phone="+48 600 000 001",
            **address,
        )
        parents.append(_demo_account(login, person))
    ten_years = date(today.year - 10, today.month, min(today.day, 28))
    children = [
        Patient.create(
            first_name="Zosia",
            last_name="Rodzinna",
            pesel=None,
            birth_date=today - timedelta(days=21),
            sex="F",
            phone="+48 600 000 001",
            **address,
        ),
        Patient.create(
            first_name="Staś",
            last_name="Rodzinny",
            pesel=make_pesel(ten_years, 310, female=False),
            birth_date=ten_years,
            sex="M",
            phone="+48 600 000 001",
            **address,
        ),
    ]
    for parent in parents:
        for child in children:
            Guardianship.create(guardian=parent, patient=child)
    return (
        f"{parents[0].login} and {parents[1].login} share Zosia (3 weeks, no PESEL) and "
        "Staś (10 years) as sub-accounts"
    )
