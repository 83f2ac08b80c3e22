"""A small clinic with every kind of object a route can name, and a URL for every route.

The hardening tests walk `app.url_map` instead of a hand-made list, so a route added later is
covered without touching them: each rule gets real ids and live tokens from `build_world`.
"""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser

import pyotp

from core.tokens import make_token
from models import ALL_MODELS
from models.accounts import Account, Consent
from models.audit import AuditEvent
from models.base import db, utcnow
from models.booking import Appointment
from services import account_changes as account_service
from services import password_reset
from services import registration as auth_service
from tests import factories

PATIENT_LOGIN = "ewa.swiat"
TOTP_LOGIN = "tomasz.swiat"
STRANGER_LOGIN = "obcy.swiat"


def build_world(app) -> dict:
    """Accounts (active, a stranger, not yet activated), a booked visit of each patient, a free
    slot, a consent, and live activation, reset and e-mail change tokens."""
    with app.test_request_context():
        db.connect(reuse_if_open=True)
        day = (utcnow() + timedelta(days=4)).replace(hour=9, minute=0, second=0, microsecond=0)
        made = factories.bookable(4, day)
        fac, spec, svc, member, slots = (made[k] for k in ("fac", "spec", "svc", "staff", "slots"))
        patient = factories.account(login=PATIENT_LOGIN, email="ewa.swiat@example.com")
        child = factories.dependant(patient, with_pesel=False)
        stranger = factories.account(login=STRANGER_LOGIN, email="obcy.swiat@example.com")
        inactive = factories.account(
            login="nowa.swiat", email="nowa.swiat@example.com", activated=False
        )
        factories.account(
            login=TOTP_LOGIN, email="tomasz.swiat@example.com", totp_secret=pyotp.random_base32()
        )
        mine = Appointment.create(
            slot=slots[0], active_slot=slots[0], patient=patient.patient, service=svc
        )
        theirs = Appointment.create(
            slot=slots[1], active_slot=slots[1], patient=stranger.patient, service=svc
        )
        consent = Consent.create(code="newsletter", title="Newsletter", text="Tak", required=False)
        patient.pending_email = "ewa.nowy@example.com"
        patient.save()
        email_token = make_token(
            account_service.EMAIL_CHANGE,
            {"a": patient.id, "e": "ewa.nowy@example.com"},
            bound_to=account_service._email_binding(Account.get_by_id(patient.id)),
        )
        records = factories.medical_record(app, patient.patient, member, fac, spec)
        world = {
            "document": records["pdf"],
            "order": records["order"],
            "data_request": records["request"],
            "referral": records["referral"],
            "patient": patient.id,
            "dependant": child.id,
            "stranger": stranger.id,
            "inactive": inactive.id,
            "appointment": mine.id,
            "their_appointment": theirs.id,
            "free_slot": slots[2].id,
            "consent": consent.id,
            "service": svc.id,
            "consent_code": consent.code,
            "patient_record": patient.patient_id,
            "schedule": made["sched"].id,
            "account_action": "remind_login",
            "activation_token": auth_service.activation_token(inactive),
            "reset_token": password_reset.reset_token(patient),
            "email_token": email_token,
        }
        db.close()
    return world


_ARGUMENTS = {
    "appointment_id": "appointment",
    "visit_id": "appointment",  # the doctor's visit page (a patient gets 404 there)
    "slot_id": "free_slot",
    "consent_id": "consent",
    "document_id": "document",
    "order_id": "order",
    "request_id": "data_request",
    "referral_id": "referral",
    "object_id": "service",  # admin catalogue rows (facility, specialty, service, staff): id 1
    "code": "consent_code",
    "patient_id": "dependant",
    "schedule_id": "schedule",
    "action": "account_action",
}
_TOKENS = {
    "auth.activate": "activation_token",
    "auth.reset_password": "reset_token",
    "account.confirm_email": "email_token",
}


def route_urls(app, world: dict) -> list[tuple[str, str]]:
    """(endpoint, URL) for every rule of the URL map, with real ids and tokens; routes that
    read a query value get a second URL carrying one."""
    urls = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        values = {}
        for name in rule.arguments:
            if name == "token":
                values[name] = world[_TOKENS[rule.endpoint]]
            elif name == "filename":
                values[name] = "css/app.css"
            else:
                values[name] = world[_ARGUMENTS[name]]
        with app.test_request_context():
            from flask import url_for

            url = url_for(rule.endpoint, **values)
        urls.append((rule.endpoint, url))
        if rule.endpoint in ("panel.change", "slots.reserve"):
            urls.append(
                (rule.endpoint, f"{url}?slot={world['free_slot']}&service={world['service']}")
            )
    return urls


def snapshot(app) -> dict[str, list[tuple]]:
    """Every row of every table except the audit log (reads are recorded there on purpose)."""
    with app.app_context():
        db.connect(reuse_if_open=True)
        state = {
            model._meta.table_name: sorted(
                (tuple(str(v) for v in row) for row in model.select().tuples()), key=str
            )
            for model in ALL_MODELS
            if model is not AuditEvent
        }
        db.close()
    return state


class FormParser(HTMLParser):
    """The forms of a page: method, action and every named field with its value."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append(
                {
                    "method": (a.get("method") or "get").lower(),
                    "action": a.get("action"),
                    "fields": {},
                    "text": [],
                }
            )
            return
        if not self.forms:
            return
        form = self.forms[-1]
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in a or name not in form["fields"]:
                    form["fields"][name] = a.get("value") or "on"
            elif kind not in ("submit", "button", "image", "file"):
                form["fields"].setdefault(name, a.get("value") or "")
            if kind not in ("hidden", "checkbox", "radio", "submit", "button") or (
                kind == "hidden" and name != "csrf_token"
            ):
                form["text"].append(name)
        elif tag == "textarea" and name:
            form["fields"].setdefault(name, "")
            form["text"].append(name)
        elif tag == "select" and name:
            self._select = name
            form["fields"].setdefault(name, "")
            form["text"].append(name)
        elif tag == "option" and self._select:
            if not form["fields"].get(self._select) or "selected" in a:
                form["fields"][self._select] = a.get("value") or ""
        elif tag == "button" and name:
            form["fields"].setdefault(name, a.get("value") or "")
            form["text"].append(name)

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def forms_of(page: str) -> list[dict]:
    parser = FormParser()
    parser.feed(page)
    for form in parser.forms:
        form["text"] = list(dict.fromkeys(form["text"]))
    return parser.forms


CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')
