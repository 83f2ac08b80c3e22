"""Entry pages of the staff side; the back office, the registrar's and the doctor's pages
come in later issues and take their rules from services/."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from core.roles import role_required
from models.accounts import STAFF_ROLES

from . import bp


@bp.get("/")
@role_required(*STAFF_ROLES)
def index():
    return render_template("staff/index.html", account=current_user)
