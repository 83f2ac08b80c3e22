"""PESEL: checksum, and the birth date and sex it encodes."""

from __future__ import annotations

from datetime import date

WEIGHTS = (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)
# The month field carries the century: +80 for 1800s, +0 for 1900s, +20 for 2000s, ...
CENTURY_OFFSETS = {80: 1800, 0: 1900, 20: 2000, 40: 2100, 60: 2200}


class InvalidPesel(ValueError):
    pass


def checksum_digit(first_ten: str) -> int:
    return (10 - sum(int(d) * w for d, w in zip(first_ten, WEIGHTS, strict=True)) % 10) % 10


def birth_date(pesel: str) -> date:
    year, month, day = int(pesel[0:2]), int(pesel[2:4]), int(pesel[4:6])
    for offset, century in CENTURY_OFFSETS.items():
        if offset < month <= offset + 12:
            return date(century + year, month - offset, day)
    raise InvalidPesel("month out of range")


def sex(pesel: str) -> str:
    return "F" if int(pesel[9]) % 2 == 0 else "M"


def parse(pesel: str) -> tuple[date, str]:
    """Return (birth date, sex) of a valid PESEL; raise InvalidPesel otherwise."""
    if len(pesel) != 11 or not pesel.isascii() or not pesel.isdigit():
        raise InvalidPesel("PESEL has 11 digits")
    if checksum_digit(pesel[:10]) != int(pesel[10]):
        raise InvalidPesel("checksum")
    try:
        return birth_date(pesel), sex(pesel)
    except ValueError as error:
        raise InvalidPesel(str(error)) from None


def make(born: date, serial: int, female: bool) -> str:
    """Build a valid PESEL (for demo data and tests)."""
    offset = {v: k for k, v in CENTURY_OFFSETS.items()}[born.year // 100 * 100]
    digits = f"{born.year % 100:02d}{born.month + offset:02d}{born.day:02d}{serial % 1000:03d}"
    sex_digit = (serial % 5) * 2 + (0 if female else 1)
    first_ten = digits + str(sex_digit)
    return first_ten + str(checksum_digit(first_ten))
