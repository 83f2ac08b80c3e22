"""Whose data is on screen: the logged-in patient or one of their dependants.

Every patient page (search, booking, panel sections) asks `active_patient()` instead of
reading `current_user.patient`, so switching the active person (issue 10, sub-accounts)
changes them all in one place. Until the switch exists it is always the account's own
patient.
"""

from __future__ import annotations

from flask_login import current_user

from models.patients import Patient


def active_patient() -> Patient | None:
    """The patient whose data the current request shows; None for visitors and staff."""
    if not current_user.is_authenticated or not current_user.patient_id:
        return None
    return current_user.patient
