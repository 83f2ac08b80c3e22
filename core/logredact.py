"""Tokens never reach a log line: paths like /password/reset/<token> are redacted (ASVS V7.1.1).

The redaction sits in the log-record factory, so it covers every logger and handler at once —
our own, Werkzeug's and gunicorn's access log, the error handler's `request.path` and pytest's
capture alike. The token-bearing path prefixes come from the URL map (every rule with a
`<token>` part), so a new link route is covered without touching this module.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

REDACTED = "[redacted]"
# Paths that look like token routes but are pages of their own.
_NOT_TOKENS = {"resend"}

_prefixes: set[str] = set()
_pattern: re.Pattern[str] | None = None
_installed = False


def redact(text: str) -> str:
    """The text with the token part of every token-bearing path replaced."""
    if _pattern is None or not text:
        return text
    return _pattern.sub(_replace, text)


def _replace(match: re.Match[str]) -> str:
    if match.group(2) in _NOT_TOKENS:
        return match.group(0)
    return match.group(1) + REDACTED


def _compile() -> None:
    global _pattern
    if not _prefixes:
        _pattern = None
        return
    alternatives = "|".join(re.escape(p) for p in sorted(_prefixes, key=len, reverse=True))
    # The token is everything up to the next separator of a URL or a log line.
    _pattern = re.compile(rf"({alternatives})([^/?#\s\"'&<>]+)")


def token_prefixes(rules: Iterable[object]) -> set[str]:
    """'/activate/' for the rule '/activate/<token>': the static part before a token."""
    found = set()
    for rule in rules:
        text = getattr(rule, "rule", "")
        if "<token>" in text:
            found.add(text.split("<token>", 1)[0])
    return found


def install(rules: Iterable[object]) -> None:
    """Redact every log record created from now on (idempotent; one factory per process)."""
    global _installed
    _prefixes.update(token_prefixes(rules))
    _compile()
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format is logging's problem, not ours
            return record
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return record

    logging.setLogRecordFactory(factory)
    _installed = True
