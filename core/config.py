"""Configuration read from the environment (DESIGN.md §5), validated once at start-up.

Every setting's default is in the tables below and nowhere else: code reads
`current_app.config["NAME"]` without a fallback. The clinic's rules (booking horizon and
notice, limits, link lifetimes) reach the services as one value, services.rules.clinic_rules().
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlparse


class ConfigError(Exception):
    """A configuration value that the app cannot start with; the message is one line."""


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{name} must be on/off (true/false, 1/0), got {raw!r}")


def _int(name: str, raw: str, minimum: int = 0) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value


def _float(name: str, raw: str) -> float:
    try:
        value = float(raw.strip())
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, got {raw!r}") from None
    if not 0 < value <= 3600:
        raise ConfigError(f"{name} must be between 0 and 3600 seconds, got {value}")
    return value


def _database_url(raw: str) -> str:
    scheme = urlparse(raw).scheme
    if scheme not in {"sqlite", "postgresql", "postgres", "postgresext"}:
        raise ConfigError(
            f"DATABASE_URL must start with sqlite:/// or postgresql://, got scheme {scheme!r}"
        )
    return raw


def _storage_uri(raw: str) -> str:
    scheme = urlparse(raw).scheme
    if scheme not in {"memory", "redis", "rediss", "redis+sentinel"}:
        raise ConfigError(f"RATELIMIT_STORAGE_URI must be memory:// or redis://…, got {raw!r}")
    return raw


def _rate_limit(name: str, raw: str) -> str:
    """Flask-Limiter syntax, e.g. "10 per minute" or "5/hour;100/day"."""
    from limits import parse_many

    try:
        parse_many(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a rate like '10 per minute', got {raw!r}") from None
    return raw


# The integer settings and their defaults; the environment's text is parsed with int().
_INT_SETTINGS: dict[str, int] = {
    "MAIL_PORT": 25,
    "TRUSTED_PROXIES": 0,
    "LOGIN_MAX_FAILURES": 5,
    "LOGIN_LOCK_MINUTES": 15,
    "IP_MAX_FAILURES": 30,
    "IP_BLOCK_MINUTES": 30,
    "ACTIVATION_MAX_AGE_HOURS": 48,
    "RESET_MAX_AGE_HOURS": 2,
    # A new staff login's set-password link (mailed when the admin creates the account).
    "STAFF_INVITE_MAX_AGE_HOURS": 72,
    "EMAIL_CHANGE_MAX_AGE_HOURS": 24,
    "SESSION_IDLE_MINUTES": 30,
    "SESSION_MAX_HOURS": 12,
    # Staff sessions end sooner: idle minutes and an absolute limit of their own.
    "STAFF_SESSION_MINUTES": 15,
    "STAFF_SESSION_MAX_HOURS": 10,
    "BOOKING_HORIZON_DAYS": 90,
    "BOOKING_MIN_NOTICE_HOURS": 2,
    "CANCEL_MIN_NOTICE_HOURS": 24,
    "BOOKING_LIMIT_PER_SPECIALTY": 2,
    # SMTP: connect and each command; the reply after the message body (RFC 5321 4.5.3.2).
    "MAIL_TIMEOUT": 30,
    "MAIL_DATA_TIMEOUT": 600,
    "MAIL_POLL_SECONDS": 60,
    # gunicorn's own default worker count; with Redis down each worker keeps 1/N of a limit.
    "WEB_CONCURRENCY": 1,
    # the largest file the clinic may share with a patient (services.documents)
    "DOCUMENT_MAX_BYTES": 10 * 1024 * 1024,
}
# Seconds, fractions allowed.
_FLOAT_SETTINGS: dict[str, float] = {
    "RATELIMIT_STORAGE_TIMEOUT": 0.5,
}
_BOOL_SETTINGS: dict[str, bool] = {
    "MAIL_USE_TLS": False,
    "RATELIMIT_ENABLED": True,
    "BOT_CHECK": True,
    # Staff accounts must have two-step verification (off only for a demo).
    "STAFF_REQUIRE_2FA": True,
    # PostgreSQL: the search's statements are PREPAREd once per connection (planned once).
    # Turn off behind a pooler in transaction mode (PgBouncer), which moves a session's
    # statements between server connections.
    "DATABASE_PREPARE": True,
}
_STR_SETTINGS: dict[str, str] = {
    "MAIL_SERVER": "",
    "MAIL_USERNAME": "",
    "MAIL_PASSWORD": "",
    "MAIL_DEFAULT_SENDER": "rejestracja@localhost",
    "BASE_URL": "http://127.0.0.1:5000",
    "CLINIC_NAME": "Przychodnia Wizyta",
    "ADMIN_CONTACT_NAME": "Administrator danych: Przychodnia Wizyta sp. z o.o.",
    "ADMIN_CONTACT_EMAIL": "iod@przychodnia.example",
    "ADMIN_CONTACT_PHONE": "+48 22 000 00 00",
    "ADMIN_CONTACT_ADDRESS": "ul. Zdrowa 1, 00-001 Warszawa",
    # The help page's clinic-specific part (the admin can change both in /admin/settings).
    "CLINIC_OPENING_HOURS": "",
    "CLINIC_LOCALITY_HELP": "",
}


def _dev_secret(instance: Path) -> str:
    """A random key kept under instance/ so development sessions survive a restart."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "dev-secret-key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def load_config(instance_path: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Build the app configuration from environment variables; raise ConfigError if bad."""
    env = dict(os.environ if env is None else env)
    instance = Path(instance_path)
    mode = env.get("WIZYTA_ENV", "production").strip().lower()
    if mode not in {"production", "development"}:
        raise ConfigError(f"WIZYTA_ENV must be production or development, got {mode!r}")
    production = mode == "production"

    cfg: dict[str, Any] = {"WIZYTA_ENV": mode, "PRODUCTION": production}
    for name, default in _INT_SETTINGS.items():
        cfg[name] = _int(name, env[name]) if name in env else default
    for name, default in _FLOAT_SETTINGS.items():
        cfg[name] = _float(name, env[name]) if name in env else default
    for name, default in _BOOL_SETTINGS.items():
        cfg[name] = _bool(name, env[name]) if name in env else default
    for name, default in _STR_SETTINGS.items():
        cfg[name] = env.get(name, default)
    if not 1 <= cfg["MAIL_PORT"] <= 65535:
        raise ConfigError(f"MAIL_PORT must be between 1 and 65535, got {cfg['MAIL_PORT']}")
    if urlparse(cfg["BASE_URL"]).scheme not in {"http", "https"}:
        raise ConfigError(f"BASE_URL must start with http:// or https://, got {cfg['BASE_URL']!r}")

    for name, raw in env.items():
        if name.endswith("_RATE_LIMIT") and name != "RATELIMIT_STORAGE_URI":
            cfg[name] = _rate_limit(name, raw)

    # shared documents: outside the web root (static/), under instance/ unless configured
    cfg["DOCUMENTS_DIR"] = env.get("DOCUMENTS_DIR") or str(instance / "documents")
    # the doctor's upload route only (the rest of the app keeps MAX_CONTENT_LENGTH); read with
    # the integer settings above (its one default is there), only its range is checked here
    if not 1024 <= cfg["DOCUMENT_MAX_BYTES"] <= 100 * 1024 * 1024:
        raise ConfigError(
            f"DOCUMENT_MAX_BYTES must be 1024..104857600, got {cfg['DOCUMENT_MAX_BYTES']}"
        )

    default_db = f"sqlite:///{instance / 'wizyta.sqlite3'}"
    cfg["UNVERIFIED_CAN_BOOK"] = env.get("UNVERIFIED_CAN_BOOK", "all").strip().lower()
    if cfg["UNVERIFIED_CAN_BOOK"] not in {"all", "known-patients", "none"}:
        raise ConfigError(
            "UNVERIFIED_CAN_BOOK must be all, known-patients or none, "
            f"got {env['UNVERIFIED_CAN_BOOK']!r}"
        )

    cfg["DATABASE_URL"] = _database_url(env.get("DATABASE_URL") or default_db)
    cfg["RATELIMIT_STORAGE_URI"] = _storage_uri(env.get("RATELIMIT_STORAGE_URI") or "memory://")

    secret = env.get("SECRET_KEY", "")
    if production and (len(secret) < 32 or secret.lower() in {"dev", "change-me", "secret"}):
        raise ConfigError(
            "SECRET_KEY must be set to a random value of at least 32 characters in production "
            "(e.g. python3 -c 'import secrets; print(secrets.token_hex(32))'), "
            "or set WIZYTA_ENV=development"
        )
    cfg["SECRET_KEY"] = secret or _dev_secret(instance)

    cfg.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=production,
        SESSION_COOKIE_NAME="wizyta_session",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SECURE=production,
        PREFERRED_URL_SCHEME="https" if production else "http",
        # The largest form (registration) is a few KB; nothing is uploaded yet. Uploads will
        # get their own limit on their own route.
        MAX_CONTENT_LENGTH=64 * 1024,
        # CSRF tokens live as long as the session (which has idle and absolute limits), so a
        # form left open for an hour is not refused while the patient is still logged in.
        WTF_CSRF_TIME_LIMIT=None,
        BABEL_DEFAULT_LOCALE="pl",
        BABEL_DEFAULT_TIMEZONE="Europe/Warsaw",
        RATELIMIT_HEADERS_ENABLED=True,
        # Redis down or hanging: answer from a per-worker memory store (core/extensions.py)
        # after at most this timeout, and go back to Redis by itself when it answers again.
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=True,
        RATELIMIT_STORAGE_OPTIONS={
            "socket_connect_timeout": cfg["RATELIMIT_STORAGE_TIMEOUT"],
            "socket_timeout": cfg["RATELIMIT_STORAGE_TIMEOUT"],
        },
    )
    return cfg
