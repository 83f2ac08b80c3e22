"""A specialty the admin deactivated is no longer offered: not in the search's choices, and
its slots are not listed (slots with no specialty stay)."""

from __future__ import annotations

from datetime import timedelta

from core.timeutil import to_local
from models.base import utcnow
from models.clinic import Slot
from services.slot_search import SearchQuery, _inactive_exclusions, choices_for
from tests import factories as f


def test_slots_and_choice_of_a_retired_specialty_are_not_offered(ctx):
    retired, kept = f.specialty(name="Stara poradnia"), f.specialty(name="Kardiologia")
    fac = f.facility()
    member = f.staff(fac=fac)
    start = (utcnow() + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    old = f.slot(member, fac, start, specialty=retired)
    new = f.slot(member, fac, start + timedelta(hours=1), specialty=kept)
    plain = f.slot(member, fac, start + timedelta(hours=2))
    retired.active = False
    retired.save()
    day = to_local(start).date()
    query = SearchQuery(date_from=day, date_to=day + timedelta(days=1))
    # the exclusions every slot search applies (free_slot_query adds them to its filters)
    found = {s.id for s in Slot.select().where(*_inactive_exclusions())}
    assert found == {new.id, plain.id} and old.id not in found
    names = [s.name for s in choices_for(query).specialties]
    assert names == ["Kardiologia"]
