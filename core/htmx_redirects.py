"""htmx-boosted requests get the page a redirect points to, not the redirect (issue 14).

A boosted form (hx-boost) that POSTs and is answered "303 See Other" costs a phone two round
trips: the POST, then the GET that the browser's XHR makes of the Location. This WSGI
middleware saves the second one: when a request carries `HX-Request: true` and
`HX-Boosted: true` and the app answers 302 or 303 with a local Location (a path on this
app, never another host), it runs the GET of that Location through the whole app itself,
as an ordinary request (same client address and headers; the cookies the first answer set
in place of the old ones, e.g. the new session after log-in or the flash message), and
answers with that page when it is a 200: its status, headers and body, the first answer's
Set-Cookie headers before its own, and `HX-Push-Url: <Location>` so the address bar shows
the page's real URL.

Everything else passes through untouched: requests that are not boosted (not even
buffered), other statuses, an off-site or odd Location, and a GET that is not a 200 (the
browser then gets the original redirect and follows it itself, as without this). One hop at
most: the followed GET's own redirect is never followed. CSRF, rate limits and session rules
are the app's and see the GET like any other request.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit

FOLLOWED = ("302", "303")
BODY_HEADERS = ("CONTENT_TYPE", "CONTENT_LENGTH", "HTTP_CONTENT_ENCODING", "HTTP_ORIGIN")


def _is_boosted(environ: dict[str, Any]) -> bool:
    return environ.get("HTTP_HX_REQUEST") == "true" and environ.get("HTTP_HX_BOOSTED") == "true"


def local_location(location: str | None, script_name: str = "") -> tuple[str, str] | None:
    """(path inside the app, query string) of a Location on this app, else None.

    Only a path: no scheme, no host, no '//' or backslash, no control characters, and under
    the app's SCRIPT_NAME when it is mounted below one."""
    if not location or not location.startswith("/") or location.startswith("//"):
        return None
    if "\\" in location or any(ord(c) < 33 or ord(c) > 126 for c in location):
        return None
    parts = urlsplit(location)
    if parts.scheme or parts.netloc:
        return None
    path = parts.path
    if script_name:
        if not (path == script_name or path.startswith(script_name.rstrip("/") + "/")):
            return None
        path = path[len(script_name.rstrip("/")) :] or "/"
    return path, parts.query


def _cookie_deleted(attributes: list[str]) -> bool:
    for attribute in attributes:
        name, _eq, value = attribute.strip().partition("=")
        name = name.strip().lower()
        if name == "max-age":
            try:
                return int(value.strip()) <= 0
            except ValueError:
                continue
        if name == "expires":
            try:
                expires = parsedate_to_datetime(value.strip())
            except (TypeError, ValueError):
                continue
            return expires.year < 2000  # how the app deletes: the epoch
    return False


def _path_matches(attributes: list[str], path: str) -> bool:
    for attribute in attributes:
        name, _eq, value = attribute.strip().partition("=")
        if name.strip().lower() == "path":
            prefix = value.strip() or "/"
            return path == prefix or path.startswith(prefix.rstrip("/") + "/")
    return True


def cookies_after(cookie_header: str, set_cookies: Iterable[str], path: str) -> str:
    """The Cookie header a browser would send to `path` after these Set-Cookie headers."""
    jar: dict[str, str] = {}
    for pair in cookie_header.split(";"):
        name, eq, value = pair.strip().partition("=")
        if name and eq:
            jar[name] = value
    for line in set_cookies:
        first, *attributes = line.split(";")
        name, eq, value = first.strip().partition("=")
        if not name or not eq:
            continue
        if _cookie_deleted(attributes):
            jar.pop(name, None)
        elif _path_matches(attributes, path):
            jar[name] = value.strip()
    return "; ".join(f"{name}={value}" for name, value in jar.items())


class _Answer:
    """One run of the app: status and headers; the body read whole only by `read()`."""

    def __init__(self, app: Callable, environ: dict[str, Any]) -> None:
        self.status = ""
        self.headers: list[tuple[str, str]] = []
        self.exc_info = None
        self.written: list[bytes] = []  # the old write() callable, should the app use it

        def start_response(status, headers, exc_info=None):
            self.status, self.headers, self.exc_info = status, list(headers), exc_info
            return self.written.append

        self.body: Iterable[bytes] = app(environ, start_response)

    def read(self) -> None:
        body = self.body
        try:
            chunks = [*self.written, *body]
        finally:
            if hasattr(body, "close"):
                body.close()
        self.body, self.written = chunks, []

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def all(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]


class FollowBoostedRedirects:
    """WSGI middleware: see the module's docstring. `app.wsgi_app = FollowBoostedRedirects(…)`."""

    def __init__(self, app: Callable) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        if not _is_boosted(environ):
            return self.app(environ, start_response)
        pristine = dict(environ)  # before the app (or ProxyFix) writes into it
        first = _Answer(self.app, environ)
        if first.status[:3] not in FOLLOWED:
            if first.written:
                first.read()
            start_response(first.status, first.headers, first.exc_info)
            return first.body  # not a redirect: streamed on untouched
        first.read()
        answer = self._follow(pristine, first) or first
        start_response(answer.status, answer.headers, answer.exc_info)
        return answer.body

    def _follow(self, pristine: dict[str, Any], first: _Answer) -> _Answer | None:
        location = first.header("Location") or ""
        target = local_location(location, pristine.get("SCRIPT_NAME", ""))
        if target is None:
            return None
        path, query = target
        environ = dict(pristine)
        for key in BODY_HEADERS:
            environ.pop(key, None)
        environ.update(
            {
                "REQUEST_METHOD": "GET",
                "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
                "QUERY_STRING": query,
                "REQUEST_URI": location,
                "RAW_URI": location,
                "wsgi.input": io.BytesIO(b""),
            }
        )
        cookie = cookies_after(
            pristine.get("HTTP_COOKIE", ""),
            first.all("Set-Cookie"),
            unquote_to_bytes(urlsplit(location).path).decode("utf-8", "replace"),
        )
        if cookie:
            environ["HTTP_COOKIE"] = cookie
        else:
            environ.pop("HTTP_COOKIE", None)
        second = _Answer(self.app, environ)
        second.read()
        if second.status[:3] != "200":
            return None  # the browser follows the redirect itself, as without this
        second.headers = [
            *(("Set-Cookie", value) for value in first.all("Set-Cookie")),
            *((k, v) for k, v in second.headers if k.lower() != "hx-push-url"),
            ("HX-Push-Url", location),
        ]
        return second
