"""Patient panel ("Panel pacjenta"): reservations and, later, medical data."""

from flask import Blueprint

bp = Blueprint("panel", __name__)

from . import views  # noqa: E402,F401
