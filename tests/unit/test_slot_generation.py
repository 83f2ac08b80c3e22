"""Slots from schedules: idempotent, respecting leave and holidays, never losing a booking."""

from datetime import date, time, timedelta

import pytest

from core.timeutil import to_local
from models.clinic import ScheduleException, Slot
from services.scheduling import generate_slots
from tests import factories

MONDAY = date(2030, 1, 7)


@pytest.fixture
def monday_schedule(ctx):
    fac = factories.facility()
    spec = factories.specialty()
    svc = factories.service(spec)
    member = factories.staff(spec, fac)
    return factories.schedule(
        member, fac, [svc], weekday=0, start_time=time(8, 0), end_time=time(10, 0)
    )


def test_generates_slots_in_local_time_for_the_schedule_weekday(monday_schedule):
    result = generate_slots(MONDAY, MONDAY + timedelta(days=6))
    assert result["created"] == 8  # 08:00-10:00 in 15-minute steps, Mondays only
    slots = list(Slot.select().order_by(Slot.starts_at))
    assert to_local(slots[0].starts_at).strftime("%H:%M") == "08:00"
    assert to_local(slots[-1].ends_at).strftime("%H:%M") == "10:00"
    assert slots[0].specialty_id == monday_schedule.service_links[0].service.specialty_id


def test_second_run_creates_no_duplicates(monday_schedule):
    generate_slots(MONDAY, MONDAY + timedelta(days=20))
    again = generate_slots(MONDAY, MONDAY + timedelta(days=20))
    assert again["created"] == 0
    assert Slot.select().count() == 3 * 8


def test_summer_time_is_respected(monday_schedule):
    july_monday = date(2030, 7, 1)
    generate_slots(july_monday, july_monday)
    first = Slot.select().order_by(Slot.starts_at).first()
    assert first.starts_at.hour == 6  # 08:00 CEST is 06:00 UTC
    assert to_local(first.starts_at).hour == 8


def test_leave_removes_free_slots_but_keeps_booked_ones(monday_schedule):
    generate_slots(MONDAY, MONDAY)
    booked = Slot.select().order_by(Slot.starts_at).first()
    booked.booked = True
    booked.save()
    ScheduleException.create(
        staff=monday_schedule.staff, date_from=MONDAY, date_to=MONDAY, reason="urlop"
    )
    result = generate_slots(MONDAY, MONDAY)
    assert result["removed"] == 7
    assert [s.id for s in Slot.select()] == [booked.id]


def test_clinic_holiday_without_staff_closes_every_schedule(monday_schedule):
    ScheduleException.create(staff=None, date_from=MONDAY, date_to=MONDAY, reason="święto")
    assert generate_slots(MONDAY, MONDAY + timedelta(days=7))["created"] == 8


def test_schedule_validity_dates_limit_generation(monday_schedule):
    monday_schedule.valid_to = MONDAY + timedelta(days=7)
    monday_schedule.save()
    generate_slots(MONDAY, MONDAY + timedelta(days=28))
    assert Slot.select().count() == 16


def test_reversed_range_is_refused(ctx):
    with pytest.raises(ValueError):
        generate_slots(MONDAY, MONDAY - timedelta(days=1))


def test_generate_slots_command_reports_counts(runner, monday_schedule):
    result = runner.invoke(args=["generate-slots", "--from", "2030-01-07", "--to", "2030-01-13"])
    assert result.exit_code == 0, result.output
    assert "Created 8 slots" in result.output
    again = runner.invoke(args=["generate-slots", "--from", "2030-01-07", "--to", "2030-01-13"])
    assert "Created 0 slots" in again.output


def test_generate_slots_command_refuses_bad_dates(runner, ctx):
    result = runner.invoke(args=["generate-slots", "--from", "2030-13-01", "--to", "2030-01-13"])
    assert result.exit_code != 0
    assert "is not a date" in result.output
