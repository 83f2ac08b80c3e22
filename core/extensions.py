"""Flask extensions created once and bound to the app in create_app()."""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app, has_request_context, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

SUPPORTED_LOCALES = ("pl", "en")
LANG_COOKIE = "lang"


def client_ip() -> str:
    """The client address after ProxyFix has applied TRUSTED_PROXIES."""
    return request.remote_addr or "0.0.0.0"  # noqa: S104 - only a rate-limit key


def select_locale() -> str:
    if not has_request_context():  # CLI commands and mail flushes speak the default
        return "pl"
    wanted = request.cookies.get(LANG_COOKIE, "")
    return wanted if wanted in SUPPORTED_LOCALES else "pl"


def configured_limit(name: str, default: str) -> Callable[[], str]:
    """A rate limit read from the config when a request is checked (tunable per clinic)."""
    return lambda: current_app.config.get(name, default)


babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()
limiter = Limiter(key_func=client_ip, default_limits=[])
