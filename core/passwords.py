"""Password hashing with Argon2id (memory-hard, salted)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# RFC 9106 "second recommended" profile: 64 MiB, 3 passes, 4 lanes.
_hasher = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=4)
_fast_hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
_use_fast = False


def use_fast_hashes_for_tests() -> None:
    """Tests create hundreds of accounts; production parameters stay the default."""
    global _use_fast
    _use_fast = True


def _current() -> PasswordHasher:
    return _fast_hasher if _use_fast else _hasher


def hash_password(password: str) -> str:
    return _current().hash(password)


# Verifying against this keeps the time of an unknown login close to a known one.
_DUMMY_HASH = None


def verify_password(password_hash: str | None, password: str) -> bool:
    global _DUMMY_HASH
    if password_hash is None:
        if _DUMMY_HASH is None:
            _DUMMY_HASH = hash_password("dummy password for timing")
        password_hash = _DUMMY_HASH
        password = password + "\x00never"
    try:
        return PasswordHasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
