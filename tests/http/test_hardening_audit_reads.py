"""Reads of personal and medical data and refused object access are audited (issue 8.7)."""

from __future__ import annotations

import pytest

from models.audit import AuditEvent
from models.base import db, utcnow
from tests import factories
from tests.http.hardening_world import PATIENT_LOGIN, build_world


@pytest.fixture
def world(app, client, auth):
    world = build_world(app)
    assert auth.login(PATIENT_LOGIN, factories.PASSWORD).status_code == 303
    return world


def _events_after(app, last_id: int) -> list[AuditEvent]:
    with app.app_context():
        db.connect(reuse_if_open=True)
        rows = list(AuditEvent.select().where(AuditEvent.id > last_id).order_by(AuditEvent.id))
        db.close()
    return rows


def _last_id(app) -> int:
    with app.app_context():
        db.connect(reuse_if_open=True)
        row = AuditEvent.select().order_by(AuditEvent.id.desc()).first()
        db.close()
    return row.id if row else 0


@pytest.mark.parametrize(
    ("path", "action", "object_type"),
    [
        ("/panel/reservations", "read.reservations", ""),
        ("/panel/reservations/{appointment}", "read.appointment", "appointment"),
        ("/panel", "read.panel", ""),
        ("/panel/reservations/{appointment}/calendar.ics", "read.calendar", "appointment"),
        ("/account", "read.account", "account"),
        ("/account/data", "read.personal_data", "patient"),
        ("/account/consents", "read.consents", "account"),
    ],
)
def test_reading_personal_or_medical_data_leaves_one_audit_row(
    app, client, world, path, action, object_type
):
    """ASVS V7.2.1/V7.2.2 (and V8.3.5): who read whose data, what, when, from which IP —
    one insert per page."""
    before = _last_id(app)
    started = utcnow()
    response = client.get(path.format(**world), environ_base={"REMOTE_ADDR": "192.0.2.44"})
    assert response.status_code == 200
    events = _events_after(app, before)
    assert [e.action for e in events] == [action]
    event = events[0]
    assert event.account_id == world["patient"]
    assert event.patient_id is not None
    assert event.ip == "192.0.2.44"
    assert event.object_type == object_type
    assert event.at >= started.replace(microsecond=0)


def test_another_patients_visit_is_404_and_audited_as_refused(app, client, world):
    """ASVS V7.2.2 / V4.2.1: a 404 on another patient's object id is recorded (who, which id)."""
    before = _last_id(app)
    theirs = world["their_appointment"]
    for suffix in ("", "/cancel", "/change", "/calendar.ics"):
        response = client.get(
            f"/panel/reservations/{theirs}{suffix}", environ_base={"REMOTE_ADDR": "192.0.2.45"}
        )
        assert response.status_code == 404
    events = _events_after(app, before)
    assert [e.action for e in events] == ["access.refused"] * 4
    assert all(
        e.object_type == "appointment"
        and e.object_id == theirs
        and e.account_id == world["patient"]
        and e.ip == "192.0.2.45"
        for e in events
    )
