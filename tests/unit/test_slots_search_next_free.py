"""next_free_slots: the alternatives offered when a slot was taken (only slots a service of
their schedule fits)."""

from __future__ import annotations

from datetime import timedelta

from blueprints.slots.search_service import next_free_slots
from models.base import utcnow
from tests import factories as f


def _start(days: int, hour: int = 9):
    return (utcnow() + timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)


def test_next_free_slots_are_same_specialty_and_visit_type_in_time_order(ctx):
    spec, other = f.specialty(), f.specialty()
    fac = f.facility()
    doc = f.staff(spec, fac)
    sched = f.schedule(doc, fac, services=[f.service(spec, private=True, remote=True)])
    taken = f.slot(doc, fac, _start(2), specialty=spec, schedule=sched, booked=True)
    later = f.slot(doc, fac, _start(4), specialty=spec, schedule=sched)
    sooner = f.slot(doc, fac, _start(3), specialty=spec, schedule=sched)
    f.slot(doc, fac, _start(3, 10), specialty=other, schedule=sched)
    f.slot(doc, fac, _start(3, 11), specialty=spec, schedule=sched, funding="private")
    f.slot(doc, fac, _start(3, 12), specialty=spec, schedule=sched, mode="remote")
    f.slot(doc, fac, _start(3, 13), specialty=spec, schedule=sched, blocked=True)
    f.slot(doc, fac, _start(3, 14), specialty=spec, schedule=sched, booked=True)
    f.slot(doc, fac, utcnow() - timedelta(hours=1), specialty=spec, schedule=sched)

    result = next_free_slots(taken)

    assert [s.id for s in result] == [sooner.id, later.id]
    assert result[0].staff.display_name == doc.display_name


def test_next_free_slots_with_a_service_follow_the_schedules_offering_it(ctx):
    spec = f.specialty()
    wanted, other = f.service(spec), f.service(spec)
    fac = f.facility()
    doc = f.staff(spec, fac)
    sched_wanted = f.schedule(doc, fac, services=[wanted])
    sched_other = f.schedule(doc, fac, services=[other], weekday=1)
    taken = f.slot(doc, fac, _start(2), specialty=spec, schedule=sched_wanted, booked=True)
    good = f.slot(doc, fac, _start(5), specialty=spec, schedule=sched_wanted)
    f.slot(doc, fac, _start(3), specialty=spec, schedule=sched_other)

    assert [s.id for s in next_free_slots(taken, service=wanted)] == [good.id]
    assert [s.id for s in next_free_slots(taken, service=wanted.id, limit=1)] == [good.id]


def test_next_free_slots_respect_the_limit(ctx):
    spec = f.specialty()
    fac = f.facility()
    doc = f.staff(spec, fac)
    sched = f.schedule(doc, fac, services=[f.service(spec, private=True, remote=True)])
    taken = f.slot(doc, fac, _start(1), specialty=spec, schedule=sched, booked=True)
    for day in range(2, 10):
        f.slot(doc, fac, _start(day), specialty=spec, schedule=sched)
    assert len(next_free_slots(taken, limit=5)) == 5
