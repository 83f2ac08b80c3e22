"""services.rules: one value for the clinic's rules, built from the configuration whose
defaults live only in core/config.py."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

import pytest

from core.config import load_config
from services.rules import ClinicRules, clinic_rules

NOW = datetime(2026, 3, 2, 8, 0)


def test_rules_come_from_the_configuration_defaults_and_its_overrides(tmp_path):
    defaults = clinic_rules(load_config(str(tmp_path), {"WIZYTA_ENV": "development"}))
    assert defaults == ClinicRules(
        horizon_days=90,
        min_notice_hours=2,
        cancel_notice_hours=24,
        limit_per_specialty=2,
        email_change_max_age_hours=24,
    )
    env = {
        "WIZYTA_ENV": "development",
        "BOOKING_HORIZON_DAYS": "14",
        "BOOKING_MIN_NOTICE_HOURS": "0",
        "CANCEL_MIN_NOTICE_HOURS": "48",
        "BOOKING_LIMIT_PER_SPECIALTY": "1",
        "EMAIL_CHANGE_MAX_AGE_HOURS": "6",
    }
    assert dataclasses.astuple(clinic_rules(load_config(str(tmp_path), env))) == (14, 0, 48, 1, 6)


def test_the_app_builds_its_rules_from_app_config(ctx):
    ctx.config["BOOKING_HORIZON_DAYS"] = 7
    assert clinic_rules().horizon_days == 7


def test_rules_have_no_defaults_of_their_own():
    with pytest.raises(TypeError):
        ClinicRules()  # type: ignore[call-arg]


def test_booking_window_from_the_rules():
    rules = ClinicRules(
        horizon_days=30,
        min_notice_hours=2,
        cancel_notice_hours=24,
        limit_per_specialty=2,
        email_change_max_age_hours=24,
    )
    assert rules.earliest(NOW) == NOW + timedelta(hours=2)
    assert rules.latest(NOW) == NOW + timedelta(days=30)
    assert dataclasses.replace(rules, horizon_days=0).latest(NOW) is None
