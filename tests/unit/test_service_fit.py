"""The parts of the service-fit rule as plain functions: kind, age, duration, referral."""

from __future__ import annotations

from datetime import date

import pytest

from models.clinic import Service
from services import service_fit as fit


def _service(**kw) -> Service:
    defaults = dict(nfz=True, private=False, in_person=True, remote=False, duration_minutes=15)
    return Service(**{**defaults, **kw})


@pytest.mark.parametrize(
    ("service", "funding", "mode", "fits"),
    [
        (dict(), "nfz", "in_person", True),
        (dict(), "private", "in_person", False),
        (dict(), "nfz", "remote", False),
        (dict(nfz=False, private=True), "nfz", "in_person", False),
        (dict(nfz=False, private=True), "private", "in_person", True),
        (dict(in_person=False, remote=True), "nfz", "remote", True),
    ],
)
def test_kind_fits_funding_and_mode(service, funding, mode, fits):
    assert fit.kind_fits(_service(**service), funding, mode) is fits


def test_age_counts_whole_years_on_the_day_of_the_visit():
    born = date(2008, 6, 15)
    assert fit.age_on(born, date(2026, 6, 14)) == 17
    assert fit.age_on(born, date(2026, 6, 15)) == 18
    child = _service(min_age=0, max_age=17)
    assert fit.age_fits(child, born, date(2026, 6, 14))
    assert not fit.age_fits(child, born, date(2026, 6, 15))
    adult = _service(min_age=18)
    assert fit.age_fits(adult, born, date(2026, 6, 15))
    assert fit.age_fits(_service(), born, date(2026, 6, 15))


@pytest.mark.parametrize(
    ("minutes", "slot_minutes", "needed"), [(15, 15, 1), (30, 15, 2), (20, 15, 2), (10, 15, 1)]
)
def test_a_longer_service_needs_consecutive_slots(minutes, slot_minutes, needed):
    assert fit.slots_needed(_service(duration_minutes=minutes), slot_minutes) == needed


@pytest.mark.parametrize(
    ("raw", "valid"),
    [
        ("1234", True),
        (" 12-34 ", True),
        ("1" * 44, True),
        ("1234 " * 11, True),
        ("123", False),
        ("12345", False),
        ("1" * 43, False),
        ("12a4", False),
        ("１２３４", False),  # full-width digits are not what the e-referral prints
        ("", False),
    ],
)
def test_referral_code_is_four_or_forty_four_digits(raw, valid):
    assert fit.referral_code_valid(fit.normalise_referral_code(raw)) is valid


def test_only_an_nfz_visit_needs_the_referral():
    service = _service(private=True, requires_referral=True)
    assert fit.needs_referral(service, "nfz")
    assert not fit.needs_referral(service, "private")
    assert not fit.needs_referral(_service(), "nfz")
