"""Self-hosted bot protection: a signed proof-of-work challenge with a no-JS arithmetic question.

The server signs a random nonce, the number of leading zero bits wanted and a small sum. The
token is signed, not secret, so the sum travels encrypted (XOR with a keystream derived from the
secret key and the nonce) and the answer only as a keyed hash: a bot that reads the token learns
neither the question nor the answer and has to do the proof of work (ASVS V2.2.1).
static/js/botcheck.js finds a counter whose SHA-256 of "<challenge>:<counter>" has that many
leading zero bits (hashcash) and fills `botcheck_solution`; without JavaScript (or without
WebCrypto) the person answers the question in `botcheck_answer`. Each challenge is spent
once (SpentChallenge has a unique nonce), so a solved challenge cannot be replayed.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

import peewee
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from models.accounts import SpentChallenge
from models.base import utcnow, write_transaction

from .tokens import TokenInvalid, make_token, read_token

PURPOSE = "botcheck"
DEFAULT_BITS = 16
MAX_AGE_SECONDS = 2 * 3600
NUMBER_WORDS = {
    1: _l("jeden"),
    2: _l("dwa"),
    3: _l("trzy"),
    4: _l("cztery"),
    5: _l("pięć"),
    6: _l("sześć"),
    7: _l("siedem"),
    8: _l("osiem"),
    9: _l("dziewięć"),
}
# Answers accepted in words as well as digits (Polish and English forms).
_ANSWER_WORDS = {
    "dwa": 2, "trzy": 3, "cztery": 4, "pięć": 5, "piec": 5, "sześć": 6, "szesc": 6,
    "siedem": 7, "osiem": 8, "dziewięć": 9, "dziewiec": 9, "dziesięć": 10, "dziesiec": 10,
    "jedenaście": 11, "jedenascie": 11, "dwanaście": 12, "dwanascie": 12, "trzynaście": 13,
    "trzynascie": 13, "czternaście": 14, "czternascie": 14, "piętnaście": 15, "pietnascie": 15,
    "szesnaście": 16, "szesnascie": 16, "siedemnaście": 17, "siedemnascie": 17,
    "osiemnaście": 18, "osiemnascie": 18, "two": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
    "eighteen": 18,
}  # fmt: skip


@dataclass(frozen=True)
class Challenge:
    token: str
    bits: int
    question: str


def enabled() -> bool:
    return bool(current_app.config["BOT_CHECK"])


def _bits() -> int:
    return int(current_app.config.get("BOT_CHECK_BITS", DEFAULT_BITS))


def _answer_mac(nonce: str, answer: int) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"botcheck:{nonce}:{answer}".encode(), hashlib.sha256).hexdigest()[:32]


def _keystream(nonce: str) -> bytes:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"botcheck-question:{nonce}".encode(), hashlib.sha256).digest()


def _seal(nonce: str, a: int, b: int) -> str:
    """The question's numbers, unreadable without the secret key (one keystream per nonce)."""
    stream = _keystream(nonce)
    return bytes([a ^ stream[0], b ^ stream[1]]).hex()


def _unseal(nonce: str, sealed: str) -> tuple[int, int]:
    raw = bytes.fromhex(sealed)
    stream = _keystream(nonce)
    a, b = raw[0] ^ stream[0], raw[1] ^ stream[1]
    if len(raw) != 2 or a not in NUMBER_WORDS or b not in NUMBER_WORDS:
        raise ValueError("damaged question")
    return a, b


def _question(a: int, b: int) -> str:
    return _(
        "Ile to jest %(a)s plus %(b)s? Wpisz wynik cyframi.",
        a=NUMBER_WORDS[a],
        b=NUMBER_WORDS[b],
    )


def new_challenge() -> Challenge:
    nonce = secrets.token_hex(16)
    a, b = secrets.randbelow(9) + 1, secrets.randbelow(9) + 1
    bits = _bits()
    token = make_token(
        PURPOSE, {"n": nonce, "bits": bits, "e": _seal(nonce, a, b), "m": _answer_mac(nonce, a + b)}
    )
    return Challenge(token=token, bits=bits, question=_question(a, b))


def challenge_from(token: str) -> Challenge | None:
    """The challenge a form carried, to show it again after a 422 re-render."""
    try:
        data = read_token(PURPOSE, token or "", MAX_AGE_SECONDS)
        a, b = _unseal(str(data["n"]), str(data["e"]))
        return Challenge(token=token, bits=int(data["bits"]), question=_question(a, b))
    except (TokenInvalid, KeyError, TypeError, ValueError, IndexError):
        return None


def leading_zero_bits(digest: bytes) -> int:
    bits = 0
    for byte in digest:
        if byte == 0:
            bits += 8
            continue
        return bits + (8 - byte.bit_length())
    return bits


def solve(token: str, bits: int) -> str:
    """What the browser script does, for tests and command-line clients."""
    counter = 0
    while leading_zero_bits(hashlib.sha256(f"{token}:{counter}".encode()).digest()) < bits:
        counter += 1
    return str(counter)


def _parse_answer(answer: str) -> int | None:
    answer = (answer or "").strip().lower()
    if answer.isascii() and answer.isdigit() and len(answer) <= 3:
        return int(answer)
    return _ANSWER_WORDS.get(answer)


def check(token: str, solution: str = "", answer: str = "") -> str | None:
    """The nonce of a passed challenge, or None. Does not spend it (see `spend`)."""
    try:
        data = read_token(PURPOSE, token or "", MAX_AGE_SECONDS)
        nonce, bits, mac = str(data["n"]), int(data["bits"]), str(data["m"])
    except (TokenInvalid, KeyError, TypeError, ValueError):
        return None
    solution = (solution or "").strip()
    if solution and solution.isascii() and solution.isdigit() and len(solution) <= 12:
        digest = hashlib.sha256(f"{token}:{solution}".encode()).digest()
        if bits >= 1 and leading_zero_bits(digest) >= bits:
            return nonce
    value = _parse_answer(answer)
    if value is not None and hmac.compare_digest(_answer_mac(nonce, value), mac):
        return nonce
    return None


def spend(nonce: str) -> bool:
    """Record the challenge as used; False if it was used before (a replay)."""
    now = utcnow()
    try:
        with write_transaction():
            SpentChallenge.create(nonce=nonce[:64], at=now)
    except peewee.IntegrityError:
        return False
    SpentChallenge.delete().where(
        SpentChallenge.at < now - timedelta(seconds=MAX_AGE_SECONDS + 60)
    ).execute()
    return True
