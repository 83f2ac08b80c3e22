"""Logging in and out, registration and activation."""

from flask import Blueprint

from core.login import check_session_age
from core.roles import require_staff_two_factor

bp = Blueprint("auth", __name__)
# Idle and absolute session limits are checked before every request of the whole app.
bp.before_app_request(check_session_age)
bp.before_app_request(require_staff_two_factor)

from . import email_links, sign_up, views  # noqa: E402,F401
