"""seed-demo for the doctor's side: a visit of anna.demo with lekarz.demo's doctor that began
half an hour ago, so the demo doctor can open it from today's agenda and complete it (then
write the recommendation, prescription, referral and document anna.demo sees in her panel)."""

from __future__ import annotations

from datetime import timedelta

from models.accounts import Account
from models.base import utcnow
from models.booking import Appointment, AppointmentSlot
from models.clinic import ScheduleService, Slot, StaffMember


def seed_doctor_visit(doctor: StaffMember | None) -> None:
    anna = Account.get_or_none(Account.login == "anna.demo")
    earlier = (
        Slot.select().where((Slot.staff == doctor.id) & Slot.schedule.is_null(False)).first()
        if doctor
        else None
    )
    if doctor is None or anna is None or earlier is None:
        return
    began = utcnow().replace(second=0, microsecond=0) - timedelta(minutes=30)
    if Slot.get_or_none((Slot.staff == doctor.id) & (Slot.starts_at == began)):
        return
    offered = ScheduleService.get_or_none(ScheduleService.schedule == earlier.schedule_id)
    if offered is None:
        return
    slot = Slot.create(
        staff=doctor,
        facility=earlier.facility_id,
        specialty=earlier.specialty_id,
        schedule=earlier.schedule_id,
        starts_at=began,
        ends_at=began + timedelta(minutes=15),
        booked=True,
    )
    visit = Appointment.create(
        slot=slot,
        active_slot=slot,
        patient=anna.patient_id,
        service=offered.service_id,
        booked_by=anna,
        note="Od tygodnia boli mnie gardło.",
    )
    AppointmentSlot.create(appointment=visit, slot=slot, active_slot=slot)
