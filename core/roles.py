"""Who may open a page: every check runs on the server, for every request.

`role_required(*roles)` guards a staff page: a visitor is sent to log in, a patient gets 404
(the staff side does not exist for them, ASVS V4.1.1), a staff member of another role 403
(ASVS V4.1.3). `patient_only()` keeps a staff account out of the patient pages: it has no
patient, so it is sent to the staff side instead of reaching a view that needs one.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import Response, abort, redirect, url_for
from flask_login import current_user

from .extensions import login_manager

STAFF_HOME = "staff.index"


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
