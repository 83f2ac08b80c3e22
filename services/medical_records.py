"""Vaccinations, referrals and recommendations of a patient: what staff record (record a
vaccination, issue a referral, complete a visit with recommendations) and what the panel
lists, plus the paging and search filters every panel list shares."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import peewee as pw
from flask_babel import gettext as _

from core.errors import DomainError
from core.timeutil import local_today
from models.base import write_transaction
from models.booking import Appointment
from models.clinic import Facility, Service, Slot, Specialty, StaffMember
from models.medical import Recommendation, Referral, Vaccination
from models.patients import Patient

PAGE_SIZE = 10
SEARCH_MAX = 100
REFERRAL_VALID_DAYS = 365


class MedicalRecordError(DomainError):
    """A record staff tried to write breaks a rule; `status` 422 (bad input) or 409."""

    status = 422

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self._message = message
        self.status = status

    @property
    def message(self) -> str:
        return self._message


def access_code() -> str:
    """A 4-digit access code ("kod dostępu") as the e-prescription and e-referral carry."""
    return f"{secrets.randbelow(10000):04d}"


@dataclass
class Page:
    """One page of a list: its rows, the page number and whether more pages follow."""

    rows: list[Any]
    number: int
    has_next: bool
    total: int

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def paginate(query: pw.ModelSelect, number: int, size: int = PAGE_SIZE) -> Page:
    """Offset paging for the short per-patient lists (a patient has tens of rows, not
    thousands, so OFFSET costs nothing here)."""
    number = max(1, number)
    total = query.count()
    rows = list(query.paginate(number, size))
    return Page(rows=rows, number=number, has_next=number * size < total, total=total)


@dataclass
class Filters:
    """A panel list's search: text, kind and date range, already checked; `errors` names
    the fields that were not valid (the view answers 422 and shows them)."""

    q: str = ""
    kind: str = ""
    date_from: date | None = None
    date_to: date | None = None
    page: int = 1
    errors: dict[str, str] = field(default_factory=dict)

    def params(self) -> dict[str, str]:
        values = {
            "q": self.q,
            "kind": self.kind,
            "date_from": self.date_from.isoformat() if self.date_from else "",
            "date_to": self.date_to.isoformat() if self.date_to else "",
        }
        return {k: v for k, v in values.items() if v}


def parse_filters(args: Any, kinds: tuple[str, ...] = ()) -> Filters:
    """Read q/kind/date_from/date_to/page from a query string; never raises."""
    found = Filters(q=(args.get("q") or "").strip()[:SEARCH_MAX])
    kind = (args.get("kind") or "").strip() if kinds else ""
    if kind and kind not in kinds:
        found.errors["kind"] = _("Wybierz rodzaj z listy.")
    else:
        found.kind = kind
    for name in ("date_from", "date_to"):
        raw = (args.get(name) or "").strip()
        if not raw:
            continue
        try:
            value = date.fromisoformat(raw[:10]) if len(raw) == 10 else None
        except ValueError:
            value = None
        if value is None or not 1900 <= value.year <= 2200:
            found.errors[name] = _("Podaj datę w formacie RRRR-MM-DD.")
        else:
            setattr(found, name, value)
    if found.date_from and found.date_to and found.date_from > found.date_to:
        found.errors["date_to"] = _("Data „do” nie może być wcześniejsza niż data „od”.")
    raw_page = (args.get("page") or "1").strip()
    found.page = int(raw_page) if raw_page.isdigit() and len(raw_page) < 6 else 1
    return found


def _like(text: str) -> str:
    """An ILIKE pattern for a substring: the patient's % and _ are not wildcards."""
    return "%" + text.replace("\\", "").replace("%", "").replace("_", "") + "%"


def _in_range(column: pw.Field, filters: Filters) -> pw.Expression:
    condition = column.is_null(False)
    if filters.date_from:
        condition &= column >= filters.date_from
    if filters.date_to:
        condition &= column <= filters.date_to
    return condition


# --- vaccinations ---------------------------------------------------------------------


def record_vaccination(
    patient: Patient,
    name: str,
    on_date: date,
    dose: str = "",
    status: str = "done",
    facility: Facility | None = None,
    batch: str = "",
    note: str = "",
) -> Vaccination:
    """Staff record a vaccination given, or plan one (status "planned")."""
    name = name.strip()
    if not name or len(name) > 200:
        raise MedicalRecordError(_("Podaj nazwę szczepionki (najwyżej 200 znaków)."))
    if status not in ("done", "planned"):
        raise MedicalRecordError(_("Nieznany stan szczepienia."))
    if status == "done" and on_date > local_today():
        raise MedicalRecordError(_("Szczepienie wykonane nie może mieć daty z przyszłości."))
    return Vaccination.create(
        patient=patient,
        name=name,
        on_date=on_date,
        dose=dose.strip()[:60],
        status=status,
        facility=facility,
        batch=batch.strip()[:60],
        note=note.strip()[:500],
    )


def vaccinations(patient: Patient, filters: Filters) -> Page:
    """The patient's vaccinations, planned first (soonest first), then done (newest first)."""
    query = (
        Vaccination.select(Vaccination, Facility)
        .join(Facility, pw.JOIN.LEFT_OUTER)
        .where(Vaccination.patient == patient.id)
    )
    if filters.q:
        query = query.where(Vaccination.name ** _like(filters.q))
    if filters.kind:
        query = query.where(Vaccination.status == filters.kind)
    if filters.date_from or filters.date_to:
        query = query.where(_in_range(Vaccination.on_date, filters))
    planned_first = pw.Case(None, [(Vaccination.status == "planned", 0)], 1)
    query = query.order_by(planned_first, Vaccination.on_date.desc(), Vaccination.id.desc())
    return paginate(query, filters.page)


# --- referrals ------------------------------------------------------------------------


def issue_referral(
    patient: Patient,
    staff: StaffMember,
    target: str,
    specialty: Specialty | None = None,
    service: Service | None = None,
    valid_days: int | None = REFERRAL_VALID_DAYS,
    diagnosis: str = "",
    issued_on: date | None = None,
) -> Referral:
    """A doctor issues an e-referral to a specialty or a test; it gets its access code."""
    target = target.strip()
    if not target or len(target) > 200:
        raise MedicalRecordError(_("Podaj cel skierowania (najwyżej 200 znaków)."))
    issued_on = issued_on or local_today()
    return Referral.create(
        patient=patient,
        staff=staff,
        target=target,
        specialty=specialty or (service.specialty if service else None),
        service=service,
        issued_on=issued_on,
        valid_until=issued_on + timedelta(days=valid_days) if valid_days else None,
        access_code=access_code(),
        diagnosis=diagnosis.strip()[:200],
    )


def referrals(patient: Patient, filters: Filters) -> Page:
    query = (
        Referral.select(Referral, StaffMember)
        .join(StaffMember)
        .where(Referral.patient == patient.id)
        .order_by(Referral.issued_on.desc(), Referral.id.desc())
    )
    if filters.q:
        query = query.where(Referral.target ** _like(filters.q))
    if filters.date_from or filters.date_to:
        query = query.where(_in_range(Referral.issued_on, filters))
    return paginate(query, filters.page)


def referral_for(patient: Patient, referral_id: int) -> Referral | None:
    """The patient's referral, or None when the id is not theirs (one query, by owner)."""
    return Referral.get_or_none((Referral.id == referral_id) & (Referral.patient == patient.id))


# --- recommendations ------------------------------------------------------------------


def complete_visit(
    appointment: Appointment, staff: StaffMember, recommendations: list[str]
) -> list[Recommendation]:
    """The doctor ends a visit: it becomes "completed" and keeps the recommendations."""
    texts = [text.strip() for text in recommendations if text and text.strip()]
    if any(len(text) > 4000 for text in texts):
        raise MedicalRecordError(_("Zalecenie może mieć najwyżej 4000 znaków."))
    if appointment.status not in ("booked", "completed"):
        raise MedicalRecordError(_("Tej wizyty nie można zakończyć: została odwołana."), 409)
    with write_transaction():
        Appointment.update(status="completed").where(Appointment.id == appointment.id).execute()
        made = [
            Recommendation.create(
                patient=appointment.patient_id, appointment=appointment.id, staff=staff, text=text
            )
            for text in texts
        ]
    appointment.status = "completed"
    return made


def recommendations(patient: Patient, filters: Filters) -> Page:
    query = (
        Recommendation.select(Recommendation, Appointment, Slot, StaffMember)
        .join(Appointment)
        .join(Slot)
        .switch(Recommendation)
        .join(StaffMember)
        .where(Recommendation.patient == patient.id)
        .order_by(Slot.starts_at.desc(), Recommendation.id)
    )
    if filters.q:
        query = query.where(Recommendation.text ** _like(filters.q))
    return paginate(query, filters.page)
