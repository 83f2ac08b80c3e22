"""A visit's e-mail: its description, the link to the visit, the .ics file, and the mail to
the account that booked, changed or cancelled it (the desk mails the patient itself)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app, has_app_context
from flask_babel import gettext as _

from core import ics
from core.mail import queue_mail
from core.timeutil import to_local
from models.accounts import Account
from models.booking import Appointment
from models.clinic import Facility, Service, StaffMember
from models.patients import Patient
from services.catalogue_cache import catalogue
from services.visits import clinic_phone, visit_ends_at


def _uid(appointment: Appointment) -> str:
    host = "wizyta"
    if has_app_context():
        host = urlsplit(current_app.config["BASE_URL"]).hostname or host
    return f"appointment-{appointment.id}@{host}"


def describe(appointment: Appointment) -> dict[str, str]:
    slot = appointment.slot
    known = catalogue()  # no query for staff, place and service (the booking's write lock)
    staff = known.staff.get(slot.staff_id) or StaffMember.get_by_id(slot.staff_id)
    facility = known.facilities.get(slot.facility_id) or Facility.get_by_id(slot.facility_id)
    patient = Patient.get_by_id(appointment.patient_id)
    service = known.services.get(appointment.service_id) or Service.get_by_id(
        appointment.service_id
    )
    return {
        "when": to_local(slot.starts_at).strftime("%d.%m.%Y %H:%M"),
        "staff": staff.display_name,
        "service": service.name,
        "patient": patient.full_name,
        "location": f"{facility.name}, {facility.street}, {facility.postal_code} {facility.city}",
        "phone": clinic_phone(facility),
    }


def visit_url(appointment: Appointment) -> str:
    """The visit's page for links in e-mail (it asks for a login first). The path is one of
    the stable public paths (/panel/reservations/<id>), so no request context is needed."""
    base = current_app.config["BASE_URL"] if has_app_context() else ""
    return f"{base.rstrip('/')}/panel/reservations/{appointment.id}"


def calendar_file(appointment: Appointment, cancelled: bool = False) -> dict[str, Any]:
    """The visit as an .ics file (for mail and for the "Dodaj do kalendarza" download)."""
    info = describe(appointment)
    description = _("Pacjent: %(patient)s", patient=info["patient"])
    if info["phone"]:
        description += "\n" + _("Telefon placówki: %(phone)s", phone=info["phone"])
    data = ics.visit_event(
        uid=_uid(appointment),
        starts_at=appointment.slot.starts_at,
        ends_at=visit_ends_at(appointment),
        summary=f"{info['service']} — {info['staff']}",
        location=info["location"],
        description=description,
        cancelled=cancelled,
    )
    name = "odwolana-wizyta.ics" if cancelled else "wizyta.ics"
    return {"filename": name, "content_type": "text/calendar; charset=utf-8", "data": data}


def mail_body(appointment: Appointment, intro: str) -> list[str]:
    """The lines of a visit's e-mail: the intro, then who, when, what, with whom, where, the
    number to call and the link to the visit."""
    info = describe(appointment)
    return [
        intro,
        "",
        _("Pacjent: %(patient)s", patient=info["patient"]),
        _("Termin: %(when)s", when=info["when"]),
        _("Świadczenie: %(service)s", service=info["service"]),
        _("Personel: %(staff)s", staff=info["staff"]),
        _("Miejsce: %(location)s", location=info["location"]),
        _("Telefon placówki: %(phone)s", phone=info["phone"]),
        "",
        _("Szczegóły wizyty (po zalogowaniu): %(url)s", url=visit_url(appointment)),
    ]


def mail_account(account: Account, subject: str, intro: str, appointment: Appointment, attachments):
    """Queue the visit's e-mail to the account that booked, changed or cancelled it."""
    lines = [*mail_body(appointment, intro), _("Swoje wizyty zobaczysz w Panelu pacjenta.")]
    queue_mail(account.email, subject, "\n".join(lines), attachments=attachments)
