"""The desk's queues: who at the desk took a RODO request ("przypisz"). A table of its own,
so the request itself (models/medical.py) keeps the panel's shape."""

from __future__ import annotations

import peewee as pw

from .accounts import Account
from .base import BaseModel, utcnow
from .medical import DataRequest


class RequestAssignment(BaseModel):
    """The staff login a RODO request is assigned to; one row per request, replaced on
    reassignment."""

    request = pw.ForeignKeyField(DataRequest, unique=True, on_delete="CASCADE")
    account = pw.ForeignKeyField(Account, on_delete="CASCADE")
    assigned_at = pw.DateTimeField(default=utcnow)


BACK_OFFICE_MODELS = [RequestAssignment]
