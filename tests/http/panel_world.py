"""The world the panel's medical-section tests share: a patient with one of every record,
a stranger with their own, and helpers to read the audit log and post forms."""

from __future__ import annotations

import pytest

from models.audit import AuditEvent
from models.base import db
from tests import factories
from tests.conftest import csrf_token


def build(app) -> dict:
    with app.app_context():
        db.connect(reuse_if_open=True)
        fac = factories.facility(name="Przychodnia Centrum")
        spec = factories.specialty(name="Kardiologia")
        doctor = factories.staff(spec, fac, first_name="Anna", last_name="Sercowa")
        me = factories.account(login="jan.pacjent", email="jan.pacjent@example.com")
        stranger = factories.account(login="obcy", email="obcy@example.com")
        world = {
            "me": me,
            "stranger": stranger,
            "doctor": doctor,
            "facility": fac,
            "specialty": spec,
            "mine": factories.medical_record(app, me.patient, doctor, fac, spec),
            "theirs": factories.medical_record(app, stranger.patient, doctor, fac, spec),
        }
        db.close()
    return world


@pytest.fixture
def world(app, client, auth):
    made = build(app)
    assert auth.login("jan.pacjent", factories.PASSWORD).status_code == 303
    return made


def last_event_id(app) -> int:
    with app.app_context():
        db.connect(reuse_if_open=True)
        row = AuditEvent.select().order_by(AuditEvent.id.desc()).first()
        db.close()
    return row.id if row else 0


def events_after(app, last_id: int) -> list[AuditEvent]:
    with app.app_context():
        db.connect(reuse_if_open=True)
        rows = list(AuditEvent.select().where(AuditEvent.id > last_id).order_by(AuditEvent.id))
        db.close()
    return rows


def post(client, path: str, data: dict, page: str = "/panel"):
    return client.post(path, data={"csrf_token": csrf_token(client, page), **data})


def in_db(app, fn):
    """Run fn() with a connection in an app context and return its result."""
    with app.app_context():
        db.connect(reuse_if_open=True)
        try:
            return fn()
        finally:
            db.close()
