"""Factory helpers that build clinic objects with sensible defaults for tests."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta

from core.passwords import hash_password
from core.pesel import make as make_pesel
from core.timeutil import local_to_utc, local_today
from models.accounts import Account, Guardianship
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


def bookable(count: int = 4, day: datetime | None = None, opens: time = time(8), **parts):
    """A doctor with a weekly schedule opening at `opens` on `day`'s weekday (default: three
    days from now at `opens`) and `count` free 15-minute slots from `day`. The parts not given
    in `parts` (fac, spec, svc, staff; the schedule offers `services`, default [svc]) are made.
    Returns them with "sched", "slots" and "day"."""
    fac = parts.get("fac") or facility()
    spec = parts.get("spec") or specialty()
    svc = parts.get("svc") or service(spec)
    member = parts.get("staff") or staff(spec=spec, fac=fac)
    day = day or (utcnow() + timedelta(days=3)).replace(
        hour=opens.hour, minute=opens.minute, second=0, microsecond=0
    )
    offered = parts.get("services") or [svc]
    sched = schedule(member, fac, services=offered, weekday=day.weekday(), start_time=opens)
    slots = [
        slot(member, fac, starts_at=day + timedelta(minutes=15 * k), schedule=sched, specialty=spec)
        for k in range(count)
    ]
    return {"fac": fac, "spec": spec, "svc": svc, "staff": member, "sched": sched, "slots": slots,
            "day": day}  # fmt: skip


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


def made_in(app, make, *args, **kw):
    """`make(*args, **kw)` run in its own app context, the connection closed again: for tests
    that then use the app only through its test client."""
    with app.app_context():
        db.connect(reuse_if_open=True)
        made = make(*args, **kw)
        db.close()
    return made


def account_in(app, **kw) -> Account:
    """An account made in its own app context (see made_in)."""
    return made_in(app, account, **kw)


def stored(app, made: Account) -> Account:
    """The account as the database has it now (read in its own app context)."""
    return made_in(app, Account.get_by_id, made.id)


def dependant(guardian: Account, with_pesel: bool = True, **kw) -> Patient:
    """A dependant patient ("subkonto") of the guardian's account, without a login; a child
    born `birth_date` (default: 10 years ago); `with_pesel=False` for a newborn identified by
    the guardian's PESEL."""
    born = kw.pop("birth_date", local_today().replace(year=local_today().year - 10, day=1))
    if not with_pesel:
        kw["pesel"] = None
    person = patient(birth_date=born, first_name=kw.pop("first_name", "Zosia"), **kw)
    Guardianship.create(guardian=guardian, patient=person)
    return person


def guard(guardian: Account, person: Patient) -> Guardianship:
    """Make the account a guardian of an existing patient (a second parent)."""
    return Guardianship.create(guardian=guardian, patient=person)


# --- the patient panel's medical sections (issue 12) -------------------------------------

TINY_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def medical_record(app, owner: Patient, doctor: StaffMember, fac: Facility, spec: Specialty):
    """One of everything the panel shows, for `owner`: a prescription (so a standing
    medicine), an open order, a done and a planned vaccination, a referral, a completed visit
    with a recommendation, a PDF and a PNG document, a RODO request. Returns their ids."""
    from core.demo_medical import tiny_png
    from models.booking import Appointment
    from services import data_requests, documents, medical_records, prescriptions

    today = local_today()
    rx = prescriptions.issue_prescription(
        owner, doctor, [prescriptions.OrderLine("Metformax 500 mg, 60 tabl.", 2)]
    )
    order = prescriptions.order_prescription(
        None, owner, doctor.id, [prescriptions.OrderLine("Bisocard 5 mg, 30 tabl.", 1)]
    )
    done = medical_records.record_vaccination(
        owner, "Szczepionka przeciw grypie", today - timedelta(days=40), dose="1/1", facility=fac
    )
    planned = medical_records.record_vaccination(
        owner,
        "Szczepionka przeciw kleszczowemu zapaleniu mózgu",
        today + timedelta(days=20),
        dose="2/3",
        status="planned",
        facility=fac,
    )
    referral = medical_records.issue_referral(owner, doctor, spec.name, specialty=spec)
    visit_slot = slot(doctor, fac, utcnow() - timedelta(days=10), specialty=spec)
    visit = Appointment.create(
        slot=visit_slot, patient=owner, service=service(spec, name="Porada kontrolna")
    )
    medical_records.complete_visit(visit, doctor, ["Kontrola ciśnienia codziennie rano."])
    store = app.config["DOCUMENTS_DIR"]
    pdf = documents.share_document(owner, "Wynik morfologii", "result", TINY_PDF, "morf.pdf", store)
    png = documents.share_document(owner, "Zdjęcie RTG", "imaging", tiny_png(), "rtg.png", store)
    request = data_requests.submit_request(None, owner, "information", "Proszę o informację.")
    return {
        "prescription": rx.id,
        "order": order.id,
        "vaccination_done": done.id,
        "vaccination_planned": planned.id,
        "referral": referral.id,
        "visit": visit.id,
        "pdf": pdf.id,
        "png": png.id,
        "request": request.id,
    }


def staff_account(role: str, member: StaffMember | None = None, login: str | None = None):
    """An activated staff login (registrar, doctor, admin); a doctor's is `member`."""
    from services.staff_accounts import create_staff_account

    login = login or f"{role}{next(_seq)}"
    return create_staff_account(login, f"{login}@example.com", PASSWORD, role, staff_member=member)


def cardiology(**fac_kw) -> dict:
    """The named parts of the booking tests' cardiology clinic (for bookable)."""
    fac = facility(name="Przychodnia Centrum", **fac_kw)
    spec = specialty(name="Kardiologia")
    svc = service(spec, name="Konsultacja kardiologiczna")
    return {"fac": fac, "spec": spec, "svc": svc, "staff": staff(spec, fac, last_name="Sercowy")}


def desk_clinic(days_ahead: int = 3) -> dict:
    """A doctor with a weekly schedule and a morning of slots `days_ahead` from now, a patient
    with an account and a booked visit, and a login for every staff role."""
    fac = facility(name="Przychodnia Centrum", phone="+48 22 100 20 30")
    spec = specialty(name=f"Interna {next(_seq)}")
    svc = service(spec, name="Porada internistyczna")
    doctor = staff(spec, fac, first_name="Adam", last_name=f"Doktorski{next(_seq)}")
    day = (utcnow() + timedelta(days=days_ahead)).replace(hour=8, minute=0, second=0, microsecond=0)
    day_of = bookable(8, day, fac=fac, spec=spec, svc=svc, staff=doctor)
    sched, slots = day_of["sched"], day_of["slots"]
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


def doctor_day() -> dict:
    """desk_clinic with the visit already started (an hour ago) so the doctor can close it,
    a second doctor with a login and a visit of their own, an open prescription order of the
    patient to the first doctor and a RODO request. For the doctor's pages and the queues."""
    from models.booking import Appointment
    from services import data_requests
    from services import prescriptions as rx

    world = desk_clinic()
    # an hour ago, but on the clinic's today: just after midnight in Warsaw, an hour ago is
    # yesterday there, and the doctor's day (and "wykonane dziś") is the Warsaw day
    midnight = local_to_utc(local_today(), time.min)
    started = max(utcnow().replace(second=0, microsecond=0) - timedelta(hours=1), midnight)
    Slot.update(starts_at=started, ends_at=started + timedelta(minutes=15)).where(
        Slot.id == world["slots"][0].id
    ).execute()
    Appointment.update(note="Boli mnie głowa", referral_code="1234").where(
        Appointment.id == world["visit"].id
    ).execute()
    other = staff(world["specialty"], world["facility"], last_name=f"Drugi{next(_seq)}")
    other_slot = slot(other, world["facility"], starts_at=started, specialty=world["specialty"])
    other_visit = Appointment.create(
        slot=other_slot, patient=world["patient"], service=world["service"]
    )
    world["other_doctor"] = other
    world["other_doctor_account"] = staff_account("doctor", member=other)
    world["other_visit"] = other_visit
    world["order"] = rx.order_prescription(
        world["account"], world["patient"], world["doctor"].id, [rx.OrderLine("Bisocard 5 mg", 1)]
    )
    world["request"] = data_requests.submit_request(
        world["account"], world["patient"], "information", "Jakie dane przetwarzacie?"
    )
    return world
