"""The schema version and the list of migrations that bring a database up to date."""

from __future__ import annotations

import peewee as pw

from .base import BaseModel, utcnow


class SchemaVersion(BaseModel):
    version = pw.IntegerField()
    applied_at = pw.DateTimeField(default=utcnow)
