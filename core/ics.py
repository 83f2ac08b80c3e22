"""Calendar files (.ics, RFC 5545) for visit confirmations, built with icalendar."""

from __future__ import annotations

from datetime import UTC, datetime

from icalendar import Calendar, Event

PRODID = "-//Wizyta//e-Rejestracja//PL"


def _utc(value: datetime) -> datetime:
    """Database times are naive UTC; calendar apps need them marked as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def visit_event(
    *,
    uid: str,
    starts_at: datetime,
    ends_at: datetime,
    summary: str,
    location: str,
    description: str = "",
    cancelled: bool = False,
    now: datetime | None = None,
) -> bytes:
    """One VEVENT in its own calendar: PUBLISH for a booked visit, CANCEL (same UID, higher
    SEQUENCE) for one that was cancelled or moved, so calendar apps update the entry."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", _utc(now or datetime.now(UTC)))
    event.add("dtstart", _utc(starts_at))
    event.add("dtend", _utc(ends_at))
    event.add("summary", summary)
    event.add("location", location)
    if description:
        event.add("description", description)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("sequence", 1 if cancelled else 0)
    event.add("transp", "OPAQUE")
    calendar.add_component(event)
    return calendar.to_ical()
