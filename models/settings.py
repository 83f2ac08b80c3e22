"""Clinic settings the admin changes in the browser; the environment gives the defaults."""

from __future__ import annotations

import peewee as pw

from .base import BaseModel, utcnow


class ClinicSetting(BaseModel):
    """One setting overriding its environment value (`BOOKING_HORIZON_DAYS`, the footer's
    `ADMIN_CONTACT_PHONE`, the help page's opening hours …); no row means the default."""

    key = pw.CharField(max_length=60, unique=True)
    value = pw.TextField()
    updated_at = pw.DateTimeField(default=utcnow)
    updated_by = pw.IntegerField(null=True)


SETTINGS_MODELS = [ClinicSetting]
