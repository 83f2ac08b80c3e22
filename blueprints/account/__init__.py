"""My account ("Moje konto"): personal data, password, consents, two-factor."""

from flask import Blueprint

bp = Blueprint("account", __name__)

from . import consent_renewal, subaccounts, two_factor, views  # noqa: E402,F401
