"""UTC in the database, Europe/Warsaw on screen."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

WARSAW = ZoneInfo("Europe/Warsaw")


def to_local(value: datetime) -> datetime:
    """A naive UTC datetime from the database as an aware Warsaw datetime."""
    return value.replace(tzinfo=UTC).astimezone(WARSAW)


def local_to_utc(day: date, wall: time) -> datetime:
    """A Warsaw wall-clock time on a day as a naive UTC datetime."""
    return datetime.combine(day, wall, tzinfo=WARSAW).astimezone(UTC).replace(tzinfo=None)


def local_today() -> date:
    return datetime.now(WARSAW).date()
