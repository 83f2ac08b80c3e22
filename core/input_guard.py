"""One gate for every form: control characters are refused before any view or query runs.

A NUL byte is valid UTF-8 but PostgreSQL refuses it in text ("A string literal cannot contain
NUL"), and other control characters have no business in a name, an address or a password.
Checking here, over every submitted value (form body and query string), covers every form of
every blueprint at once — a form added later cannot forget it (ASVS V5.1.3, V5.1.4).
Tab, line feed and carriage return stay allowed: a textarea sends them.
"""

from __future__ import annotations

import re

from flask import Flask, request
from flask_babel import gettext as _
from werkzeug.exceptions import UnprocessableEntity

# C0 controls except \t \n \r, DEL and the C1 controls.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


class ControlCharacters(UnprocessableEntity):
    """A submitted value held a control character; nothing was read or stored."""

    def __init__(self, field: str) -> None:
        super().__init__(f"control character in {field!r}")
        self.field = field


def offending_field() -> str | None:
    """The name of the first submitted value (or name) that holds a control character."""
    sources = [request.args]
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        sources.append(request.form)
    for values in sources:
        for name, value in values.items(multi=True):
            if CONTROL.search(name) or CONTROL.search(value):
                return name
    return None


def message() -> str:
    return _(
        "Formularz zawiera niedozwolone znaki sterujące (np. znak NUL). Usuń je i wyślij "
        "formularz ponownie — nic nie zostało zapisane."
    )


def install(app: Flask) -> None:
    """Register the gate (after CSRF, so a forged request is still refused as such)."""

    @app.before_request
    def _refuse_control_characters() -> None:
        field = offending_field()
        if field is not None:
            raise ControlCharacters(field)

    @app.errorhandler(ControlCharacters)
    def _refused(error: ControlCharacters):
        return refusal(error)


def refusal(error: ControlCharacters):
    """The 422 page (or htmx fragment) for refused input."""
    from .errors import error_page

    return error_page(422, message())
