"""GET /panel/reservations/<id>/calendar.ics: "Dodaj do kalendarza" for one visit.

Login is required by the panel's before_request; the visit is found through
services.booking.appointment_for, so another patient's visit is a 404 (ASVS V4.2.1).
"""

from __future__ import annotations

from flask import Response, abort
from flask_login import current_user

from core import audit
from models.accounts import Account
from services import visit_mail, visits

from . import bp


@bp.get("/reservations/<int:appointment_id>/calendar.ics")
def reservation_calendar(appointment_id: int) -> Response:
    appointment = visits.appointment_for(Account.get_by_id(current_user.id), appointment_id)
    if appointment is None:
        audit.refused("appointment", appointment_id)
        abort(404)
    audit.read("calendar", appointment.patient_id, "appointment", appointment.id)
    ics = visit_mail.calendar_file(
        appointment, cancelled=appointment.status in ("cancelled", "moved")
    )
    response = Response(ics["data"], content_type=ics["content_type"])
    response.headers["Content-Disposition"] = f'attachment; filename="{ics["filename"]}"'
    return response
