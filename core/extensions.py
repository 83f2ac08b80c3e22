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


def worker_share(limits: str, workers: int) -> str:
    """Each of `workers` processes' share of a limit: "10 per minute" over 4 -> "3 per 1 minute".

    Rounded up, so a small limit never becomes zero; the sum stays close to the limit.
    """
    from limits import parse_many

    if workers <= 1:
        return limits
    shares = []
    for item in parse_many(limits):
        amount = max(1, -(-item.amount // workers))
        shares.append(f"{amount} per {item.multiples} {item.GRANULARITY.name}")
    return ";".join(shares)


def storage_is_down() -> bool:
    """True while Flask-Limiter answers from its in-memory fallback (Redis unreachable)."""
    return bool(getattr(limiter, "_storage_dead", False))


def configured_limit(name: str, default: str) -> Callable[[], str]:
    """A rate limit read from the config when a request is checked (tunable per clinic).

    While the shared storage (Redis) is down, each worker counts alone in memory: it then
    allows only its share (WEB_CONCURRENCY workers), so the whole site stays near the limit.
    """

    def current() -> str:
        value = current_app.config.get(name, default)
        if storage_is_down():
            return worker_share(value, int(current_app.config.get("WEB_CONCURRENCY") or 1))
        return value

    return current


babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()
limiter = Limiter(key_func=client_ip, default_limits=[])
