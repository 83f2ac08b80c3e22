"""nearest_free_slots: the alternatives offered when a slot was taken (only slots a service of
their schedule fits)."""

from __future__ import annotations

from datetime import timedelta

from models.base import utcnow
from services.slot_search import nearest_free_slots
from tests import factories as f


def _start(days: int, hour: int = 9):
    return (utcnow() + timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)


def test_nearest_free_slots_are_same_specialty_and_visit_type_in_time_order(ctx):
    spec, other = f.specialty(), f.specialty()
    fac = f.facility()
    doc = f.staff(spec, fac)
    sched = f.schedule(doc, fac, services=[f.service(spec, private=True, remote=True)])
    taken = f.slot(doc, fac, _start(2), specialty=spec, booked=True, schedule=sched)
    later = f.slot(doc, fac, _start(4), specialty=spec, schedule=sched)
    sooner = f.slot(doc, fac, _start(3), specialty=spec, schedule=sched)
    f.slot(doc, fac, _start(3, 10), specialty=other, schedule=sched)
    f.slot(doc, fac, _start(3, 11), specialty=spec, funding="private", schedule=sched)
    f.slot(doc, fac, _start(3, 12), specialty=spec, mode="remote", schedule=sched)
    f.slot(doc, fac, _start(3, 13), specialty=spec, blocked=True, schedule=sched)
    f.slot(doc, fac, _start(3, 14), specialty=spec, booked=True, schedule=sched)
    f.slot(doc, fac, utcnow() - timedelta(hours=1), specialty=spec, schedule=sched)

    result = nearest_free_slots(taken)

    assert [s.id for s in result] == [sooner.id, later.id]
    assert result[0].staff.display_name == doc.display_name


def test_nearest_free_slots_with_a_service_follow_the_schedules_offering_it(ctx):
    spec = f.specialty()
    wanted, other = f.service(spec), f.service(spec)
    fac = f.facility()
    doc = f.staff(spec, fac)
    sched_wanted = f.schedule(doc, fac, services=[wanted])
    sched_other = f.schedule(doc, fac, services=[other], weekday=1)
    taken = f.slot(doc, fac, _start(2), specialty=spec, schedule=sched_wanted, booked=True)
    good = f.slot(doc, fac, _start(5), specialty=spec, schedule=sched_wanted)
    f.slot(doc, fac, _start(3), specialty=spec, schedule=sched_other)

    assert [s.id for s in nearest_free_slots(taken, service=wanted)] == [good.id]
    assert [s.id for s in nearest_free_slots(taken, service=wanted.id, limit=1)] == [good.id]


def test_nearest_free_slots_respect_the_limit(ctx):
    spec = f.specialty()
    fac = f.facility()
    doc = f.staff(spec, fac)
    sched = f.schedule(doc, fac, services=[f.service(spec, private=True, remote=True)])
    taken = f.slot(doc, fac, _start(1), specialty=spec, booked=True, schedule=sched)
    for day in range(2, 10):
        f.slot(doc, fac, _start(day), specialty=spec, schedule=sched)
    assert len(nearest_free_slots(taken, limit=5)) == 5


def test_nearest_free_slots_are_the_closest_in_time_on_both_sides(ctx):
    spec = f.specialty()
    fac = f.facility()
    doc = f.staff(spec, fac)
    sched = f.schedule(doc, fac, services=[f.service(spec, private=True, remote=True)])
    far_early = [
        f.slot(doc, fac, _start(1, 8 + k), specialty=spec, schedule=sched) for k in range(4)
    ]
    taken = f.slot(doc, fac, _start(20, 12), specialty=spec, booked=True, schedule=sched)
    just_before = f.slot(doc, fac, _start(20, 11), specialty=spec, schedule=sched)
    same_time = f.slot(f.staff(spec, fac), fac, _start(20, 12), specialty=spec, schedule=sched)
    just_after = f.slot(doc, fac, _start(20, 13), specialty=spec, schedule=sched)
    next_day = f.slot(doc, fac, _start(21, 12), specialty=spec, schedule=sched)

    result = nearest_free_slots(taken, limit=4)

    assert [s.id for s in result] == [just_before.id, same_time.id, just_after.id, next_day.id]
    assert not {s.id for s in far_early} & {s.id for s in result}


def test_nearest_free_slots_stay_inside_the_bookable_window(ctx):
    spec = f.specialty()
    fac = f.facility()
    doc = f.staff(spec, fac)
    sched = f.schedule(doc, fac, services=[f.service(spec, private=True, remote=True)])
    taken = f.slot(doc, fac, _start(5), specialty=spec, booked=True, schedule=sched)
    too_soon = f.slot(doc, fac, _start(1), specialty=spec, schedule=sched)
    fine = f.slot(doc, fac, _start(4), specialty=spec, schedule=sched)
    too_late = f.slot(doc, fac, _start(7), specialty=spec, schedule=sched)

    result = nearest_free_slots(taken, not_before=_start(2), not_after=_start(6), limit=5)

    assert [s.id for s in result] == [fine.id]
    assert too_soon.id not in {s.id for s in result} and too_late.id not in {s.id for s in result}
