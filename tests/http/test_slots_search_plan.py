"""The main search query is answered from an index, whatever the filters (DESIGN §6)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.timeutil import local_today
from models.base import db, is_sqlite, utcnow
from services.slot_search import Cursor, SearchQuery, page_query
from tests import factories as f


def _plan(select) -> list[str]:
    sql, params = select.sql()
    if is_sqlite():
        return [row[-1] for row in db.execute_sql("EXPLAIN QUERY PLAN " + sql, params)]
    # tiny test tables make a sequential scan cheapest; ask whether an index *can* serve it
    with db.atomic():
        db.execute_sql("SET LOCAL enable_seqscan = off")
        return [row[0] for row in db.execute_sql("EXPLAIN " + sql, params)]


def test_main_search_query_uses_an_index_for_typical_filters(ctx):
    spec = f.specialty()
    svc = f.service(spec)
    fac = f.facility()
    doc = f.staff(spec, fac)
    sched = f.schedule(doc, fac, services=[svc])
    for day in range(1, 4):
        f.slot(doc, fac, utcnow() + timedelta(days=day), specialty=spec, schedule=sched)
    today = local_today()
    base = {"date_from": today, "date_to": today + timedelta(days=14)}
    far = {"date_from": today + timedelta(days=200), "date_to": today + timedelta(days=230)}
    combos = {
        "none": {},
        "specialty": {"specialty": spec.id},
        "service": {"service": svc.id},
        "staff": {"staff": doc.id},
        "facility + visit type": {"facility": fac.id, "visit_type": "remote"},
        "far ahead": far,
    }
    now = utcnow()
    for name, filters in combos.items():
        query = SearchQuery(**{**base, **filters})
        for cursor in (None, Cursor(now + timedelta(days=1), 2)):
            plan = "\n".join(_plan(page_query(query, cursor=cursor, now=now)))
            if is_sqlite():
                assert "USING INDEX" in plan or "USING COVERING INDEX" in plan, (name, plan)
                assert not any(
                    line.startswith("SCAN") and "INDEX" not in line for line in plan.splitlines()
                ), (name, plan)
                assert "TEMP B-TREE" not in plan, (name, plan)  # the index gives the order
            else:
                assert "Index" in plan and "Seq Scan" not in plan, (name, plan)


@pytest.mark.parametrize("visit_type", ["nfz", "private", "in_person", "remote"])
def test_visit_type_alone_still_uses_the_time_ordered_index(ctx, visit_type):
    fac, doc = f.facility(), f.staff()
    f.schedule(doc, fac, services=[f.service(private=True, remote=True)])
    today = local_today()
    query = SearchQuery(date_from=today, date_to=today + timedelta(days=14), visit_type=visit_type)
    plan = "\n".join(_plan(page_query(query, cursor=None, now=utcnow())))
    if is_sqlite():
        assert "slot_search" in plan, plan
    else:
        assert "Index" in plan and "Seq Scan" not in plan, plan
