"""The search's input: the GET parameters read into a SearchQuery, and the paging cursor."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import gettext as _

from services.catalogue_cache import catalogue

DEFAULT_RANGE_DAYS = 14
MAX_RANGE_DAYS = 92
VISIT_TYPES = ("nfz", "private", "remote", "in_person")
ID_FIELDS = ("facility", "specialty", "service", "staff")
MAX_ID = 2**31 - 1
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2199, 12, 31)
_CURSOR = re.compile(r"^(\d{14})-(\d{1,10})$")


@dataclass(frozen=True)
class Cursor:
    """Where the next page starts: after this (starts_at, id)."""

    starts_at: datetime
    slot_id: int

    def encode(self) -> str:
        return f"{self.starts_at:%Y%m%d%H%M%S}-{self.slot_id}"

    @classmethod
    def decode(cls, raw: str | None) -> Cursor | None:
        """A cursor from the URL; anything malformed means "the first page"."""
        match = _CURSOR.match((raw or "").strip())
        if not match:
            return None
        try:
            starts_at = datetime.strptime(match.group(1), "%Y%m%d%H%M%S")
        except ValueError:
            return None
        return cls(starts_at, int(match.group(2)))


@dataclass(frozen=True)
class SearchQuery:
    """A validated search; dates are Europe/Warsaw days, both inclusive."""

    date_from: date
    date_to: date
    facility: int | None = None
    specialty: int | None = None
    service: int | None = None
    staff: int | None = None
    visit_type: str = ""

    def params(self, **changes: object) -> dict[str, str]:
        """The whole query as URL parameters (empty ones left out), with optional changes."""
        values: dict[str, object] = {
            "facility": self.facility,
            "specialty": self.specialty,
            "service": self.service,
            "staff": self.staff,
            "date_from": self.date_from.isoformat(),
            "date_to": self.date_to.isoformat(),
            "visit_type": self.visit_type,
            **changes,
        }
        return {k: str(v) for k, v in values.items() if v not in (None, "")}


def _parse_id(raw: str) -> int | None:
    raw = raw.strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 10 or not 0 < int(raw) <= MAX_ID:
        raise ValueError(raw)
    return int(raw)


def _parse_date(raw: str) -> date | None:
    raw = raw.strip()
    if not raw:
        return None
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        raise ValueError(raw)
    value = date.fromisoformat(raw)
    if not EARLIEST_DATE <= value <= LATEST_DATE:  # far dates overflow the UTC conversion
        raise ValueError(raw)
    return value


def parse_query(args: Mapping[str, str], today: date) -> tuple[SearchQuery, dict[str, str]]:
    """Read the GET parameters. Returns the query (sane defaults where input was bad) and
    the messages per parameter; the query is only to be searched when there are none."""
    errors: dict[str, str] = {}
    ids: dict[str, int | None] = {}
    for name in ID_FIELDS:
        try:
            ids[name] = _parse_id(args.get(name, ""))
        except ValueError:
            ids[name] = None
            errors[name] = str(_("Wybierz pozycję z listy."))

    dates: dict[str, date | None] = {}
    for name in ("date_from", "date_to"):
        try:
            value = _parse_date(args.get(name, ""))
        except ValueError:
            value = None
            errors[name] = str(
                _(
                    "Podaj datę w formacie RRRR-MM-DD, od %(first)s do %(last)s.",
                    first=EARLIEST_DATE.isoformat(),
                    last=LATEST_DATE.isoformat(),
                )
            )
        dates[name] = value
    date_from = dates["date_from"] or today
    date_to = dates["date_to"] or date_from + timedelta(days=DEFAULT_RANGE_DAYS)
    if "date_from" not in errors and "date_to" not in errors:
        if date_to < date_from:
            errors["date_to"] = str(_("Data końcowa nie może być wcześniejsza niż początkowa."))
        elif (date_to - date_from).days + 1 > MAX_RANGE_DAYS:
            errors["date_to"] = str(
                _("Zakres dat może obejmować najwyżej %(days)d dni.", days=MAX_RANGE_DAYS)
            )
    if date_to < date_from or (date_to - date_from).days + 1 > MAX_RANGE_DAYS:
        date_to = date_from + timedelta(days=DEFAULT_RANGE_DAYS)

    visit_type = args.get("visit_type", "").strip()
    if visit_type not in ("", *VISIT_TYPES):
        errors["visit_type"] = str(_("Wybierz rodzaj wizyty z listy."))
        visit_type = ""

    query = SearchQuery(date_from=date_from, date_to=date_to, visit_type=visit_type, **ids)
    errors.update(check_references(query))
    return query, errors


def check_references(query: SearchQuery) -> dict[str, str]:
    """Ids that name nothing in the clinic are input errors, not empty results."""
    known = catalogue()
    errors: dict[str, str] = {}
    for name, items in (
        ("facility", known.facilities),
        ("specialty", known.specialties),
        ("service", known.services),
        ("staff", known.staff),
    ):
        value = getattr(query, name)
        if value is not None and value not in items:
            errors[name] = str(_("Wybierz pozycję z listy."))
    return errors
