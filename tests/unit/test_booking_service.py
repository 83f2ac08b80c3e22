"""services.booking called directly: the unique active slot is the real guard, clinic rules
with a frozen `now`, cancel and change leave nothing half done."""

from datetime import timedelta

import pytest

from core import ics
from models.accounts import Guardianship
from models.base import utcnow
from models.booking import Appointment, AppointmentSlot
from models.clinic import ScheduleService, Slot
from models.mail import OutboxMessage
from services import booking, booking_checks, booking_errors, cancel_window, visits
from services.catalogue_cache import bump_catalogue_version
from services.rules import ClinicRules
from tests import factories

RULES = ClinicRules(
    horizon_days=30,
    min_notice_hours=2,
    cancel_notice_hours=24,
    limit_per_specialty=2,
    email_change_max_age_hours=24,
)


@pytest.fixture
def clinic(ctx):
    with ctx.test_request_context("/"):  # mail texts are translated for the request's locale
        yield _clinic()


def _clinic():
    now = utcnow().replace(microsecond=0)
    made = factories.bookable(5, (now + timedelta(days=3)).replace(hour=8, minute=0, second=0))
    made.update(now=now, account=factories.account(), other=factories.account())
    return made


def _book(c, slot, account=None, **kw):
    account = account or c["account"]
    return booking.book(account, slot.id, account.patient_id, now=c["now"], rules=RULES, **kw)


def test_book_sets_active_slot_and_booked_flag_in_one_go(clinic):
    appointment = _book(clinic, clinic["slots"][0])
    assert appointment.active_slot_id == clinic["slots"][0].id
    assert Slot.get_by_id(clinic["slots"][0].id).booked is True
    assert OutboxMessage.select().count() == 1


def test_unique_active_slot_is_the_guard_even_when_the_flag_lies(clinic):
    """The booked flag is only a search aid: with it wrongly cleared, the unique index on
    active_slot still refuses a second booking, and the IntegrityError becomes SlotTaken."""
    slot = clinic["slots"][0]
    _book(clinic, slot)
    Slot.update(booked=False).where(Slot.id == slot.id).execute()
    with pytest.raises(booking_errors.SlotTaken):
        _book(clinic, slot, account=clinic["other"])
    assert Appointment.select().count() == 1
    assert OutboxMessage.select().count() == 1  # the loser's mail was rolled back too


def test_second_booking_raises_slot_taken(clinic):
    _book(clinic, clinic["slots"][0])
    with pytest.raises(booking_errors.SlotTaken):
        _book(clinic, clinic["slots"][0], account=clinic["other"])


def test_rules_notice_horizon_and_past(clinic):
    slot = clinic["slots"][0]
    with pytest.raises(booking_errors.BookingRuleBroken) as notice:
        booking.book(
            clinic["account"],
            slot.id,
            clinic["account"].patient_id,
            now=slot.starts_at - timedelta(hours=1),
            rules=RULES,
        )
    assert notice.value.reason == "notice"
    with pytest.raises(booking_errors.BookingRuleBroken) as horizon:
        booking.book(
            clinic["account"],
            slot.id,
            clinic["account"].patient_id,
            now=slot.starts_at - timedelta(days=31),
            rules=RULES,
        )
    assert horizon.value.reason == "horizon"
    with pytest.raises(booking_errors.SlotUnavailable) as past:
        booking.book(
            clinic["account"],
            slot.id,
            clinic["account"].patient_id,
            now=slot.starts_at + timedelta(minutes=1),
            rules=RULES,
        )
    assert past.value.reason == "past"
    assert Appointment.select().count() == 0


def test_blocked_slot_is_unavailable(clinic):
    Slot.update(blocked=True).where(Slot.id == clinic["slots"][0].id).execute()
    with pytest.raises(booking_errors.SlotUnavailable):
        _book(clinic, clinic["slots"][0])


def test_limit_per_specialty_counts_only_active_future_visits(clinic):
    _book(clinic, clinic["slots"][0])
    second = _book(clinic, clinic["slots"][1])
    with pytest.raises(booking_errors.BookingRuleBroken) as limit:
        _book(clinic, clinic["slots"][2])
    assert limit.value.reason == "limit"
    assert Slot.get_by_id(clinic["slots"][2].id).booked is False  # rolled back
    booking.cancel(clinic["account"], second, now=clinic["now"], rules=RULES)
    _book(clinic, clinic["slots"][2])


def test_a_stranger_patient_is_refused(clinic):
    with pytest.raises(booking_errors.PatientNotAllowed):
        booking.book(
            clinic["account"],
            clinic["slots"][0].id,
            clinic["other"].patient_id,
            now=clinic["now"],
            rules=RULES,
        )


def test_dependant_may_be_booked_by_guardian(clinic):
    child = factories.patient()
    Guardianship.create(guardian=clinic["account"], patient=child)
    appointment = booking.book(
        clinic["account"], clinic["slots"][0].id, child.id, now=clinic["now"], rules=RULES
    )
    assert appointment.patient_id == child.id
    assert visits.appointment_for(clinic["account"], appointment.id).id == appointment.id
    assert visits.appointment_for(clinic["other"], appointment.id) is None


def test_appointment_for_rejects_junk_ids(clinic):
    for value in ("", "abc", "-1", "0", "99999999999999999999", None, 2**40):
        assert visits.appointment_for(clinic["account"], value) is None


def test_cancel_too_late_is_refused(clinic):
    appointment = _book(clinic, clinic["slots"][0])
    with pytest.raises(booking_errors.TooLateToCancel):
        booking.cancel(
            clinic["account"],
            appointment,
            now=clinic["slots"][0].starts_at - timedelta(hours=23),
            rules=RULES,
        )
    assert Appointment.get_by_id(appointment.id).status == "booked"


def test_change_into_a_taken_slot_changes_nothing(clinic):
    mine = _book(clinic, clinic["slots"][0])
    _book(clinic, clinic["slots"][1], account=clinic["other"])
    Slot.update(booked=False).where(Slot.id == clinic["slots"][1].id).execute()  # flag lies
    with pytest.raises(booking_errors.SlotTaken):
        booking.change(
            clinic["account"], mine, clinic["slots"][1].id, now=clinic["now"], rules=RULES
        )
    fresh = Appointment.get_by_id(mine.id)
    assert fresh.status == "booked" and fresh.active_slot_id == clinic["slots"][0].id
    assert Slot.get_by_id(clinic["slots"][0].id).booked is True
    assert Appointment.select().count() == 2


def test_change_moves_and_frees(clinic):
    mine = _book(clinic, clinic["slots"][0])
    moved = booking.change(
        clinic["account"], mine, clinic["slots"][3].id, now=clinic["now"], rules=RULES
    )
    assert moved.active_slot_id == clinic["slots"][3].id
    assert Appointment.get_by_id(mine.id).moved_to_id == moved.id
    assert Slot.get_by_id(clinic["slots"][0].id).booked is False
    with pytest.raises(booking_errors.AppointmentNotActive):
        booking.change(
            clinic["account"],
            Appointment.get_by_id(mine.id),
            clinic["slots"][4].id,
            now=clinic["now"],
            rules=RULES,
        )


def test_ics_event_is_utc_and_parses():
    from datetime import datetime

    from icalendar import Calendar

    data = ics.visit_event(
        uid="appointment-1@example",
        starts_at=datetime(2030, 3, 31, 6, 0),
        ends_at=datetime(2030, 3, 31, 6, 15),
        summary="Wizyta",
        location="ul. Zdrowa 1",
    )
    event = Calendar.from_ical(data).walk("VEVENT")[0]
    assert event.decoded("DTSTART").isoformat() == "2030-03-31T06:00:00+00:00"
    assert b"DTSTART:20300331T060000Z" in data
    assert str(event["UID"]) == "appointment-1@example"


def test_one_rule_decides_online_change_and_cancel(clinic):
    visit = _book(clinic, clinic["slots"][0])
    starts = visit.slot.starts_at
    assert cancel_window.online_change_refusal(visit, RULES, clinic["now"]) is None
    inside = starts - timedelta(hours=23)
    refusal = cancel_window.online_change_refusal(visit, RULES, inside)
    assert isinstance(refusal, booking_errors.TooLateToCancel)
    assert cancel_window.within_cancel_window(starts, RULES, inside)
    assert not cancel_window.within_cancel_window(starts, RULES, starts - timedelta(hours=25))
    assert isinstance(
        cancel_window.online_change_refusal(visit, RULES, starts + timedelta(minutes=1)),
        booking_errors.AppointmentNotActive,
    )


def test_too_late_message_and_warning_carry_the_facility_phone(clinic):
    clinic["fac"].phone = "+48 22 999 88 77"
    clinic["fac"].save()
    slot = clinic["slots"][0]
    inside = slot.starts_at - timedelta(hours=5)
    warning = cancel_window.cancel_window_warning(slot, RULES, inside)
    assert "zadzwoń: +48 22 999 88 77" in warning
    assert (
        cancel_window.cancel_window_warning(slot, RULES, slot.starts_at - timedelta(days=2)) == ""
    )
    visit = _book(clinic, slot)
    refusal = cancel_window.online_change_refusal(visit, RULES, inside)
    assert "+48 22 999 88 77" in refusal.message_with(RULES)


def test_alternatives_are_nearest_and_bookable(clinic):
    taken = clinic["slots"][2]
    offered = booking_checks.alternatives_for(taken, None, RULES, clinic["now"], limit=2)
    assert [s.id for s in offered] == [clinic["slots"][1].id, clinic["slots"][3].id]


def test_held_slot_index_guards_the_second_slot_of_a_long_visit_even_when_the_flag_lies(clinic):
    """A 30-minute visit holds two slots; with the second slot's booked flag wrongly cleared,
    the unique AppointmentSlot.active_slot still refuses it, and nothing is half booked."""
    long = factories.service(clinic["spec"], duration_minutes=30)
    ScheduleService.create(schedule=clinic["slots"][0].schedule_id, service=long)
    first, second = clinic["slots"][0], clinic["slots"][1]
    _book(clinic, second, service_id=clinic["svc"].id)
    Slot.update(booked=False).where(Slot.id == second.id).execute()
    with pytest.raises(booking_errors.SlotTaken):
        _book(clinic, first, account=clinic["other"], service_id=long.id)
    assert Appointment.select().count() == 1
    assert Slot.get_by_id(first.id).booked is False
    assert AppointmentSlot.select().count() == 1


def test_a_long_visit_is_refused_where_the_consecutive_slot_is_missing(clinic):
    long = factories.service(clinic["spec"], duration_minutes=30)
    ScheduleService.create(schedule=clinic["slots"][0].schedule_id, service=long)
    last = clinic["slots"][-1]
    with pytest.raises(booking_errors.SlotUnavailable) as refused:
        _book(clinic, last, service_id=long.id)
    assert refused.value.reason == "service_does_not_fit"
    Slot.update(blocked=True).where(Slot.id == clinic["slots"][1].id).execute()
    with pytest.raises(booking_errors.SlotUnavailable):
        _book(clinic, clinic["slots"][0], service_id=long.id)
    assert Appointment.select().count() == 0


def test_a_specialty_with_its_own_limit_overrides_the_clinic_limit(clinic):
    """The admin sets a specialty's limit (/admin/specialties): 1 here, the clinic's is 2."""
    clinic["spec"].booking_limit = 1
    clinic["spec"].save()
    # the limit comes from the cached catalogue, read once per request: this test runs in one
    # request context, where the admin's change would be a request of its own
    bump_catalogue_version()
    _book(clinic, clinic["slots"][0])
    with pytest.raises(booking_errors.BookingRuleBroken) as limit:
        _book(clinic, clinic["slots"][1])
    assert limit.value.reason == "limit" and limit.value.limit == 1
    assert "1 zaplanowane" in limit.value.message_with(RULES)
    clinic["spec"].booking_limit = 0  # 0: no limit in this specialty
    clinic["spec"].save()
    bump_catalogue_version()
    _book(clinic, clinic["slots"][1])
    _book(clinic, clinic["slots"][2])
