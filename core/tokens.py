"""Signed, expiring links (itsdangerous) with one salt per purpose.

A signature alone is not single-use: callers bind the token to a value that changes once
the link has been used (e.g. activation state, password hash, session version) and pass it
as `bound_to`; a token whose bound value no longer matches is refused as used.
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import current_app, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer


class TokenInvalid(Exception):
    """Tampered, for another purpose, or already used."""


class TokenExpired(TokenInvalid):
    """Genuine but too old; the page offers a new link."""


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"wizyta.{purpose}")


def fingerprint(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:16]


def make_token(purpose: str, data: dict[str, Any], bound_to: str = "") -> str:
    return _serializer(purpose).dumps({**data, "_b": fingerprint(bound_to)})


def read_token(purpose: str, token: str, max_age_seconds: int) -> dict[str, Any]:
    """Check signature and age; returns the payload, still to be checked with `is_bound_to`."""
    if not token or len(token) > 1000:
        raise TokenInvalid("empty or overlong token")
    try:
        data = _serializer(purpose).loads(token, max_age=max_age_seconds)
    except SignatureExpired:
        raise TokenExpired("expired") from None
    except BadSignature:
        raise TokenInvalid("bad signature") from None
    if not isinstance(data, dict):
        raise TokenInvalid("bad payload")
    return data


def is_bound_to(data: dict[str, Any], value: str) -> bool:
    return data.get("_b") == fingerprint(value)


def mail_link(endpoint: str, **values: Any) -> str:
    """The absolute address of a page, for an e-mail: BASE_URL, never the request's host."""
    return current_app.config["BASE_URL"].rstrip("/") + url_for(endpoint, **values)


def max_age(setting: str) -> int:
    """A link's validity in seconds, from a setting given in hours."""
    return int(current_app.config[setting]) * 3600
