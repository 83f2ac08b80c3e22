"""The demo clinic of `seed-demo` is believable: names, children's services, prices, referrals."""

from __future__ import annotations

from core.demo import seed_demo
from core.timeutil import local_today
from models.clinic import Schedule, ScheduleService, Service, Specialty, StaffMember
from services.service_fit import kind_fits

SPECIALISTS_NEEDING_REFERRAL = {"Kardiolog", "Dermatolog", "Okulista", "Ortopeda"}


def test_demo_clinic_names_prices_referrals_and_childrens_services(ctx):
    seed_demo(weeks=1)

    for member in StaffMember.select():
        female = member.first_name.endswith("a")
        if member.last_name.endswith(("ski", "cki", "dzki")):
            assert not female, member.display_name
        if member.last_name.endswith(("ska", "cka", "dzka")):
            assert female, member.display_name

    for service in Service.select():
        specialty = Specialty.get_by_id(service.specialty_id).name
        if service.private:
            assert service.price is not None and service.price > 0, service.name
        if service.nfz and specialty in SPECIALISTS_NEEDING_REFERRAL:
            assert service.requires_referral, service.name
        if specialty in ("Internista", "Pediatra"):
            assert not service.requires_referral, service.name
        if "dziec" in service.name or specialty == "Pediatra":
            assert service.max_age is not None and service.max_age < 18, service.name

    childrens = Service.select().where(Service.max_age < 18)
    links = ScheduleService.select().where(ScheduleService.service.in_(childrens))
    assert links.count() > 0
    paediatric = Specialty.get(Specialty.name == "Pediatra")
    for link in links:
        schedule = Schedule.get_by_id(link.schedule_id)
        assert {s.specialty_id for s in schedule.staff.specialty_links} == {paediatric.id}

    for schedule in Schedule.select():
        services = [link.service for link in schedule.service_links]
        assert any(kind_fits(s, schedule.funding, schedule.mode) for s in services), schedule.id


def test_demo_family_shares_a_newborn_without_pesel_and_a_10_year_old(ctx):
    from models.accounts import Account, Guardianship
    from models.patients import Patient
    from services.standalone import standalone_refusal

    lines = seed_demo(weeks=1)
    assert any("mama.demo" in line and "tata.demo" in line for line in lines)
    parents = [Account.get(Account.login == login) for login in ("mama.demo", "tata.demo")]
    children = [
        {p.id for p in Patient.select().join(Guardianship).where(Guardianship.guardian == a.id)}
        for a in parents
    ]
    assert children[0] == children[1] and len(children[0]) == 2
    kids = list(Patient.select().where(Patient.id.in_(list(children[0]))))
    ages = sorted((local_today() - kid.birth_date).days // 365 for kid in kids)
    assert ages == [0, 9] or ages == [0, 10]
    assert sorted(kid.pesel is None for kid in kids) == [False, True]  # the newborn has none
    assert all(standalone_refusal(a.patient) is None for a in parents)


def test_demo_fills_every_panel_section_for_the_demo_patients_and_a_dependant(ctx):
    from pathlib import Path

    from models.accounts import Account, Guardianship
    from models.medical import (
        DataRequest,
        Document,
        Prescription,
        PrescriptionOrder,
        Recommendation,
        Referral,
        Vaccination,
    )
    from services.documents import read_document

    seed_demo(weeks=1)
    anna = Account.get(Account.login == "anna.demo")
    child = Guardianship.get(Guardianship.guardian == anna.id).patient
    for person in (anna.patient, child):
        for model in (
            Prescription,
            PrescriptionOrder,
            Vaccination,
            Referral,
            Recommendation,
            Document,
            DataRequest,
        ):
            assert model.select().where(model.patient == person.id).count() > 0, model
        statuses = {
            o.status
            for o in PrescriptionOrder.select().where(PrescriptionOrder.patient == person.id)
        }
        assert statuses == {"submitted", "rejected"}
        assert (
            Vaccination.select()
            .where((Vaccination.patient == person.id) & (Vaccination.status == "planned"))
            .exists()
        )
    store = ctx.config["DOCUMENTS_DIR"]
    for document in Document.select():
        content = read_document(document, store)  # the checksum matches
        assert content[:4] in (b"%PDF", b"\x89PNG")
    assert Path(store).is_dir()
