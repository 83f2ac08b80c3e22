"""Loading the logged-in account from the session; session version, idle and absolute limits.

ASVS V3.3.1 logout and V3.3.3 password change bump Account.session_version, which ends every
cookie carrying the old version; V3.3.2 idle timeout (SESSION_IDLE_MINUTES) and absolute
limit (SESSION_MAX_HOURS) are checked before each request from timestamps in the session; staff
accounts get the shorter STAFF_SESSION_MINUTES / STAFF_SESSION_MAX_HOURS.
"""

from __future__ import annotations

import time

from flask import Response, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user

from models.accounts import Account

from .extensions import login_manager
from .htmx import is_htmx_fragment_request
from .security import safe_next

LOGIN_AT = "_login_at"
SEEN_AT = "_seen_at"


@login_manager.user_loader
def load_account(session_id: str) -> Account | None:
    """`<account id>:<session version>`; a bumped version (logout, password change) ends it."""
    account_id, _sep, version = session_id.partition(":")
    if not account_id.isdigit() or not version.isdigit() or len(account_id) > 18:
        return None
    account = Account.get_or_none(Account.id == int(account_id))
    if account is None or account.session_version != int(version) or not account.is_active:
        return None
    return account


def start_session(account: Account, now: float | None = None) -> None:
    """A new session for the account: nothing of the old one survives (ASVS V3.2.1)."""
    session.clear()
    login_user(account)
    stamp = int(now if now is not None else time.time())
    session[LOGIN_AT] = stamp
    session[SEEN_AT] = stamp
    session.permanent = False


def end_session() -> None:
    logout_user()
    session.clear()


def check_session_age(now: float | None = None) -> None:
    """Before each request: log out a session idle or alive for too long (ASVS V3.3.2)."""
    if request.endpoint == "static" or not current_user.is_authenticated:
        return
    now = now if now is not None else time.time()
    cfg = current_app.config
    login_at = session.get(LOGIN_AT)
    seen_at = session.get(SEEN_AT)
    if not isinstance(login_at, int) or not isinstance(seen_at, int):
        # A session started by a plain login_user() (e.g. kept alive after a password
        # change): the signed cookie proves we made it, so its clock starts now.
        session[LOGIN_AT] = session[SEEN_AT] = int(now)
        return
    idle_limit = cfg.get("SESSION_IDLE_MINUTES", 30) * 60
    absolute_limit = cfg.get("SESSION_MAX_HOURS", 12) * 3600
    if current_user.is_staff:  # staff see many patients' data: shorter sessions
        idle_limit = min(idle_limit, cfg.get("STAFF_SESSION_MINUTES", 15) * 60)
        absolute_limit = min(absolute_limit, cfg.get("STAFF_SESSION_MAX_HOURS", 10) * 3600)
    if now - seen_at > idle_limit or now - login_at > absolute_limit:
        end_session()
        flash(_("Sesja wygasła. Zaloguj się ponownie."), "info")
        return
    if int(now) != seen_at:
        session[SEEN_AT] = int(now)


@login_manager.unauthorized_handler
def unauthorized() -> Response:
    """Redirect to the login page with `next`; htmx gets HX-Redirect instead of a swap."""
    target = safe_next(request.full_path.rstrip("?") if request.method == "GET" else "", "")
    location = url_for("auth.login", next=target) if target else url_for("auth.login")
    if request.headers.get("HX-Request") == "true":
        response = Response(status=204)
        response.headers["HX-Redirect"] = location
        response.vary.add("HX-Request")
        return response
    if not target and not is_htmx_fragment_request():
        # with a `next`, the log-in page says it itself (a link can go there directly)
        flash(str(login_manager.login_message), login_manager.login_message_category)
    return redirect(location, 303 if request.method != "GET" else 302)


login_manager.login_view = "auth.login"
login_manager.login_message = _l("Zaloguj się, aby przejść dalej.")
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"
