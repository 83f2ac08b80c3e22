"""The audit log ("dziennik zdarzeń"): who did what to whose data, and when."""

from __future__ import annotations

import peewee as pw

from .base import BaseModel, utcnow


class AuditEvent(BaseModel):
    at = pw.DateTimeField(default=utcnow, index=True)
    account_id = pw.IntegerField(null=True, index=True)
    patient_id = pw.IntegerField(null=True, index=True)
    action = pw.CharField(max_length=60)
    object_type = pw.CharField(max_length=40, default="")
    object_id = pw.IntegerField(null=True)
    ip = pw.CharField(max_length=45, default="")
    details = pw.CharField(max_length=500, default="")
    # Who acted, as they were then (a login renamed or removed later still reads right), and
    # whose account it concerned when that is not a patient's (a staff account, an admin's).
    actor_login = pw.CharField(max_length=64, default="")
    actor_role = pw.CharField(max_length=20, default="")
    subject_account_id = pw.IntegerField(null=True, index=True)

    class Meta:
        indexes = ((("action", "at"), False),)


AUDIT_MODELS = [AuditEvent]
