"""The search service: parameters, keyset paging, grouping, counting and suggestions."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from core.timeutil import local_to_utc
from services.slot_search import (
    Cursor,
    SearchQuery,
    count_free_slots,
    group_by_day,
    nearest_days,
    parse_query,
    search_page,
)
from tests import factories as f

TODAY = date(2031, 3, 3)  # a Monday; "now" is passed in, never read from the clock
NOW = local_to_utc(TODAY, datetime.min.time())


def at(day_offset: int, hour: int, minute: int = 0) -> datetime:
    """A Warsaw wall-clock time, days after TODAY, as stored (UTC)."""
    return local_to_utc(TODAY + timedelta(days=day_offset), datetime.min.time()) + timedelta(
        hours=hour, minutes=minute
    )


@pytest.fixture
def rctx(ctx):
    """Messages are translated, so parsing needs a request (for the locale)."""
    with ctx.test_request_context("/slots"):
        yield ctx


def slot(doc, fac, starts_at, **kw):
    """A slot in a schedule offering a 10-minute service that fits any kind of visit."""
    if "schedule" not in kw:
        any_kind = f.service(private=True, remote=True, duration_minutes=10)
        kw["schedule"] = f.schedule(doc, fac, services=[any_kind])
    return f.slot(doc, fac, starts_at, **kw)


def q(**kw) -> SearchQuery:
    kw.setdefault("date_from", TODAY)
    kw.setdefault("date_to", TODAY + timedelta(days=14))
    return SearchQuery(**kw)


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"facility": "abc"}, "facility"),
        ({"specialty": "-1"}, "specialty"),
        ({"service": "1.5"}, "service"),
        ({"staff": "99999999999999"}, "staff"),
        ({"date_from": "2031-02-30"}, "date_from"),
        ({"date_from": "03.03.2031"}, "date_from"),
        ({"date_to": "jutro"}, "date_to"),
        ({"date_from": "2031-03-10", "date_to": "2031-03-09"}, "date_to"),
        ({"date_from": "2031-03-01", "date_to": "2031-06-30"}, "date_to"),
        ({"visit_type": "vip"}, "visit_type"),
        ({"facility": "4242"}, "facility"),
    ],
)
def test_invalid_parameters_are_reported_per_field(rctx, args, field):
    _query, errors = parse_query(args, TODAY)
    assert field in errors
    assert errors[field]


def test_defaults_are_today_and_two_weeks(rctx):
    query, errors = parse_query({}, TODAY)
    assert errors == {}
    assert (query.date_from, query.date_to) == (TODAY, TODAY + timedelta(days=14))
    query, _ = parse_query({"date_from": "2031-04-01"}, TODAY)
    assert query.date_to == date(2031, 4, 15)


def test_a_range_of_92_days_is_allowed_and_93_is_not(rctx):
    _, errors = parse_query({"date_from": "2031-03-03", "date_to": "2031-06-02"}, TODAY)
    assert errors == {}
    _, errors = parse_query({"date_from": "2031-03-03", "date_to": "2031-06-03"}, TODAY)
    assert "date_to" in errors


def test_query_params_carry_the_whole_search_and_skip_empty_ones():
    query = q(specialty=3, visit_type="remote")
    assert query.params() == {
        "specialty": "3",
        "date_from": "2031-03-03",
        "date_to": "2031-03-17",
        "visit_type": "remote",
    }


def test_cursor_round_trips_and_garbage_means_first_page():
    cursor = Cursor(datetime(2031, 3, 3, 7, 15), 42)
    assert Cursor.decode(cursor.encode()) == cursor
    for raw in (None, "", "x", "20311301000000-1", "2031-1", "20310303071500-"):
        assert Cursor.decode(raw) is None


def test_keyset_pages_cover_every_slot_once_even_with_equal_start_times(ctx):
    fac = f.facility()
    doctors = [f.staff(fac=fac) for _ in range(3)]
    expected = set()
    for hour in range(8, 12):
        for doc in doctors:  # three slots share each start time: ties broken by id
            expected.add(slot(doc, fac, at(1, hour)).id)
    seen: list[int] = []
    cursor = None
    for _ in range(10):
        page = search_page(q(), cursor=cursor, now=NOW, page_size=5)
        seen.extend(s.id for s in page.slots)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert sorted(seen) == sorted(expected)
    assert len(seen) == len(set(seen))


def test_past_booked_and_blocked_slots_and_slots_after_the_horizon_are_not_found(ctx):
    fac = f.facility()
    doc = f.staff(fac=fac)
    visible = slot(doc, fac, at(1, 9))
    slot(doc, fac, at(0, 0) - timedelta(hours=1))
    slot(doc, fac, at(1, 10), booked=True)
    slot(doc, fac, at(1, 11), blocked=True)
    slot(doc, fac, at(5, 9))
    page = search_page(q(), now=NOW, not_after=at(3, 0))
    assert [s.id for s in page.slots] == [visible.id]


def test_dates_are_warsaw_days(ctx):
    fac = f.facility()
    doc = f.staff(fac=fac)
    # 00:30 in Warsaw on day 2 is still day 1 in UTC
    late = slot(doc, fac, at(2, 0, 30))
    page = search_page(
        q(date_from=TODAY + timedelta(days=2), date_to=TODAY + timedelta(days=2)), now=NOW
    )
    assert [s.id for s in page.slots] == [late.id]
    page = search_page(
        q(date_from=TODAY + timedelta(days=1), date_to=TODAY + timedelta(days=1)), now=NOW
    )
    assert page.slots == []


def test_filters_by_service_staff_facility_and_visit_type(ctx):
    spec = f.specialty()
    svc = f.service(spec)
    other_svc = f.service(spec, nfz=False, private=True, in_person=False, remote=True)
    fac, fac2 = f.facility(), f.facility()
    doc, doc2 = f.staff(spec, fac), f.staff(spec, fac2)
    sched = f.schedule(doc, fac, services=[svc])
    sched2 = f.schedule(doc2, fac2, services=[other_svc], funding="private", mode="remote")
    a = slot(doc, fac, at(1, 9), specialty=spec, schedule=sched)
    b = slot(
        doc2, fac2, at(1, 9), specialty=spec, schedule=sched2, funding="private", mode="remote"
    )

    def ids(**kw):
        return [s.id for s in search_page(q(**kw), now=NOW).slots]

    assert ids() == [a.id, b.id]
    assert ids(specialty=spec.id) == [a.id, b.id]
    assert ids(service=svc.id) == [a.id]
    assert ids(service=other_svc.id) == [b.id]
    assert ids(staff=doc2.id) == [b.id]
    assert ids(facility=fac.id) == [a.id]
    assert ids(visit_type="nfz") == [a.id]
    assert ids(visit_type="private") == [b.id]
    assert ids(visit_type="remote") == [b.id]
    assert ids(visit_type="in_person") == [a.id]
    assert ids(service=f.service(spec).id) == []


def test_results_group_by_day_then_staff(ctx):
    fac = f.facility()
    doc1, doc2 = f.staff(fac=fac), f.staff(fac=fac)
    slot(doc1, fac, at(1, 9))
    slot(doc2, fac, at(1, 9, 15))
    slot(doc1, fac, at(1, 10))
    slot(doc2, fac, at(2, 9))
    page = search_page(q(), now=NOW)
    days = group_by_day(page.slots, page.services_by_schedule)
    assert [d.day for d in days] == [TODAY + timedelta(days=1), TODAY + timedelta(days=2)]
    assert [g.staff.id for g in days[0].staff] == [doc1.id, doc2.id]
    assert [g.slot_count for g in days[0].staff] == [2, 1]


def test_count_stops_at_the_cap(ctx):
    fac = f.facility()
    doc = f.staff(fac=fac)
    for minute in range(0, 60, 10):
        slot(doc, fac, at(1, 9, minute), minutes=10)
    assert count_free_slots(q(), now=NOW) == 6
    assert count_free_slots(q(), now=NOW, cap=3) == 4


def test_nearest_days_look_before_and_after_the_range(ctx):
    fac = f.facility()
    doc = f.staff(fac=fac)
    slot(doc, fac, at(1, 9))
    slot(doc, fac, at(30, 9))
    slot(doc, fac, at(30, 10))
    slot(doc, fac, at(40, 9))
    query = q(date_from=TODAY + timedelta(days=10), date_to=TODAY + timedelta(days=20))
    assert nearest_days(query, now=NOW) == [
        TODAY + timedelta(days=1),
        TODAY + timedelta(days=30),
        TODAY + timedelta(days=40),
    ]
    assert nearest_days(query, now=NOW, not_after=at(35, 0)) == [
        TODAY + timedelta(days=1),
        TODAY + timedelta(days=30),
    ]
