"""My account ("Moje konto"): personal data, password, consents, two-factor."""

from flask import Blueprint

bp = Blueprint("account", __name__)

from . import views  # noqa: E402,F401
