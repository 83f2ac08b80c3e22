"""The clinic's rules as one value: how far ahead and how late a visit may be booked or
cancelled, how many visits per specialty, how long an e-mail change link lives.

`clinic_rules()` builds it from the app configuration (core/config.py holds every default);
views call it once per request and pass the result to the services, which never read the
configuration for a rule themselves. To let the admin change a rule, extend this one
function (e.g. read overrides stored in the database on top of the configuration).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app


@dataclass(frozen=True)
class ClinicRules:
    """No defaults here: they are in core/config.py, the one place an operator reads."""

    horizon_days: int  # a visit can be booked at most this many days ahead; 0: no limit
    min_notice_hours: int  # ...and at least this many hours ahead
    cancel_notice_hours: int  # online cancel or change until this many hours before the visit
    limit_per_specialty: int  # active future visits a patient may hold in one specialty
    email_change_max_age_hours: int  # the new address's confirmation link lives this long

    def earliest(self, now: datetime) -> datetime:
        """The first start time that may still be booked online."""
        return now + timedelta(hours=self.min_notice_hours)

    def latest(self, now: datetime) -> datetime | None:
        """The last start time that may be booked online, None without a horizon."""
        return now + timedelta(days=self.horizon_days) if self.horizon_days else None


def clinic_rules(config: Mapping[str, Any] | None = None) -> ClinicRules:
    """The rules in force: from `config` (the app's configuration by default)."""
    config = current_app.config if config is None else config
    return ClinicRules(
        horizon_days=int(config["BOOKING_HORIZON_DAYS"]),
        min_notice_hours=int(config["BOOKING_MIN_NOTICE_HOURS"]),
        cancel_notice_hours=int(config["CANCEL_MIN_NOTICE_HOURS"]),
        limit_per_specialty=int(config["BOOKING_LIMIT_PER_SPECIALTY"]),
        email_change_max_age_hours=int(config["EMAIL_CHANGE_MAX_AGE_HOURS"]),
    )
