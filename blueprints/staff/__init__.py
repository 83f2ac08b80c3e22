"""The staff side (registrar, doctor, admin): only the entry pages so far; every route checks
the role on the server with core.roles.role_required."""

from flask import Blueprint

bp = Blueprint("staff", __name__)

from . import views  # noqa: E402,F401
