"""PESEL checksum, birth date and sex."""

from datetime import date

import pytest

from core.pesel import InvalidPesel, make, parse


@pytest.mark.parametrize(
    ("born", "female"),
    [(date(1985, 7, 15), True), (date(2010, 2, 28), False), (date(1899, 12, 31), True)],
)
def test_made_pesel_parses_back(born, female):
    assert parse(make(born, 42, female)) == (born, "F" if female else "M")


@pytest.mark.parametrize(
    "bad",
    ["", "1234567890", "123456789012", "8507151236X", "85071512363", "85131512360", "٨٥٠٧١٥١٢٣٦٢"],
)
def test_invalid_pesel_is_refused(bad):
    with pytest.raises(InvalidPesel):
        parse(bad)
