"""RODO requests ("wnioski"): information about the processing of personal data (art. 15),
rectification (art. 16), access to the medical documentation (a copy, a scan or an
inspection; ustawa o prawach pacjenta art. 27). The clinic answers within one month
(RODO art. 12(3)); the patient may withdraw a request the clinic has not handled yet."""

from __future__ import annotations

import calendar
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.errors import DomainError
from core.timeutil import to_local
from models.accounts import Account
from models.base import utcnow, write_transaction
from models.medical import ACCESS_FORMS, REQUEST_KINDS, DataRequest
from models.patients import Patient
from services.medical_records import Page, paginate

DESCRIPTION_MAX = 2000
ANSWER_MAX = 4000
OPEN_REQUESTS_MAX = 10

KIND_LABELS = {
    "information": _l("Informacja o przetwarzaniu danych osobowych"),
    "rectification": _l("Sprostowanie danych"),
    "documentation": _l("Dostęp do dokumentacji medycznej"),
}
ACCESS_FORM_LABELS = {
    "copy": _l("kopia papierowa"),
    "scan": _l("skan (plik)"),
    "inspection": _l("wgląd w przychodni"),
}
STATUS_LABELS = {
    "submitted": _l("złożony, czeka na odpowiedź"),
    "answered": _l("załatwiony"),
    "closed": _l("zamknięty"),
    "withdrawn": _l("wycofany"),
}


class DataRequestError(DomainError):
    """A request that cannot be filed or changed; `field` names the form field to mark."""

    status = 422

    def __init__(self, message: str, status: int = 422, field: str = "") -> None:
        super().__init__(message)
        self._message = message
        self.status = status
        self.field = field

    @property
    def message(self) -> str:
        return self._message


class RequestNotOpen(DataRequestError):
    def __init__(self) -> None:
        super().__init__(
            _("Ten wniosek został już załatwiony lub wycofany; nie można go zmienić."), 409
        )


def one_month_after(day: date) -> date:
    """The same day of the next month, or its last day (31 Jan → 28/29 Feb)."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def submit_request(
    account: Account | None,
    patient: Patient,
    kind: str,
    description: str,
    access_form: str = "",
) -> DataRequest:
    """The patient (or their guardian) files a request; the one-month deadline starts."""
    description = description.strip()
    if kind not in REQUEST_KINDS:
        raise DataRequestError(_("Wybierz rodzaj wniosku z listy."), field="kind")
    if kind == "documentation" and access_form not in ACCESS_FORMS:
        raise DataRequestError(_("Wybierz formę udostępnienia dokumentacji."), field="access_form")
    if kind != "documentation":
        access_form = ""
    if not description:
        raise DataRequestError(_("Opisz, czego dotyczy wniosek."), field="description")
    if len(description) > DESCRIPTION_MAX:
        raise DataRequestError(_("Opis może mieć najwyżej 2000 znaków."), field="description")
    waiting = (
        DataRequest.select()
        .where((DataRequest.patient == patient.id) & (DataRequest.status == "submitted"))
        .count()
    )
    if waiting >= OPEN_REQUESTS_MAX:
        raise DataRequestError(
            _("Masz już %(n)s wniosków czekających na odpowiedź.", n=OPEN_REQUESTS_MAX), 429
        )
    now = utcnow()
    return DataRequest.create(
        patient=patient,
        submitted_by=account,
        kind=kind,
        access_form=access_form,
        description=description,
        created_at=now,
        due_on=one_month_after(to_local(now).date()),
    )


def _finish(request: DataRequest, status: str, **changes) -> None:
    """A conditional UPDATE: only a request still submitted changes (RequestNotOpen else)."""
    with write_transaction():
        changed = (
            DataRequest.update(status=status, handled_at=utcnow(), **changes)
            .where((DataRequest.id == request.id) & (DataRequest.status == "submitted"))
            .execute()
        )
    if not changed:
        raise RequestNotOpen()
    request.status = status
    for name, value in changes.items():
        setattr(request, name, value)


def withdraw_request(request: DataRequest) -> None:
    _finish(request, "withdrawn")


def answer_request(
    request: DataRequest, answer: str, staff: Account | None, close: bool = False
) -> None:
    """Staff answer a request ("answered"), or close it with an explanation ("closed")."""
    answer = answer.strip()
    if not answer or len(answer) > ANSWER_MAX:
        raise DataRequestError(_("Wpisz odpowiedź (najwyżej 4000 znaków)."))
    _finish(request, "closed" if close else "answered", answer=answer, handled_by=staff)


def request_for(patient: Patient, request_id: int) -> DataRequest | None:
    return DataRequest.get_or_none(
        (DataRequest.id == request_id) & (DataRequest.patient == patient.id)
    )


def requests_of(patient: Patient, page: int = 1) -> Page:
    query = (
        DataRequest.select()
        .where(DataRequest.patient == patient.id)
        .order_by(DataRequest.created_at.desc(), DataRequest.id.desc())
    )
    return paginate(query, page)
