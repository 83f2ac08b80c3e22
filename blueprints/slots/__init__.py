"""Free slots ("Wolne terminy"): search, and reserve → confirm → send."""

from flask import Blueprint

from services import visits

bp = Blueprint("slots", __name__)

from . import reserve, search  # noqa: E402,F401
from .kept_markup import kept_markup  # noqa: E402
from .links import reserve_links  # noqa: E402
from .results_markup import results_markup  # noqa: E402

bp.add_app_template_global(reserve_links, "reserve_links")
bp.add_app_template_global(results_markup, "results_markup")
bp.add_app_template_global(kept_markup, "kept_markup")

# templates name the number to call about a visit through the same rule as the messages
bp.add_app_template_global(visits.clinic_phone, "clinic_phone")
