"""Who may open a page: every check runs on the server, for every request.

`require_staff_two_factor` (before every request) sends a staff account without TOTP to set it
up before anything else while STAFF_REQUIRE_2FA is on (ASVS V4.3.1); `home_for` is where an
account lands after login: a patient on the home page, staff on /staff/, an admin on /admin/.

`role_required(*roles)` guards a staff page: a visitor is sent to log in, a patient gets 404
(the staff side does not exist for them, ASVS V4.1.1), a staff member of another role 403
(ASVS V4.1.3). `patient_only()` keeps a staff account out of the patient pages: it has no
patient, so it is sent to the staff side instead of reaching a view that needs one.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import Response, abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .extensions import login_manager

STAFF_HOME = "staff.index"
ADMIN_HOME = "admin.index"
# What a staff account without 2FA may still open: the set-up itself, logging out, language.
TWO_FACTOR_SETUP = "account.two_factor"
ALLOWED_BEFORE_TWO_FACTOR = frozenset(
    {
        "static",
        "account.two_factor",
        "account.two_factor_start",
        "account.two_factor_setup",
        "auth.logout",
        "auth.login",
        "auth.login_code",
        "public.set_language",
        "public.accept_cookie_notice",
    }
)


def role_required(*roles: str) -> Callable:
    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role in roles and current_user.is_staff:
                return view(*args, **kwargs)
            abort(403 if current_user.is_staff else 404)

        return guarded

    return decorator


def patient_only() -> Response | None:
    """None for a patient (or a visitor, left to login_required); a redirect for staff."""
    if current_user.is_authenticated and not current_user.is_patient:
        return redirect(url_for(STAFF_HOME), 303)
    return None


def home_for(account) -> str:
    """The page an account starts on after login."""
    if account.is_staff:
        return url_for(ADMIN_HOME if account.role == "admin" else STAFF_HOME)
    return url_for("public.home")


def require_staff_two_factor() -> Response | None:
    """Before each request: a staff account without TOTP goes to its set-up first."""
    if (
        request.endpoint in ALLOWED_BEFORE_TWO_FACTOR
        or not current_app.config.get("STAFF_REQUIRE_2FA", True)
        or not current_user.is_authenticated
        or not current_user.is_staff
        or current_user.totp_secret
    ):
        return None
    flash(_("Konto personelu wymaga weryfikacji dwuetapowej. Włącz ją, aby przejść dalej."), "info")
    location = url_for(TWO_FACTOR_SETUP)
    if request.headers.get("HX-Request") == "true":
        response = Response(status=204)
        response.headers["HX-Redirect"] = location
        return response
    return redirect(location, 303)
