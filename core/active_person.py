"""Whose data is on screen: the logged-in patient or one of their dependants.

Every patient page (search, booking, panel sections) asks `active_patient()` instead of
reading `current_user.patient`, so switching the active person (sub-accounts,
`POST /account/active-person`) changes them all in one place. The session holds only the
chosen patient's id; it is checked against the account's guardianships on every request, so
a dependant detached meanwhile (or by the other guardian's session) falls back to the
account's own patient.
"""

from __future__ import annotations

from flask import g, has_request_context, session
from flask_login import current_user

from models.accounts import Guardianship
from models.patients import Patient

SESSION_KEY = "active_patient"


def _dependant(account_id: int, patient_id: object) -> Patient | None:
    if not isinstance(patient_id, int):
        return None
    return (
        Patient.select()
        .join(Guardianship, on=(Guardianship.patient == Patient.id))
        .where((Guardianship.guardian == account_id) & (Patient.id == patient_id))
        .first()
    )


def active_patient() -> Patient | None:
    """The patient whose data the current request shows; None for visitors and staff."""
    if not current_user.is_authenticated or not current_user.patient_id:
        return None
    if has_request_context() and "active_patient" in g:
        return g.active_patient
    chosen = session.get(SESSION_KEY) if has_request_context() else None
    person = None
    if chosen is not None and chosen != current_user.patient_id:
        person = _dependant(current_user.id, chosen)
        if person is None:
            session.pop(SESSION_KEY, None)
    if person is None:
        person = current_user.patient
    if has_request_context():
        g.active_patient = person
    return person


def is_dependant_on_screen() -> bool:
    """True when the page shows a dependant's data, not the account owner's."""
    person = active_patient()
    return person is not None and person.id != current_user.patient_id


def set_active_patient(patient_id: int) -> None:
    """Remember whose data to show (the caller has checked the id belongs to the account)."""
    if patient_id == current_user.patient_id:
        session.pop(SESSION_KEY, None)
    else:
        session[SESSION_KEY] = patient_id
    g.pop("active_patient", None)


def switchable_people() -> list[Patient]:
    """The account's own patient first, then its dependants by name: whom the header's
    switch offers (empty for visitors and staff)."""
    if not current_user.is_authenticated or not current_user.patient_id:
        return []
    if has_request_context() and "switchable_people" in g:
        return g.switchable_people
    dependants = list(
        Patient.select()
        .join(Guardianship, on=(Guardianship.patient == Patient.id))
        .where(Guardianship.guardian == current_user.id)
        .order_by(Patient.last_name, Patient.first_name, Patient.id)
    )
    people = [current_user.patient, *[p for p in dependants if p.id != current_user.patient_id]]
    if has_request_context():
        g.switchable_people = people
    return people
