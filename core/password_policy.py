"""Password rules (NIST SP 800-63B, ASVS V2.1): length, common passwords, no composition rules."""

from __future__ import annotations

import math
import unicodedata
from functools import lru_cache
from pathlib import Path

from flask_babel import gettext as _

MIN_LENGTH = 12
MAX_LENGTH = 128
COMMON_PASSWORDS_FILE = Path(__file__).resolve().parent.parent / "data" / "common-passwords.txt"
# A login or e-mail name shorter than this is too likely to occur by chance inside a password.
MIN_INPUT_TO_MATCH = 4


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped list, loaded once; lines starting with '#' are comments."""
    with COMMON_PASSWORDS_FILE.open(encoding="utf-8") as fh:
        return frozenset(
            line.strip().lower() for line in fh if line.strip() and not line.startswith("#")
        )


def _is_printable(password: str) -> bool:
    """Any printable Unicode, including spaces and emoji; control characters are refused."""
    return all(unicodedata.category(ch) not in {"Cc", "Cs", "Cn"} for ch in password)


def _personal_parts(user_inputs: tuple[str, ...]) -> list[str]:
    parts = []
    for value in user_inputs:
        value = (value or "").strip().lower()
        if "@" in value:
            value = value.split("@", 1)[0]
        if len(value) >= MIN_INPUT_TO_MATCH:
            parts.append(value)
    return parts


def password_problems(
    password: str, confirm: str | None = None, user_inputs: tuple[str, ...] = ()
) -> list[str]:
    """Translated reasons why `password` cannot be used; empty when it is acceptable.

    ASVS V2.1.1 (min 12), V2.1.2 (64 allowed, over 128 refused), V2.1.3 (never truncated),
    V2.1.4 (any printable Unicode), V2.1.7 (common passwords), V2.1.9 (no composition rules).
    `user_inputs` are the login and e-mail: a password equal to or containing them is refused.
    """
    password = password or ""
    problems: list[str] = []
    if len(password) < MIN_LENGTH:
        problems.append(_("Hasło musi mieć co najmniej %(n)s znaków.", n=MIN_LENGTH))
    elif len(password) > MAX_LENGTH:
        problems.append(_("Hasło może mieć najwyżej %(n)s znaków.", n=MAX_LENGTH))
    if not _is_printable(password):
        problems.append(_("Hasło zawiera niedozwolone znaki sterujące."))
    lowered = password.lower()
    if not problems:
        if lowered in common_passwords() or lowered.strip() in common_passwords():
            problems.append(_("To hasło jest zbyt popularne i łatwe do odgadnięcia. Wybierz inne."))
        elif len(set(lowered)) <= 2:
            problems.append(_("Hasło składa się z powtórzonych znaków. Wybierz inne."))
        elif any(part in lowered for part in _personal_parts(user_inputs)):
            problems.append(_("Hasło nie może zawierać loginu ani adresu e-mail."))
    if confirm is not None and confirm != password:
        problems.append(_("Hasła nie są takie same."))
    return problems


def _guess_bits(password: str) -> float:
    """A rough estimate of the password's entropy from its length and character classes."""
    pool = 0
    if any(c.islower() for c in password):
        pool += 26
    if any(c.isupper() for c in password):
        pool += 26
    if any(c.isdigit() for c in password):
        pool += 10
    if any(not c.isalnum() and c.isascii() for c in password):
        pool += 33
    if any(not c.isascii() for c in password):
        pool += 100
    distinct = len(set(password))
    return distinct * math.log2(max(pool, 2)) + (len(password) - distinct) * 1.0


def strength_hint(password: str) -> str:
    """A short server-side hint about the password's strength (ASVS V2.1.8); works without JS."""
    password = password or ""
    if password_problems(password):
        return _("Hasło za słabe: nie spełnia wymagań.")
    bits = _guess_bits(password)
    if bits < 50:
        return _("Hasło słabe: dodaj kilka słów, żeby było dłuższe.")
    if bits < 80:
        return _("Hasło średnie: dłuższe hasło (np. kilka słów) będzie bezpieczniejsze.")
    return _("Hasło silne.")
