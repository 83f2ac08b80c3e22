"""Helpers the panel's medical sections share: whose data (the active person), the 404 for
another patient's object (audited), and the answer of a filtered, paged list."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Response, abort, request

from core import audit
from core.active_person import active_patient
from core.htmx import is_htmx_fragment_request, render
from models.patients import Patient
from services.medical_records import Filters, parse_filters


def patient() -> Patient:
    """The active person (self or a dependant); the panel's before_request ensured a patient."""
    person = active_patient()
    if person is None:
        abort(404)
    return person


def refuse(object_type: str, object_id: int) -> None:
    """ASVS V4.2.1: not this patient's object: audited, answered like a missing page."""
    audit.refused(object_type, object_id)
    abort(404)


def filters(kinds: tuple[str, ...] = ()) -> Filters:
    return parse_filters(request.args, kinds)


@dataclass(frozen=True)
class Listing:
    """What tells one filtered list of the panel from another (panel/filtered_list.html):
    its `name` (the endpoint panel.<name>, the list itself in panel/_<name>.html), the page's
    title, the search field's label, the text of an empty list, and the optional kind filter
    and date range."""

    name: str
    title: str
    q_label: str
    empty: str
    kinds: Mapping[str, Any] | None = None
    kind_label: str | None = None
    dates: bool = True

    @property
    def endpoint(self) -> str:
        return f"panel.{self.name}"

    @property
    def rows(self) -> str:
        return f"panel/_{self.name}.html"


def list_page(listing: Listing, found: Filters, **context: Any) -> Response:
    """The full page, or for htmx the results block; 422 when a filter was not valid."""
    return render(
        "panel/filtered_list.html",
        block="results",
        status=422 if found.errors else 200,
        listing=listing,
        filters=found,
        errors=found.errors,
        fragment=is_htmx_fragment_request(),
        **context,
    )
