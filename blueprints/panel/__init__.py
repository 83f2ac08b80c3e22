"""Patient panel ("Panel pacjenta"): reservations and, later, medical data."""

from flask import Blueprint

bp = Blueprint("panel", __name__)

from . import documents, medical, prescriptions, requests, views, visit_calendar  # noqa: E402,F401
