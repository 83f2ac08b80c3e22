"""Peewee models, one module per aggregate, and the schema set-up."""

from __future__ import annotations

from .accounts import ACCOUNT_MODELS
from .audit import AUDIT_MODELS
from .back_office import BACK_OFFICE_MODELS
from .base import db
from .booking import BOOKING_MODELS
from .catalogue import CatalogueVersion
from .clinic import CLINIC_MODELS
from .mail import MAIL_MODELS
from .medical import MEDICAL_MODELS
from .meta import SchemaVersion
from .patients import PATIENT_MODELS
from .settings import SETTINGS_MODELS

ALL_MODELS = [
    SchemaVersion,
    *CLINIC_MODELS,
    *PATIENT_MODELS,
    *ACCOUNT_MODELS,
    *BOOKING_MODELS,
    *MAIL_MODELS,
    *AUDIT_MODELS,
    *MEDICAL_MODELS,
    *SETTINGS_MODELS,
    *BACK_OFFICE_MODELS,
    CatalogueVersion,
]

__all__ = ["ALL_MODELS", "db"]
