"""Reading the audit log for the admin: filters (who, whose, what, dates), pages and CSV.

The CSV is safe to open in a spreadsheet: a cell that starts with =, +, -, @, a tab or a
carriage return gets a leading apostrophe, so a login or a detail typed by an attacker is
shown as text and never run as a formula (OWASP "CSV injection").
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, time, timedelta

import peewee as pw

from core.timeutil import local_to_utc, to_local
from models.audit import AuditEvent

from .paging import Page, paginate

CSV_COLUMNS = (
    "at",
    "actor_login",
    "actor_role",
    "account_id",
    "action",
    "patient_id",
    "subject_account_id",
    "object_type",
    "object_id",
    "ip",
    "details",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MAX_EXPORT = 100_000


@dataclass(frozen=True)
class AuditFilter:
    who: str = ""  # actor login (exact, case-insensitive) or account id
    whose: int | None = None  # patient id
    what: str = ""  # action prefix, e.g. "admin." or "read."
    date_from: date | None = None
    date_to: date | None = None

    def as_params(self) -> dict[str, str]:
        values = {
            "who": self.who,
            "whose": "" if self.whose is None else str(self.whose),
            "what": self.what,
            "date_from": self.date_from.isoformat() if self.date_from else "",
            "date_to": self.date_to.isoformat() if self.date_to else "",
        }
        return {k: v for k, v in values.items() if v}


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def query(f: AuditFilter) -> pw.ModelSelect:
    q = AuditEvent.select()
    if f.who:
        if f.who.isdigit() and len(f.who) < 12:
            q = q.where(AuditEvent.account_id == int(f.who))
        else:
            q = q.where(pw.fn.LOWER(AuditEvent.actor_login) == f.who.lower())
    if f.whose is not None:
        q = q.where(AuditEvent.patient_id == f.whose)
    if f.what:
        q = q.where(AuditEvent.action ** (_escape_like(f.what) + "%"))
    if f.date_from:
        q = q.where(AuditEvent.at >= local_to_utc(f.date_from, time.min))
    if f.date_to:
        q = q.where(AuditEvent.at < local_to_utc(f.date_to + timedelta(days=1), time.min))
    return q.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())


def page(f: AuditFilter, number: int) -> Page:
    return paginate(query(f), number, per_page=50)


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_lines(f: AuditFilter) -> Iterator[str]:
    """The filtered log as CSV, streamed line by line (Europe/Warsaw times)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        line = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate(0)
        return line

    writer.writerow(CSV_COLUMNS)
    yield flush()
    for event in query(f).limit(MAX_EXPORT).iterator():
        row = []
        for column in CSV_COLUMNS:
            value = getattr(event, column)
            if column == "at":
                value = to_local(value).strftime("%Y-%m-%d %H:%M:%S")
            row.append(safe_cell(value))
        writer.writerow(row)
        yield flush()
