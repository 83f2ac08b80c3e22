"""Friendly error pages in the user's language; a reference id instead of a traceback."""

from __future__ import annotations

import logging
import secrets
import time
from datetime import timedelta

import peewee
from flask import Flask, Response, g, request
from flask_babel import format_timedelta
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .htmx import is_htmx_fragment_request, render

log = logging.getLogger("wizyta.errors")

TITLES = {
    400: _l("Nieprawidłowe żądanie"),
    403: _l("Brak dostępu"),
    404: _l("Nie znaleziono strony"),
    405: _l("Niedozwolona metoda"),
    409: _l("Konflikt"),
    413: _l("Za dużo danych"),
    422: _l("Nieprawidłowe dane"),
    429: _l("Za dużo prób"),
    500: _l("Błąd serwera"),
    503: _l("Chwilowa przerwa"),
}


class DomainError(Exception):
    """A clinic rule said no. It carries its HTTP `status` and `message`, what to tell the
    person, translated when read (in the request's language). A view that shows the refusal
    inside its own form catches the error and uses both; anything it lets through reaches the
    one handler in install_error_pages: the error page, or for htmx the message retargeted
    into <main>. Services subclass it (services.booking_errors.BookingError,
    services.accounts.LoginRefused, services.account_changes.AccountChangeRefused)."""

    status: int = 409

    @property
    def message(self) -> str:
        return _("Nie udało się obsłużyć żądania.")


FALLBACK = (
    "<!doctype html><html lang=pl><meta charset=utf-8><title>Błąd</title>"
    "<h1>Błąd serwera</h1><p>Spróbuj ponownie za chwilę. Numer zgłoszenia: {ref}</p>"
)


def _page(status: int, message: str, reference: str = "", retry_after: str | None = None):
    try:
        # htmx gets only the message, swapped into <main> wherever the request was aimed,
        # so a failed htmx action (expired form, rate limit, lost page) is never silent.
        response = render(
            "errors/error.html",
            block="content",
            status=status,
            code=status,
            title=str(TITLES.get(status, _l("Błąd"))),
            message=message,
            reference=reference,
        )
    except Exception:  # the error page itself failed: answer with a page that cannot fail
        log.exception("Error page failed for status %s", status)
        response = Response(FALLBACK.format(ref=reference or "-"), status, mimetype="text/html")
    if is_htmx_fragment_request():
        response.headers["HX-Retarget"] = "#main"
        response.headers["HX-Reswap"] = "innerHTML"
    if retry_after:
        response.headers["Retry-After"] = retry_after
    return response


error_page = _page


def _retry_after(error: HTTPException) -> int:
    """Seconds until the limit that was hit lets the next request through."""
    from .extensions import limiter

    if error.response is not None and error.response.headers.get("Retry-After", "").isdigit():
        return max(1, int(error.response.headers["Retry-After"]))
    current = limiter.current_limit
    if current is not None:
        return max(1, int(current.reset_at - time.time()) + 1)
    return 60


def wait_message(seconds: int) -> str:
    """'Spróbuj ponownie za 2 minuty.' — how long to wait, in the user's language."""
    return _(
        "Wykonano zbyt wiele prób w krótkim czasie. Spróbuj ponownie %(when)s.",
        when=format_timedelta(timedelta(seconds=seconds), granularity="second", add_direction=True),
    )


def install_error_pages(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError):
        log.info("CSRF refused on %s: %s", request.path, error.description)
        return _page(
            400,
            _(
                "Formularz wygasł lub nie pochodzi z tej strony. Odśwież stronę "
                "i spróbuj ponownie — nic nie zostało zapisane."
            ),
        )

    @app.errorhandler(DomainError)
    def _domain(error: DomainError):
        return _page(error.status, error.message)

    @app.errorhandler(429)
    def _too_many(error: HTTPException):
        seconds = _retry_after(error)
        return _page(429, wait_message(seconds), retry_after=str(seconds))

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        messages = {
            403: _("Nie masz dostępu do tej strony."),
            404: _("Strona, której szukasz, nie istnieje lub została przeniesiona."),
            405: _("Ta strona nie obsługuje takiego żądania."),
            413: _(
                "Formularz przysłał więcej danych, niż przyjmujemy (najwyżej %(kb)s KB). "
                "Skróć wpisany tekst i wyślij ponownie — nic nie zostało zapisane.",
                kb=(request.max_content_length or 0) // 1024,  # a file route has its own
            ),
        }
        status = error.code or 500
        message = messages.get(status, _("Nie udało się obsłużyć żądania."))
        return _page(status, message)

    @app.errorhandler(peewee.OperationalError)
    @app.errorhandler(peewee.InterfaceError)
    def _database_unavailable(error: Exception):
        """The database is down or refuses: a full page in the user's language, without it.

        The layout asks who is logged in, which needs the database; this page is shown as
        to a visitor, so it cannot fail for the same reason as the request it answers.
        """
        from flask_login import AnonymousUserMixin

        log.error("Database unavailable on %s: %s", request.path, str(error).strip()[:300])
        g._login_user = AnonymousUserMixin()
        return _page(
            503,
            _(
                "Nie możemy teraz połączyć się z bazą danych przychodni. Spróbuj ponownie "
                "za chwilę — to, co już zapisałeś, jest bezpieczne."
            ),
            retry_after="30",
        )

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        reference = secrets.token_hex(4).upper()
        log.exception("Unhandled error, reference %s, path %s", reference, request.path)
        return _page(
            500,
            _("Coś poszło nie tak po naszej stronie. Spróbuj ponownie za chwilę."),
            reference=reference,
        )
