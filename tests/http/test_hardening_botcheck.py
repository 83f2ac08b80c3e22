"""The anti-bot challenge token does not give away its question or answer (issue 8.4)."""

from __future__ import annotations

import base64
import json
import re
import zlib

import pytest

from core import botcheck

WORDS = {str(word): number for number, word in botcheck.NUMBER_WORDS.items()}


@pytest.fixture
def app_config(app_config):
    return {**app_config, "BOT_CHECK": True, "BOT_CHECK_BITS": 8}


def _payload(token: str) -> dict:
    """What any client can read from a signed (not encrypted) token."""
    compressed = token.startswith(".")
    body = token.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    return json.loads(zlib.decompress(raw) if compressed else raw)


def _challenge(client) -> tuple[str, int, int]:
    page = client.get("/register").get_data(as_text=True)
    token = re.search(r'name="botcheck_challenge" value="([^"]+)"', page).group(1)
    question = re.search(r"Ile to jest (\w+) plus (\w+)\?", page)
    return token, WORDS[question.group(1)], WORDS[question.group(2)]


def test_challenge_token_reveals_neither_question_nor_answer(client):
    """ASVS V2.2.1 (anti-automation) / V8.3.x: a bot reading the token learns nothing it needs;
    only the proof of work or a person reading the question passes."""
    for _ in range(20):  # different sums, so a coincidence cannot hide a leak
        token, a, b = _challenge(client)
        data = _payload(token)
        assert "q" not in data
        numbers = [v for k, v in data.items() if k != "bits" and isinstance(v, int | list)]
        assert numbers == [], data
        text = json.dumps({k: v for k, v in data.items() if k != "bits"})
        for value in (a, b, a + b):
            assert not re.search(rf"(?<![0-9a-f]){value}(?![0-9a-f])", text), (value, data)


def test_sealed_question_still_works_for_people_and_the_re_rendered_form(client, app):
    token, a, b = _challenge(client)
    with app.app_context():
        again = botcheck.challenge_from(token)
        assert again is not None and str(botcheck.NUMBER_WORDS[a]) in again.question
        assert botcheck.check(token, answer=str(a + b))
        assert not botcheck.check(token, answer=str(a + b + 1))
        assert botcheck.check(token, solution=botcheck.solve(token, 8))
