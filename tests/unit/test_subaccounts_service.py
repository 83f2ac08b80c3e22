"""The sub-account rules called directly: the 16th birthday, the standalone rule, cycles of
guardians and who may be detached."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from services import standalone
from services import subaccounts as service
from tests import factories


@pytest.mark.parametrize(
    ("born", "birthday"),
    # 16 years after 29 February is a 29 February, except across 2100 (not a leap year)
    [(date(2010, 6, 15), date(2026, 6, 15)), (date(2084, 2, 29), date(2100, 3, 1))],
)
def test_the_16th_birthday_even_for_29_february(born, birthday):
    assert standalone.sixteenth_birthday(born) == birthday
    assert standalone.is_under_16(born, birthday - timedelta(days=1))
    assert not standalone.is_under_16(born, birthday)


def test_standalone_rule_needs_16_years_and_a_pesel_or_a_guardian(ctx):
    born = date(2010, 6, 15)
    kid = factories.patient(birth_date=born)
    refusal = standalone.standalone_refusal(kid, date(2026, 6, 14))
    assert refusal is not None and refusal.turns_16 == date(2026, 6, 15)
    assert standalone.standalone_refusal(kid, date(2026, 6, 15)) is None
    adult_without_pesel = factories.patient(pesel=None)
    assert standalone.standalone_refusal(adult_without_pesel).reason == "no_pesel"
    factories.guard(factories.account(), kid)
    factories.guard(factories.account(), adult_without_pesel)
    assert standalone.standalone_refusal(kid, date(2026, 6, 14)) is None
    assert standalone.standalone_refusal(adult_without_pesel) is None


def test_guardians_upwards_follows_the_whole_chain(ctx):
    grandma, mum, child = factories.account(), factories.account(), factories.account()
    factories.guard(grandma, mum.patient)
    factories.guard(mum, child.patient)
    assert service.guardians_upwards(child.patient_id) == {mum.id, grandma.id}
    assert service.guardians_upwards(grandma.patient_id) == set()


def test_who_cannot_be_detached_into_nothing(ctx):
    mum = factories.account()
    baby = factories.dependant(mum, with_pesel=False, birth_date=date(2026, 1, 1))
    assert service.detach_refusal(mum, baby).reason == "no_login"
    adult = factories.account()
    factories.guard(mum, adult.patient)
    assert service.detach_refusal(mum, adult.patient) is None
    factories.guard(factories.account(), baby)
    assert service.detach_refusal(mum, baby) is None  # the other parent stays
    with pytest.raises(service.CannotDetach):
        lonely = factories.dependant(mum, birth_date=date(2020, 1, 1))
        service.detach(mum, lonely)
