"""Free slots ("Wolne terminy"): search, and reserve → confirm → send."""

from flask import Blueprint

bp = Blueprint("slots", __name__)

from . import reserve, search  # noqa: E402,F401
