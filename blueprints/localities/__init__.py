"""The localities dictionary: a search page and the type-ahead options for forms."""

from flask import Blueprint

bp = Blueprint("localities", __name__)

from . import views  # noqa: E402,F401
