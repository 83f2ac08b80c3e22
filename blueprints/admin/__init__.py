"""The admin's pages (`/admin/...`): the clinic's catalogue, staff logins, consents, clinic
rules, localities, IP blocks and the audit log. Every route is for the `admin` role only."""

from flask import Blueprint, current_app, request

from core.roles import role_required
from services import clinic_settings

bp = Blueprint("admin", __name__)


@bp.before_request
@role_required("admin")
def _admin_only():
    """One guard for the whole area (a patient gets 404, other staff 403, ASVS V4.1.1)."""
    return None


@bp.before_app_request
def _clinic_settings():
    """The admin's stored clinic rules and contact replace the environment's defaults."""
    if request.endpoint != "static":
        clinic_settings.apply_overrides(current_app.config)


from . import catalogue, records, settings, staff  # noqa: E402,F401
