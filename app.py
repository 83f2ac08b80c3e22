"""The application factory: `flask --app app run`, `gunicorn 'app:create_app()'`."""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from typing import Any

import peewee
from dotenv import load_dotenv
from flask import Flask, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

from core import assets, audit, compression, filters, input_guard, jinja_gettext, logredact
from core.config import ConfigError, load_config
from core.errors import install_error_pages
from core.extensions import babel, csrf, limiter, login_manager, select_locale
from core.htmx_redirects import FollowBoostedRedirects
from core.mail_worker import deliver_soon
from core.security import install_security_headers
from core.uploads import LimitedRequest
from models.base import db, make_database
from services.catalogue_cache import connect_for_request

log = logging.getLogger("wizyta")


def _fail(message: str) -> None:
    """One clear line for the operator instead of a traceback, then stop."""
    print(f"wizyta: configuration error: {message}", file=sys.stderr)
    raise SystemExit(2)


def _open_database(app: Flask) -> None:
    url = app.config["DATABASE_URL"]
    try:
        database = make_database(url)
        db.initialize(database)
        database.connect()
        database.close()
        if hasattr(database, "close_all"):
            database.close_all()  # no pooled connection left for forked workers to share
    except (peewee.PeeweeException, peewee.DatabaseError, ValueError, OSError) as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
        _fail(f"cannot open DATABASE_URL ({_redact(url)}): {first_line}")


def _redact(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.rsplit('@', 1)[1]}"
    return url


def _check_rate_limit_storage(app: Flask) -> None:
    """Redis down at start-up is a warning, not a stop: the site serves with per-worker limits.

    Refusing to start would leave gunicorn respawning workers that serve nothing; the
    limiter's in-memory fallback keeps each worker to its share of every limit and goes
    back to Redis by itself once it answers.
    """
    uri = app.config["RATELIMIT_STORAGE_URI"]
    if uri.startswith("memory") or not app.config["RATELIMIT_ENABLED"]:
        return
    try:
        reachable = limiter.storage.check()
    except Exception as error:  # noqa: BLE001 - any driver error means "not reachable"
        reachable = False
        log.debug("rate-limit storage check failed: %s", error)
    if not reachable:
        log.warning(
            "RATELIMIT_STORAGE_URI (%s) does not answer: serving with per-worker in-memory "
            "limits (1/%s of each) until it does",
            _redact(uri),
            app.config.get("WEB_CONCURRENCY") or 1,
        )


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.request_class = LimitedRequest  # a file route gets its own size limit
    load_dotenv()
    try:
        app.config.update(load_config(app.instance_path))
    except ConfigError as error:
        _fail(str(error))
    if test_config:
        app.config.update(test_config)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")

    if app.config["TRUSTED_PROXIES"]:
        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    # outermost: a boosted request's 303 answered with the page it points to (issue 14)
    app.wsgi_app = FollowBoostedRedirects(app.wsgi_app)  # type: ignore[method-assign]

    _open_database(app)
    # first: after_request functions run last-registered first, so this one runs last
    compression.install(app)
    assets.install(app)

    @app.before_request
    def _connect() -> None:
        connect_for_request()

    @app.teardown_request
    def _close(_exc: BaseException | None) -> None:
        if not db.is_closed():
            db.close()

    @app.after_request
    def _send_queued_mail(response):
        if g.get("mail_queued"):
            deliver_soon(app)
        return response

    app.config.setdefault("WTF_CSRF_HEADERS", ["X-CSRFToken"])
    babel.init_app(
        app, locale_selector=select_locale, default_translation_directories="translations"
    )
    jinja_gettext.install(app)
    csrf.init_app(app)
    input_guard.install(app)
    limiter.init_app(app)
    _check_rate_limit_storage(app)
    login_manager.init_app(app)
    install_security_headers(app)
    install_error_pages(app)
    audit.install_staff_trail(app)
    filters.install(app)

    from blueprints import register_blueprints

    register_blueprints(app)
    logredact.install(app.url_map.iter_rules())

    from core.cli import register_commands

    register_commands(app)

    @app.context_processor
    def _layout_context() -> dict[str, Any]:
        return {"current_path": request.full_path.rstrip("?"), "ui_lang": select_locale()}

    return app
