"""The clinic's day is the Warsaw day. Between midnight in Warsaw and midnight UTC (the
first one or two hours of every day) the UTC date is still yesterday: a rule that took
"today" from the UTC date refused a vaccination given today as "from the future" — found by
the test suite running at 00:30 Warsaw time."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

import core.timeutil
import models.base
from core.timeutil import WARSAW, local_today
from services import medical_records
from tests import factories as f

ROOT = Path(__file__).resolve().parents[2]
# 00:30 on 30 November in Warsaw: still 29 November in UTC
JUST_AFTER_MIDNIGHT = datetime(2026, 11, 30, 0, 30, tzinfo=WARSAW)


class _Frozen(datetime):
    @classmethod
    def now(cls, tz=None):
        moment = JUST_AFTER_MIDNIGHT.astimezone(tz or UTC)
        return moment if tz else moment.replace(tzinfo=None)


@pytest.fixture
def half_past_midnight(monkeypatch):
    monkeypatch.setattr(core.timeutil, "datetime", _Frozen)
    monkeypatch.setattr(models.base, "datetime", _Frozen)
    assert local_today().isoformat() == "2026-11-30"
    assert models.base.utcnow().date().isoformat() == "2026-11-29"


def test_a_vaccination_given_today_is_not_from_the_future_after_midnight(ctx, half_past_midnight):
    done = medical_records.record_vaccination(f.patient(), "Grypa", local_today(), status="done")
    assert done.on_date == local_today()


def test_a_referral_is_issued_on_the_warsaw_day(ctx, half_past_midnight):
    referral = medical_records.issue_referral(f.patient(), f.staff(), "Poradnia kardiologiczna")
    assert referral.issued_on == local_today()


# what the bug looked like in code: a date taken from UTC, or from the server's own zone
UTC_DAY = re.compile(r"utcnow\(\)\.date\(\)|\bdate\.today\(\)|\b\w+_at\.date\(\)")


# the tests too: a test that takes "today" from UTC fails between 23:00 and 24:00 UTC, when
# Warsaw already has the next day (this file's own clock tests excepted)
NOT_SCANNED = {"demo_medical.py", "test_warsaw_midnight.py"}


def test_no_app_or_test_code_takes_the_day_from_utc_or_the_servers_zone():
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for folder in ("services", "blueprints", "core", "models", "tests")
        for path in (ROOT / folder).rglob("*.py")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if UTC_DAY.search(line) and "to_local(" not in line and path.name not in NOT_SCANNED
    ]
    assert not found, "use local_today() / to_local(...).date():\n" + "\n".join(found)
